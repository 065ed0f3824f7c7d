"""Backprops you can break: the real loss-and-gradient and four classic bugs.

Each :class:`Variant` wraps the engine's :func:`.maths.loss_and_grad` and returns
``(cost, grad)`` for a flat parameter vector; only the gradient check
(:mod:`.gradcheck`) looks them up. Nothing on the training path imports this
module, so a broken variant can be checked but never trained with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .maths import activation_of, loss_and_grad, regularization_cost, unpack


def _correct(flat, table, X, Y, lam, activation):
    cost, grad, _ = loss_and_grad(flat, table, X, Y, lam, activation=activation)
    return cost, grad


def _bias_regularized(flat, table, X, Y, lam, activation):
    """The post's gradient: ``+ (lambda/m) theta`` on the whole matrix, bias row too."""
    cost, grad = _correct(flat, table, X, Y, lam, activation)
    for theta, g in zip(unpack(flat, table), unpack(grad, table)):
        g[0] += lam / X.shape[0] * theta[0]
    return cost, grad


def _cost_missing_lambda(flat, table, X, Y, lam, activation):
    """The post's cost: ``sum(theta**2) / (2m)``, lambda forgotten; the gradient keeps it."""
    cost, grad = _correct(flat, table, X, Y, lam, activation)
    if lam:
        reg = regularization_cost(unpack(flat, table), lam, X.shape[0])
        cost += reg / lam - reg
    return cost, grad


def _no_slope(a, delta):
    """Leave ``delta`` as it is: the g'(z) factor forgotten."""


def _no_activation_derivative(flat, table, X, Y, lam, activation):
    """Hidden deltas ``Theta^T delta`` without the factor ``g'(z)``."""
    broken = replace(activation_of(activation), slope=_no_slope)
    return _correct(flat, table, X, Y, lam, broken)


def _missing_1_over_m(flat, table, X, Y, lam, activation):
    """The data part of the gradient summed over the samples instead of averaged."""
    cost, grad = _correct(flat, table, X, Y, lam, activation)
    _, data_grad, _ = loss_and_grad(flat, table, X, Y, 0.0, activation=activation)
    grad += (X.shape[0] - 1) * data_grad
    return cost, grad


def _any_lambda(lam):
    return None


def _needs_lambda(lam):
    if lam == 0:
        return "λ = 0: without regularisation this bug changes nothing"
    return None


def _needs_lambda_not_one(lam):
    if lam in (0, 1):
        return f"λ = {lam:g}: multiplying by λ changes nothing, so this bug cannot show"
    return None


@dataclass(frozen=True)
class Variant:
    """One backprop: ``loss_and_grad(flat, table, X, Y, lam, activation) -> (cost, grad)``.

    ``hidden_at(lam)`` says why the bug cannot show at that λ (None when it can).
    """

    name: str
    label: str
    help: str
    loss_and_grad: object
    hidden_at: object = _any_lambda


VARIANTS = {v.name: v for v in (
    Variant("correct", "Real backprop", "The engine's own cost and gradient.", _correct),
    Variant("bias_regularized", "Bias row regularised",
            "The post's bug: the gradient adds (λ/m)·θ to the bias row too.",
            _bias_regularized, _needs_lambda),
    Variant("cost_missing_lambda", "Cost without λ",
            "The post's bug: the cost adds Σθ²/(2m), forgetting λ; the gradient has it.",
            _cost_missing_lambda, _needs_lambda_not_one),
    Variant("no_activation_derivative", "No g′(z)",
            "Hidden deltas Θᵀδ without the factor g′(z) of the activation.",
            _no_activation_derivative),
    Variant("missing_1_over_m", "No 1/m",
            "The data gradient summed over the samples instead of averaged.",
            _missing_1_over_m),
)}
DEFAULT_VARIANT = "correct"

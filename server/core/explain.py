"""One training step laid open for one input: z, a and delta per layer, the cost terms,
and the gradients of that sample and of the whole training set.

Every number comes from the engine's own functions: :func:`.maths.backprop_trace` is
the backpropagation :func:`.maths.loss_and_grad` runs while training, with its
intermediates kept, and the full-set gradient is :func:`.maths.loss_and_grad` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .maths import (
    DEFAULT_ACTIVATION,
    backprop_trace,
    data_cost_terms,
    forward,
    layer_table,
    loss_and_grad,
    pack,
    regularization_cost,
    unpack,
)


@dataclass
class SampleExplanation:
    """The forward and backward pass of one input (see :func:`explain_sample`)."""

    z: list            # per weight matrix l: (s_l+1,) pre-activations of the layer it feeds
    a: list            # a[0] the input (n,), a[l + 1] the output of layer l, no bias
    delta: list        # per weight matrix l: (s_l+1,) dJ_sample/dz
    target: np.ndarray  # (p,) one-hot
    target_index: int
    predicted: int
    unit_costs: np.ndarray  # (p,) each output unit's cross-entropy
    cost: float        # the sample's data term: the sum of unit_costs
    grads: list        # like thetas: this sample's dJ_sample/dtheta = [1, a_prev]^T delta


@dataclass
class FullGradient:
    """The whole training set's cost and gradient at one set of weights."""

    J: float
    J_data: float
    J_reg: float
    lam: float
    m: int
    grads: list        # like thetas: dJ/dtheta, the bias rows not regularised


def explain_sample(thetas, x, target_index=None, activation=DEFAULT_ACTIVATION):
    """Explain input ``x`` (n,) against class ``target_index`` (the prediction when None).

    The sample's cost is its own unregularised, unaveraged cross-entropy, so that its
    gradient is its contribution to the training sum: ``dJ/dtheta = (1/m) sum_i
    grads_i + (lambda/m) theta`` (bias rows excepted).
    """
    X = np.asarray(x, dtype=np.float64).reshape(1, -1)  # (1, n)
    p = thetas[-1].shape[1]
    predicted = int(np.argmax(forward(thetas, X, activation)[0][-1][0]))
    index = predicted if target_index is None else int(target_index)
    if not 0 <= index < p:
        raise ValueError(f"target_index {index} is out of range [0, {p - 1}]")
    Y = np.zeros((1, p))
    Y[0, index] = 1.0
    trace = backprop_trace(thetas, X, Y, activation)
    unit_costs = data_cost_terms(trace.z[-1], Y)[0]
    return SampleExplanation(
        z=[z[0] for z in trace.z], a=[a[0] for a in trace.a],
        delta=[d[0] for d in trace.delta], target=Y[0], target_index=index,
        predicted=predicted, unit_costs=unit_costs, cost=trace.cost, grads=trace.grads)


def full_gradient(thetas, X, Y, lam, activation=DEFAULT_ACTIVATION) -> FullGradient:
    """Return the cost terms and gradient of ``loss_and_grad`` on ``X`` (m, n), ``Y`` (m, p)."""
    sizes = (thetas[0].shape[0] - 1,) + tuple(t.shape[1] for t in thetas)
    table = layer_table(sizes)
    flat = pack(thetas)
    X = np.asarray(X, dtype=np.float64)
    m = X.shape[0]
    J, grad, _ = loss_and_grad(flat, table, X, Y, lam, activation=activation)
    J_reg = regularization_cost(unpack(flat, table), lam, m)
    return FullGradient(J=J, J_data=J - J_reg, J_reg=J_reg, lam=float(lam), m=m,
                        grads=unpack(grad, table))


def contributions(a_last_hidden, theta_out, k):
    """Return ``(bias, [(unit, a_j * theta_jk), ...])`` for output unit ``k``, largest first.

    ``z_k = bias + sum_j a_j theta_jk``: the ranked terms say which last-hidden units
    (or inputs, with no hidden layer) pushed the output towards class ``k``.
    """
    terms = np.asarray(a_last_hidden) * theta_out[1:, k]  # (s,)
    order = np.argsort(-terms, kind="stable")
    return float(theta_out[0, k]), [(int(j), float(terms[j])) for j in order]

"""The optimizers: one registry entry each, and the loops of their two families.

``NeuralNetwork.fit`` builds a :class:`FitState` (counters, stop checks, the
callbacks) and calls ``entry.run(state, entry, x0, rng)``. Adding an optimizer is
one :class:`Optimizer` in ``OPTIMIZER_REGISTRY``: the page (``ready.optimizers``),
the CLI's choices and docs/protocol.md take it from there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from .maths import cost_only, loss_and_grad, sumsq, unpack


@dataclass
class IterationInfo:
    """What ``fit``'s callback sees after each optimizer iteration."""

    iteration: int
    n_fev: int
    cost: float
    grad_norm: float
    elapsed: float
    train_accuracy: float
    val_cost: float | None = None
    val_accuracy: float | None = None
    class_accuracy: np.ndarray | None = None       # (p,) training accuracy per class
    val_class_accuracy: np.ndarray | None = None   # (p,) validation accuracy per class
    grad_norms: tuple = ()  # per weight matrix: the norm of its part of the gradient
    _flat: np.ndarray = field(default=None, repr=False)
    _table: list = field(default=None, repr=False)

    @property
    def thetas(self):
        """Read-only views of the weights at this iteration, shaped like ``model.thetas``."""
        out = unpack(self._flat, self._table)
        for t in out:
            t.flags.writeable = False
        return out


class _Stop(Exception):
    """Raised inside the objective or callback to end ``minimize`` early."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def accuracies(output, y_index, counts):
    """Return ``(accuracy, per-class accuracy (p,))`` of outputs (m, p) against ``y_index``.

    A class with no samples gets NaN. One ``bincount`` over the samples: small next
    to the evaluation that produced ``output``.
    """
    right = np.argmax(output, axis=1) == y_index  # (m,)
    per_class = np.bincount(y_index, weights=right, minlength=counts.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class /= counts
    return float(right.mean()), per_class


class FitState:
    """The bookkeeping of one ``fit``: counters, stop checks, the callbacks."""

    def __init__(self, model, X, Y, X_val, Y_val, table, callback, on_evaluation, dtype):
        self.model, self.X, self.Y, self.X_val, self.Y_val = model, X, Y, X_val, Y_val
        self.table, self.callback, self.on_evaluation = table, callback, on_evaluation
        self.dtype = dtype
        self.lam = float(model.regularization_parameter)
        self.activation = model.activation
        self.y_index = np.argmax(Y, axis=1)
        self.counts = np.bincount(self.y_index, minlength=Y.shape[1]).astype(np.float64)
        if Y_val is not None:
            self.y_val_index = np.argmax(Y_val, axis=1)
            self.val_counts = np.bincount(self.y_val_index, minlength=Y.shape[1]).astype(
                np.float64)
        self.start = time.perf_counter()
        self.n_fev = 0
        self.iteration = model.n_iter_
        self.best_x = None
        self.recent = []  # [(x, cost, grad, output)] of the last evaluations
        self.grad_buf = None
        self.split = None  # a rowsplit.RowSplit of X and Y, set by fit

    def elapsed(self):
        return time.perf_counter() - self.start

    def _check_stop(self):
        if self.model.stop_requested:
            raise _Stop("stopped")

    def _evaluated(self, cost):
        self.n_fev += 1
        self.model.n_fev_ = self.n_fev
        if self.on_evaluation is not None and self.on_evaluation(self.n_fev, cost):
            raise _Stop("stopped")
        self._check_stop()

    # scipy's objective: float64 in, (float64 cost, float64 grad) out.
    def objective(self, x):
        self._check_stop()
        flat = x if self.dtype == np.float64 else x.astype(self.dtype)
        if self.grad_buf is None:
            self.grad_buf = np.empty_like(flat)
        cost, grad, output = loss_and_grad(flat, self.table, self.X, self.Y, self.lam,
                                           grad_out=self.grad_buf, activation=self.activation,
                                           split=self.split)
        grad64 = np.array(grad, dtype=np.float64)  # scipy may keep it: always a fresh copy
        # The output (a fresh array each call) is kept, its accuracy computed only for
        # the evaluations that become iterations: TNC makes ~17 evaluations per iteration
        # and an argmax over (m, p) costs 2% of an evaluation on 5000x400->25->10.
        self.recent = [(x.copy(), cost, grad64, output)] + self.recent[:3]
        self._evaluated(cost)
        return cost, grad64

    def _lookup(self, xk):
        """Return ``(cost, grad, accuracy)`` at ``xk``: from the last evaluations if there."""
        for x, cost, grad, output in self.recent:
            if np.array_equal(x, xk):
                return cost, grad, accuracies(output, self.y_index, self.counts)
        cost, grad, output = loss_and_grad(xk.astype(self.dtype), self.table, self.X, self.Y,
                                           self.lam, activation=self.activation)
        return cost, grad, accuracies(output, self.y_index, self.counts)

    def scipy_callback(self, xk, *args):
        cost, grad, acc = self._lookup(xk)
        self._iterated(np.array(xk, dtype=np.float64), cost, grad, acc)

    def _iterated(self, x, cost, grad, accuracy):
        """Record one finished iteration at ``x``; raise _Stop when the fit must end.

        ``grad`` is the full-batch gradient the optimizer used there (for the mini-batch
        optimizers, the mean of the epoch's mini-batch gradients); ``accuracy`` is
        ``(training accuracy, per class (p,))``, from :func:`accuracies`.
        """
        accuracy, class_accuracy = accuracy
        grad_norms = tuple(math.sqrt(sumsq(g)) for g in unpack(grad, self.table))
        grad_norm = math.sqrt(sum(n * n for n in grad_norms))
        self.best_x = x
        self.iteration += 1
        model = self.model
        model.n_iter_ = self.iteration
        model.cost_history_.append(float(cost))
        model.train_accuracy_history_.append(accuracy)
        val_cost = val_acc = val_class_acc = None
        if self.X_val is not None:
            flat = x.astype(self.dtype, copy=False)
            val_cost, out = cost_only(flat, self.table, self.X_val, self.Y_val, 0.0,
                                      self.activation)
            val_acc, val_class_acc = accuracies(out, self.y_val_index, self.val_counts)
            model.val_cost_history_.append(val_cost)
            model.val_accuracy_history_.append(val_acc)
        if self.callback is not None:
            info = IterationInfo(self.iteration, self.n_fev, float(cost), grad_norm,
                                 self.elapsed(), accuracy, val_cost, val_acc,
                                 class_accuracy, val_class_acc, grad_norms,
                                 _flat=x, _table=self.table)
            if self.callback(info):
                raise _Stop("callback")
        self._check_stop()
        if self.iteration - self.first_iteration >= model.max_iter:
            raise _Stop("max_iter")

    def finish(self, reason, message, status):
        model = self.model
        model.stop_reason_, model.message_, model.status_ = reason, message, status


# --------------------------------------------------------------------------
# The optimizers: one registry entry each. ``fit`` calls ``entry.run(state, entry,
# x0, rng)``; a family's loop reads what it needs from the entry.

_STOP_MESSAGES = {"stopped": "stopped on request", "callback": "stopped by the callback"}


def scipy_loop(state, opt, x0, rng):
    """Run one of ``scipy.optimize.minimize``'s methods, named ``opt.name``."""
    model = state.model
    state.best_x = x0
    state.first_iteration = state.iteration
    max_fun = model.max_fun or 100 * model.max_iter
    try:
        result = optimize.minimize(
            state.objective, x0, jac=True, method=opt.name, callback=state.scipy_callback,
            tol=model.tol, options=opt.scipy_options(model.max_iter, max_fun),
        )
    except _Stop as stop:
        messages = {"max_iter": f"reached max_iter={model.max_iter} iterations", **_STOP_MESSAGES}
        state.finish(stop.reason, messages[stop.reason], -1)
        return
    if state.iteration - state.first_iteration >= model.max_iter:
        reason = "max_iter"
    elif state.n_fev >= max_fun or "function evaluation" in str(result.message).lower():
        reason = "max_fun"
    elif result.success:
        reason = "converged"
    else:
        reason = "failed"
    if result.success or reason in ("max_iter", "max_fun"):
        # Take the optimizer's final point unless it is worse than the last iteration's.
        state.best_x = np.array(result.x, dtype=np.float64)
    state.finish(reason, str(result.message), int(result.status))


def minibatch_loop(state, opt, x0, rng):
    """Epochs of shuffled mini-batches, each batch stepped by ``opt.rule``."""
    model = state.model
    state.first_iteration = state.iteration
    m = state.X.shape[0]
    batch = min(int(model.batch_size), m)
    lr = model.learning_rate or opt.learning_rate
    params = x0.astype(state.dtype)
    grad_buf = np.empty_like(params)
    step = opt.rule(params)
    state.best_x = x0
    try:
        while True:
            order = rng.permutation(m)
            grad_sum = np.zeros_like(params)
            for start in range(0, m, batch):
                idx = order[start:start + batch]
                cost, grad, _ = loss_and_grad(params, state.table, state.X[idx], state.Y[idx],
                                              state.lam, grad_out=grad_buf, n_total=m,
                                              activation=state.activation)
                if not math.isfinite(cost):
                    raise _Stop("diverged")
                grad_sum += grad
                step(grad, lr)
                state._evaluated(cost)
            cost, output = cost_only(params, state.table, state.X, state.Y, state.lam,
                                     state.activation)
            acc = accuracies(output, state.y_index, state.counts)
            grad_sum /= math.ceil(m / batch)  # the mean mini-batch gradient of the epoch
            state._iterated(params.astype(np.float64), cost, grad_sum, acc)
    except _Stop as stop:
        messages = {
            "max_iter": f"reached max_iter={model.max_iter} epochs", **_STOP_MESSAGES,
            "diverged": f"the cost became infinite or NaN: lower learning_rate ({lr})",
        }
        state.finish(stop.reason, messages[stop.reason], 0 if stop.reason == "max_iter" else -1)


def adam_rule(params):
    """Return ``step(grad, lr)``: Adam's update of ``params`` in place, no temporaries."""
    m1, m2, scratch = np.zeros_like(params), np.zeros_like(params), np.empty_like(params)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    t = 0

    def step(grad, lr):
        nonlocal t, m1, m2, scratch, params  # in-place operators rebind the same arrays
        t += 1
        m1 *= beta1
        np.multiply(grad, 1 - beta1, out=scratch)
        m1 += scratch
        m2 *= beta2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - beta2
        m2 += scratch
        size = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
        np.sqrt(m2, out=scratch)
        scratch += eps
        np.divide(m1, scratch, out=scratch)
        scratch *= size
        params -= scratch

    return step


def gd_rule(params):
    """Return ``step(grad, lr)``: plain gradient descent on ``params`` in place."""
    scratch = np.empty_like(params)

    def step(grad, lr):
        np.multiply(grad, lr, out=scratch)
        np.subtract(params, scratch, out=params)

    return step


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: what the page, the CLI and the doc show, and how ``fit`` runs it.

    ``run(state, optimizer, x0, rng)`` is the family's loop; ``options`` are the
    train settings it reads; ``scipy_options(max_iter, max_fun)`` (scipy family)
    gives ``minimize``'s options; ``rule(params)`` (mini-batch family) returns the
    in-place ``step(grad, lr)``, with ``learning_rate`` the default step size.
    """

    name: str
    label: str
    family: str
    help: str
    run: object
    options: tuple[str, ...] = ()
    scipy_options: object = None
    rule: object = None
    learning_rate: float | None = None


_MINIBATCH_OPTIONS = ("learning_rate", "batch_size")

OPTIMIZER_REGISTRY = {o.name: o for o in (
    Optimizer("TNC", "TNC (Newton)", "scipy",
              "Truncated Newton (scipy): few, well-aimed steps on the whole training set.",
              scipy_loop, scipy_options=lambda max_iter, max_fun: {"maxfun": max_fun}),
    Optimizer("L-BFGS-B", "L-BFGS-B", "scipy",
              "Limited-memory quasi-Newton (scipy) on the whole training set.",
              scipy_loop,
              scipy_options=lambda max_iter, max_fun: {"maxiter": max_iter, "maxfun": max_fun}),
    Optimizer("CG", "Conjugate gradient", "scipy",
              "Nonlinear conjugate gradient (scipy) on the whole training set.",
              scipy_loop, scipy_options=lambda max_iter, max_fun: {"maxiter": max_iter}),
    Optimizer("adam", "Adam", "minibatch",
              "Adam on shuffled mini-batches; one iteration is one epoch.",
              minibatch_loop, _MINIBATCH_OPTIONS, rule=adam_rule, learning_rate=1e-3),
    Optimizer("gd", "Gradient descent", "minibatch",
              "Plain gradient descent on shuffled mini-batches; one iteration is one epoch.",
              minibatch_loop, _MINIBATCH_OPTIONS, rule=gd_rule, learning_rate=0.5),
)}
OPTIMIZERS = tuple(OPTIMIZER_REGISTRY)


def full_batch_evaluations(optimizer: str, n_fev: int, m: int, batch_size: int) -> float:
    """``n_fev`` gradient evaluations counted in full-batch equivalents.

    A scipy optimizer evaluates the whole training set each time (1 each); a
    mini-batch one evaluates ``batch_size`` of the ``m`` samples (``batch_size / m``
    each; the last batch of an epoch is the rest, so an epoch is exactly 1).
    """
    if OPTIMIZER_REGISTRY[optimizer].family != "minibatch":
        return float(n_fev)
    batch = min(int(batch_size), int(m))
    epochs, rest = divmod(int(n_fev), math.ceil(m / batch))
    return epochs + rest * batch / m

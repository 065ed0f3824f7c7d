"""The vectorised maths of a fully connected network: numpy only.

Layout follows the post the project grew from: ``thetas[l]`` has shape
``(n_in + 1, n_out)`` and row 0 holds the bias weights. The hidden units apply one
function of ``ACTIVATIONS`` (the post's logistic by default); the output units are
always logistic, and the cost is the mean over samples of the binary cross-entropy
summed over the output units, plus ``lambda / (2 m) * sum(theta**2)`` over the
non-bias rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import fused
from .activations import (  # noqa: F401  (maths keeps the names it always exported)
    ACTIVATIONS,
    DEFAULT_ACTIVATION,
    Activation,
    activation_of,
    sigmoid,
    sigmoid_of_negated,
)
from .costs import (  # noqa: F401  (maths keeps the names it always exported)
    cost_of_negated,
    data_cost,
    data_cost_terms,
    regularization_cost,
    softplus_sum,
    sumsq,
)

# --------------------------------------------------------------------------
# Parameter packing: one flat vector <-> a list of (n_in + 1, n_out) matrices.


def layer_table(layer_sizes):
    """Return ``[(start, end, (n_in + 1, n_out)), ...]`` for a flat parameter vector."""
    table, start = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        end = start + (n_in + 1) * n_out
        table.append((start, end, (n_in + 1, n_out)))
        start = end
    return table


def unpack(flat, table):
    """Return views of ``flat`` shaped like the thetas (no copy)."""
    return [flat[s:e].reshape(shape) for s, e, shape in table]


def pack(thetas, dtype=np.float64):
    """Concatenate thetas into one flat vector of ``dtype``."""
    return np.concatenate([np.asarray(t, dtype=dtype).ravel() for t in thetas])


# --------------------------------------------------------------------------
# Forward pass and the one loss-and-gradient function.


# Hidden layers' (m, s) arrays are laid out unit-major (each unit's m values
# contiguous: Fortran order) for the dtypes whose kernel runs those products faster
# so: OpenBLAS then has the long side m as the rows of its column-major output.
# SkylakeX kernel, 5000x400->25, 1 thread: X @ W1 in 0.70x the time float64 but
# 1.48x float32 (docs/benchmarks.md), so float32 keeps row-major.
UNIT_MAJOR_DTYPES = (np.dtype(np.float64),)


def unit_major_product(a, w):
    """Return ``a @ w`` (m, k) laid out unit-major: a C-ordered (k, m) array, transposed."""
    out = np.empty((w.shape[1], a.shape[0]), dtype=np.result_type(a, w))
    np.matmul(w.T, a.T, out=out)  # (k, m): (a @ w).T
    return out.T


def hidden_product(a, w):
    """Return ``a @ w`` (m, k), unit-major for the dtypes of ``UNIT_MAJOR_DTYPES``."""
    return unit_major_product(a, w) if a.dtype in UNIT_MAJOR_DTYPES else a @ w


def _output_product(a, w, hidden):
    """Return the output layer's ``a @ w`` (m, p): unit-major after a hidden layer, in every dtype.

    5000x25->10, 1 thread, against row-major: the forward product 0.52x (float64)
    and 0.98x (float32), the two backward ones 0.90x-0.96x, and adding the bias
    0.2x (one broadcast per unit instead of one per row of 10).
    """
    return unit_major_product(a, w) if hidden else hidden_product(a, w)


def output_layout(Y, dtype=None):
    """Return targets ``Y`` (m, p) in the output layer's layout (unit-major), as ``dtype``.

    A fit lays its targets out once; an evaluation given other targets copies them.
    """
    return np.asfortranarray(Y, dtype=dtype)


def _same_layout(Y, z):
    """Return ``Y`` laid out as ``z`` (a copy only when they differ)."""
    if z.flags.c_contiguous:
        return np.ascontiguousarray(Y)
    return np.asfortranarray(Y)


def _hidden_layer(a, theta, act, zs=None):
    """Return ``g(a @ W + b)`` (m, n_out) of one hidden layer, in the array its product wrote.

    An activation with a ``negated`` form is fed ``-z = a @ (-W) - b``: the sign flip
    of the (n_in, n_out) weights is exact and saves a pass over the (m, n_out) array.
    A list ``zs`` receives a copy of ``z``.
    """
    if act.negated is None:
        z = hidden_product(a, theta[1:])  # (m, n_out)
        z += theta[0]
        if zs is not None:
            zs.append(z.copy())
        return act.function(z, out=z)  # z is not needed again: overwrite it
    zn = hidden_product(a, np.negative(theta[1:]))  # (m, n_out): -z
    if zs is not None:
        zs.append(np.subtract(theta[0], zn))  # z: the negation of zn - b, exactly
    if _fused(act, zn):
        return fused.sigmoid_of_negated(zn, theta[0])
    zn -= theta[0]
    return act.negated(zn, out=zn)


def _fused(act, a):
    """Whether the compiled kernels of :mod:`fused` run the logistic passes of ``a``."""
    return act.negated is sigmoid_of_negated and a.dtype in fused.DTYPES


_LOGISTIC_SLOPE = ACTIVATIONS["logistic"].slope


def forward(thetas, X, activation=DEFAULT_ACTIVATION, zs=None):
    """Return ``(activations, z_out)``: every layer's output and the output pre-activation.

    ``activations[0]`` is ``X`` itself, (m, n); ``activations[l]`` is (m, s_l) with no
    bias column: the bias row of each theta is added as a broadcast instead of an
    ``hstack`` of ones onto the data. Hidden layers apply ``ACTIVATIONS[activation]``,
    the output layer the logistic function. A list ``zs`` receives a copy of every
    layer's pre-activation ``z`` (m, s_l), hidden and output.
    """
    act = activation_of(activation)
    activations = [X]
    for theta in thetas[:-1]:
        activations.append(_hidden_layer(activations[-1], theta, act, zs))
    z = activations[-1] @ thetas[-1][1:]  # (m, p)
    z += thetas[-1][0]
    if zs is not None:
        zs.append(z.copy())
    activations.append(sigmoid(z))
    return activations, z


BLOCK_ROWS = 16384


def column_sums(a, out):
    """Write ``a.sum(axis=0)`` of an (m, k) array into ``out`` (k,).

    ``a.sum(axis=0)`` runs numpy's inner loop once per row, k elements at a time:
    0.12 ms for 5000x25 here against 0.04 ms for ``einsum``, which streams the rows;
    a unit-major (Fortran-ordered) array is summed along its contiguous axis
    (0.02 ms against 0.05 ms). No BLAS (a threaded ``gemv`` waits for a second core
    on a busy machine).
    """
    if a.flags.f_contiguous and not a.flags.c_contiguous:
        return np.einsum("ij->i", a.T, out=out)
    return np.einsum("ij->j", a, out=out)


def _weight_gradient(a_prev, delta, grad, accumulate):
    """Write (or add) ``a_prev.T @ delta`` (n_in, n_out) into ``grad`` (the non-bias rows).

    Computed as its transpose ``delta.T @ a_prev`` (n_out, n_in) and copied across:
    OpenBLAS's kernels run faster with the long side of the product (the inputs)
    as the output's rows in their column-major terms: 0.67x the time of
    ``a_prev.T @ delta`` for 5000x400->25 float64, 0.94x float32 (SkylakeX kernel,
    docs/benchmarks.md). The copy is (n_in, n_out): small next to the product.
    """
    grad_t = delta.T @ a_prev
    if accumulate:
        grad += grad_t.T
    else:
        np.copyto(grad, grad_t.T)


def _output_layer(a, theta, Y, scale, bias_grad, hidden, zs=None):
    """Return ``(cost, output, delta)`` of the logistic output layer on inputs ``a`` (b, n_in).

    ``delta`` is dJ/dz times ``scale``; ``bias_grad`` (p,) receives its column sums.
    """
    zn = _output_product(a, np.negative(theta[1:]), hidden)  # (b, p): a @ -W
    Y = _same_layout(Y, zn)
    if zs is not None:
        zs.append(np.subtract(theta[0], zn))
    if zn.dtype in fused.DTYPES:
        return fused.output_layer(zn, theta[0], Y, scale, bias_grad)
    zn -= theta[0]  # -z of the output layer
    output = sigmoid_of_negated(zn, out=np.empty_like(zn))
    cost = cost_of_negated(zn, output, Y)
    delta = np.subtract(output, Y)  # dJ/dz of the output layer, times m
    delta *= scale
    column_sums(delta, bias_grad)
    return cost, output, delta


def _backprop_block(thetas, grads, X, Y, scale, accumulate, activation, trace=None):
    """Add one row block's gradient (times ``scale``) into ``grads``; return its summed cost.

    ``accumulate=False`` overwrites ``grads`` instead of adding to them. A
    :class:`Trace` ``trace`` receives every layer's ``z`` and ``a`` and a copy of
    every ``delta`` (times ``scale``) as they are computed.
    """
    act = activation_of(activation)
    zs = None if trace is None else trace.z
    activations = [X]
    for theta in thetas[:-1]:
        activations.append(_hidden_layer(activations[-1], theta, act, zs))
    bias_grad = np.empty_like(grads[-1][0])  # (p,): the column sums of delta
    cost, output, delta = _output_layer(activations[-1], thetas[-1], Y, scale, bias_grad,
                                        len(thetas) > 1, zs)
    for layer in range(len(thetas) - 1, -1, -1):
        a_prev = activations[layer]  # (b, n_in)
        if trace is not None:
            trace.delta.insert(0, delta.copy())
        _weight_gradient(a_prev, delta, grads[layer][1:], accumulate)
        if accumulate:
            grads[layer][0] += bias_grad
        else:
            grads[layer][0] = bias_grad
        if layer > 0:  # the input layer needs no delta
            delta = hidden_product(delta, thetas[layer][1:].T)  # (b, n_in), like a_prev
            bias_grad = _hidden_slope(act, a_prev, delta)  # delta *= g'(z); its column sums
    if trace is not None:
        activations.append(output)
        trace.a[:] = activations
        trace.cost = cost
    return cost, output


def _hidden_slope(act, a, delta):
    """Multiply ``delta`` (b, s) by ``g'(z)`` in place; return its column sums (s,)."""
    sums = np.empty(delta.shape[1], dtype=delta.dtype)
    if act.slope is _LOGISTIC_SLOPE and delta.dtype in fused.DTYPES:
        fused.logistic_slope(a, delta, sums)
    else:
        act.slope(a, delta)
        column_sums(delta, sums)
    return sums


@dataclass
class Trace:
    """One backward pass laid open: per layer ``z``, ``a`` and ``delta``, and the gradients.

    Index ``l`` of ``z``, ``delta`` and ``grads`` is the weight matrix ``thetas[l]``
    and the layer it feeds; ``a[0]`` is the input and ``a[l + 1]`` that layer's
    output. ``delta[l]`` is dJ/dz of the summed (not averaged) cost of the rows.
    """

    z: list = field(default_factory=list)       # (m, s_l+1) pre-activations
    a: list = field(default_factory=list)       # (m, s_l) activations, a[0] = X
    delta: list = field(default_factory=list)   # (m, s_l+1) errors
    grads: list = field(default_factory=list)   # like thetas: sum over rows of a^T delta
    cost: float = 0.0                           # the summed cross-entropy of the rows


def backprop_trace(thetas, X, Y, activation=DEFAULT_ACTIVATION) -> Trace:
    """Run the backpropagation of :func:`loss_and_grad` on rows ``X`` (m, n), ``Y`` (m, p).

    The same code path as training, with every intermediate kept: the cost is summed
    over the rows, not averaged, and unregularised; for one row the gradients are
    that sample's own contribution ``[1, a_prev]^T delta``.
    """
    trace = Trace()
    trace.grads = [np.empty_like(t) for t in thetas]
    _backprop_block(thetas, trace.grads, X, Y, 1.0, False, activation, trace)
    return trace


def _backprop_rows(thetas, grads, X, Y, scale, activation):
    """Write the gradient of rows ``X`` (times ``scale``) into ``grads``; return (cost, output)."""
    m = X.shape[0]
    if m <= BLOCK_ROWS:
        return _backprop_block(thetas, grads, X, Y, scale, False, activation)
    # Row blocks keep the elementwise passes in cache on large data sets.
    output = np.empty(Y.shape, dtype=X.dtype)
    cost = 0.0
    for start in range(0, m, BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        c, output[rows] = _backprop_block(thetas, grads, X[rows], Y[rows], scale,
                                          start > 0, activation)
        cost += c
    return cost, output


def loss_and_grad(flat, table, X, Y, lam, grad_out=None, n_total=None,
                  activation=DEFAULT_ACTIVATION, split=None):
    """Return ``(cost, grad, output)`` for the flat parameters on ``(X, Y)``.

    Parameters
    ----------
    flat : ndarray, shape (n_params,)
    table : list of (start, end, shape), from :func:`layer_table`
    X : ndarray, shape (m, n)
    Y : ndarray, shape (m, p), one-hot targets
    lam : float, the regularization parameter
    grad_out : ndarray, shape (n_params,), optional buffer for the gradient
    n_total : int, optional
        The size of the whole training set when ``X`` is a mini-batch, so that
        the regularization term keeps its full-data weight per sample.
    activation : str, a key of ``ACTIVATIONS`` for the hidden layers
    split : :class:`rowsplit.RowSplit` of exactly ``X`` and ``Y``, optional
        Run the rows in blocks on its threads.

    Returns
    -------
    cost : float
    grad : ndarray, shape (n_params,), same dtype as ``flat``
    output : ndarray, shape (m, p), the output activations
    """
    m = X.shape[0]
    n_total = m if n_total is None else n_total
    thetas = unpack(flat, table)
    grad = np.empty_like(flat) if grad_out is None else grad_out
    grads = unpack(grad, table)
    if split is None:
        cost, output = _backprop_rows(thetas, grads, X, Y, 1.0 / m, activation)
    elif split.X is X and split.Y is Y:
        cost, output = split.backprop(thetas, grad, table, 1.0 / m, activation)
    else:
        raise ValueError("split must be a RowSplit of this X and Y")
    cost /= m
    if lam:
        cost += _regularize(thetas, grads, lam / n_total)
    return cost, grad, output


def _regularize(thetas, grads, scale):
    """Add ``scale * W`` to each layer's gradient; return ``scale / 2 * sum(W**2)``.

    ``W`` is a theta without its bias row (row 0, not regularized).
    """
    reg = 0.0
    for theta, g in zip(thetas, grads):
        w, gw = theta[1:], g[1:]
        if w.dtype in fused.DTYPES and w.flags.c_contiguous and gw.flags.c_contiguous:
            reg += fused.regularize(w, gw, scale)  # one pass instead of three
        else:
            reg += sumsq(w)
            gw += scale * w
    return 0.5 * scale * reg


def cost_only(flat, table, X, Y, lam, activation=DEFAULT_ACTIVATION):
    """Return ``(cost, output)``: a forward pass and the regularized cost, no gradient."""
    m = X.shape[0]
    thetas = unpack(flat, table)
    activations, z_out = forward(thetas, X, activation)
    cost = data_cost(z_out, Y) / m
    cost += regularization_cost(thetas, lam, m)
    return cost, activations[-1]


def one_hot(index, p, dtype=np.float64):
    """Return the (m, p) one-hot matrix of class indices ``index`` (m,)."""
    Y = np.zeros((index.shape[0], p), dtype=dtype)
    Y[np.arange(index.shape[0]), index] = 1.0
    return Y

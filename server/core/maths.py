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


def sigmoid(z, out=None):
    """Return the logistic function of ``z``, computed as ``(1 + tanh(z / 2)) / 2``.

    Exact to rounding, never overflows, and about 2.4x faster here than
    ``scipy.special.expit`` (numpy's tanh is vectorised). ``out=z`` works in place.
    """
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def sumsq(a):
    """Return ``sum(a**2)`` without BLAS.

    ``np.vdot`` and ``np.linalg.norm`` call a threaded OpenBLAS ``ddot``; on a busy
    2-core machine a 50k-element ``vdot`` took a median 1.37 ms against 0.019 ms for
    ``einsum`` (bench/engine.py notes).
    """
    flat = a.ravel()
    return float(np.einsum("i,i->", flat, flat))


def softplus_sum(z):
    """Return ``sum(log(1 + exp(z)))`` without overflow (6x faster than ``np.logaddexp``)."""
    return float(np.maximum(z, 0.0).sum() + np.log1p(np.exp(-np.abs(z))).sum())


def _relu(z, out=None):
    """Return ``max(z, 0)``; ``out=z`` works in place."""
    return np.maximum(z, 0.0, out=out)


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _logistic_slope(a, delta):
    """``delta *= a (1 - a)``: logistic'(z) through its output ``a``."""
    slope = np.subtract(1.0, a)
    slope *= a
    delta *= slope


def _tanh_slope(a, delta):
    """``delta *= 1 - a**2``: tanh'(z) through its output ``a``."""
    slope = np.multiply(a, a)
    np.subtract(1.0, slope, out=slope)
    delta *= slope


def _relu_slope(a, delta):
    """``delta *= (z > 0)``, and ``z > 0`` exactly where ``a = max(z, 0) > 0``."""
    delta *= a > 0.0


@dataclass(frozen=True)
class Activation:
    """A hidden-unit function ``g`` and its slope, both in place.

    ``function(z, out)`` returns ``g(z)``; ``slope(a, delta)`` multiplies ``delta`` by
    ``g'(z)`` written through the unit's output ``a = g(z)``, so the backward pass
    needs no pre-activations (the forward pass overwrites them).
    """

    name: str
    label: str
    function: object
    slope: object


ACTIVATIONS = {a.name: a for a in (
    Activation("logistic", "Logistic (sigmoid)", sigmoid, _logistic_slope),
    Activation("tanh", "tanh", _tanh, _tanh_slope),
    Activation("relu", "ReLU", _relu, _relu_slope),
)}
DEFAULT_ACTIVATION = "logistic"


def activation_of(activation) -> Activation:
    """The :class:`Activation` named ``activation`` (a name of ``ACTIVATIONS``, or one itself)."""
    return activation if isinstance(activation, Activation) else ACTIVATIONS[activation]


def forward(thetas, X, activation=DEFAULT_ACTIVATION, zs=None):
    """Return ``(activations, z_out)``: every layer's output and the output pre-activation.

    ``activations[0]`` is ``X`` itself, (m, n); ``activations[l]`` is (m, s_l) with no
    bias column: the bias row of each theta is added as a broadcast instead of an
    ``hstack`` of ones onto the data. Hidden layers apply ``ACTIVATIONS[activation]``,
    the output layer the logistic function. A list ``zs`` receives a copy of every
    layer's pre-activation ``z`` (m, s_l), hidden and output.
    """
    hidden = activation_of(activation).function
    activations = [X]
    a = X
    last = len(thetas) - 1
    for layer, theta in enumerate(thetas):
        z = a @ theta[1:]  # (m, n_out)
        z += theta[0]
        if zs is not None:
            zs.append(z.copy())
        # Hidden pre-activations are not needed again: overwrite them.
        a = sigmoid(z) if layer == last else hidden(z, out=z)
        activations.append(a)
    return activations, z


def data_cost(z_out, Y):
    """Return the summed cross-entropy of sigmoid outputs ``expit(z_out)`` against 0/1 ``Y``.

    ``-[y log(s) + (1 - y) log(1 - s)]`` for ``s = expit(z)`` is ``softplus(z)`` for
    ``y = 0`` and ``softplus(-z)`` for ``y = 1``: finite for any ``z``, so saturated
    units never hit ``log(0)``, and without the cancellation of ``softplus(z) - y z``
    (at ``z = 10``, ``10.0000454 - 10``), which would bury the small cost of a
    well-fitted sample, and its gradient check, in rounding noise.
    """
    return softplus_sum(np.where(Y > 0.5, -z_out, z_out))


def data_cost_terms(z_out, Y):
    """Return each output unit's cross-entropy, shape like ``z_out``; summed, :func:`data_cost`."""
    s = np.where(Y > 0.5, -z_out, z_out)
    return np.maximum(s, 0.0) + np.log1p(np.exp(-np.abs(s)))


def regularization_cost(thetas, lam, m):
    """Return ``lam / (2 m) * sum(theta**2)`` over the non-bias rows (row 0 is the bias)."""
    return 0.5 * lam / m * sum(sumsq(t[1:]) for t in thetas) if lam else 0.0


BLOCK_ROWS = 16384


def _backprop_block(thetas, grads, X, Y, scale, accumulate, activation, trace=None):
    """Add one row block's gradient (times ``scale``) into ``grads``; return its summed cost.

    ``accumulate=False`` overwrites ``grads`` instead of adding to them. A
    :class:`Trace` ``trace`` receives every layer's ``z`` and ``a`` and a copy of
    every ``delta`` (times ``scale``) as they are computed.
    """
    zs = None if trace is None else trace.z
    activations, z_out = forward(thetas, X, activation, zs=zs)
    slope = activation_of(activation).slope
    cost = data_cost(z_out, Y)
    output = activations[-1]
    delta = output - Y  # (b, p): dJ/dz of the output layer, times m
    delta *= scale
    for layer in range(len(thetas) - 1, -1, -1):
        a_prev = activations[layer]  # (b, n_in)
        if trace is not None:
            trace.delta.insert(0, delta.copy())
        if accumulate:
            grads[layer][1:] += a_prev.T @ delta
            grads[layer][0] += delta.sum(axis=0)
        else:
            np.matmul(a_prev.T, delta, out=grads[layer][1:])
            np.sum(delta, axis=0, out=grads[layer][0])
        if layer > 0:  # the input layer needs no delta
            delta = delta @ thetas[layer][1:].T  # (b, n_out) @ W.T -> (b, n_in)
            slope(a_prev, delta)  # times g'(z) of the hidden layer
    if trace is not None:
        trace.a[:] = activations
        trace.cost = cost
    return cost, output


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
                  activation=DEFAULT_ACTIVATION):
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
    cost, output = _backprop_rows(thetas, grads, X, Y, 1.0 / m, activation)
    cost /= m
    if lam:
        scale = lam / n_total
        reg = 0.0
        for theta, g in zip(thetas, grads):
            w = theta[1:]  # the bias row is not regularized
            reg += sumsq(w)
            g[1:] += scale * w
        cost += 0.5 * scale * reg
    return cost, grad, output


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

"""A fully connected sigmoid network trained by backpropagation.

The numeric core of Backprop Lab: numpy and scipy only, no Flask, no JSON on
the wire. Layout follows the post the project grew from: ``thetas[l]`` has shape
``(n_in + 1, n_out)`` and row 0 holds the bias weights.

The cost is the mean over samples of the binary cross-entropy summed over the
output units, plus ``lambda / (2 m) * sum(theta**2)`` over the non-bias rows.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from threadpoolctl import ThreadpoolController

__all__ = ["NeuralNetwork", "IterationInfo", "check_gradients", "OPTIMIZERS", "OPTIMIZER_REGISTRY"]

DTYPES = ("float64", "float32")
FORMAT_VERSION = 1
MAX_MODEL_FILE_BYTES = 256 * 1024 * 1024


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


def forward(thetas, X):
    """Return ``(activations, z_out)``: every layer's output and the output pre-activation.

    ``activations[0]`` is ``X`` itself, (m, n); ``activations[l]`` is (m, s_l) with no
    bias column: the bias row of each theta is added as a broadcast instead of an
    ``hstack`` of ones onto the data.
    """
    activations = [X]
    a = X
    last = len(thetas) - 1
    for layer, theta in enumerate(thetas):
        z = a @ theta[1:]  # (m, n_out)
        z += theta[0]
        # Hidden pre-activations are not needed again: overwrite them.
        a = sigmoid(z, out=None if layer == last else z)
        activations.append(a)
    return activations, z


def data_cost(z_out, Y):
    """Return the summed cross-entropy of sigmoid outputs ``expit(z_out)`` against ``Y``.

    ``-[y log(s) + (1 - y) log(1 - s)] = softplus(z) - y z`` for ``s = expit(z)``:
    finite for any ``z``, so saturated units never hit ``log(0)``.
    """
    return softplus_sum(z_out) - float(np.einsum("ij,ij->", Y, z_out))


BLOCK_ROWS = 16384


def _backprop_block(thetas, grads, X, Y, scale, accumulate):
    """Add one row block's gradient (times ``scale``) into ``grads``; return its summed cost.

    ``accumulate=False`` overwrites ``grads`` instead of adding to them.
    """
    activations, z_out = forward(thetas, X)
    cost = data_cost(z_out, Y)
    output = activations[-1]
    delta = output - Y  # (b, p): dJ/dz of the output layer, times m
    delta *= scale
    for layer in range(len(thetas) - 1, -1, -1):
        a_prev = activations[layer]  # (b, n_in)
        if accumulate:
            grads[layer][1:] += a_prev.T @ delta
            grads[layer][0] += delta.sum(axis=0)
        else:
            np.matmul(a_prev.T, delta, out=grads[layer][1:])
            np.sum(delta, axis=0, out=grads[layer][0])
        if layer > 0:  # the input layer needs no delta
            # delta (b, n_out) @ W.T -> (b, n_in), times sigmoid'(z) = a (1 - a). The sign is
            # folded into the small weight matrix to save one pass over the block.
            delta = delta @ (-thetas[layer][1:].T)
            slope = np.subtract(a_prev, 1.0)
            slope *= a_prev  # -a (1 - a)
            delta *= slope
    return cost, output


def _backprop_rows(thetas, grads, X, Y, scale):
    """Write the gradient of rows ``X`` (times ``scale``) into ``grads``; return (cost, output)."""
    m = X.shape[0]
    if m <= BLOCK_ROWS:
        return _backprop_block(thetas, grads, X, Y, scale, accumulate=False)
    # Row blocks keep the elementwise passes in cache on large data sets.
    output = np.empty(Y.shape, dtype=X.dtype)
    cost = 0.0
    for start in range(0, m, BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        c, output[rows] = _backprop_block(thetas, grads, X[rows], Y[rows], scale,
                                          accumulate=start > 0)
        cost += c
    return cost, output


def loss_and_grad(flat, table, X, Y, lam, grad_out=None, n_total=None):
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
    cost, output = _backprop_rows(thetas, grads, X, Y, 1.0 / m)
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


def cost_only(flat, table, X, Y, lam):
    """Return ``(cost, output)``: a forward pass and the regularized cost, no gradient."""
    m = X.shape[0]
    thetas = unpack(flat, table)
    activations, z_out = forward(thetas, X)
    cost = data_cost(z_out, Y) / m
    if lam:
        cost += 0.5 * lam / m * sum(sumsq(t[1:]) for t in thetas)
    return cost, activations[-1]


# --------------------------------------------------------------------------
# BLAS threads: numpy's and scipy's wheels each carry an OpenBLAS. Measured here,
# two busy pools made L-BFGS-B fits 4.6x slower, so during a fit numpy's pool
# gets ``n_threads`` and every other pool one thread.

_blas_lock = threading.Lock()
_blas_users = 0
_blas_saved = None


class _BlasLimits:
    def __init__(self, n_threads):
        self.n_threads = n_threads

    def __enter__(self):
        global _blas_users, _blas_saved
        with _blas_lock:
            controller = ThreadpoolController()
            if _blas_users == 0:
                _blas_saved = [(lib, lib.num_threads) for lib in controller.lib_controllers]
            _blas_users += 1
            for lib in controller.lib_controllers:
                is_numpy = "numpy" in os.path.basename(os.path.dirname(lib.filepath))
                lib.set_num_threads(self.n_threads if is_numpy else 1)
        return self

    def __exit__(self, *exc):
        global _blas_users
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_saved:
                for lib, n in _blas_saved:
                    lib.set_num_threads(n)
        return False


# --------------------------------------------------------------------------


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


def _check_int(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


def _check_float(name, value, low=None, low_open=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or (low is not None and (v <= low if low_open else v < low)):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


def _one_hot(index, p, dtype=np.float64):
    """Return the (m, p) one-hot matrix of class indices ``index`` (m,)."""
    Y = np.zeros((index.shape[0], p), dtype=dtype)
    Y[np.arange(index.shape[0]), index] = 1.0
    return Y


def _check_X(X, name="X", n_features=None):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one feature, got {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} holds NaN or infinite values; all values must be finite")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got {X.shape[1]}")
    return X


class NeuralNetwork:
    """A fully connected network of sigmoid units, trained by backpropagation.

    Parameters
    ----------
    hidden_layers : tuple of int
        Units per hidden layer, e.g. ``(25,)``; ``()`` is logistic regression.
    regularization_parameter : float, default 1.0
        Lambda in ``lambda / (2 m) * sum(theta**2)`` over the non-bias rows.
    max_iter : int, default 50
        Optimizer iterations, for every optimizer. For ``"adam"`` and ``"gd"`` one
        iteration is one epoch: one pass over the shuffled training set in
        mini-batches of ``batch_size``.
    optimizer : {"TNC", "L-BFGS-B", "CG", "adam", "gd"}, default "TNC"
    random_state : int or None, default None
        Seeds the initial weights and the mini-batch order; None draws fresh ones
        each fit, as scikit-learn does (the page, wire and CLI use 0: see
        ``server.protocol.settings``).
    dtype : {"float64", "float32"}
        The precision of the computation (scipy keeps its float64 vector).
    learning_rate : float or None
        Step size of ``"adam"`` (default 1e-3) and ``"gd"`` (default 0.5).
    batch_size : int, default 128
        Mini-batch size of ``"adam"`` and ``"gd"``; capped by the number of samples.
    max_fun : int or None
        Cap on function evaluations of the scipy optimizers (default ``100 * max_iter``).
    max_params : int, default 10_000_000
        Refuse architectures with more parameters than this.
    n_threads : int or None
        BLAS threads during ``fit`` (default: every core).
    tol : float or None
        Passed to ``scipy.optimize.minimize``.
    warm_start : bool, default False
        Continue from the current thetas on the next ``fit`` instead of re-initialising.
    class_names, image_shape :
        Display metadata kept with the model and saved with it.
    """

    def __init__(
        self,
        hidden_layers=(25,),
        regularization_parameter=1.0,
        max_iter=50,
        optimizer="TNC",
        random_state=None,
        dtype="float64",
        learning_rate=None,
        batch_size=128,
        max_fun=None,
        max_params=10_000_000,
        n_threads=None,
        tol=None,
        warm_start=False,
        class_names=None,
        image_shape=None,
    ):
        self.hidden_layers = hidden_layers
        self.regularization_parameter = regularization_parameter
        self.max_iter = max_iter
        self.optimizer = optimizer
        self.random_state = random_state
        self.dtype = dtype
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_fun = max_fun
        self.max_params = max_params
        self.n_threads = n_threads
        self.tol = tol
        self.warm_start = warm_start
        self.class_names = class_names
        self.image_shape = image_shape
        self.thetas = None
        self._stop_event = threading.Event()

    # -- parameters ---------------------------------------------------------

    _PARAM_NAMES = (
        "hidden_layers", "regularization_parameter", "max_iter", "optimizer", "random_state",
        "dtype", "learning_rate", "batch_size", "max_fun", "max_params", "n_threads", "tol",
        "warm_start", "class_names", "image_shape",
    )

    def get_params(self):
        """Return the constructor parameters as a dict."""
        return {name: getattr(self, name) for name in self._PARAM_NAMES}

    def _validated_params(self):
        hidden = self.hidden_layers
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise ValueError(
                f"hidden_layers must be a tuple of positive integers, got {self.hidden_layers!r}"
            ) from None
        for i, units in enumerate(hidden):
            _check_int(f"hidden_layers[{i}]", units, 1)
        hidden = tuple(int(u) for u in hidden)
        _check_float("regularization_parameter", self.regularization_parameter, low=0.0)
        _check_int("max_iter", self.max_iter, 1)
        if self.optimizer not in OPTIMIZER_REGISTRY:
            raise ValueError(f"optimizer must be one of {tuple(OPTIMIZER_REGISTRY)}, "
                             f"got {self.optimizer!r}")
        try:
            dtype_name = np.dtype(self.dtype).name
        except TypeError:
            dtype_name = None
        if dtype_name not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.learning_rate is not None:
            _check_float("learning_rate", self.learning_rate, low=0.0, low_open=True)
        _check_int("batch_size", self.batch_size, 1)
        if self.max_fun is not None:
            _check_int("max_fun", self.max_fun, 1)
        _check_int("max_params", self.max_params, 1)
        if self.n_threads is not None:
            _check_int("n_threads", self.n_threads, 1)
        if self.random_state is not None:
            _check_int("random_state", self.random_state, 0, 2**32 - 1)
        return hidden

    def _check_architecture(self, layer_sizes):
        n_params = sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
        if n_params > self.max_params:
            raise ValueError(
                f"hidden_layers {tuple(layer_sizes[1:-1])} give {n_params:,} parameters for "
                f"{layer_sizes[0]} inputs and {layer_sizes[-1]} outputs; max_params allows "
                f"at most {self.max_params:,}"
            )
        return n_params

    @property
    def layer_sizes(self):
        """``(n_in, *hidden_layers, n_out)`` of the fitted network."""
        self._check_fitted()
        return (self.thetas[0].shape[0] - 1,) + tuple(t.shape[1] for t in self.thetas)

    def _check_fitted(self):
        if self.thetas is None:
            raise ValueError("this NeuralNetwork is not fitted yet: call fit() or from_thetas()")

    # -- targets ------------------------------------------------------------

    def _encode_targets(self, y, m):
        """Return ``(Y one-hot (m, p), classes)`` from labels or a one-hot matrix."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim == 2:
            if y.shape[0] != m:
                raise ValueError(f"y has {y.shape[0]} rows but X has {m} samples")
            if not np.isfinite(y).all() or ((y != 0) & (y != 1)).any():
                raise ValueError("y given as a matrix must be one-hot: values 0 or 1")
            if y.shape[1] < 2:
                raise ValueError("y must have at least 2 classes (columns)")
            return y, np.arange(y.shape[1])
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D labels or an (m, p) one-hot matrix, got {y.shape}")
        if y.shape[0] != m:
            raise ValueError(f"y has {y.shape[0]} labels but X has {m} samples")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.issubdtype(y.dtype, np.floating) or not np.all(np.isfinite(y)) or (
                np.any(y != np.round(y))
            ):
                raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
            y = y.astype(np.int64)
        if self.warm_start and self.thetas is not None:
            classes = self.classes_
        else:
            classes = np.unique(y)
            if classes.size < 2:
                raise ValueError(f"y must hold at least 2 classes, got {classes.tolist()}")
        index = self._label_index(y, classes, "y")
        Y = _one_hot(index, classes.size)
        return Y, classes

    @staticmethod
    def _label_index(y, classes, name):
        index = np.searchsorted(classes, y)
        index = np.clip(index, 0, classes.size - 1)
        bad = classes[index] != y
        if bad.any():
            raise ValueError(
                f"{name} holds labels the model does not know: {np.unique(y[bad])[:10].tolist()};"
                f" known labels are {classes.tolist()}"
            )
        return index

    # -- initialisation -----------------------------------------------------

    def _initial_flat(self, layer_sizes, rng):
        """Return flat float64 thetas uniform in ``+-sqrt(6 / (n_in + n_out))``."""
        parts = []
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            bound = math.sqrt(6.0 / (n_in + n_out))
            parts.append(rng.uniform(-bound, bound, size=(n_in + 1, n_out)).ravel())
        return np.concatenate(parts)

    # -- fitting ------------------------------------------------------------

    def stop(self):
        """Ask a running ``fit`` (in any thread) to end within one function evaluation."""
        self._stop_event.set()

    def fit(self, X, y, callback=None, X_val=None, y_val=None, on_evaluation=None):
        """Train on ``X`` (m, n) and ``y`` (m,) labels or (m, p) one-hot; return ``self``.

        ``callback(info)`` runs after every optimizer iteration with an
        :class:`IterationInfo`; returning True stops the fit. ``on_evaluation(n_fev,
        cost)`` runs after every function evaluation; it may block (to pause) and
        may return True to stop. The model keeps the last accepted weights.
        """
        hidden = self._validated_params()
        dtype = np.dtype(self.dtype)
        X = _check_X(X, "X")
        m, n = X.shape
        Y, classes = self._encode_targets(y, m)
        layer_sizes = (n,) + hidden + (Y.shape[1],)
        self._check_architecture(layer_sizes)
        if X_val is not None or y_val is not None:
            if X_val is None or y_val is None:
                raise ValueError("X_val and y_val must be given together")
            X_val = _check_X(X_val, "X_val", n_features=n).astype(dtype, copy=False)
            y_val = np.asarray(y_val)
            if y_val.ndim != 1 or y_val.shape[0] != X_val.shape[0]:
                raise ValueError(f"y_val must be 1-D with {X_val.shape[0]} labels")
            Y_val = _one_hot(self._label_index(y_val, classes, "y_val"), classes.size, dtype)
        table = layer_table(layer_sizes)
        rng = np.random.default_rng(self.random_state)
        warm = (
            self.warm_start and self.thetas is not None
            and tuple(self.layer_sizes) == tuple(layer_sizes)
        )
        x0 = pack(self.thetas) if warm else self._initial_flat(layer_sizes, rng)
        Xc = np.ascontiguousarray(X, dtype=dtype)
        Yc = Y.astype(dtype)
        self.classes_ = classes
        self._table = table
        self._stop_event.clear()
        if not warm:
            self.cost_history_, self.val_cost_history_ = [], []
            self.train_accuracy_history_, self.val_accuracy_history_ = [], []
        if not warm:
            self.n_iter_ = 0
        self.n_fev_ = 0
        state = _FitState(self, Xc, Yc, X_val, Y_val if X_val is not None else None,
                          table, callback, on_evaluation, dtype)
        n_threads = self.n_threads or os.cpu_count() or 1
        with _BlasLimits(n_threads):
            optimizer = OPTIMIZER_REGISTRY[self.optimizer]
            optimizer.run(state, optimizer, x0, rng)
        self.thetas = [t.astype(np.float64) for t in unpack(state.best_x, table)]
        self.fit_time_ = state.elapsed()
        return self

    # -- prediction ---------------------------------------------------------

    def activations(self, X):
        """Return ``[X, a_1, ..., a_out]``: every layer's activations, no bias columns."""
        self._check_fitted()
        X = _check_X(X, "X", n_features=self.thetas[0].shape[0] - 1).astype(np.float64)
        return forward(self.thetas, X)[0]

    def predict_proba(self, X):
        """Return the output activations, shape (m, p)."""
        return self.activations(X)[-1]

    def predict(self, X):
        """Return the predicted labels, shape (m,)."""
        self._check_fitted()
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def score(self, X, y):
        """Return the accuracy of ``predict(X)`` against labels ``y``."""
        self._check_fitted()
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != np.shape(X)[0]:
            raise ValueError(f"y must be 1-D with {np.shape(X)[0]} labels, got shape {y.shape}")
        self._label_index(y, self.classes_, "y")
        return float(np.mean(self.predict(X) == y))

    def cost_gradient(self, X, y):
        """Return ``(cost, gradients)`` at the current thetas; gradients shaped like thetas."""
        self._check_fitted()
        X = _check_X(X, "X", n_features=self.thetas[0].shape[0] - 1).astype(np.float64)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == self.classes_.size:
            Y = y.astype(np.float64)
        else:
            if y.ndim != 1 or y.shape[0] != X.shape[0]:
                raise ValueError(f"y must be 1-D with {X.shape[0]} labels, got shape {y.shape}")
            Y = _one_hot(self._label_index(y, self.classes_, "y"), self.classes_.size)
        table = layer_table(self.layer_sizes)
        lam = float(self.regularization_parameter)
        cost, grad, _ = loss_and_grad(pack(self.thetas), table, X, Y, lam)
        return cost, [g.copy() for g in unpack(grad, table)]

    # -- construction from weights, save and load ---------------------------

    @classmethod
    def from_thetas(cls, thetas, classes=None, **params):
        """Return a fitted model with the given thetas, each (n_in + 1, n_out)."""
        thetas = _check_thetas(thetas)
        params.setdefault("hidden_layers", tuple(t.shape[1] for t in thetas[:-1]))
        model = cls(**params)
        hidden = model._validated_params()
        if hidden != tuple(t.shape[1] for t in thetas[:-1]):
            raise ValueError(f"hidden_layers {hidden} do not match the thetas' shapes")
        model._check_architecture((thetas[0].shape[0] - 1,) + tuple(t.shape[1] for t in thetas))
        model.thetas = thetas
        p = thetas[-1].shape[1]
        model.classes_ = np.arange(p) if classes is None else np.asarray(classes)
        if model.classes_.shape != (p,):
            raise ValueError(f"classes must list {p} labels, one per output unit")
        model.cost_history_, model.val_cost_history_ = [], []
        model.n_iter_ = model.n_fev_ = 0
        return model

    def save(self, path):
        """Write thetas and JSON metadata to one ``.npz`` file (no pickles)."""
        self._check_fitted()
        params = self.get_params()
        params["hidden_layers"] = list(self._validated_params())
        meta = {
            "format": "backprop-lab-model",
            "format_version": FORMAT_VERSION,
            "layer_sizes": list(self.layer_sizes),
            "params": params,
            "classes": np.asarray(self.classes_).tolist(),
            "class_names": None if self.class_names is None else list(self.class_names),
            "image_shape": None if self.image_shape is None else list(self.image_shape),
            "cost_history": [float(c) for c in getattr(self, "cost_history_", [])],
            "n_iter": int(getattr(self, "n_iter_", 0)),
        }
        arrays = {f"theta_{i}": t for i, t in enumerate(self.thetas)}
        arrays["metadata"] = np.array(json.dumps(meta))
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path, max_params=10_000_000):
        """Read a model written by :meth:`save`; refuse anything malformed or hostile."""
        return _load_model(cls, path, max_params)

    def __repr__(self):
        return (
            f"NeuralNetwork(hidden_layers={self.hidden_layers!r}, "
            f"regularization_parameter={self.regularization_parameter!r}, "
            f"max_iter={self.max_iter!r}, optimizer={self.optimizer!r})"
        )


class _FitState:
    """The bookkeeping of one ``fit``: counters, stop checks, the callbacks."""

    def __init__(self, model, X, Y, X_val, Y_val, table, callback, on_evaluation, dtype):
        self.model, self.X, self.Y, self.X_val, self.Y_val = model, X, Y, X_val, Y_val
        self.table, self.callback, self.on_evaluation = table, callback, on_evaluation
        self.dtype = dtype
        self.lam = float(model.regularization_parameter)
        self.y_index = np.argmax(Y, axis=1)
        self.start = time.perf_counter()
        self.n_fev = 0
        self.iteration = model.n_iter_
        self.best_x = None
        self.recent = []  # [(x, cost, grad_norm, accuracy)] of the last evaluations
        self.grad_buf = None

    def elapsed(self):
        return time.perf_counter() - self.start

    def _check_stop(self):
        if self.model._stop_event.is_set():
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
                                           grad_out=self.grad_buf)
        accuracy = float(np.mean(np.argmax(output, axis=1) == self.y_index))
        grad64 = np.array(grad, dtype=np.float64)  # scipy may keep it: always a fresh copy
        self.recent = [(x.copy(), cost, math.sqrt(sumsq(grad64)), accuracy)] + self.recent[:3]
        self._evaluated(cost)
        return cost, grad64

    def _lookup(self, xk):
        for x, cost, gnorm, acc in self.recent:
            if np.array_equal(x, xk):
                return cost, gnorm, acc
        cost, grad, output = loss_and_grad(xk.astype(self.dtype), self.table, self.X, self.Y,
                                           self.lam)
        acc = float(np.mean(np.argmax(output, axis=1) == self.y_index))
        return cost, math.sqrt(sumsq(grad)), acc

    def scipy_callback(self, xk, *args):
        cost, gnorm, acc = self._lookup(xk)
        self._iterated(np.array(xk, dtype=np.float64), cost, gnorm, acc)

    def _iterated(self, x, cost, grad_norm, accuracy):
        """Record one finished iteration at ``x``; raise _Stop when the fit must end."""
        self.best_x = x
        self.iteration += 1
        model = self.model
        model.n_iter_ = self.iteration
        model.cost_history_.append(float(cost))
        model.train_accuracy_history_.append(accuracy)
        val_cost = val_acc = None
        if self.X_val is not None:
            flat = x.astype(self.dtype, copy=False)
            val_cost, out = cost_only(flat, self.table, self.X_val, self.Y_val, 0.0)
            val_acc = float(np.mean(np.argmax(out, axis=1) == np.argmax(self.Y_val, axis=1)))
            model.val_cost_history_.append(val_cost)
            model.val_accuracy_history_.append(val_acc)
        if self.callback is not None:
            info = IterationInfo(self.iteration, self.n_fev, float(cost), grad_norm,
                                 self.elapsed(), accuracy, val_cost, val_acc, x, self.table)
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
                                              state.lam, grad_out=grad_buf, n_total=m)
                if not math.isfinite(cost):
                    raise _Stop("diverged")
                grad_sum += grad
                step(grad, lr)
                state._evaluated(cost)
            cost, output = cost_only(params, state.table, state.X, state.Y, state.lam)
            acc = float(np.mean(np.argmax(output, axis=1) == state.y_index))
            n_batches = math.ceil(m / batch)
            state._iterated(params.astype(np.float64), cost,
                            math.sqrt(sumsq(grad_sum)) / n_batches, acc)
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


# --------------------------------------------------------------------------


def _check_thetas(thetas):
    """Return thetas as float64 arrays after checking that their shapes chain."""
    if isinstance(thetas, np.ndarray) or not isinstance(thetas, (list, tuple)) or not thetas:
        raise ValueError("thetas must be a non-empty list of 2-D arrays (n_in + 1, n_out)")
    out = []
    for i, t in enumerate(thetas):
        t = np.asarray(t)
        if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 1:
            raise ValueError(f"thetas[{i}] must be 2-D (n_in + 1, n_out), got shape {t.shape}")
        if not np.issubdtype(t.dtype, np.floating) and not np.issubdtype(t.dtype, np.integer):
            raise ValueError(f"thetas[{i}] must hold real numbers, got dtype {t.dtype}")
        if not np.isfinite(t).all():
            raise ValueError(f"thetas[{i}] holds NaN or infinite values")
        if i and t.shape[0] != out[-1].shape[1] + 1:
            raise ValueError(
                f"thetas[{i}] has {t.shape[0]} rows but thetas[{i - 1}] has {out[-1].shape[1]} "
                f"outputs: expected {out[-1].shape[1] + 1} rows (bias + inputs)"
            )
        out.append(np.array(t, dtype=np.float64))
    return out


def _npz_member_header(zf, name):
    """Return ``(shape, dtype)`` of an .npy member without reading its data."""
    try:
        return _read_npy_header(zf, name)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # a damaged archive
        raise ValueError(f"not a Backprop Lab model file: {name} is damaged ({e})") from None


def _read_npy_header(zf, name):
    with zf.open(name) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version} in {name}")
    return shape, dtype


def _load_model(cls, path, max_params):
    bad = "not a Backprop Lab model file"
    try:
        size = os.path.getsize(path) if isinstance(path, (str, os.PathLike)) else None
    except OSError as e:
        raise ValueError(f"cannot read model file: {e}") from None
    if size is not None and size > MAX_MODEL_FILE_BYTES:
        raise ValueError(f"model file is {size} bytes; at most {MAX_MODEL_FILE_BYTES} allowed")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{bad}: not an .npz archive ({e})") from None
    with zf:
        names = zf.namelist()
        keys = sorted(n[:-4] for n in names if n.endswith(".npy"))
        if len(keys) != len(names) or "metadata" not in keys:
            raise ValueError(f"{bad}: expected theta_0.npy ... and metadata.npy, got {names}")
        theta_keys = [k for k in keys if k != "metadata"]
        n = len(theta_keys)
        if n == 0 or sorted(theta_keys) != sorted(f"theta_{i}" for i in range(n)):
            raise ValueError(f"{bad}: theta arrays must be named theta_0 .. theta_{n - 1}")
        total = 0
        for k in theta_keys:
            shape, dtype = _npz_member_header(zf, k + ".npy")
            if dtype.kind != "f" or dtype.hasobject or len(shape) != 2:
                raise ValueError(f"{bad}: {k} must be a 2-D float array, got {dtype} {shape}")
            total += int(np.prod(shape, dtype=np.int64))
            if total > max_params:
                raise ValueError(f"model has more than max_params={max_params:,} parameters")
        shape, dtype = _npz_member_header(zf, "metadata.npy")
        if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * 16 * 1024 * 1024:
            raise ValueError(f"{bad}: metadata must be one JSON string")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["metadata"]))
            thetas = [data[f"theta_{i}"] for i in range(n)]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError(f"{bad}: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != "backprop-lab-model":
        raise ValueError(f"{bad}: metadata lacks format 'backprop-lab-model'")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"model format_version {meta.get('format_version')!r} is not supported "
            f"(this version reads {FORMAT_VERSION})"
        )
    thetas = _check_thetas(thetas)
    layer_sizes = [thetas[0].shape[0] - 1] + [t.shape[1] for t in thetas]
    if meta.get("layer_sizes") != layer_sizes:
        raise ValueError(f"{bad}: layer_sizes {meta.get('layer_sizes')} != {layer_sizes}")
    params = meta.get("params")
    if not isinstance(params, dict):
        raise ValueError(f"{bad}: params must be an object")
    allowed = set(NeuralNetwork._PARAM_NAMES)
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(f"{bad}: unknown parameters {sorted(unknown)}")
    params = dict(params)
    params["hidden_layers"] = tuple(params.get("hidden_layers", layer_sizes[1:-1]))
    params["max_params"] = max(int(params.get("max_params") or max_params), 1)
    if params.get("image_shape") is not None:
        params["image_shape"] = tuple(params["image_shape"])
    classes = meta.get("classes")
    if not isinstance(classes, list) or len(classes) != layer_sizes[-1]:
        raise ValueError(f"{bad}: classes must list {layer_sizes[-1]} labels")
    model = cls.from_thetas(thetas, classes=np.asarray(classes), **params)
    model.cost_history_ = [float(c) for c in meta.get("cost_history", [])]
    model.n_iter_ = int(meta.get("n_iter", 0))
    return model


def check_gradients(
    hidden_layers=(5,), regularization_parameter=0.0, n_features=3, n_classes=3,
    n_samples=5, thetas=None, X=None, y=None, n_coordinates=None, epsilon=1e-4,
    random_state=0,
):
    """Return ``norm(num - ana) / norm(num + ana)``: central differences against backprop.

    With no ``thetas``, builds a small random network (the course's
    ``checkNNGradients``); with ``thetas``, ``X`` and ``y``, checks those, at
    ``n_coordinates`` randomly sampled coordinates (all when None).
    """
    rng = np.random.default_rng(random_state)
    if thetas is None:
        sizes = (n_features,) + tuple(hidden_layers) + (n_classes,)
        thetas = [rng.uniform(-1, 1, size=(a + 1, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        X = rng.uniform(-1, 1, size=(n_samples, n_features))
        y = np.arange(n_samples) % n_classes
    thetas = _check_thetas(thetas)
    X = _check_X(X).astype(np.float64)
    p = thetas[-1].shape[1]
    y = np.asarray(y)
    Y = y.astype(np.float64) if y.ndim == 2 else np.eye(p)[y]
    sizes = (thetas[0].shape[0] - 1,) + tuple(t.shape[1] for t in thetas)
    table = layer_table(sizes)
    lam = _check_float("regularization_parameter", regularization_parameter, low=0.0)
    flat = pack(thetas)
    _, grad, _ = loss_and_grad(flat, table, X, Y, lam)
    coords = np.arange(flat.size)
    if n_coordinates is not None and n_coordinates < flat.size:
        coords = rng.choice(flat.size, size=n_coordinates, replace=False)
    numeric = np.empty(coords.size)
    for k, i in enumerate(coords):
        old = flat[i]
        flat[i] = old + epsilon
        plus = loss_and_grad(flat, table, X, Y, lam)[0]
        flat[i] = old - epsilon
        minus = loss_and_grad(flat, table, X, Y, lam)[0]
        flat[i] = old
        numeric[k] = (plus - minus) / (2 * epsilon)
    analytic = grad[coords]
    denom = np.linalg.norm(numeric + analytic)
    return float(np.linalg.norm(numeric - analytic) / denom) if denom else 0.0

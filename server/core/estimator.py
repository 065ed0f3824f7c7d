"""``NeuralNetwork``: the estimator of Backprop Lab, in scikit-learn's manner.

Its keyword defaults are the train-settings table's (server/protocol/settings.py;
tests/test_settings.py checks that they agree), except ``random_state=None``, as
the table records with the reason.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from . import blas, modelfile
from .checks import check_float, check_int, check_thetas, check_X
from .initializers import INITIALIZERS
from .maths import (
    ACTIVATIONS,
    forward,
    layer_table,
    loss_and_grad,
    one_hot,
    output_layout,
    pack,
    unpack,
)
from .metrics import count_parameters
from .optimizers import OPTIMIZER_REGISTRY, FitState
from .rowsplit import RowSplit

DTYPES = ("float64", "float32")

class NeuralNetwork:
    """A fully connected network trained by backpropagation, with the post's logistic outputs.

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
    activation : {"logistic", "tanh", "relu"}, default "logistic"
        The hidden units' function (scikit-learn's names); the output units stay
        logistic. ``logistic`` is the post's.
    init : {"scaled_uniform", "randn"}, default "scaled_uniform"
        The initial weights (``server.core.initializers``): uniform in
        ``+-sqrt(6 / (n_in + n_out))``, or the post's standard normal ``randn``,
        which saturates the sigmoids of a wide layer.
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
        activation="logistic",
        init="scaled_uniform",
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
        self.activation = activation
        self.init = init
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
        self.stop_requested = False  # set by stop() from any thread, read by the fit

    # -- parameters ---------------------------------------------------------

    _PARAM_NAMES = (
        "hidden_layers", "regularization_parameter", "max_iter", "optimizer", "activation",
        "init", "random_state", "dtype", "learning_rate", "batch_size", "max_fun", "max_params",
        "n_threads", "tol", "warm_start", "class_names", "image_shape",
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
            check_int(f"hidden_layers[{i}]", units, 1)
        hidden = tuple(int(u) for u in hidden)
        check_float("regularization_parameter", self.regularization_parameter, low=0.0)
        check_int("max_iter", self.max_iter, 1)
        if self.optimizer not in OPTIMIZER_REGISTRY:
            raise ValueError(f"optimizer must be one of {tuple(OPTIMIZER_REGISTRY)}, "
                             f"got {self.optimizer!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, "
                             f"got {self.activation!r}")
        if self.init not in INITIALIZERS:
            raise ValueError(f"init must be one of {tuple(INITIALIZERS)}, got {self.init!r}")
        try:
            dtype_name = np.dtype(self.dtype).name
        except TypeError:
            dtype_name = None
        if dtype_name not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.learning_rate is not None:
            check_float("learning_rate", self.learning_rate, low=0.0, low_open=True)
        check_int("batch_size", self.batch_size, 1)
        if self.max_fun is not None:
            check_int("max_fun", self.max_fun, 1)
        check_int("max_params", self.max_params, 1)
        if self.n_threads is not None:
            check_int("n_threads", self.n_threads, 1)
        if self.random_state is not None:
            check_int("random_state", self.random_state, 0, 2**32 - 1)
        return hidden

    def _check_architecture(self, layer_sizes):
        n_params = count_parameters(layer_sizes)
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
        Y = one_hot(index, classes.size)
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
        """Return flat float64 thetas drawn by ``INITIALIZERS[self.init]``."""
        return INITIALIZERS[self.init].function(layer_sizes, rng)

    # -- fitting ------------------------------------------------------------

    def stop(self):
        """Ask a running ``fit`` (in any thread) to end within one function evaluation."""
        self.stop_requested = True

    def fit(self, X, y, callback=None, X_val=None, y_val=None, on_evaluation=None):
        """Train on ``X`` (m, n) and ``y`` (m,) labels or (m, p) one-hot; return ``self``.

        ``callback(info)`` runs after every optimizer iteration with an
        :class:`IterationInfo`; returning True stops the fit. ``on_evaluation(n_fev,
        cost)`` runs after every function evaluation; it may block (to pause) and
        may return True to stop. The model keeps the last accepted weights.
        """
        hidden = self._validated_params()
        dtype = np.dtype(self.dtype)
        X = check_X(X, "X")
        m, n = X.shape
        Y, classes = self._encode_targets(y, m)
        layer_sizes = (n,) + hidden + (Y.shape[1],)
        self._check_architecture(layer_sizes)
        if X_val is not None or y_val is not None:
            if X_val is None or y_val is None:
                raise ValueError("X_val and y_val must be given together")
            X_val = check_X(X_val, "X_val", n_features=n).astype(dtype, copy=False)
            y_val = np.asarray(y_val)
            if y_val.ndim != 1 or y_val.shape[0] != X_val.shape[0]:
                raise ValueError(f"y_val must be 1-D with {X_val.shape[0]} labels")
            Y_val = one_hot(self._label_index(y_val, classes, "y_val"), classes.size, dtype)
        table = layer_table(layer_sizes)
        rng = np.random.default_rng(self.random_state)
        warm = (
            self.warm_start and self.thetas is not None
            and tuple(self.layer_sizes) == tuple(layer_sizes)
        )
        x0 = pack(self.thetas) if warm else self._initial_flat(layer_sizes, rng)
        Xc = np.ascontiguousarray(X, dtype=dtype)
        Yc = output_layout(Y, dtype)  # laid out once, as the output layer wants it
        self.classes_ = classes
        self._table = table
        self.history_ = None  # a loaded run's history ends where this fit begins
        self.stop_requested = False
        if not warm:
            self.cost_history_, self.val_cost_history_ = [], []
            self.train_accuracy_history_, self.val_accuracy_history_ = [], []
        if not warm:
            self.n_iter_ = 0
        self.n_fev_ = 0
        state = FitState(self, Xc, Yc, X_val, Y_val if X_val is not None else None,
                          table, callback, on_evaluation, dtype)
        n_threads = self.n_threads or os.cpu_count() or 1
        optimizer = OPTIMIZER_REGISTRY[self.optimizer]
        # Full-batch evaluations split their rows over the threads (each on a one-thread
        # BLAS) when the set is large enough; mini-batches keep a threaded BLAS.
        split = RowSplit.for_fit(Xc, Yc, n_threads) if optimizer.family == "scipy" else None
        state.split = split
        with split or contextlib.nullcontext(), \
                blas.BlasLimits(1 if split is not None else n_threads):
            optimizer.run(state, optimizer, x0, rng)
        self.thetas = [t.astype(np.float64) for t in unpack(state.best_x, table)]
        self.fit_time_ = state.elapsed()
        return self

    # -- prediction ---------------------------------------------------------

    def activations(self, X):
        """Return ``[X, a_1, ..., a_out]``: every layer's activations, no bias columns."""
        self._check_fitted()
        X = check_X(X, "X", n_features=self.thetas[0].shape[0] - 1).astype(np.float64)
        return forward(self.thetas, X, self.activation)[0]

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
        X = check_X(X, "X", n_features=self.thetas[0].shape[0] - 1).astype(np.float64)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == self.classes_.size:
            Y = y.astype(np.float64)
        else:
            if y.ndim != 1 or y.shape[0] != X.shape[0]:
                raise ValueError(f"y must be 1-D with {X.shape[0]} labels, got shape {y.shape}")
            Y = one_hot(self._label_index(y, self.classes_, "y"), self.classes_.size)
        table = layer_table(self.layer_sizes)
        lam = float(self.regularization_parameter)
        cost, grad, _ = loss_and_grad(pack(self.thetas), table, X, Y, lam,
                                      activation=self.activation)
        return cost, [g.copy() for g in unpack(grad, table)]

    # -- construction from weights, save and load ---------------------------

    @classmethod
    def from_thetas(cls, thetas, classes=None, **params):
        """Return a fitted model with the given thetas, each (n_in + 1, n_out)."""
        thetas = check_thetas(thetas)
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
        model.train_accuracy_history_, model.val_accuracy_history_ = [], []  # warm_start fits
        model.n_iter_ = model.n_fev_ = 0
        return model

    def save(self, path):
        """Write thetas and JSON metadata to one ``.npz`` file (no pickles).

        ``path`` is a path or a binary file object open for writing."""
        self._check_fitted()
        modelfile.save_model(self, path)

    @classmethod
    def load(cls, path, max_params=10_000_000):
        """Read a model written by :meth:`save`; refuse anything malformed or hostile.

        ``path`` is a path or a seekable binary file object, read from where it stands."""
        return modelfile.load_model(cls, path, max_params)

    def __repr__(self):
        return (
            f"NeuralNetwork(hidden_layers={self.hidden_layers!r}, "
            f"regularization_parameter={self.regularization_parameter!r}, "
            f"max_iter={self.max_iter!r}, optimizer={self.optimizer!r}, "
            f"activation={self.activation!r})"
        )

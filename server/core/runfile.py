"""A run's history as arrays: what a saved run keeps besides its model.

``model.history_`` is a :class:`RunHistory`: one array per metric (one entry per
iteration: ``iteration``, ``cost``, ``val_cost``, ``train_accuracy``, ...; NaN
where there is no value), the kept weights (``kept`` iterations and, per layer, a
``(k, n_in + 1, n_out)`` float32 stack in ``thetas``), and the run's ``settings``,
``dataset`` and ``summary`` (how it ended). :mod:`.modelfile` writes it into the
model file (format version 2) and reads it back.
"""

from __future__ import annotations

import numpy as np

METRICS = ("iteration", "n_fev", "n_fev_equiv", "cpu_time", "cost", "val_cost",
           "train_accuracy", "val_accuracy", "grad_norm", "elapsed")
MAX_HISTORY_BYTES = 512 * 1024 * 1024   # of history arrays a file may declare
ARRAY_PREFIX = "history_"


class RunHistory:
    """Every iteration's metrics and the kept weights of one run.

    Attributes
    ----------
    iteration, cost, val_cost, train_accuracy, val_accuracy, n_fev, ... : ndarray (n,)
        One per name in ``metrics`` (float64; NaN where the run had no value).
    kept : ndarray of int (k,)
        The iterations whose weights are kept.
    thetas : list of ndarray (k, n_in + 1, n_out), float32
        The kept weights, one stack per layer: ``thetas[l][j]`` is layer ``l`` at
        iteration ``kept[j]``.
    settings, dataset, summary : dict, str or None, dict
    """

    def __init__(self, metrics: dict, kept=(), thetas=(), settings=None, dataset=None,
                 summary=None):
        self.metrics = {k: np.asarray(v, dtype=np.float64) for k, v in metrics.items()}
        self.kept = np.asarray(kept, dtype=np.int64).reshape(-1)
        self.thetas = [np.asarray(t) for t in thetas]
        self.settings = dict(settings or {})
        self.dataset = dataset
        self.summary = dict(summary or {})
        lengths = {v.shape for v in self.metrics.values()}
        if len(lengths) > 1 or any(len(s) != 1 for s in lengths):
            raise ValueError(f"history metrics must be 1-D and of one length, got {lengths}")
        if any(t.ndim != 3 or t.shape[0] != self.kept.size for t in self.thetas):
            raise ValueError(f"kept weights must be (k={self.kept.size}, rows, cols) stacks")
        if self.kept.size and np.any(np.diff(self.kept) <= 0):
            raise ValueError("kept iterations must increase")

    def __getattr__(self, name):
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(name)

    def __len__(self):
        return len(next(iter(self.metrics.values()), ()))

    def weights_at(self, iteration: int) -> list[np.ndarray]:
        """The kept weights at ``iteration`` (float32, shaped like ``model.thetas``)."""
        where = np.flatnonzero(self.kept == iteration)
        if not where.size:
            raise KeyError(f"iteration {iteration} is not kept; kept are "
                           f"{self.kept[:5].tolist()}... ({self.kept.size})")
        return [t[where[0]] for t in self.thetas]

    # -- from a model, to and from a file -------------------------------------------

    @classmethod
    def from_model(cls, model) -> RunHistory:
        """What a model fitted in Python knows: its per-iteration lists, its final weights."""
        columns = {"cost": getattr(model, "cost_history_", []),
                   "val_cost": getattr(model, "val_cost_history_", []),
                   "train_accuracy": getattr(model, "train_accuracy_history_", []),
                   "val_accuracy": getattr(model, "val_accuracy_history_", [])}
        n = len(columns["cost"])
        metrics = {"iteration": np.arange(1, n + 1)}
        for name, values in columns.items():
            metrics[name] = values if len(values) == n else np.full(n, np.nan)
        last = int(getattr(model, "n_iter_", n) or n)
        thetas = [np.asarray(t, dtype=np.float32)[None] for t in model.thetas]
        return cls(metrics, [last], thetas,
                   summary={"reason": getattr(model, "stop_reason_", None),
                            "n_fev": int(getattr(model, "n_fev_", 0) or 0)})

    def to_file(self) -> tuple[dict, dict]:
        """``(metadata entry, arrays)`` for the model file."""
        names = list(self.metrics)
        table = np.stack([self.metrics[k] for k in names], axis=1) if names else np.zeros((0, 0))
        arrays = {f"{ARRAY_PREFIX}metrics": table.reshape(len(self), len(names)),
                  f"{ARRAY_PREFIX}kept": self.kept}
        for i, t in enumerate(self.thetas):
            arrays[f"{ARRAY_PREFIX}theta_{i}"] = np.ascontiguousarray(t, dtype=np.float32)
        meta = {"metrics": names, "n_layers": len(self.thetas), "settings": self.settings,
                "dataset": self.dataset, "summary": self.summary}
        return meta, arrays

    @classmethod
    def from_file(cls, meta, arrays: dict, theta_shapes) -> RunHistory:
        """Rebuild from :meth:`to_file`'s parts; ``theta_shapes`` are the model's."""
        if not isinstance(meta, dict) or not isinstance(meta.get("metrics"), list):
            raise ValueError("history metadata must list its metrics")
        names = meta["metrics"]
        table = arrays[f"{ARRAY_PREFIX}metrics"]
        if table.ndim != 2 or table.shape[1] != len(names):
            raise ValueError(f"history metrics are {table.shape}; expected (n, {len(names)})")
        thetas = [arrays[f"{ARRAY_PREFIX}theta_{i}"] for i in range(len(theta_shapes))]
        for t, shape in zip(thetas, theta_shapes):
            if tuple(t.shape[1:]) != tuple(shape) or not np.isfinite(t).all():
                raise ValueError(f"kept weights {t.shape} do not fit the model's {shape}")
        dataset = meta.get("dataset")
        return cls({k: table[:, i] for i, k in enumerate(names)},
                   arrays[f"{ARRAY_PREFIX}kept"], thetas,
                   meta.get("settings") if isinstance(meta.get("settings"), dict) else {},
                   dataset if isinstance(dataset, str) else None,
                   meta.get("summary") if isinstance(meta.get("summary"), dict) else {})


def check_members(headers: dict, n_layers: int) -> None:
    """Check the history members' ``{name: (shape, dtype)}`` before anything is read."""
    expected = {f"{ARRAY_PREFIX}metrics", f"{ARRAY_PREFIX}kept",
                *(f"{ARRAY_PREFIX}theta_{i}" for i in range(n_layers))}
    if set(headers) != expected:
        raise ValueError(f"history arrays must be {sorted(expected)}, got {sorted(headers)}")
    total = 0
    for name, (shape, dtype) in headers.items():
        if dtype.kind not in "fi" or dtype.hasobject:
            raise ValueError(f"{name} must hold numbers, got {dtype}")
        total += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if total > MAX_HISTORY_BYTES:
        raise ValueError(f"history arrays declare {total:,} bytes; at most "
                         f"{MAX_HISTORY_BYTES:,} allowed")

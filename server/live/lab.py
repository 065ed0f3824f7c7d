"""The lab: what every session shares (limits, training slots, data sets, models dir)."""

from __future__ import annotations

import collections
import threading
from pathlib import Path

from .. import protocol
from ..threads import TrainingSlots
from .confusion import Confusions
from .history import DEFAULT_BYTES_PER_RUN, DEFAULT_BYTES_PER_SERVER, HistoryPool
from .models import ModelCache
from .sharing import ORPHAN_SECONDS, Shares


class Lab:
    """What every session shares: limits, training slots, data sets, models dir."""

    def __init__(self, limits: protocol.Limits, slots: TrainingSlots, models_dir,
                 max_active_runs=2, max_kept_runs=8, max_misclassified=100,
                 max_run_seconds=None, share_orphan_seconds=ORPHAN_SECONDS,
                 history_bytes_per_run=DEFAULT_BYTES_PER_RUN,
                 history_bytes_per_server=DEFAULT_BYTES_PER_SERVER):
        self.limits = limits
        self.max_run_seconds = max_run_seconds  # of computing (pauses and delays excluded)
        self.slots = slots
        self.shares = Shares(share_orphan_seconds)  # runs shared with a class, by token
        self.models_dir = Path(models_dir)
        self.models = ModelCache(limits.max_parameters)  # saved models /api/predict uses
        self.max_active_runs = max_active_runs
        self.max_kept_runs = max_kept_runs
        self.max_misclassified = max_misclassified
        self.history = HistoryPool(history_bytes_per_server, history_bytes_per_run)
        self.confusions = Confusions()  # `confusion` answers, by run, iteration and split
        self._catalog = None
        self._extra = {}  # id -> a data set served besides the built-in ones (a user's)
        self._splits = collections.OrderedDict()
        self._splits_lock = threading.Lock()
        self.max_cached_splits = 4
        self.sessions = 0
        self._sessions_lock = threading.Lock()

    @classmethod
    def from_config(cls, config):
        from .. import config as cfg
        slots = TrainingSlots(int(config["MAX_CONCURRENT_TRAININGS"]),
                              int(config["MAX_QUEUED_TRAININGS"]), config["BUSY_POLICY"],
                              nice=int(config["TRAINING_NICE"]))
        return cls(cfg.limits(config), slots, config["MODELS_DIR"],
                   int(config["MAX_ACTIVE_RUNS_PER_CONNECTION"]),
                   int(config["MAX_KEPT_RUNS_PER_CONNECTION"]),
                   int(config["MAX_MISCLASSIFIED"]),
                   float(config["MAX_RUN_SECONDS"]) or None,
                   float(config["SHARE_ORPHAN_SECONDS"]),
                   int(config["HISTORY_BYTES_PER_RUN"]), int(config["HISTORY_BYTES_PER_SERVER"]))

    def catalog(self) -> list[dict]:
        """``list_datasets()``, computed once, then the added data sets."""
        if self._catalog is None:
            from ..datasets import list_datasets
            self._catalog = list_datasets()
        return self._catalog + [_entry(key, ds) for key, ds in self._extra.items()]

    def add_dataset(self, dataset_id: str, ds) -> None:
        """Serve ``ds`` (e.g. ``load_user_dataset(...)``) as ``dataset_id`` from now on."""
        if not protocol.is_ident(dataset_id) or any(
                e["id"] == dataset_id for e in self.catalog() if e["id"] not in self._extra):
            raise ValueError(f"dataset id {dataset_id!r}: must be a new identifier")
        self._extra[dataset_id] = ds

    def dataset_info(self, dataset_id) -> dict:
        for entry in self.catalog():
            if entry["id"] == dataset_id:
                return entry
        raise protocol.invalid("dataset", f"{dataset_id!r} is not one of "
                               f"{[d['id'] for d in self.catalog()]}")

    def dataset(self, dataset_id, data_params=None):
        """The loaded data set (server.datasets memoises the image sets).

        ``data_params`` (``noise``, ``n_points``, ``data_seed``) draw a 2-D data set;
        other kinds ignore them.
        """
        from ..datasets import load_dataset
        info = self.dataset_info(dataset_id)
        if dataset_id in self._extra:
            return self._extra[dataset_id]
        if info["kind"] == protocol.settings.POINTS and data_params:
            return load_dataset(dataset_id, **data_params)
        return load_dataset(dataset_id)

    def split(self, dataset_id, fraction, random_state, data_params=None):
        """``(X, y, X_val, y_val)`` of a data set's training part; seeded ones are shared.

        A class trains on the same data set with the page's default seed: one
        copy of the split (340 MB for MNIST) serves everyone instead of one each.
        """
        ds = self.dataset(dataset_id, data_params)
        if fraction == 0:
            return ds.X_train, ds.y_train, None, None
        from ..datasets import train_validation_split
        if random_state is None:
            return train_validation_split(ds.X_train, ds.y_train, fraction, None)
        key = (dataset_id, tuple(sorted(ds.params.items())), fraction, random_state)
        with self._splits_lock:
            if key in self._splits:
                self._splits.move_to_end(key)
                return self._splits[key]
        parts = train_validation_split(ds.X_train, ds.y_train, fraction, random_state)
        for a in parts:
            a.flags.writeable = False  # shared between runs
        with self._splits_lock:
            self._splits[key] = parts
            while len(self._splits) > self.max_cached_splits:
                self._splits.popitem(last=False)
        return parts

    def session_opened(self):
        with self._sessions_lock:
            self.sessions += 1

    def session_closed(self):
        with self._sessions_lock:
            self.sessions -= 1


def _entry(dataset_id: str, ds) -> dict:
    """A loaded data set described like a ``list_datasets()`` entry."""
    shape = None if ds.image_shape is None else list(ds.image_shape)
    return {"id": dataset_id, "name": ds.name, "description": ds.description,
            "image_shape": shape, "n_features": int(ds.X_train.shape[1]),
            "class_names": list(ds.class_names), "n_train": int(ds.X_train.shape[0]),
            "n_test": int(ds.X_test.shape[0]), "kind": ds.kind}

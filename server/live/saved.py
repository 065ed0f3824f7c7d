"""Saved runs: a run's model and history into one file, and a file back into a run.

`save` writes the model with its :class:`~server.core.runfile.RunHistory` (the
settings, the data set, every iteration's metrics, the timeline's kept weights).
`open_model` makes an :class:`OpenedRun`: a finished run built from a file, with no
training, that streams `started`, `history`, its final `weights` and `done`, and
then answers `predict`, `weights_at` and `history` like any run.
"""

from __future__ import annotations

import numpy as np

from .. import protocol
from ..core.runfile import METRICS, RunHistory
from ..protocol import ProtocolError
from .run import Run

SUMMARY = ("reason", "message", "n_iter", "n_fev", "n_fev_equiv", "cpu_time", "elapsed")


def run_history(run) -> RunHistory:
    """A run's history as arrays: its metrics, its timeline, its settings and ending."""
    metrics = {name: [np.nan if s.get(name) is None else s[name] for s in run.history]
               for name in METRICS}
    kept, thetas = run.timeline.stacked()
    settings = {k: v for k, v in run.params.items() if k not in ("type", "run_id")}
    summary = {k: (run.result or {}).get(k) for k in SUMMARY}
    if run.race_id is not None:
        summary["race_id"] = run.race_id
    return RunHistory(metrics, kept, thetas, settings, run.params["dataset"], summary)


def save_run(run, path) -> None:
    """Write ``run``'s model and history to ``path`` (model file format version 2)."""
    run.model.history_ = run_history(run)
    run.model.save(path)


def _settings(model, request, limits) -> dict:
    """The run's train settings: the defaults, the model's, the file's, the request's."""
    history = model.history_
    names = {s.name for s in protocol.settings.wire_settings()}
    given = {k: v for k, v in model.get_params().items() if k in names and v is not None}
    given["hidden_layers"] = list(model.layer_sizes[1:-1])
    if history is not None:
        given |= {k: v for k, v in history.settings.items() if k in names}
    given["dataset"] = request["dataset"] or (history and history.dataset)
    if not given["dataset"]:
        raise protocol.invalid("dataset", "the file names no data set: choose one")
    given["run_id"] = request["run_id"]
    try:
        return protocol.validate_train({"type": "train", **given}, limits)
    except ProtocolError as exc:
        raise protocol.invalid("name", f"the file's settings are refused: {exc}") from None


class OpenedRun(Run):
    """A finished run made from a saved file: no training, the file's history."""

    def __init__(self, session, request: dict, model):
        lab = session.lab
        params = _settings(model, request, lab.limits)
        info = lab.dataset_info(params["dataset"])
        params = protocol.settings.for_dataset(params, info["kind"])
        sizes = model.layer_sizes
        if sizes[0] != int(info["n_features"]):
            raise protocol.invalid("dataset", f"the model takes {sizes[0]} inputs; "
                                   f"{params['dataset']} has {info['n_features']} features")
        if sizes[-1] != len(info["class_names"]):
            raise protocol.invalid("dataset", f"the model has {sizes[-1]} outputs; "
                                   f"{params['dataset']} has {len(info['class_names'])} "
                                   "classes")
        n_test = int(info["n_test"])
        params["probe"] = [i for i in params["probe"] if i < n_test]
        super().__init__(session, params, info)
        self.name = request["name"]
        self.loaded = model

    def _make_model(self, n_threads, y):
        return self.loaded

    def open(self):
        """Send `started`, `history`, the final `weights` and `done`, as a run would."""
        X, y, X_val, y_val = self._setup(1)
        model, history = self.model, self.loaded.history_
        history = history if history is not None else RunHistory.from_model(model)
        self.classes = model.classes_
        self._start(model.layer_sizes, X, X_val, {}, opened=self.name)
        self._replay(history)
        summary = history.summary
        model.stop_reason_ = summary.get("reason") or "max_iter"
        model.message_ = summary.get("message") or f"opened from {self.name}"
        model.n_fev_ = int(summary.get("n_fev") or 0)
        model.fit_time_ = float(summary.get("elapsed") or 0.0)
        self.cpu_time = float(summary.get("cpu_time") or 0.0)
        self.latest_thetas = model.thetas
        self._put_weights(model.n_iter_, model.thetas)
        self._finish(X, y, X_val, y_val)

    def _replay(self, history):
        """Fill the run's history and timeline from the file; send `history`."""
        columns = {k: history.metrics[k] for k in METRICS if k in history.metrics}
        self.history = [{k: (None if np.isnan(v[i]) else
                             int(v[i]) if k in ("iteration", "n_fev") else float(v[i]))
                         for k, v in columns.items()} for i in range(len(history))]
        for j, i in enumerate(history.kept.tolist()):
            thetas = [t[j] for t in history.thetas]
            self.timeline.add(i, thetas, self._probe(thetas) or None)
        self.session.put(protocol.history(self.id, list(self.history),
                                          self.timeline.summary(), True))

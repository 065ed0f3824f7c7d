"""The optimizer race: several optimizers from the same initial weights, in one slot.

A :class:`Race` takes one training slot and trains its contenders in turn, in its
own worker thread. Each contender is a :class:`Contender`, an ordinary run (its
own ``run_id``, the usual `started` … `done`, inspectable afterwards) that starts
from a copy of the weights the race drew once, and streams them as iteration 0 so
that every curve starts at the same cost. Contenders train with one BLAS thread:
then the worker's ``time.thread_time()`` is all the CPU the optimizer used, and
the seconds axis measures the optimizer rather than the contention.
"""

from __future__ import annotations

import itertools
import logging
import threading

import numpy as np

from .. import protocol
from ..network import NeuralNetwork
from ..threads import Busy, Cancelled
from .run import Run
from .start import initial_thetas, start_info

log = logging.getLogger(__name__)

RACE_IDS = itertools.count(1)


class Contender(Run):
    """One optimizer of a race: a run that starts from the race's initial weights."""

    def __init__(self, session, params: dict, race: Race):
        super().__init__(session, params, None)
        self.race = race
        self.race_id = race.id
        self.thread = race.thread  # Session.close joins it
        self.initial_thetas = None

    def stop(self):
        """Stopping any contender stops the race."""
        self.race.stop()

    def _make_model(self, n_threads, y):
        model = super()._make_model(1, y)
        params = model.get_params() | {"warm_start": True}
        thetas = self.race.initial_thetas(model, self.n_features, np.unique(y))
        model = NeuralNetwork.from_thetas(thetas, np.unique(y), **params)
        self.initial_thetas = [t.copy() for t in model.thetas]
        return model

    def _before_fit(self, X, y, X_val, y_val):
        """Stream iteration 0: the shared initial weights and their cost."""
        self._on_iteration(start_info(self.model, X, y, X_val, y_val))

    def _setup(self, n_threads):
        self.n_features = self.lab.dataset(self.params["dataset"]).X_test.shape[1]
        return super()._setup(n_threads)

    def summary(self) -> dict:
        """This contender's row of `race_done`."""
        done = self.result or {}
        row = {"run_id": self.id, "optimizer": self.params["optimizer"]}
        return row | {k: done.get(k) for k in (
            "reason", "n_iter", "n_fev", "n_fev_equiv", "cpu_time", "elapsed", "cost",
            "val_cost", "test_cost", "train_accuracy", "val_accuracy", "test_accuracy")}


class Race:
    """Contenders trained in turn in one worker thread, holding one training slot."""

    def __init__(self, session, request: dict):
        self.session = session
        self.lab = session.lab
        self.id = request["race_id"] or f"race-{next(RACE_IDS)}"
        self._stop = threading.Event()
        self._initial = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._work, name=f"train-{self.id}", daemon=True)
        base = {k: v for k, v in request.items() if k not in ("type", "optimizers", "race_id")}
        self.runs = [Contender(session, base | {"type": "train", "optimizer": name,
                                                "run_id": None}, self)
                     for name in request["optimizers"]]

    def initial_thetas(self, model, n_features, classes) -> list[np.ndarray]:
        """The race's initial weights, drawn once from ``random_state`` as ``fit`` draws them."""
        with self._lock:
            if self._initial is None:
                self._initial = initial_thetas(model, n_features, classes)
            return self._initial

    def stop(self):
        self._stop.set()
        for run in self.runs:
            Run.stop(run)

    def _work(self):
        slots = self.lab.slots
        try:
            slots.acquire(self._stop, owner=self.session, ticket=self,
                          on_queued=lambda place, wait: [self.session.put(protocol.state(
                              run.id, "queued", position=place, place=place,
                              wait_estimate_s=wait)) for run in self.runs])
        except Busy as exc:
            self.session.put(protocol.error("busy", str(exc), None, "race", None,
                                            race_id=self.id))
            for run in self.runs:
                self.session.forget(run)
            return
        except Cancelled:
            for run in self.runs:
                run._finish_with_error(None)
            self._done()
            return
        try:
            for run in self.runs:
                self._run_one(run)
        finally:
            slots.release(self)
        self._done()

    def _run_one(self, run):
        if self._stop.is_set():
            run._finish_with_error(None)
            return
        try:
            run._train(1)
        except Exception as exc:  # noqa: BLE001 - reported to the client, then logged
            log.exception("race %s: run %s failed", self.id, run.id)
            run._finish_with_error(exc)

    def _done(self):
        starts = [r.initial_thetas for r in self.runs if r.initial_thetas is not None]
        spread = max((float(np.max(np.abs(a - b))) for first in starts[:1] for other in starts
                      for a, b in zip(first, other)), default=None)
        self.session.put(protocol.race_done(self.id, [r.summary() for r in self.runs],
                                            same_start=spread))

"""A run: one training in its own worker thread, steered by pause, step, speed and stop.

The worker trains through the engine's callbacks: ``callback`` (per iteration)
streams progress and applies ``step`` and the ``speed`` delay; ``on_evaluation``
(per function evaluation) blocks while paused and stops the fit within one
evaluation.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time

import numpy as np

from .. import protocol
from ..core.maths import forward
from ..core.optimizers import full_batch_evaluations
from ..network import NeuralNetwork
from ..protocol import ProtocolError
from ..threads import Busy, Cancelled
from .finish import done_of_failure, done_of_model
from .history import Kept
from .kept import FullGradients
from .memory import release_freed_memory
from .sharing import Audience
from .start import start_info, start_model

log = logging.getLogger(__name__)


def model_params(request: dict) -> dict:
    """The ``NeuralNetwork`` keyword arguments of a validated `train` request."""
    params = {s.name: request[s.name] for s in protocol.settings.SETTINGS if s.api and s.wire}
    params["hidden_layers"] = tuple(params["hidden_layers"])
    return params


RUN_IDS = itertools.count(1)  # server-drawn run ids: run-1, run-2, ...


class Run:
    """One training: its parameters, worker thread, pause/step/stop state, history."""

    @staticmethod
    def _fresh_id(session):
        """Draw a server id no run of this session has taken (a client may pick "run-7")."""
        while True:
            run_id = f"run-{next(RUN_IDS)}"
            if run_id not in session.runs:
                return run_id

    def __init__(self, session, params: dict, info: dict):
        self.session = session           # the controlling session (the latest to claim it)
        self.audience = Audience(session)  # it and the followers hear the run
        self.lab = session.lab
        self.params = params
        self.id = params["run_id"] or self._fresh_id(session)
        self.state = "queued"
        self.delay_ms = params["delay_ms"]
        self.model = None
        self.dataset = None
        self.classes = None
        self.latest_thetas = None        # a copy, updated every iteration
        self.full_gradients = FullGradients()  # explain's training-set gradients
        self.train_set = None            # (X, y) the optimizer sees, once started
        self.history = []                # every iteration's scalars, for replay
        self.timeline = self.lab.history.timeline()  # kept weights (live/history.py)
        self.race_id = None              # set for a contender of a race (live/race.py)
        self.result = None               # the `done` message once finished
        self.started = None              # the `started` message, for late joiners
        self.latest_probe = []           # the newest iteration's probe activations
        self.latest_iteration = None     # the iteration of latest_thetas
        self._cond = threading.Condition()
        self._paused = False
        self._stepping = False
        self._stop = threading.Event()
        self._last_weights = -1e9
        self._last_evaluation = -1e9
        self.streaming_time = 0.0        # s the worker spent streaming (not waiting)
        self.compute_time = 0.0          # s of training, pauses and speed delays excluded
        self.cpu_time = 0.0              # CPU s of the worker thread while computing
        self._busy_since = None
        self._cpu_since = None
        self.timed_out = False
        self.thread = threading.Thread(target=self._work, name=f"train-{self.id}",
                                       daemon=True)

    # -- control, from the receive thread -----------------------------------

    @property
    def finished(self) -> bool:
        return self.result is not None

    def control(self, kind: str):
        """A client's `pause`, `resume`, `step` or `stop`: answered by a `state`, or
        refused (``invalid_field`` on ``run_id``) once the run has sent `done`."""
        with self._cond:  # done is published under the same lock: no race with it
            if self.finished:
                raise protocol.invalid("run_id", f"run {self.id} has finished (done, reason "
                                       f"{self.result['reason']!r}); {kind} applies to a "
                                       "queued or training run")
            {"pause": self.pause, "resume": self.resume, "step": self.step,
             "stop": self.stop}[kind]()

    def pause(self):
        self._control(paused=True, stepping=False, state="paused")

    def resume(self):
        self._control(paused=False, stepping=False, state="running")

    def step(self):
        self._control(paused=False, stepping=True, state="running", stepping_state=True)

    def _control(self, paused, stepping, state, stepping_state=False):
        # The reply is queued under the lock, before the worker can wake and
        # queue its own `state` (the "paused" after a step): they arrive in order.
        with self._cond:
            self._paused, self._stepping = paused, stepping
            if stepping_state:
                self._announce(state, stepping=True)
            else:
                self._announce(state)
            self._cond.notify_all()

    def set_delay(self, delay_ms):
        with self._cond:
            self.delay_ms = delay_ms
            self._cond.notify_all()

    def stop(self):
        with self._cond:
            self._announce("stopping")  # again for a second stop: every stop is answered
            self._stop.set()
            self._cond.notify_all()
        if self.model is not None:
            self.model.stop()

    def _announce(self, value, **extra):
        if self.finished:
            return
        if self.state != "queued":
            self.state = value
        self.audience.put(protocol.state(self.id, value, **extra))

    # -- the worker ----------------------------------------------------------

    def _wait_while_paused(self):
        with self._cond:
            while self._paused and not self._stop.is_set():
                self._cond.wait()

    def _count_compute(self):
        """Add the time since the last callback returned; True past the time cap."""
        now = time.perf_counter()
        if self._busy_since is not None:
            self.compute_time += now - self._busy_since
            self.cpu_time += time.thread_time() - self._cpu_since
        cap = self.lab.max_run_seconds
        if cap and self.compute_time > cap:
            self.timed_out = True
            self._stop.set()
        return self.timed_out

    def _on_evaluation(self, n_fev, cost):
        self._count_compute()
        now = time.perf_counter()
        interval = self.params["evaluation_interval_ms"] / 1000
        if now - self._last_evaluation >= interval:
            self._last_evaluation = now
            self.audience.put(lambda: protocol.evaluation(self.id, n_fev, cost),
                             key=("evaluation", self.id))
        self.streaming_time += time.perf_counter() - now
        self._wait_while_paused()
        self._resume_clocks()
        return self._stop.is_set()

    def _resume_clocks(self):
        self._busy_since = time.perf_counter()
        self._cpu_since = time.thread_time()

    def counts(self, n_fev) -> dict:
        """The CPU seconds so far and ``n_fev`` in full-batch equivalents."""
        p = self.params
        return {"cpu_time": round(self.cpu_time, 4),
                "n_fev_equiv": round(full_batch_evaluations(
                    p["optimizer"], n_fev, self.n_train, p["batch_size"]), 4)}

    def _on_iteration(self, info):
        self._count_compute()
        start = time.perf_counter()
        thetas = [np.array(t) for t in info.thetas]  # info's views die with the call
        self.latest_thetas = thetas
        probe = self._probe(thetas)
        self.timeline.add(info.iteration, thetas, probe or None)
        scalars = protocol.iteration_scalars(info) | self.counts(info.n_fev)
        with self.audience.lock:  # a late joiner gets all of history, then the live ones
            self.history.append(scalars)
            self.latest_probe, self.latest_iteration = probe, info.iteration
            self.audience.put(protocol.LazyIteration(self.id, scalars, probe),
                              key=("iteration", self.id))
        now = time.perf_counter()
        if now - self._last_weights >= self.params["weights_interval_ms"] / 1000:
            self._last_weights = now
            self._put_weights(info.iteration, thetas)
        self.streaming_time += time.perf_counter() - start
        with self._cond:
            if self._stepping and info.iteration > 0:  # iteration 0 is the start, not a step
                self._stepping, self._paused = False, True
                self.state = "paused"
                self.audience.put(protocol.state(self.id, "paused"))
            # The delay is re-read on every wake-up: a `speed` message shortens a long wait.
            since = time.monotonic()
            while not self._stop.is_set():
                if self._paused:
                    self._cond.wait()
                    since = time.monotonic() if not self._stepping else -math.inf
                    continue
                left = since + self.delay_ms / 1000 - time.monotonic()
                if left <= 0 or self._stepping:
                    break
                self._cond.wait(left)
        self._resume_clocks()
        return self._stop.is_set()

    def _probe(self, thetas) -> list:
        """The probe's activations per layer (n_probe, units), rounded as they are sent."""
        if not self.X_probe.shape[0]:
            return []
        activations = forward(thetas, self.X_probe, self.params["activation"])[0]
        return [np.round(a, 5) for a in activations[1:]]

    def _put_weights(self, iteration, thetas):
        self.audience.put(lambda: protocol.encode_weights(self.id, iteration, thetas),
                         key=("weights", self.id))

    def _work(self):
        slots = self.lab.slots
        try:
            n_threads = slots.acquire(
                self._stop, owner=self.session, ticket=self,
                on_queued=lambda place, wait: self.audience.put(protocol.state(
                    self.id, "queued", position=place, place=place, wait_estimate_s=wait)))
        except Busy as exc:
            self.audience.put(protocol.error("busy", str(exc), None, "train", None,
                                            run_id=self.id))
            self.session.forget(self)
            return
        except Cancelled:  # stopped while queued: it never started, but it did end
            self._finish_with_error(None)
            return
        try:
            self._train(n_threads)
        except Exception as exc:  # noqa: BLE001 - reported to the client, then logged
            log.exception("run %s failed", self.id)
            self._finish_with_error(exc)
        finally:
            slots.release(self)
            release_freed_memory()  # the fit's and the test set's temporaries

    def _setup(self, n_threads):
        p = self.params
        data = protocol.settings.data_params(p)
        ds = self.lab.dataset(p["dataset"], data)
        self.dataset = ds
        X, y, X_val, y_val = self.lab.split(p["dataset"], p["validation_fraction"],
                                            p["random_state"], data)
        self.probe = list(p["probe"])
        self.X_probe = np.asarray(ds.X_test[self.probe], dtype=np.float64).reshape(
            len(self.probe), X.shape[1])
        self.n_train = int(X.shape[0])
        self.train_set = (X, y)
        self.model = self._make_model(n_threads, y)
        if self._stop.is_set():
            self.model.stop()
        return X, y, X_val, y_val

    def _make_model(self, n_threads, y):
        """The untrained model of this run (a race's contender starts from given weights)."""
        ds = self.dataset
        return NeuralNetwork(
            **model_params(self.params), max_params=self.lab.limits.max_parameters,
            n_threads=n_threads, class_names=list(ds.class_names),
            image_shape=None if ds.image_shape is None else tuple(ds.image_shape))

    def _start(self, layer_sizes, X, X_val, more_params: dict, **extra):
        """Send `started`: the settings, the data set's shape and the probe's labels."""
        ds, p = self.dataset, self.params
        self.state = "running"
        started = protocol.started(
            self.id, layer_sizes,
            params={k: v for k, v in p.items() if k not in ("type", "run_id")} | more_params,
            dataset={"id": p["dataset"], "name": getattr(ds, "name", p["dataset"]),
                     "image_shape": None if ds.image_shape is None else list(ds.image_shape),
                     "class_names": list(ds.class_names), "n_features": int(X.shape[1]),
                     "n_train": int(X.shape[0]),
                     "n_val": 0 if X_val is None else int(X_val.shape[0]),
                     "n_test": int(ds.X_test.shape[0]),
                     "data_params": protocol.settings.drawn_with(ds)},
            probe={"indices": self.probe,
                   "labels": [np.asarray(ds.y_test)[i].item() for i in self.probe]},
            **extra)
        with self.audience.lock:
            self.started = started
            self.audience.put(started)

    def _before_fit(self, X, y, X_val, y_val):
        """Stream iteration 0: the weights the fit starts from, so every curve starts there."""
        if self.model.random_state is None:
            return  # the fit draws weights nobody can know in advance
        start = start_model(self.model, X.shape[1], self.classes)
        self._on_iteration(start_info(start, X, y, X_val, y_val))

    def _train(self, n_threads):
        X, y, X_val, y_val = self._setup(n_threads)
        ds, p = self.dataset, self.params
        self.classes = np.unique(np.concatenate([np.asarray(y), np.asarray(ds.y_test)]))
        layer_sizes = [X.shape[1], *p["hidden_layers"], len(self.classes)]
        self._start(layer_sizes, X, X_val, {"n_threads": n_threads},
                    **({} if self.race_id is None else {"race_id": self.race_id}))
        self._before_fit(X, y, X_val, y_val)
        self._resume_clocks()
        self.model.fit(X, y, callback=self._on_iteration, X_val=X_val, y_val=y_val,
                       on_evaluation=self._on_evaluation)
        self._count_compute()
        self.classes = self.model.classes_
        self.latest_thetas = self.model.thetas
        self.latest_iteration = self.model.n_iter_
        # The optimizer's final point may differ from its last iteration's: it wins.
        self.timeline.add(self.model.n_iter_, self.model.thetas,
                          self._probe(self.model.thetas) or None)
        self._put_weights(self.model.n_iter_, self.model.thetas)
        self._finish(X, y, X_val, y_val)

    def _finish(self, X, y, X_val, y_val):
        """Score the fitted model (live/finish.py) and send `done`."""
        self._publish(done_of_model(self, X, y, X_val, y_val))

    def _publish(self, result):
        """Send `done`; under the lock so that no `state` can follow it."""
        self.timeline.finish()
        with self._cond, self.audience.lock:
            self.result = result
            self.state = "done"
            self.audience.put(result)
        self.session.run_finished(self)

    def _finish_with_error(self, exc):
        """Send `done` for a run that failed (``exc``) or was stopped in the queue (None)."""
        self._publish(done_of_failure(self, exc))

    # -- the trained model ----------------------------------------------------

    def predictor(self, iteration=None):
        """The finished model, or one of the newest (or ``iteration``'s kept) weights."""
        if iteration is not None:
            return self.model_of(self.kept(iteration).thetas)
        if self.finished and self.model is not None and self.model.thetas is not None:
            return self.model
        return self.model_of(self.latest_thetas)

    def kept(self, iteration=None) -> Kept:
        """The timeline's weights that serve a request for ``iteration`` (the newest if None).

        An iteration from the first kept one to the latest is served by the kept one
        at or before it (the answer's ``iteration`` says which); any other is refused
        with ``invalid_field`` ``iteration``, naming the kept range.
        """
        span = self.timeline.span()
        if span is None:
            raise ProtocolError("no_model", f"run {self.id} has no weights yet", "run_id")
        first, latest, stride = span
        if iteration is not None and not first <= iteration <= latest:
            every = "" if stride == 1 else f" (every {stride}th between them)"
            raise protocol.invalid(
                "iteration", f"iteration {iteration} of run {self.id} is not kept; it "
                f"keeps iterations {first} to {latest}{every}")
        return self.timeline.at_or_before(latest if iteration is None else iteration)

    def model_of(self, thetas):
        """A model made of ``thetas`` and this run's classes, activation and data set."""
        ds = self.dataset
        if thetas is None or self.classes is None:
            raise ProtocolError("no_model", f"run {self.id} has no weights yet", "run_id")
        return NeuralNetwork.from_thetas(
            thetas, self.classes, max_params=self.lab.limits.max_parameters,
            activation=self.params["activation"],
            class_names=list(ds.class_names),
            image_shape=None if ds.image_shape is None else tuple(ds.image_shape))

"""Training sessions: one per connection, several runs each, no sockets in sight.

A :class:`Session` receives raw frames (``receive``) and talks back through a
``send`` callable that takes ``str`` (a JSON text frame) or ``bytes`` (a binary
frame). Everything it sends goes through an :class:`Outbox`: a per-connection
queue drained by one sender thread, so a slow client never slows training, and
sends from several worker threads never interleave. Intermediate ``iteration``,
``evaluation`` and ``weights`` frames of a run are coalesced (only the newest
pending one is kept); every other frame is delivered in order.

Each :class:`Run` trains in its own worker thread through the engine's callbacks:
``callback`` (per iteration) streams progress and applies ``step`` and the
``speed`` delay; ``on_evaluation`` (per function evaluation) blocks while paused
and stops the fit within one evaluation.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import math
import threading
import time
from pathlib import Path

import numpy as np

from . import protocol
from .network import NeuralNetwork, check_gradients, forward
from .protocol import ProtocolError
from .threads import Busy, Cancelled, TrainingSlots

log = logging.getLogger(__name__)

JOIN_TIMEOUT = 10.0  # seconds a closing session waits for each worker thread


# --------------------------------------------------------------------------- outbox

class Outbox:
    """Frames waiting for one client, sent in order by one thread.

    ``put(payload, key)``: a payload with a ``key`` replaces the pending payload
    with the same key (in its place in the queue); ``key=None`` frames are never
    dropped. A payload is a dict (sent as JSON text), bytes, or a zero-argument
    callable returning either, evaluated in the sender thread so that encoding
    costs the worker nothing.
    """

    def __init__(self, send, name="outbox", max_pending=1000):
        self._send = send
        self._max_pending = max_pending
        self._queue = collections.deque()  # entries: [key, payload]
        self._pending = {}                 # key -> its entry in _queue
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self.failed = False
        self.coalesced = 0
        self._thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self._thread.start()

    def put(self, payload, key=None) -> bool:
        """Queue a frame; False when the outbox is closed or the client is hopeless."""
        with self._cond:
            if self._closed:
                return False
            if key is not None and key in self._pending:
                self._pending[key][1] = payload
                self.coalesced += 1
                return True
            if len(self._queue) >= self._max_pending:
                # Only never-dropped frames can pile up this far: the client does
                # not read. Give up on it rather than hold memory without bound.
                log.warning("outbox %s: client not reading; closing", self._thread.name)
                self.failed = self._closed = True
                self._queue.clear()
                self._cond.notify_all()
                return False
            entry = [key, payload]
            self._queue.append(entry)
            if key is not None:
                self._pending[key] = entry
            self._cond.notify_all()
            return True

    def _drain(self):
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                key, payload = self._queue.popleft()
                if key is not None:
                    del self._pending[key]
                self._busy = True
            try:
                frame = payload() if callable(payload) else payload
                if isinstance(frame, dict):
                    frame = json.dumps(frame, separators=(",", ":"), allow_nan=False)
                self._send(frame)
            except Exception as exc:  # the transport is gone: stop sending
                log.debug("outbox %s: send failed: %r", self._thread.name, exc)
                with self._cond:
                    self.failed = self._closed = True
                    self._queue.clear()
                    self._busy = False
                    self._cond.notify_all()
                return
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def flush(self, timeout=None) -> bool:
        """Wait until everything queued has been sent; True if it was."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while (self._queue or self._busy) and not self.failed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return not self.failed

    def close(self):
        """Stop the sender thread; frames still queued are dropped."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._pending.clear()
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(JOIN_TIMEOUT)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


# --------------------------------------------------------------------------- lab

class Lab:
    """What every session shares: limits, training slots, data sets, models dir."""

    def __init__(self, limits: protocol.Limits, slots: TrainingSlots, models_dir,
                 max_active_runs=2, max_kept_runs=8, max_misclassified=100,
                 max_run_seconds=None):
        self.limits = limits
        self.max_run_seconds = max_run_seconds  # of computing (pauses and delays excluded)
        self.slots = slots
        self.models_dir = Path(models_dir)
        self.max_active_runs = max_active_runs
        self.max_kept_runs = max_kept_runs
        self.max_misclassified = max_misclassified
        self._catalog = None
        self._splits = collections.OrderedDict()
        self._splits_lock = threading.Lock()
        self.max_cached_splits = 4
        self.sessions = 0
        self._sessions_lock = threading.Lock()

    @classmethod
    def from_config(cls, config):
        from . import config as cfg
        slots = TrainingSlots(int(config["MAX_CONCURRENT_TRAININGS"]),
                              int(config["MAX_QUEUED_TRAININGS"]), config["BUSY_POLICY"])
        return cls(cfg.limits(config), slots, config["MODELS_DIR"],
                   int(config["MAX_ACTIVE_RUNS_PER_CONNECTION"]),
                   int(config["MAX_KEPT_RUNS_PER_CONNECTION"]),
                   int(config["MAX_MISCLASSIFIED"]),
                   float(config["MAX_RUN_SECONDS"]) or None)

    def catalog(self) -> list[dict]:
        """``list_datasets()``, computed once."""
        if self._catalog is None:
            from .datasets import list_datasets
            self._catalog = list_datasets()
        return self._catalog

    def dataset_info(self, dataset_id) -> dict:
        for entry in self.catalog():
            if entry["id"] == dataset_id:
                return entry
        raise protocol.invalid("dataset", f"{dataset_id!r} is not one of "
                               f"{[d['id'] for d in self.catalog()]}")

    def dataset(self, dataset_id):
        """The loaded data set (server.datasets memoises the image sets)."""
        from .datasets import load_dataset
        self.dataset_info(dataset_id)
        return load_dataset(dataset_id)

    def split(self, dataset_id, fraction, random_state):
        """``(X, y, X_val, y_val)`` of a data set's training part; seeded ones are shared.

        A class trains on the same data set with the page's default seed: one
        copy of the split (340 MB for MNIST) serves everyone instead of one each.
        """
        ds = self.dataset(dataset_id)
        if fraction == 0:
            return ds.X_train, ds.y_train, None, None
        from .datasets import train_validation_split
        if random_state is None:
            return train_validation_split(ds.X_train, ds.y_train, fraction, None)
        key = (dataset_id, fraction, random_state)
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


# --------------------------------------------------------------------------- predictions

def predict_payload(thetas, classes, class_names, x, image_shape):
    """Everything the page shows for one input ``x`` (n_features,)."""
    activations, _ = forward(thetas, np.asarray(x, dtype=np.float64).reshape(1, -1))
    out = activations[-1][0]
    index = int(np.argmax(out))
    label = classes[index]
    label = label.item() if hasattr(label, "item") else label
    # Labels are indices into class_names (server.datasets' convention).
    names = list(class_names) if class_names is not None else []
    name = names[label] if isinstance(label, int) and 0 <= label < len(names) else str(label)
    total = float(out.sum())
    return {
        "label": label, "class_name": name,
        "probabilities": out / total if total > 0 else out,
        "outputs": protocol._rounded(out, 6),
        "activations": [a[0] for a in activations],
        "image": np.asarray(x).ravel(),
        "image_shape": None if image_shape is None else list(image_shape),
    }


def prepare_input(request: dict, n_features: int, image_shape, dataset=None):
    """The input vector of a predict request: a bitmap, a vector or a data set sample."""
    if "image" in request:
        if image_shape is None:
            raise protocol.invalid("image", "this data set has no images; send 'vector'")
        from .preprocess import preprocess_drawing
        try:
            x = preprocess_drawing(request["image"], tuple(image_shape))
        except ValueError as exc:
            raise protocol.invalid("image", str(exc)) from None
        return np.asarray(x, dtype=np.float64).ravel()
    if "vector" in request:
        x = request["vector"]
        if x.size != n_features:
            raise protocol.invalid("vector", f"has {x.size} values; the model takes "
                                   f"{n_features}")
        return x
    sample = request["sample"]
    if dataset is None:
        raise protocol.invalid("sample", "needs a run's data set")
    X = dataset.X_test if sample["split"] == "test" else dataset.X_train
    if sample["index"] >= X.shape[0]:
        raise protocol.invalid("sample.index", f"{sample['index']} is out of range "
                               f"[0, {X.shape[0] - 1}]")
    return np.asarray(X[sample["index"]], dtype=np.float64).ravel()


def count_parameters(layer_sizes) -> int:
    return sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


# --------------------------------------------------------------------------- run

_run_counter = itertools.count(1)


class Run:
    """One training: its parameters, worker thread, pause/step/stop state, history."""

    @staticmethod
    def _fresh_id(session):
        """Draw a server id no run of this session has taken (a client may pick "run-7")."""
        while True:
            run_id = f"run-{next(_run_counter)}"
            if run_id not in session.runs:
                return run_id

    def __init__(self, session: Session, params: dict, info: dict):
        self.session = session
        self.lab = session.lab
        self.params = params
        self.id = params["run_id"] or self._fresh_id(session)
        self.state = "queued"
        self.delay_ms = params["delay_ms"]
        self.model = None
        self.dataset = None
        self.classes = None
        self.latest_thetas = None        # a copy, updated every iteration
        self.history = []                # every iteration's scalars, for replay
        self.result = None               # the `done` message once finished
        self._cond = threading.Condition()
        self._paused = False
        self._stepping = False
        self._stop = threading.Event()
        self._last_weights = -1e9
        self._last_evaluation = -1e9
        self.streaming_time = 0.0        # s the worker spent streaming (not waiting)
        self.compute_time = 0.0          # s of training, pauses and speed delays excluded
        self._busy_since = None
        self.timed_out = False
        self.thread = threading.Thread(target=self._work, name=f"train-{self.id}",
                                       daemon=True)

    # -- control, from the receive thread -----------------------------------

    @property
    def finished(self) -> bool:
        return self.result is not None

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
            if not self.finished and not self._stop.is_set():
                self._announce("stopping")
            self._stop.set()
            self._cond.notify_all()
        if self.model is not None:
            self.model.stop()

    def _announce(self, value, **extra):
        if self.finished:
            return
        if self.state != "queued":
            self.state = value
        self.session.put(protocol.state(self.id, value, **extra))

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
            self.session.put(lambda: protocol.evaluation(self.id, n_fev, cost),
                             key=("evaluation", self.id))
        self.streaming_time += time.perf_counter() - now
        self._wait_while_paused()
        self._busy_since = time.perf_counter()
        return self._stop.is_set()

    def _on_iteration(self, info):
        start = time.perf_counter()
        thetas = [np.array(t) for t in info.thetas]  # info's views die with the call
        self.latest_thetas = thetas
        probe = forward(thetas, self.X_probe)[0][1:] if self.X_probe.shape[0] else []
        message = protocol.iteration(self.id, info, [])
        self.history.append(message)
        self.session.put(lambda m=message, p=probe: {**m, "probe_activations": [
            [protocol._rounded(layer[i]) for layer in p] for i in range(len(self.probe))]},
            key=("iteration", self.id))
        now = time.perf_counter()
        if now - self._last_weights >= self.params["weights_interval_ms"] / 1000:
            self._last_weights = now
            self._put_weights(info.iteration, thetas)
        self.streaming_time += time.perf_counter() - start
        with self._cond:
            if self._stepping:
                self._stepping, self._paused = False, True
                self.state = "paused"
                self.session.put(protocol.state(self.id, "paused"))
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
        self._busy_since = time.perf_counter()
        return self._stop.is_set()

    def _put_weights(self, iteration, thetas):
        self.session.put(lambda: protocol.encode_weights(self.id, iteration, thetas),
                         key=("weights", self.id))

    def _work(self):
        slots = self.lab.slots
        try:
            n_threads = slots.acquire(self._stop, on_queued=lambda position: self.session.put(
                protocol.state(self.id, "queued", position=position)))
        except Busy as exc:
            self.session.put(protocol.error("busy", str(exc), None, "train", None) |
                             {"run_id": self.id})
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
            slots.release()

    def _setup(self, n_threads):
        p = self.params
        ds = self.lab.dataset(p["dataset"])
        self.dataset = ds
        X, y, X_val, y_val = self.lab.split(p["dataset"], p["validation_fraction"],
                                            p["random_state"])
        self.probe = list(p["probe"])
        self.X_probe = np.asarray(ds.X_test[self.probe], dtype=np.float64).reshape(
            len(self.probe), X.shape[1])
        self.model = NeuralNetwork(
            hidden_layers=tuple(p["hidden_layers"]),
            regularization_parameter=p["regularization_parameter"],
            max_iter=p["max_iter"], optimizer=p["optimizer"],
            random_state=p["random_state"], learning_rate=p["learning_rate"],
            batch_size=p["batch_size"], max_params=self.lab.limits.max_parameters,
            n_threads=n_threads, class_names=list(ds.class_names),
            image_shape=None if ds.image_shape is None else tuple(ds.image_shape))
        if self._stop.is_set():
            self.model.stop()
        return X, y, X_val, y_val

    def _train(self, n_threads):
        X, y, X_val, y_val = self._setup(n_threads)
        ds, p = self.dataset, self.params
        self.classes = np.unique(np.concatenate([np.asarray(y), np.asarray(ds.y_test)]))
        layer_sizes = [X.shape[1], *p["hidden_layers"], len(self.classes)]
        self.state = "running"
        self.session.put(protocol.started(
            self.id, layer_sizes,
            params={k: v for k, v in p.items() if k not in ("type", "run_id")}
            | {"n_threads": n_threads},
            dataset={"id": p["dataset"], "name": getattr(ds, "name", p["dataset"]),
                     "image_shape": None if ds.image_shape is None else list(ds.image_shape),
                     "class_names": list(ds.class_names), "n_features": int(X.shape[1]),
                     "n_train": int(X.shape[0]),
                     "n_val": 0 if X_val is None else int(X_val.shape[0]),
                     "n_test": int(ds.X_test.shape[0])},
            probe={"indices": self.probe,
                   "labels": [np.asarray(ds.y_test)[i].item() for i in self.probe]}))
        self._busy_since = time.perf_counter()
        self.model.fit(X, y, callback=self._on_iteration, X_val=X_val, y_val=y_val,
                       on_evaluation=self._on_evaluation)
        self.classes = self.model.classes_
        self.latest_thetas = self.model.thetas
        self._put_weights(self.model.n_iter_, self.model.thetas)
        self._finish(X, y, X_val, y_val)

    def _finish(self, X, y, X_val, y_val):
        model, ds = self.model, self.dataset
        reason = {"callback": "stopped"}.get(model.stop_reason_, model.stop_reason_)
        if reason not in protocol.DONE_REASONS:
            reason = "failed"
        y_test = np.asarray(ds.y_test)
        predicted = model.predict(ds.X_test)
        index = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(model.classes_)}
        confusion = np.zeros((len(index), len(index)), dtype=np.int64)
        true_i = np.array([index.get(v.item(), -1) for v in y_test])
        pred_i = np.array([index[v.item()] for v in predicted])
        known = true_i >= 0
        np.add.at(confusion, (true_i[known], pred_i[known]), 1)
        wrong = np.flatnonzero(predicted != y_test)
        last = self.history[-1] if self.history else {}
        message = model.message_
        if self.timed_out:
            message = (f"stopped at the server's limit of {self.lab.max_run_seconds:g} s of "
                       "training per run (MAX_RUN_SECONDS)")
        result = protocol.done(
            self.id, reason, message,
            n_iter=int(model.n_iter_), n_fev=int(model.n_fev_),
            elapsed=round(float(model.fit_time_), 4),
            streaming_time=round(self.streaming_time, 4),
            cost=last.get("cost"), val_cost=last.get("val_cost"),
            train_accuracy=float(model.score(X, y)),
            val_accuracy=None if X_val is None else float(model.score(X_val, y_val)),
            test_accuracy=float(np.mean(predicted == y_test)),
            confusion_matrix=confusion.tolist(),
            misclassified=wrong[:self.lab.max_misclassified].tolist(),
            misclassified_predicted=pred_i[wrong[:self.lab.max_misclassified]].tolist(),
            n_misclassified=int(wrong.size))
        self._publish(result)

    def _publish(self, result):
        """Send `done`; under the lock so that no `state` can follow it."""
        with self._cond:
            self.result = result
            self.state = "done"
            self.session.put(result)
        self.session.run_finished(self)

    def _finish_with_error(self, exc):
        """Send `done` for a run that failed (``exc``) or was stopped in the queue (None)."""
        if exc is None:
            reason, message = "stopped", "stopped while waiting for a training slot"
        elif isinstance(exc, ValueError):
            reason, message = "error", str(exc)
        else:
            reason, message = "error", f"internal error: {exc!r}"
        result = protocol.done(self.id, reason, message,
                               n_iter=len(self.history), n_fev=None, elapsed=None,
                               cost=None, train_accuracy=None, val_accuracy=None,
                               test_accuracy=None, confusion_matrix=None, misclassified=[],
                               misclassified_predicted=[])
        self._publish(result)

    # -- the trained model ----------------------------------------------------

    def predictor(self):
        """``(thetas, classes)`` of the finished model, or of the newest iteration."""
        if self.finished and self.model is not None and self.model.thetas is not None:
            return self.model.thetas, self.model.classes_
        thetas = self.latest_thetas
        if thetas is None or self.classes is None:
            raise ProtocolError("no_model", f"run {self.id} has no weights yet", "run_id")
        return thetas, self.classes


# --------------------------------------------------------------------------- session

class Session:
    """One connection's conversation: parse, dispatch, reply through the outbox."""

    # message type -> handler method; one per type in protocol.CLIENT_MESSAGES
    HANDLERS = {
        "train": "_train", "pause": "_control", "resume": "_control", "step": "_control",
        "stop": "_control", "speed": "_speed", "predict": "_predict",
        "gradient_check": "_gradient_check", "save": "_save",
    }

    def __init__(self, send, lab: Lab, name: str = "session"):
        self.lab = lab
        self.name = name
        self.outbox = Outbox(send, name=f"outbox-{name}")
        self.runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        self.closed = False
        lab.session_opened()

    # -- the transport's side --------------------------------------------------

    def put(self, payload, key=None):
        return self.outbox.put(payload, key)

    def hello(self):
        """Send `ready`: the protocol version, the limits and the data sets."""
        writable = self.lab.models_dir.is_dir() or not self.lab.models_dir.exists()
        self.put(protocol.ready(self.lab.limits, self.lab.catalog(), writable))

    def receive(self, data):
        """Handle one incoming frame; any problem becomes an `error` reply."""
        msg = None
        try:
            request = protocol.parse(data, self.lab.limits)
            msg = request
            getattr(self, self.HANDLERS[request["type"]])(request)
        except ProtocolError as exc:
            self.put(protocol.error_from(exc, exc.request or msg))
        except Exception as exc:  # noqa: BLE001 - the connection must stay usable
            log.exception("session %s: %r failed", self.name, msg and msg.get("type"))
            self.put(protocol.error_from(
                ProtocolError("internal", f"internal error: {exc.__class__.__name__}"), msg))

    def close(self):
        """End every run and the sender thread; return when they are gone."""
        if self.closed:
            return
        self.closed = True
        with self._lock:
            runs = list(self.runs.values())
        for run in runs:
            run.stop()
        self.outbox.close()
        for run in runs:
            if run.thread.is_alive():
                run.thread.join(JOIN_TIMEOUT)
        self.lab.session_closed()

    # -- runs --------------------------------------------------------------------

    def run(self, run_id=None) -> Run:
        with self._lock:
            if run_id is None:
                if not self.runs:
                    raise ProtocolError("no_model", "no run yet: send 'train' first", "run_id")
                return next(reversed(self.runs.values()))
            if run_id not in self.runs:
                raise protocol.invalid("run_id", f"no run {run_id!r} on this connection")
            return self.runs[run_id]

    def forget(self, run: Run):
        with self._lock:
            if self.runs.get(run.id) is run:
                del self.runs[run.id]

    def run_finished(self, run: Run):
        """Keep at most max_kept_runs finished runs: drop the oldest."""
        with self._lock:
            finished = [r for r in self.runs.values() if r.finished]
            for old in finished[:max(0, len(finished) - self.lab.max_kept_runs)]:
                del self.runs[old.id]

    # -- handlers ------------------------------------------------------------------

    def _train(self, request):
        lab = self.lab
        info = lab.dataset_info(request["dataset"])
        n_features = int(info["n_features"])
        n_classes = len(info["class_names"])
        sizes = [n_features, *request["hidden_layers"], n_classes]
        n_params = count_parameters(sizes)
        if n_params > lab.limits.max_parameters:
            raise ProtocolError("too_large", f"hidden_layers: {sizes} has {n_params:,} "
                                f"parameters; the limit is {lab.limits.max_parameters:,}",
                                "hidden_layers")
        n_test = int(info["n_test"])
        for i in request["probe"]:
            if i >= n_test:
                raise protocol.invalid("probe", f"index {i} is out of range [0, {n_test - 1}]")
        with self._lock:
            if request["run_id"] in self.runs:
                raise protocol.invalid("run_id", f"{request['run_id']!r} is already used "
                                       "on this connection")
            active = sum(not r.finished for r in self.runs.values())
            if active >= lab.max_active_runs:
                raise ProtocolError("busy", f"{active} runs are already training on this "
                                    f"connection (at most {lab.max_active_runs}); stop one "
                                    "first")
            run = Run(self, request, info)
            self.runs[run.id] = run
        run.thread.start()

    def _control(self, request):
        run = self.run(request["run_id"])
        {"pause": run.pause, "resume": run.resume, "step": run.step,
         "stop": run.stop}[request["type"]]()

    def _speed(self, request):
        self.run(request["run_id"]).set_delay(request["delay_ms"])

    def _predict(self, request):
        run = self.run(request["run_id"])
        thetas, classes = run.predictor()
        ds = run.dataset
        x = prepare_input(request, thetas[0].shape[0] - 1, ds.image_shape, ds)
        out = predict_payload(thetas, classes, ds.class_names, x, ds.image_shape)
        extra = {"iteration": len(run.history), "outputs": out.pop("outputs")}
        if "sample" in request:
            s = request["sample"]
            labels = ds.y_test if s["split"] == "test" else ds.y_train
            extra["true_label"] = np.asarray(labels)[s["index"]].item()
        self.put(protocol.prediction(request["request_id"], run.id, **out, **extra))

    def _gradient_check(self, request):
        run = self.run(request["run_id"])
        thetas, classes = run.predictor()
        ds = run.dataset
        rng = np.random.default_rng(0)
        rows = rng.choice(ds.X_train.shape[0], size=min(20, ds.X_train.shape[0]), replace=False)
        y_index = np.searchsorted(classes, np.asarray(ds.y_train)[rows])
        n_coordinates = 40
        difference = check_gradients(
            thetas=thetas, X=np.asarray(ds.X_train[rows], dtype=np.float64), y=y_index,
            regularization_parameter=run.params["regularization_parameter"],
            n_coordinates=n_coordinates, random_state=0)
        n = min(n_coordinates, count_parameters([t.shape[0] - 1 for t in thetas]
                                                + [thetas[-1].shape[1]]))
        self.put(protocol.gradient_check_result(run.id, difference, n))

    def _save(self, request):
        run = self.run(request["run_id"])
        if not run.finished or run.model is None or run.model.thetas is None:
            raise ProtocolError("no_model", f"run {run.id} has not finished; stop it or wait "
                                "for 'done' before saving", "run_id")
        directory = self.lab.models_dir
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{request['name']}.npz"
        tmp = directory / f".{request['name']}.{threading.get_ident()}.tmp"
        run.model.save(tmp)
        tmp.replace(path)
        self.put(protocol.saved(run.id, request["name"]))

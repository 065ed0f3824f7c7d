"""A session: one connection's conversation, with no socket in sight.

A :class:`Session` receives raw frames (``receive``), validates them with the
protocol and dispatches them to one handler per message type; it talks back
through an :class:`~.outbox.Outbox` around the transport's ``send`` (which takes
``str`` for a text frame or ``bytes`` for a binary one). Each `train` starts a
:class:`~.run.Run`.
"""

from __future__ import annotations

import logging
import threading

from .. import protocol
from ..core.metrics import count_parameters
from ..network import NeuralNetwork
from ..protocol import ProtocolError
from .explaining import explain, gradient_check
from .lab import Lab
from .outbox import JOIN_TIMEOUT, Outbox
from .prediction import predict
from .race import Race
from .run import Run
from .saved import OpenedRun, save_run
from .sharing import replay

FOLLOWER_REFUSED = {
    "pause": "pause", "resume": "resume", "step": "step", "stop": "stop",
    "speed": "change the speed of", "save": "save", "gradient_check": "run a gradient check on",
    "share": "share",
}


def unknown_reach():
    """Without a transport to ask, whether the class can reach the server is unknown."""
    return {"reachable": None, "lan_address": None}

log = logging.getLogger(__name__)


class Session:
    """One connection's conversation: parse, dispatch, reply through the outbox."""

    # message type -> handler method; one per type in protocol.CLIENT_MESSAGES
    HANDLERS = {
        "train": "_train", "pause": "_control", "resume": "_control", "step": "_control",
        "stop": "_control", "speed": "_speed", "predict": "_predict", "explain": "_explain",
        "gradient_check": "_gradient_check", "save": "_save", "share": "_share",
        "follow": "_follow", "claim": "_claim",
        "history": "_history", "weights_at": "_weights_at", "race": "_race",
        "open_model": "_open_model", "confusion": "_confusion",
    }

    def __init__(self, send, lab: Lab, name: str = "session", reach=unknown_reach):
        self.lab = lab
        self.name = name
        self.reach = reach  # () -> {"reachable", "lan_address"}: can the class get here?
        self.outbox = Outbox(send, name=f"outbox-{name}")
        self.runs: dict[str, Run] = {}
        self.followed: dict[str, Run] = {}  # shared runs this session watches
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
            followed = list(self.followed.values())
            self.followed.clear()
        for run in followed:
            if run.audience.remove(self):
                self.tell_followers(run)
        stopped = []
        for run in runs:
            share = self.lab.shares.of(run)
            if share is None or share.ended:
                run.stop()
                stopped.append(run)
                continue
            with run.audience.lock:  # the class's run outlives this socket
                if run.audience.controller is self:
                    run.audience.controller = None
                    self.lab.shares.orphan(share)
        runs = stopped
        self.outbox.close()
        for run in runs:
            if run.thread.is_alive():
                run.thread.join(JOIN_TIMEOUT)
            self.lab.history.release(run.timeline)
        self.lab.session_closed()

    # -- runs --------------------------------------------------------------------

    def run(self, run_id=None) -> Run:
        """The run ``run_id`` (the newest when None) of this session, or one it follows."""
        with self._lock:
            if run_id is None:
                if not self.runs and not self.followed:
                    raise ProtocolError("no_model", "no run yet: send 'train' first", "run_id")
                return next(reversed((self.runs or self.followed).values()))
            if run_id in self.runs:
                return self.runs[run_id]
            if run_id in self.followed:
                return self.followed[run_id]
            raise protocol.invalid("run_id", f"no run {run_id!r} on this connection")

    def own_run(self, request) -> Run:
        """The run a control message addresses; a followed run is refused (`forbidden`)."""
        run = self.run(request.get("run_id"))
        if self.runs.get(run.id) is not run:
            raise ProtocolError(
                "forbidden", f"run {run.id} is the presenter's shared run: a follower "
                f"cannot {FOLLOWER_REFUSED[request['type']]} it (it can predict and "
                "explain)", "run_id")
        return run

    def unfollow(self, run: Run):
        with self._lock:
            if self.followed.get(run.id) is run:
                del self.followed[run.id]

    def tell_followers(self, run: Run):
        """Tell the run's controlling session how many follow it now."""
        controller = run.audience.controller
        if controller is not None:
            controller.put(protocol.followers(run.id, len(run.audience.followers)))

    def forget(self, run: Run, release=True):
        """Drop ``run`` from this connection; its timeline too unless another keeps the run."""
        with self._lock:
            if self.runs.get(run.id) is run:
                del self.runs[run.id]
        if release:
            self.lab.history.release(run.timeline)

    def run_finished(self, run: Run):
        """Keep at most max_kept_runs finished runs: drop the oldest."""
        with self._lock:
            finished = [r for r in self.runs.values() if r.finished]
            dropped = finished[:max(0, len(finished) - self.lab.max_kept_runs)]
            for old in dropped:
                del self.runs[old.id]
        for old in dropped:
            share = self.lab.shares.of(old)
            if share is not None:
                self.lab.shares.end(share, "dropped")
            self.lab.history.release(old.timeline)

    # -- handlers ------------------------------------------------------------------

    def _train(self, request):
        request, info = self._check_train(request)
        with self._lock:
            if request["run_id"] in self.runs:
                raise protocol.invalid("run_id", f"{request['run_id']!r} is already used "
                                       "on this connection")
            self._check_room()
            run = Run(self, request, info)
            self.runs[run.id] = run
        run.thread.start()

    def _race(self, request):
        request, _ = self._check_train(request)
        with self._lock:
            self._check_room()
            race = Race(self, request)
            for run in race.runs:
                self.runs[run.id] = run
        self.put(protocol.race_started(race.id, [
            {"run_id": run.id, "optimizer": run.params["optimizer"]} for run in race.runs]))
        race.thread.start()

    def _open_model(self, request):
        path = self.lab.models_dir / f"{request['name']}.npz"
        if not path.is_file():
            raise ProtocolError("no_model", f"no saved model named {request['name']!r}", "name")
        try:
            model = NeuralNetwork.load(path, max_params=self.lab.limits.max_parameters)
        except ValueError as exc:
            raise protocol.invalid("name", f"not a valid model file: {exc}") from None
        run = OpenedRun(self, request, model)
        with self._lock:
            if request["run_id"] in self.runs:
                raise protocol.invalid("run_id", f"{request['run_id']!r} is already used "
                                       "on this connection")
            self.runs[run.id] = run
        try:
            run.open()
        except Exception:
            self.forget(run)
            raise

    def _check_room(self):
        """Refuse a new training past max_active_runs (a race counts as one)."""
        lab = self.lab
        active = len({r.race_id or r.id for r in self.runs.values() if not r.finished})
        if active >= lab.max_active_runs:
            raise ProtocolError("busy", f"{active} runs are already training on this "
                                f"connection (at most {lab.max_active_runs}); stop one "
                                "first")

    def _check_train(self, request):
        """Check what a `train` (or `race`) asks against the data set.

        Return ``(request with its data set's kind decided, the data set's info)``.
        """
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
        request = protocol.settings.for_dataset(request, info["kind"])
        n_test = int(info["n_test"])
        if info["kind"] == protocol.settings.POINTS:  # drawn now: cheap, and sized by n_points
            n_test = len(lab.dataset(request["dataset"],
                                     protocol.settings.data_params(request)).y_test)
        for i in request["probe"]:
            if i >= n_test:
                raise protocol.invalid("probe", f"index {i} is out of range [0, {n_test - 1}]")
        return request, info

    def _control(self, request):
        self.own_run(request).control(request["type"])

    def _speed(self, request):
        self.own_run(request).set_delay(request["delay_ms"])

    def _predict(self, request):
        run = self.run(request["run_id"])
        if request["iteration"] is None:
            model, at = run.predictor(), run.latest_iteration
        else:
            kept = run.kept(request["iteration"])
            model, at = run.model_of(kept.thetas), kept.iteration
        fields = predict(model, request, run.dataset)
        self.put(protocol.prediction(request["request_id"], run.id, **fields, iteration=at))

    def _explain(self, request):
        for frame in explain(self.run(request["run_id"]), request):
            self.put(frame)

    def _history(self, request):
        run = self.run(request["run_id"])
        extra = {} if run.race_id is None else {"race_id": run.race_id}
        self.put(protocol.history(run.id, list(run.history), run.timeline.summary(),
                                  run.finished, request_id=request["request_id"], **extra))

    def _weights_at(self, request):
        run = self.run(request["run_id"])
        kept = run.kept(request["iteration"])
        self.put(protocol.encode_weights(
            run.id, kept.iteration, kept.thetas, request_id=request["request_id"],
            probe_activations=None if kept.probe is None else protocol.probe_rows(kept.probe)))

    def _confusion(self, request):
        self.put(self.lab.confusions.answer(self.run(request["run_id"]), request))

    def _gradient_check(self, request):
        self.put(gradient_check(self.own_run(request), request["variant"]))

    def _save(self, request):
        run = self.own_run(request)
        if not run.finished or run.model is None or run.model.thetas is None:
            raise ProtocolError("no_model", f"run {run.id} has not finished; stop it or wait "
                                "for 'done' before saving", "run_id")
        directory = self.lab.models_dir
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{request['name']}.npz"
        tmp = directory / f".{request['name']}.{threading.get_ident()}.tmp"
        save_run(run, tmp)
        tmp.replace(path)
        self.put(protocol.saved(run.id, request["name"]))

    # -- sharing with a class ----------------------------------------------------------

    def _share(self, request):
        run = self.own_run(request)
        share = self.lab.shares.share(run)
        reach = self.reach()
        self.put(protocol.shared(run.id, share.token, share.control_token, reach["reachable"],
                                 reach["lan_address"], len(run.audience.followers)))

    def _follow(self, request):
        share = self.lab.shares.find(request["token"])
        run = share.run
        if self.runs.get(run.id) is run:
            raise protocol.invalid("token", f"this connection controls run {run.id}; "
                                   "a follower is another page")
        with run.audience.lock:
            self.put(protocol.following(run.id, share.token))
            replay(run, self)
            run.audience.add(self)
            with self._lock:
                self.followed[run.id] = run
        self.tell_followers(run)

    def _claim(self, request):
        share = self.lab.shares.find(request["control_token"], "control_token", by_control=True)
        run = share.run
        with self._lock:
            if run.id in self.runs and self.runs[run.id] is not run:
                raise protocol.invalid("control_token", f"this connection already has a run "
                                       f"named {run.id!r}")
        with run.audience.lock:
            before = run.audience.controller
            if before is not None and before is not self:
                before.forget(run, release=False)  # another tab held it: this one takes over
                before.put(protocol.share_ended(run.id, share.token, "claimed"))
            if run.audience.remove(self):
                self.unfollow(run)
            self.put(protocol.claimed(run.id, share.token, share.control_token,
                                      len(run.audience.followers)))
            if run.audience.controller is not self:
                replay(run, self)
            run.audience.controller = run.session = self
            with self._lock:
                self.runs[run.id] = run
        self.lab.shares.adopted(share)

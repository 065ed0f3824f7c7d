"""Server → client: one builder per message type, each returning a JSON-ready dict.

The builders are listed in ``SERVER_MESSAGES`` (the binary `weights` frame is
built by :mod:`.frames`). Encoding a dict into a frame is :func:`.frames.encode`.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ERROR_CODES, ProtocolError
from .frames import encode_gradients, encode_weights
from .limits import Limits
from .reader import is_request_id
from .settings import optimizers_json, settings_json, variants_json

PROTOCOL_VERSION = 1
RUN_STATES = ("queued", "running", "paused", "stopping")
DONE_REASONS = ("max_iter", "converged", "stopped", "max_fun", "failed", "diverged", "error")
# Every `done` carries all of these; a run that trained nothing has them null.
DONE_FIELDS = ("n_iter", "n_fev", "elapsed", "cost", "val_cost", "test_cost",
               "train_accuracy", "val_accuracy", "test_accuracy", "confusion_matrix",
               "misclassified", "misclassified_predicted", "n_misclassified", "cpu_time",
               "n_fev_equiv", "streaming_time")


def rounded(a, decimals=5) -> list:
    """An array as a short JSON list: activations do not need 17 digits."""
    return np.round(np.asarray(a, dtype=np.float64), decimals).tolist()


def num(x):
    """A float for JSON: None for missing, NaN or infinite values."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def ready(limits: Limits, datasets: list, models_dir_writable: bool = True) -> dict:
    return {"type": "ready", "protocol": PROTOCOL_VERSION, "limits": limits.to_json(),
            "datasets": datasets, "settings": settings_json(limits),
            "optimizers": optimizers_json(), "gradient_check_variants": variants_json(),
            "can_save": models_dir_writable}


def started(run_id, layer_sizes, params: dict, dataset: dict, probe: dict, **extra) -> dict:
    """A run began; ``extra``: `race_id` for a race's contender, `opened` for a saved run."""
    return {"type": "started", "run_id": run_id, "layer_sizes": [int(n) for n in layer_sizes],
            "params": params, "dataset": dataset, "probe": probe, **extra}


def iteration_scalars(info) -> dict:
    """The numbers of one optimizer iteration (``info``: the engine's IterationInfo).

    ``class_accuracy`` is per class on the validation set when there is one, else on
    the training set.
    """
    per_class = info.val_class_accuracy if info.val_accuracy is not None else (
        info.class_accuracy)
    return {
        "iteration": int(info.iteration), "n_fev": int(info.n_fev),
        "cost": num(info.cost), "val_cost": num(info.val_cost),
        "train_accuracy": num(info.train_accuracy),
        "val_accuracy": num(info.val_accuracy),
        "grad_norm": num(info.grad_norm), "elapsed": round(float(info.elapsed), 4),
        "class_accuracy": None if per_class is None else [
            None if v is None else round(v, 4) for v in map(num, per_class)],
        "grad_norms": [num(n) for n in getattr(info, "grad_norms", ())],
    }


def iteration(run_id, info, probe_activations) -> dict:
    """One optimizer iteration: ``info`` (an IterationInfo, or the dict of
    :func:`iteration_scalars` taken earlier) and the probe's activations.

    ``probe_activations[layer]`` is (n_probe, units) for the hidden and output layers.
    """
    scalars = info if isinstance(info, dict) else iteration_scalars(info)
    # [probe sample][layer (hidden..., output)][unit]
    return {"type": "iteration", "run_id": run_id, **scalars,
            "probe_activations": probe_rows(probe_activations)}


class LazyIteration:
    """An `iteration` frame built when it is sent (in the outbox's sender thread).

    An outbox coalesces a run's pending iteration frames for a slow client; the one
    it finally sends carries the scalars of those it replaced in ``skipped``
    (:func:`merge_coalesced`), so the client's curves lose no point.
    """

    __slots__ = ("run_id", "scalars", "probe")

    def __init__(self, run_id, scalars: dict, probe_activations):
        self.run_id, self.scalars, self.probe = run_id, scalars, probe_activations

    def __call__(self, skipped=()) -> dict:
        msg = iteration(self.run_id, self.scalars, self.probe)
        if skipped:
            msg["skipped"] = list(skipped)
        return msg


def merge_coalesced(newest, replaced: list):
    """The payload to send for a coalesced frame: ``newest``, which replaced ``replaced``
    (oldest first) in an outbox.

    A :class:`LazyIteration` (also seen through a wrapper's ``make``, such as a shared
    run's encode-once payload) carries the scalars of the iterations it replaced, in
    order, in ``skipped``; any other frame is the newest alone.
    """
    def unwrapped(payload):
        return getattr(payload, "make", payload)

    lazy = unwrapped(newest)
    if not isinstance(lazy, LazyIteration):
        return newest
    skipped = [p.scalars for p in map(unwrapped, replaced) if isinstance(p, LazyIteration)]
    return (lambda: lazy(skipped)) if skipped else newest


def evaluation(run_id, n_fev, cost) -> dict:
    return {"type": "evaluation", "run_id": run_id, "n_fev": int(n_fev), "cost": num(cost)}


def state(run_id, value: str, **extra) -> dict:
    assert value in RUN_STATES, value
    return {"type": "state", "run_id": run_id, "state": value, **extra}


def done(run_id, reason, message, **metrics) -> dict:
    """The end of a run; ``metrics`` are exactly the documented ``DONE_FIELDS``."""
    assert reason in DONE_REASONS, reason
    assert set(metrics) == set(DONE_FIELDS), set(metrics) ^ set(DONE_FIELDS)
    return {"type": "done", "run_id": run_id, "reason": reason, "message": message, **metrics}


def prediction(request_id, run_id, label, class_name, probabilities, activations,
               image, image_shape, **extra) -> dict:
    return {
        "type": "prediction", "request_id": request_id, "run_id": run_id,
        "label": label, "class_name": class_name,
        "probabilities": rounded(probabilities, 6),
        "activations": [rounded(a) for a in activations],
        "image": rounded(image, 4), "image_shape": image_shape, **extra,
    }


def explanation(request_id, run_id, iteration, layers, cost, **fields) -> dict:
    """One input's forward and backward pass; ``layers`` and ``cost`` unrounded.

    ``layers``: ``[{"a"}, {"z", "a", "delta"}, ...]`` from the input to the output;
    ``fields`` the other documented fields (target, why, frames, ...).
    """
    return {"type": "explanation", "request_id": request_id, "run_id": run_id,
            "iteration": int(iteration),
            "layers": [{k: np.asarray(v, dtype=np.float64).tolist() for k, v in layer.items()}
                       for layer in layers],
            "cost": {k: (num(v) if np.isscalar(v) else [num(x) for x in v])
                     for k, v in cost.items()},
            **fields}


def gradient_check_result(run_id, relative_difference, n_coordinates, **fields) -> dict:
    """``relative_difference`` and ``n_coordinates`` are the run's network's check;
    ``fields`` the documented rest (variant, verdict, checks, message)."""
    return {"type": "gradient_check_result", "run_id": run_id,
            "relative_difference": float(relative_difference),
            "n_coordinates": int(n_coordinates), **fields}


def saved(run_id, name) -> dict:
    return {"type": "saved", "run_id": run_id, "name": name}


# grad_norms: a list per iteration (one norm per weight matrix); null for a run
# reopened from a file, which keeps the other columns only.
HISTORY_METRICS = ("iteration", "n_fev", "n_fev_equiv", "cpu_time", "cost", "val_cost",
                   "train_accuracy", "val_accuracy", "grad_norm", "elapsed", "grad_norms")


def history(run_id, scalars: list[dict], timeline: dict, finished: bool, **extra) -> dict:
    """A run's every iteration as columns, and which iterations have kept weights.

    ``scalars`` are the runs's iteration dicts; ``timeline`` is
    ``Timeline.summary()`` (``kept``, ``stride``, ``bytes``, ``budget_bytes``).
    """
    columns = {name: [s.get(name) for s in scalars] for name in HISTORY_METRICS}
    return {"type": "history", "run_id": run_id, "metrics": columns, **timeline,
            "finished": bool(finished), **extra}


def confusion(request_id, run_id, iteration, split, matrix, **fields) -> dict:
    """A run's confusion matrix on ``split`` at kept ``iteration`` (rows: true class);
    ``fields``: ``n_samples``, ``accuracy``, ``class_accuracy``."""
    return {"type": "confusion", "request_id": request_id, "run_id": run_id,
            "iteration": int(iteration), "split": split, "matrix": matrix, **fields}


def race_started(race_id, contenders: list[dict]) -> dict:
    """A race was accepted: its contenders' ``{"run_id", "optimizer"}``, in racing order."""
    return {"type": "race_started", "race_id": race_id, "contenders": contenders}


def race_done(race_id, results: list[dict], same_start) -> dict:
    """Every contender finished: one row each; ``same_start`` is the largest difference
    between two contenders' initial weights (0.0; None if none started)."""
    return {"type": "race_done", "race_id": race_id, "results": results,
            "same_start": same_start}


def probe_rows(probe_activations) -> list:
    """``[layer][probe sample, unit]`` → ``[probe sample][layer][unit]``, as `iteration` sends."""
    n_probe = len(probe_activations[0]) if len(probe_activations) else 0
    return [[rounded(layer[i]) for layer in probe_activations] for i in range(n_probe)]


def error(code, message, field=None, request_type=None, request_id=None, **extra) -> dict:
    """A refused request; ``extra`` adds documented fields (the `run_id` of a busy run)."""
    assert code in ERROR_CODES, code
    return {"type": "error", "code": code, "message": message, "field": field,
            "request_type": request_type, "request_id": request_id, **extra}


def error_from(exc: ProtocolError, request: dict | None = None) -> dict:
    """The reply to a refused request, echoing its type and request id when known."""
    request = request if isinstance(request, dict) else {}
    rtype = request.get("type") if isinstance(request.get("type"), str) else None
    rid = request.get("request_id")
    if not is_request_id(rid):
        rid = None
    return error(exc.code, exc.message, exc.field, rtype and rtype[:40], rid)


def shared(run_id, token, control_token, reachable, lan_address, followers=0) -> dict:
    """The answer to `share`: the follow link's path and whether the class can reach it."""
    return {"type": "shared", "run_id": run_id, "token": token,
            "control_token": control_token, "path": f"/follow/{token}",
            "reachable": reachable, "lan_address": lan_address, "followers": followers}


def following(run_id, token) -> dict:
    return {"type": "following", "run_id": run_id, "token": token}


def claimed(run_id, token, control_token, followers) -> dict:
    return {"type": "claimed", "run_id": run_id, "token": token,
            "control_token": control_token, "path": f"/follow/{token}",
            "followers": followers}


def followers(run_id, count) -> dict:
    return {"type": "followers", "run_id": run_id, "count": int(count)}


def catchup(run_id, iterations: list, state_value: str) -> dict:
    """A late joiner's history: every kept iteration's scalars before the newest one."""
    return {"type": "catchup", "run_id": run_id, "iterations": iterations,
            "state": state_value}


def share_ended(run_id, token, reason: str) -> dict:
    return {"type": "share_ended", "run_id": run_id, "token": token, "reason": reason}


SERVER_MESSAGES = {
    "shared": shared,
    "following": following,
    "claimed": claimed,
    "followers": followers,
    "catchup": catchup,
    "share_ended": share_ended,
    "ready": ready,
    "started": started,
    "iteration": iteration,
    "evaluation": evaluation,
    "state": state,
    "done": done,
    "prediction": prediction,
    "explanation": explanation,
    "gradient_check_result": gradient_check_result,
    "saved": saved,
    "history": history,
    "confusion": confusion,
    "race_started": race_started,
    "race_done": race_done,
    "error": error,
    "weights": encode_weights,
    "gradients": encode_gradients,
}

"""The wire protocol of docs/protocol.md: parse and validate what the client sends,
build what the server sends.

Nothing here touches a socket, a thread or the engine. Every client message type
has a validator in ``CLIENT_MESSAGES``; every server message type has a builder in
``SERVER_MESSAGES``. A validator returns a new dict with every default filled in,
or raises :class:`ProtocolError`, which :func:`error` turns into the reply.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from dataclasses import asdict, dataclass

import numpy as np

from .settings import SETTING, Setting, optimizers_json, settings_json, wire_settings

PROTOCOL_VERSION = 1

OPTIMIZERS = tuple(SETTING["optimizer"].choices)
IMAGE_FORMATS = {"gray8": 1, "rgba8": 4}
SPLITS = ("train", "test")
ERROR_CODES = (
    "invalid_field", "bad_message", "unknown_type", "no_model", "busy", "too_large",
    "internal",
)
RUN_STATES = ("queued", "running", "paused", "stopping")
DONE_REASONS = ("max_iter", "converged", "stopped", "max_fun", "failed", "diverged", "error")

# \Z, not $: "$" also matches before a trailing newline.
_ID_RE = re.compile(r"\A[A-Za-z0-9_-]{1,40}\Z")
_NAME_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def _short(value, limit=60):
    """Return ``repr(value)`` cut to ``limit`` characters: errors must not echo megabytes."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server; every cap is configurable."""

    max_hidden_layers: int = 4          # hidden layers per network
    max_units: int = 512                # units per hidden layer
    max_parameters: int = 1_000_000     # weights + biases of one network
    max_iter: int = 2000                # optimizer iterations per run
    max_probe: int = 16                 # probe samples streamed per iteration
    max_image_side: int = 1024          # width/height of a predict bitmap
    max_message_bytes: int = 4_000_000  # one incoming WebSocket message
    max_delay_ms: int = 5000            # the `speed` delay

    def to_json(self) -> dict:
        return asdict(self)


class ProtocolError(ValueError):
    """A request the server refuses: ``code`` from ERROR_CODES, ``field`` at fault."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.request = None  # the decoded message, when it got that far


def invalid(field: str, message: str) -> ProtocolError:
    return ProtocolError("invalid_field", f"{field}: {message}", field)


# --------------------------------------------------------------------------- reading

class _Reader:
    """Read typed fields out of one message; complain about the ones nobody read."""

    def __init__(self, msg: dict, prefix: str = ""):
        self.msg = msg
        self.prefix = prefix
        self.seen = {"type"}

    def _name(self, field):
        return self.prefix + field

    def has(self, field) -> bool:
        return field in self.msg and self.msg[field] is not None

    def raw(self, field, default=None):
        self.seen.add(field)
        value = self.msg.get(field, default)
        return default if value is None else value

    def int(self, field, lo, hi, default=None, *, required=False):
        if not self.has(field):
            self.seen.add(field)
            if required:
                raise invalid(self._name(field), "is required")
            return default
        value = self.raw(field)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(self._name(field), f"must be an integer in [{lo}, {hi}]")
        if not lo <= value <= hi:
            raise invalid(self._name(field), f"{value} is out of range [{lo}, {hi}]")
        return value

    def float(self, field, lo, hi, default=None, *, lo_open=False):
        if not self.has(field):
            self.seen.add(field)
            return default
        value = self.raw(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(self._name(field), "must be a number")
        value = float(value)
        low_ok = value > lo if lo_open else value >= lo
        if not (math.isfinite(value) and low_ok and value <= hi):
            bracket = "(" if lo_open else "["
            raise invalid(self._name(field), f"{value} is out of range {bracket}{lo}, {hi}]")
        return value

    def choice(self, field, allowed, default=None):
        if not self.has(field):
            self.seen.add(field)
            return default
        value = self.raw(field)
        if value not in allowed:
            raise invalid(self._name(field), f"{_short(value)} is not one of {list(allowed)}")
        return value

    def ident(self, field, default=None):
        """A run id or data set id: 1-40 letters, digits, '_' or '-'."""
        if not self.has(field):
            self.seen.add(field)
            return default
        value = self.raw(field)
        if not isinstance(value, str) or not _ID_RE.match(value):
            raise invalid(self._name(field),
                          "must be 1-40 characters of letters, digits, '_' or '-'")
        return value

    def int_list(self, field, min_len, max_len, lo, hi, default):
        if not self.has(field):
            self.seen.add(field)
            return list(default)
        value = self.raw(field)
        if not isinstance(value, list) or not min_len <= len(value) <= max_len:
            raise invalid(self._name(field),
                          f"must be a list of {min_len} to {max_len} integers")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or not lo <= item <= hi:
                raise invalid(self._name(field),
                              f"every entry must be an integer in [{lo}, {hi}], got {_short(item)}")
        return list(value)

    def request_id(self):
        if not self.has("request_id"):
            self.seen.add("request_id")
            return None
        value = self.raw("request_id")
        ok_int = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53
        ok_str = isinstance(value, str) and len(value) <= 64
        if not (ok_int or ok_str):
            raise invalid("request_id", "must be an integer or a string of at most 64 characters")
        return value

    def finish(self):
        extra = sorted(set(self.msg) - self.seen)
        if extra:
            raise invalid(self._name(extra[0]), "is not a known field of this message")


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def decode(data, limits: Limits) -> dict:
    """Turn one incoming frame into a message dict with a string ``type``."""
    if isinstance(data, (bytes, bytearray)):
        raise ProtocolError("bad_message", "binary frames are not accepted from clients")
    if len(data) > limits.max_message_bytes:
        raise ProtocolError("too_large", f"message is {len(data)} bytes, "
                            f"the limit is {limits.max_message_bytes}")
    try:
        msg = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_message", f"not valid JSON: {exc}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad_message", "a message must be a JSON object")
    kind = msg.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("bad_message", "a message needs a string 'type'", "type")
    if kind not in CLIENT_MESSAGES:
        exc = ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}; known: "
                            f"{sorted(CLIENT_MESSAGES)}", "type")
        exc.request = msg
        raise exc
    return msg


def parse(data, limits: Limits) -> dict:
    """Decode and validate one client frame; raise ProtocolError when it is wrong.

    The error carries the decoded message (``exc.request``) once there is one, so
    that the reply can echo its type and request id.
    """
    msg = None
    try:
        msg = decode(data, limits)
        return CLIENT_MESSAGES[msg["type"]](msg, limits)
    except ProtocolError as exc:
        exc.request = msg
        raise


# --------------------------------------------------------------------------- client → server

def _read_setting(r: _Reader, s: Setting, limits: Limits):
    """Read one train setting as its row in ``settings.SETTINGS`` describes it."""
    default = s.default_for(None, limits)
    lo, hi = s.bound("min", limits), s.bound("max", limits)
    readers = {
        "int": lambda: r.int(s.name, lo, hi, default),
        "float": lambda: r.float(s.name, lo, hi, default, lo_open=s.min_open),
        "ints": lambda: r.int_list(s.name, s.min_length, s.bound("max_length", limits),
                                   lo, hi, default),
        "choice": lambda: r.choice(s.name, s.choices, default),
        "dataset": lambda: r.ident(s.name, default),
        "ident": lambda: r.ident(s.name, default),
    }
    return readers[s.type]()


def validate_train(msg: dict, limits: Limits) -> dict:
    """Fill the defaults of a `train` request and check every range (settings.SETTINGS)."""
    r = _Reader(msg)
    out = {"type": "train"}
    for s in wire_settings():
        out[s.name] = _read_setting(r, s, limits)
    r.finish()
    return out


def validate_control(msg: dict, limits: Limits) -> dict:
    """`pause`, `resume`, `step`, `stop`, `gradient_check`: just a run id."""
    r = _Reader(msg)
    out = {"type": msg["type"], "run_id": r.ident("run_id")}
    r.finish()
    return out


def validate_speed(msg: dict, limits: Limits) -> dict:
    r = _Reader(msg)
    out = {"type": "speed", "run_id": r.ident("run_id"),
           "delay_ms": r.int("delay_ms", 0, limits.max_delay_ms, required=True)}
    r.finish()
    return out


def validate_save(msg: dict, limits: Limits) -> dict:
    r = _Reader(msg)
    out = {"type": "save", "run_id": r.ident("run_id"),
           "name": model_name(r.raw("name", ""))}
    r.finish()
    return out


def model_name(name) -> str:
    """Sanitise a model name: no path, no dots first, ends up as ``<name>.npz``."""
    if not isinstance(name, str):
        raise invalid("name", "must be a string")
    if name.endswith(".npz"):
        name = name[:-4]
    if not _NAME_RE.match(name) or ".." in name:
        raise invalid("name", "must be 1-64 characters of letters, digits, '_', '-' or '.', "
                      "starting with a letter or digit")
    return name


def validate_predict_input(msg: dict, limits: Limits, r: _Reader | None = None) -> dict:
    """The input part of a predict request: exactly one of image, vector, sample."""
    r = r or _Reader(msg)
    given = [k for k in ("image", "vector", "sample") if r.has(k)]
    if len(given) != 1:
        raise invalid("image", "give exactly one of 'image', 'vector' or 'sample'")
    kind = given[0]
    value = r.raw(kind)
    if kind == "image":
        return {"image": _image(value, limits)}
    if kind == "vector":
        return {"vector": _vector(value)}
    if not isinstance(value, dict):
        raise invalid("sample", "must be an object {split, index}")
    s = _Reader(value, "sample.")
    sample = {"split": s.choice("split", SPLITS, "test"),
              "index": s.int("index", 0, 10**9, required=True)}
    s.seen.discard("type")
    s.finish()
    return {"sample": sample}


def _image(value, limits: Limits) -> np.ndarray:
    if not isinstance(value, dict):
        raise invalid("image", "must be an object {width, height, format, data}")
    r = _Reader(value, "image.")
    side = limits.max_image_side
    width = r.int("width", 1, side, required=True)
    height = r.int("height", 1, side, required=True)
    fmt = r.choice("format", tuple(IMAGE_FORMATS), "rgba8")
    data = r.raw("data")
    r.seen.discard("type")
    r.finish()
    if not isinstance(data, str):
        raise invalid("image.data", "must be a base64 string")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("image.data", "is not valid base64") from None
    channels = IMAGE_FORMATS[fmt]
    expected = width * height * channels
    if len(raw) != expected:
        raise invalid("image.data", f"holds {len(raw)} bytes; {width}x{height} {fmt} "
                      f"needs {expected}")
    pixels = np.frombuffer(raw, dtype=np.uint8)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.reshape(shape)


def _vector(value) -> np.ndarray:
    if not isinstance(value, list) or not 1 <= len(value) <= 1_000_000:
        raise invalid("vector", "must be a non-empty list of numbers in [0, 1]")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise invalid("vector", "must be a list of numbers in [0, 1]")
    x = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(x)) or x.min() < 0.0 or x.max() > 1.0:
        raise invalid("vector", "every value must be a finite number in [0, 1]")
    return x


def validate_predict(msg: dict, limits: Limits) -> dict:
    r = _Reader(msg)
    out = {"type": "predict", "request_id": r.request_id(), "run_id": r.ident("run_id")}
    out.update(validate_predict_input(msg, limits, r))
    r.finish()
    return out


CLIENT_MESSAGES = {
    "train": validate_train,
    "pause": validate_control,
    "resume": validate_control,
    "step": validate_control,
    "stop": validate_control,
    "speed": validate_speed,
    "predict": validate_predict,
    "gradient_check": validate_control,
    "save": validate_save,
}


# --------------------------------------------------------------------------- server → client

def _rounded(a, decimals=5) -> list:
    """An array as a short JSON list: activations do not need 17 digits."""
    return np.round(np.asarray(a, dtype=np.float64), decimals).tolist()


def _num(x):
    """A float for JSON: None for missing, NaN or infinite values."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def ready(limits: Limits, datasets: list, models_dir_writable: bool = True) -> dict:
    return {"type": "ready", "protocol": PROTOCOL_VERSION, "limits": limits.to_json(),
            "datasets": datasets, "settings": settings_json(limits),
            "optimizers": optimizers_json(), "can_save": models_dir_writable}


def started(run_id, layer_sizes, params: dict, dataset: dict, probe: dict) -> dict:
    return {"type": "started", "run_id": run_id, "layer_sizes": [int(n) for n in layer_sizes],
            "params": params, "dataset": dataset, "probe": probe}


def iteration(run_id, info, probe_activations) -> dict:
    """One optimizer iteration; ``info`` has the engine's IterationInfo fields."""
    return {
        "type": "iteration", "run_id": run_id,
        "iteration": int(info.iteration), "n_fev": int(info.n_fev),
        "cost": _num(info.cost), "val_cost": _num(info.val_cost),
        "train_accuracy": _num(info.train_accuracy),
        "val_accuracy": _num(info.val_accuracy),
        "grad_norm": _num(info.grad_norm), "elapsed": round(float(info.elapsed), 4),
        # [probe sample][layer (hidden..., output)][unit]
        "probe_activations": [[_rounded(layer[i]) for layer in probe_activations]
                              for i in range(len(probe_activations[0]))]
        if probe_activations else [],
    }


def evaluation(run_id, n_fev, cost) -> dict:
    return {"type": "evaluation", "run_id": run_id, "n_fev": int(n_fev), "cost": _num(cost)}


def state(run_id, value: str, **extra) -> dict:
    assert value in RUN_STATES, value
    return {"type": "state", "run_id": run_id, "state": value, **extra}


def done(run_id, reason, message, **metrics) -> dict:
    """The end of a run; ``metrics`` are the documented fields."""
    assert reason in DONE_REASONS, reason
    return {"type": "done", "run_id": run_id, "reason": reason, "message": message, **metrics}


def prediction(request_id, run_id, label, class_name, probabilities, activations,
               image, image_shape, **extra) -> dict:
    return {
        "type": "prediction", "request_id": request_id, "run_id": run_id,
        "label": label, "class_name": class_name,
        "probabilities": _rounded(probabilities, 6),
        "activations": [_rounded(a) for a in activations],
        "image": _rounded(image, 4), "image_shape": image_shape, **extra,
    }


def gradient_check_result(run_id, relative_difference, n_coordinates) -> dict:
    return {"type": "gradient_check_result", "run_id": run_id,
            "relative_difference": float(relative_difference),
            "n_coordinates": int(n_coordinates)}


def saved(run_id, name) -> dict:
    return {"type": "saved", "run_id": run_id, "name": name}


def error(code, message, field=None, request_type=None, request_id=None) -> dict:
    assert code in ERROR_CODES, code
    return {"type": "error", "code": code, "message": message, "field": field,
            "request_type": request_type, "request_id": request_id}


def error_from(exc: ProtocolError, request: dict | None = None) -> dict:
    """The reply to a refused request, echoing its type and request id when known."""
    request = request if isinstance(request, dict) else {}
    rtype = request.get("type") if isinstance(request.get("type"), str) else None
    rid = request.get("request_id")
    if not (isinstance(rid, (int, str)) and not isinstance(rid, bool)):
        rid = None
    return error(exc.code, exc.message, exc.field, rtype and rtype[:40], rid)


def encode_weights(run_id, iteration_number, thetas) -> bytes:
    """The binary `weights` frame: uint32 header length, JSON header, float32 data."""
    arrays = [np.ascontiguousarray(t, dtype="<f4") for t in thetas]
    header = json.dumps({"type": "weights", "run_id": run_id,
                         "iteration": int(iteration_number), "dtype": "float32",
                         "shapes": [list(a.shape) for a in arrays]}).encode()
    header += b" " * (-len(header) % 4)
    return b"".join([struct.pack("<I", len(header)), header, *(a.tobytes() for a in arrays)])


def decode_weights(frame: bytes) -> tuple[dict, list[np.ndarray]]:
    """Inverse of :func:`encode_weights` (used by tests and tools)."""
    (n,) = struct.unpack_from("<I", frame, 0)
    header = json.loads(frame[4:4 + n])
    offset, arrays = 4 + n, []
    for shape in header["shapes"]:
        size = int(np.prod(shape))
        arrays.append(np.frombuffer(frame, "<f4", size, offset).reshape(shape))
        offset += 4 * size
    if offset != len(frame):
        raise ValueError(f"weights frame has {len(frame) - offset} trailing bytes")
    return header, arrays


SERVER_MESSAGES = {
    "ready": ready,
    "started": started,
    "iteration": iteration,
    "evaluation": evaluation,
    "state": state,
    "done": done,
    "prediction": prediction,
    "gradient_check_result": gradient_check_result,
    "saved": saved,
    "error": error,
    "weights": encode_weights,
}

"""Client → server: decode one frame, validate it, fill its defaults.

Every client message type has a validator in ``CLIENT_MESSAGES``; a validator
returns a new dict with every default filled in, or raises :class:`ProtocolError`.
The fields of `train` come from the settings table (:mod:`.settings`).
"""

from __future__ import annotations

import base64
import binascii
import json

import numpy as np

from ..core.variants import DEFAULT_VARIANT, VARIANTS
from .errors import ProtocolError, invalid
from .limits import Limits
from .reader import NAME_RE, Reader
from .settings import DATA_PARAMS, SETTING, Setting, wire_settings

IMAGE_FORMATS = {"gray8": 1, "rgba8": 4}
SPLITS = ("train", "test")
CONFUSION_SPLITS = ("train", "validation", "test")  # a run's training part, its validation part


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
        exc.request = exc.request or msg  # decode may have set it (an unknown type)
        raise


# --------------------------------------------------------------------------- client → server

def _read_setting(r: Reader, s: Setting, limits: Limits):
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
    r = Reader(msg)
    out = {"type": "train"}
    for s in wire_settings():
        out[s.name] = _read_setting(r, s, limits)
    r.finish()
    return out


def validate_race(msg: dict, limits: Limits) -> dict:
    """`race`: the `train` settings but `optimizer` and `run_id`, plus `optimizers`."""
    r = Reader(msg)
    out = {"type": "race", "race_id": r.ident("race_id")}
    for s in wire_settings():
        if s.name not in ("optimizer", "run_id"):
            out[s.name] = _read_setting(r, s, limits)
    choices = SETTING["optimizer"].choices
    names = r.raw("optimizers")
    if (not isinstance(names, list) or not 1 <= len(names) <= len(choices)
            or any(n not in choices for n in names) or len(set(names)) != len(names)):
        raise invalid("optimizers", f"must list 1 to {len(choices)} different optimizers "
                      f"of {list(choices)}")
    out["optimizers"] = list(names)
    r.finish()
    return out


def validate_data_query(args, limits: Limits) -> dict:
    """The data set parameters (``noise``, ``n_points``, ``data_seed``) of a URL query.

    ``args`` maps names to strings (Flask's ``request.args``); each is read as its
    train setting's row says, so a page drawing ``/samples?data_seed=3`` and a `train`
    with ``data_seed: 3`` see the same points. Absent ones are left out.
    """
    values = {}
    for name in DATA_PARAMS:
        raw = args.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[name] = json.loads(raw, parse_constant=_reject_constant)
        except ValueError:
            values[name] = raw  # the reader names the field and its range
    r = Reader(values)
    out = {name: _read_setting(r, SETTING[name], limits) for name in values}
    r.finish()
    return out


def validate_control(msg: dict, limits: Limits) -> dict:
    """`pause`, `resume`, `step`, `stop`: just a run id."""
    r = Reader(msg)
    out = {"type": msg["type"], "run_id": r.ident("run_id")}
    r.finish()
    return out


def validate_speed(msg: dict, limits: Limits) -> dict:
    r = Reader(msg)
    out = {"type": "speed", "run_id": r.ident("run_id"),
           "delay_ms": r.int("delay_ms", 0, limits.max_delay_ms, required=True)}
    r.finish()
    return out


def validate_share(msg: dict, limits: Limits) -> dict:
    """`share`: the run to share (the newest when absent)."""
    r = Reader(msg)
    out = {"type": "share", "run_id": r.ident("run_id")}
    r.finish()
    return out


def _token_message(field):
    """`follow` {token} and `claim` {control_token}: one required token."""
    def validate(msg: dict, limits: Limits) -> dict:
        r = Reader(msg)
        value = r.ident(field)
        if value is None:
            raise invalid(field, "is required: the token of a shared run")
        r.finish()
        return {"type": msg["type"], field: value}
    return validate


def validate_save(msg: dict, limits: Limits) -> dict:
    r = Reader(msg)
    out = {"type": "save", "run_id": r.ident("run_id"),
           "name": model_name(r.raw("name", ""))}
    r.finish()
    return out


def validate_open_model(msg: dict, limits: Limits) -> dict:
    """`open_model`: a saved file as a finished run (its data set, or the one named)."""
    r = Reader(msg)
    out = {"type": "open_model", "name": model_name(r.raw("name", "")),
           "dataset": r.ident("dataset"), "run_id": r.ident("run_id"),
           "request_id": r.request_id()}
    r.finish()
    return out


def model_name(name) -> str:
    """Sanitise a model name: no path, no dots first, ends up as ``<name>.npz``."""
    if not isinstance(name, str):
        raise invalid("name", "must be a string")
    if name.endswith(".npz"):
        name = name[:-4]
    if not NAME_RE.match(name) or ".." in name:
        raise invalid("name", "must be 1-64 characters of letters, digits, '_', '-' or '.', "
                      "starting with a letter or digit")
    return name


def validate_predict_input(msg: dict, limits: Limits, r: Reader | None = None) -> dict:
    """The input part of a predict request: exactly one of image, vector, sample."""
    r = r or Reader(msg)
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
    s = Reader(value, "sample.")
    sample = {"split": s.choice("split", SPLITS, "test"),
              "index": s.int("index", 0, 10**9, required=True)}
    s.seen.discard("type")
    s.finish()
    return {"sample": sample}


def _image(value, limits: Limits) -> np.ndarray:
    if not isinstance(value, dict):
        raise invalid("image", "must be an object {width, height, format, data}")
    r = Reader(value, "image.")
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


MAX_ITERATION = 10**9


def validate_predict(msg: dict, limits: Limits) -> dict:
    """`predict` and `explain`: a run, a request id, one input, optionally an iteration."""
    r = Reader(msg)
    out = {"type": msg["type"], "request_id": r.request_id(), "run_id": r.ident("run_id"),
           "iteration": r.int("iteration", 0, MAX_ITERATION)}
    out.update(validate_predict_input(msg, limits, r))
    r.finish()
    return out


def validate_history(msg: dict, limits: Limits) -> dict:
    """`history`: a run's metrics and kept iterations."""
    r = Reader(msg)
    out = {"type": "history", "run_id": r.ident("run_id"), "request_id": r.request_id()}
    r.finish()
    return out


def validate_weights_at(msg: dict, limits: Limits) -> dict:
    """`weights_at`: the weights of a run at one (kept) iteration."""
    r = Reader(msg)
    out = {"type": "weights_at", "run_id": r.ident("run_id"), "request_id": r.request_id(),
           "iteration": r.int("iteration", 0, MAX_ITERATION, required=True)}
    r.finish()
    return out


def validate_confusion(msg: dict, limits: Limits) -> dict:
    """`confusion`: a run's confusion matrix on one split, at a kept iteration (the newest
    when absent)."""
    r = Reader(msg)
    out = {"type": "confusion", "run_id": r.ident("run_id"), "request_id": r.request_id(),
           "iteration": r.int("iteration", 0, MAX_ITERATION),
           "split": r.choice("split", CONFUSION_SPLITS, "test")}
    r.finish()
    return out


def validate_gradient_check(msg: dict, limits: Limits) -> dict:
    r = Reader(msg)
    out = {"type": "gradient_check", "run_id": r.ident("run_id"),
           "variant": r.choice("variant", tuple(VARIANTS), DEFAULT_VARIANT)}
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
    "explain": validate_predict,
    "gradient_check": validate_gradient_check,
    "save": validate_save,
    "share": validate_share,
    "follow": _token_message("token"),
    "claim": _token_message("control_token"),
    "history": validate_history,
    "weights_at": validate_weights_at,
    "confusion": validate_confusion,
    "race": validate_race,
    "open_model": validate_open_model,
}

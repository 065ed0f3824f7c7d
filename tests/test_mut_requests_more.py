"""Client requests decoded and validated in-process, field by field and message by
message (server/protocol/requests.py: the socket and HTTP tests that also reach these
lines are too slow for mutmut's per-mutant budget, so these call the validators
directly and look at the exact dict or the exact error a client gets)."""

from __future__ import annotations

import base64

import pytest

from server.protocol import requests as q
from server.protocol.errors import ProtocolError
from server.protocol.limits import Limits
from server.protocol.settings import SETTING

LIMITS = Limits()
NAME_RULE = ("name: must be 1-64 characters of letters, digits, '_', '-' or '.', "
             "starting with a letter or digit")


def refused(validate, msg, limits=LIMITS) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        validate(msg, limits)
    return info.value


# --------------------------------------------------------------------------- decode

def test_a_nan_or_infinity_constant_is_refused_naming_the_constant():
    for constant in ("NaN", "Infinity", "-Infinity"):
        exc = refused(q.decode, '{"type": "train", "max_iter": ' + constant + "}")
        assert exc.code == "bad_message"
        assert exc.message == f"not valid JSON: {constant} is not valid JSON"


# --------------------------------------------------------------------------- race

def test_a_race_takes_one_to_every_optimizer_each_at_most_once():
    choices = list(SETTING["optimizer"].choices)
    assert len(choices) >= 2
    for names in (choices[:1], choices, choices[::-1]):
        out = q.validate_race({"type": "race", "optimizers": names}, LIMITS)
        assert out["optimizers"] == names and "optimizer" not in out
    rule = f"optimizers: must list 1 to {len(choices)} different optimizers of {choices}"
    for bad in ([], choices + choices[:1], choices[:1] * 2, ["sgd-nope"], "TNC", None):
        exc = refused(q.validate_race, {"type": "race", "optimizers": bad})
        assert (exc.field, exc.message) == ("optimizers", rule), bad


# --------------------------------------------------------------------------- speed

def test_speed_names_its_run_and_delay():
    out = q.validate_speed({"type": "speed", "run_id": "r1", "delay_ms": 250}, LIMITS)
    assert out == {"type": "speed", "run_id": "r1", "delay_ms": 250}
    assert q.validate_speed({"type": "speed", "delay_ms": 0}, LIMITS) == {
        "type": "speed", "run_id": None, "delay_ms": 0}


def test_speed_without_a_delay_is_refused():
    for msg in ({"type": "speed", "run_id": "r1"}, {"type": "speed", "delay_ms": None}):
        exc = refused(q.validate_speed, msg)
        assert (exc.field, exc.message) == ("delay_ms", "delay_ms: is required")


def test_speed_delay_bounds_follow_the_limits():
    limits = Limits(max_delay_ms=40)
    assert q.validate_speed({"type": "speed", "delay_ms": 40}, limits)["delay_ms"] == 40
    exc = refused(q.validate_speed, {"type": "speed", "delay_ms": 41}, limits)
    assert exc.message == "delay_ms: 41 is out of range [0, 40]"


# --------------------------------------------------------------------------- save, open_model

def test_save_names_its_run_and_file():
    out = q.validate_save({"type": "save", "run_id": "r1", "name": "net.npz"}, LIMITS)
    assert out == {"type": "save", "run_id": "r1", "name": "net"}


@pytest.mark.parametrize("validate", [q.validate_save, q.validate_open_model])
@pytest.mark.parametrize("name", ["absent", None, ""])
def test_a_missing_name_is_refused_with_the_naming_rule(validate, name):
    msg = {"type": "x"} if name == "absent" else {"type": "x", "name": name}
    exc = refused(validate, msg)
    assert (exc.code, exc.field, exc.message) == ("invalid_field", "name", NAME_RULE)


def test_open_model_names_its_file_data_set_run_and_request():
    msg = {"type": "open_model", "name": "m1", "dataset": "moons", "run_id": "r2",
           "request_id": "q7"}
    assert q.validate_open_model(msg, LIMITS) == {
        "type": "open_model", "name": "m1", "dataset": "moons", "run_id": "r2",
        "request_id": "q7"}
    assert q.validate_open_model({"type": "open_model", "name": "m1"}, LIMITS) == {
        "type": "open_model", "name": "m1", "dataset": None, "run_id": None,
        "request_id": None}


# --------------------------------------------------------------------------- model_name

@pytest.mark.parametrize("name", [None, 3, ["net"], {"name": "net"}, b"net"])
def test_a_model_name_that_is_not_a_string_is_refused(name):
    with pytest.raises(ProtocolError) as info:
        q.model_name(name)
    exc = info.value
    assert (exc.code, exc.field, exc.message) == (
        "invalid_field", "name", "name: must be a string")


@pytest.mark.parametrize("name", ["", ".npz", ".x", "-x", "a/b", "a..b", "x" * 65, "é"])
def test_a_bad_model_name_gets_the_naming_rule(name):
    with pytest.raises(ProtocolError) as info:
        q.model_name(name)
    assert (info.value.field, info.value.message) == ("name", NAME_RULE)


# --------------------------------------------------------------------------- image data

def _image(data: str) -> dict:
    return {"width": 2, "height": 2, "format": "gray8", "data": data}


@pytest.mark.parametrize("junk", ["!", "\n", " ", "*"])
def test_image_data_with_a_character_outside_base64_is_refused(junk):
    good = base64.b64encode(bytes([1, 2, 3, 4])).decode()
    out = q.validate_predict_input({"image": _image(good)}, LIMITS)
    assert out["image"].tolist() == [[1, 2], [3, 4]]
    for data in (junk + good, good[:4] + junk + good[4:], good + junk):
        exc = refused(q.validate_predict_input, {"image": _image(data)})
        assert (exc.field, exc.message) == ("image.data", "image.data: is not valid base64")

"""The protocol module on its own: validators, builders, the binary weights frame,
and fuzzing of malformed messages through a Session with a fake ``send``."""

from __future__ import annotations

import base64
import json
import math
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server import protocol
from server.live.sharing import _Once
from server.protocol import Limits, ProtocolError
from server.threads import TrainingSlots
from server.training import Lab, Outbox, Session

LIMITS = Limits()


def parse(msg):
    return protocol.parse(json.dumps(msg), LIMITS)


def refused(msg) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        protocol.parse(msg if isinstance(msg, (str, bytes)) else json.dumps(msg), LIMITS)
    return info.value


def test_train_fills_every_default():
    msg = parse({"type": "train"})
    assert msg["dataset"] == "digits20"
    assert msg["hidden_layers"] == [25]
    assert msg["optimizer"] == "TNC"
    assert msg["max_iter"] == 50
    assert msg["probe"] == list(range(8))
    assert msg["delay_ms"] == 0 and msg["weights_interval_ms"] is None  # the data set's kind
    assert msg["run_id"] is None and msg["learning_rate"] is None


@pytest.mark.parametrize("field, value, words", [
    ("hidden_layers", [0], "[1, 512]"),
    ("hidden_layers", [10] * 5, "0 to 4"),
    ("hidden_layers", [513], "[1, 512]"),
    ("hidden_layers", "25", "list"),
    ("regularization_parameter", -1, "[0.0, 10000.0]"),
    ("optimizer", "sgd", "TNC"),
    ("max_iter", 0, "[1, 2000]"),
    ("max_iter", 2001, "[1, 2000]"),
    ("max_iter", True, "integer"),
    ("max_iter", 3.5, "integer"),
    ("validation_fraction", 0.9, "[0.0, 0.5]"),
    ("learning_rate", 0, "(0.0, 100.0]"),
    ("probe", list(range(17)), "0 to 16"),
    ("probe", [-1], "[0,"),
    ("delay_ms", 5001, "[0, 5000]"),
    ("run_id", "../x", "letters"),
    ("dataset", "a b", "letters"),
    ("hiden_layers", [25], "not a known field"),
])
def test_train_range_errors_name_the_field(field, value, words):
    exc = refused({"type": "train", field: value})
    assert exc.code == "invalid_field"
    assert exc.field == field
    assert field in exc.message and words in exc.message


NUMERIC_SETTINGS = [s for s in protocol.settings.wire_settings()
                    if s.type in ("int", "float", "ints")]
SMALL_LIMITS = Limits(max_hidden_layers=2, max_units=8, max_iter=10, max_probe=3,
                      max_delay_ms=100)


def _edges(s, limits):
    """``(accepted, refused)``: a setting's values at the ends of its range and one past.

    Each refused value comes with the text of the range its error must name.
    """
    lo, hi = s.bound("min", limits), s.bound("max", limits)
    values = f"{lo}, {hi}]"
    if s.type == "int":
        return [lo, hi], [(lo - 1, values), (hi + 1, values)]
    if s.type == "float":
        up, down = math.nextafter(hi, math.inf), math.nextafter(lo, -math.inf)
        first = math.nextafter(lo, math.inf) if s.min_open else lo
        return [first, hi], [(lo if s.min_open else down, values), (up, values)]
    longest = s.bound("max_length", limits)
    lengths = f"{s.min_length} to {longest}"
    accepted = [[lo], [hi], [hi] * longest, [lo] * s.min_length]
    refused = [([lo - 1], values), ([hi + 1], values), ([lo] * (longest + 1), lengths)]
    if s.min_length:
        refused.append(([lo] * (s.min_length - 1), lengths))
    return accepted, refused


@pytest.mark.parametrize("limits", [LIMITS, SMALL_LIMITS], ids=["default", "small"])
@pytest.mark.parametrize("s", NUMERIC_SETTINGS, ids=lambda s: s.name)
def test_train_accepts_each_bound_and_refuses_one_past_it(s, limits):
    accepted, refused = _edges(s, limits)
    for value in accepted:
        msg = protocol.parse(json.dumps({"type": "train", s.name: value}), limits)
        assert msg[s.name] == value, (s.name, value)
    for value, words in refused:
        with pytest.raises(ProtocolError) as info:
            protocol.parse(json.dumps({"type": "train", s.name: value}), limits)
        assert info.value.field == s.name, (s.name, value)
        assert s.name in info.value.message and words in info.value.message, info.value.message


def test_limits_are_configurable():
    small = Limits(max_units=8, max_iter=10)
    with pytest.raises(ProtocolError, match=r"\[1, 8\]"):
        protocol.parse(json.dumps({"type": "train", "hidden_layers": [9]}), small)
    assert protocol.parse(json.dumps({"type": "train"}), small)["max_iter"] == 10


@pytest.mark.parametrize("data, code", [
    ("not json", "bad_message"),
    ("[1, 2]", "bad_message"),
    ('{"type": 3}', "bad_message"),
    ('{"no_type": 1}', "bad_message"),
    ('{"type": "train", "max_iter": NaN}', "bad_message"),
    ('{"type": "fly"}', "unknown_type"),
    (b"\x00\x01", "bad_message"),
    ("[" * 100_000 + "]" * 100_000, "bad_message"),
])
def test_malformed_frames_get_a_code(data, code):
    assert refused(data).code == code


def test_message_size_cap():
    exc = refused(json.dumps({"type": "train", "run_id": "x" * 100}) + " " * 4_000_000)
    assert exc.code == "too_large"


def _image(width, height, fmt="gray8", fill=0):
    channels = protocol.IMAGE_FORMATS[fmt]
    data = bytes([fill]) * (width * height * channels)
    return {"width": width, "height": height, "format": fmt,
            "data": base64.b64encode(data).decode()}


def test_predict_image_is_decoded_to_pixels():
    msg = parse({"type": "predict", "request_id": 7, "image": _image(3, 2, "rgba8", 9)})
    assert msg["image"].shape == (2, 3, 4) and msg["image"].dtype == np.uint8
    assert msg["request_id"] == 7


@pytest.mark.parametrize("body, field", [
    ({}, "image"),
    ({"vector": [0.5], "image": _image(2, 2)}, "image"),
    ({"image": {**_image(2, 2), "data": "!!"}}, "image.data"),
    ({"image": {**_image(2, 2), "width": 3}}, "image.data"),
    ({"image": {**_image(2, 2), "width": 2000}}, "image.width"),
    ({"image": {**_image(2, 2), "format": "png"}}, "image.format"),
    ({"vector": [0.5, 2.0]}, "vector"),
    ({"vector": ["a"]}, "vector"),
    ({"sample": {"split": "dev", "index": 1}}, "sample.split"),
    ({"sample": {"index": -1}}, "sample.index"),
    ({"vector": [0.5], "request_id": [1]}, "request_id"),
])
def test_predict_errors_name_the_field(body, field):
    exc = refused({"type": "predict", **body})
    assert exc.field == field, exc.message


@pytest.mark.parametrize("name, ok", [
    ("my-model", "my-model"), ("a.b_c", "a.b_c"), ("net.npz", "net"),
    ("../etc/passwd", None), (".hidden", None), ("a/b", None), ("", None),
    ("x" * 65, None), ("a..b", None), ("con\x00", None),
])
def test_model_names_are_sanitised(name, ok):
    if ok is None:
        with pytest.raises(ProtocolError) as info:
            protocol.model_name(name)
        assert info.value.field == "name"
    else:
        assert protocol.model_name(name) == ok


def test_weights_frame_round_trips_and_matches_the_layout():
    rng = np.random.default_rng(0)
    thetas = [rng.normal(size=(401, 25)), rng.normal(size=(26, 10))]
    frame = protocol.encode_weights("run-1", 12, thetas)
    (n,) = np.frombuffer(frame[:4], "<u4")
    assert n % 4 == 0  # the float data starts 4-byte aligned
    header = json.loads(frame[4:4 + n])
    assert header == {"type": "weights", "run_id": "run-1", "iteration": 12,
                      "dtype": "float32", "shapes": [[401, 25], [26, 10]]}
    assert len(frame) == 4 + n + 4 * (401 * 25 + 26 * 10)
    header, back = protocol.decode_weights(frame)
    for a, b in zip(thetas, back):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match="trailing"):
        protocol.decode_weights(frame + b"\0\0\0\0")


@pytest.mark.parametrize("run_id", [f"r{'x' * k}" for k in range(8)])  # 8 header lengths
def test_binary_frames_pad_any_header_so_the_data_is_aligned(run_id):
    # Float32Array and Float64Array views in the page need the data at a multiple of
    # the item size from the frame's start, whatever the header's length.
    thetas = [np.arange(6.0).reshape(3, 2), np.array([[0.5], [-1.5], [2.5]])]
    frames = [(protocol.encode_weights(run_id, 3, thetas), "<f4"),
              (protocol.encode_gradients("grad_full", run_id, 1, 3, thetas), "<f8")]
    for frame, code in frames:
        size = np.dtype(code).itemsize
        (n,) = np.frombuffer(frame[:4], "<u4")
        json_text = frame[4:4 + n].decode()
        assert (4 + n) % size == 0
        assert len(json_text) - len(json_text.rstrip(" ")) < size  # no more than needed
        data = np.frombuffer(frame, code, offset=4 + n)
        np.testing.assert_array_equal(data, np.concatenate([t.ravel() for t in thetas]))


def test_builders_produce_json():
    class Info:
        iteration, n_fev, cost, grad_norm, elapsed = 3, 9, 0.5, 0.1, 0.25
        train_accuracy, val_cost, val_accuracy = 0.9, float("nan"), None
        class_accuracy = np.array([1.0, 2 / 3, np.nan])  # the last class has no samples
        val_class_accuracy = None

    msg = protocol.iteration("r", Info, [np.zeros((2, 3)), np.ones((2, 4))])
    assert msg["val_cost"] is None  # NaN is not JSON
    assert msg["class_accuracy"] == [1.0, 0.6667, None]
    assert msg["probe_activations"] == [[[0.0] * 3, [1.0] * 4]] * 2
    json.dumps(msg, allow_nan=False)
    assert set(protocol.SERVER_MESSAGES) >= {"started", "iteration", "done", "prediction",
                                            "error", "weights"}


# --------------------------------------------------------------------------- outbox

def test_outbox_coalesces_intermediate_frames_for_a_slow_client():
    sent = []
    gate = threading.Event()

    def slow_send(frame):
        gate.wait()
        sent.append(json.loads(frame))

    outbox = Outbox(slow_send, name="outbox-test")
    outbox.put({"type": "started"})
    for i in range(1, 101):
        outbox.put({"type": "iteration", "iteration": i}, key=("iteration", "r"))
    outbox.put({"type": "done"})
    gate.set()
    assert outbox.flush(5)
    outbox.close()
    types = [m["type"] for m in sent]
    assert types[0] == "started" and types[-1] == "done"
    iterations = [m["iteration"] for m in sent if m["type"] == "iteration"]
    assert iterations[-1] == 100  # the last is never dropped
    assert iterations == sorted(set(iterations)) and len(iterations) <= 2
    assert outbox.coalesced >= 98
    assert not outbox.alive


def test_a_coalesced_iteration_frame_carries_the_scalars_of_those_it_replaced():
    """A slow client gets fewer iteration frames but every iteration's numbers, in order;
    the probe's activations are the newest frame's only. Also through a shared run's
    encode-once wrapper, and a run's other coalesced frames (weights) are the newest alone."""
    sent = []
    gate = threading.Event()

    def slow_send(frame):
        gate.wait()
        sent.append(json.loads(frame))

    def scalars(i):
        return {"iteration": i, "n_fev": 3 * i, "cost": 1.0 / i}

    outbox = Outbox(slow_send, name="outbox-test")
    outbox.put({"type": "started"})
    for i in range(1, 51):
        payload = protocol.LazyIteration("r", scalars(i), [np.full((1, 2), i / 100)])
        outbox.put(payload if i % 2 else _Once(payload), key=("iteration", "r"))
        outbox.put({"type": "weights", "iteration": i}, key=("weights", "r"))
    outbox.put({"type": "done"})
    gate.set()
    assert outbox.flush(5)
    outbox.close()
    frames = [m for m in sent if m["type"] == "iteration"]
    assert len(frames) <= 2 and outbox.coalesced >= 96
    points = [s for m in frames for s in [*m.get("skipped", []), m]]
    assert [p["iteration"] for p in points] == list(range(1, 51))
    assert all(p["cost"] == 1.0 / p["iteration"] and p["n_fev"] == 3 * p["iteration"]
               for p in points)
    assert frames[-1]["probe_activations"] == [[[0.5, 0.5]]]
    assert all("probe_activations" not in s for m in frames for s in m.get("skipped", []))
    weights = [m for m in sent if m["type"] == "weights"]
    assert weights[-1] == {"type": "weights", "iteration": 50} and "skipped" not in weights[-1]


def test_an_iteration_frame_that_replaced_none_has_no_skipped_field():
    frame = protocol.merge_coalesced(protocol.LazyIteration("r", {"iteration": 1}, []), [])
    assert "skipped" not in frame()
    plain = {"type": "evaluation"}
    assert protocol.merge_coalesced(plain, [{"type": "evaluation"}]) is plain


def test_outbox_gives_up_on_a_client_that_never_reads():
    gate = threading.Event()
    outbox = Outbox(lambda frame: gate.wait(), name="outbox-test", max_pending=10)
    accepted = 0
    while outbox.put({"type": "prediction", "i": accepted}) and accepted < 100:
        accepted += 1
    assert accepted in (10, 11)  # 10 queued, plus the one the sender holds
    assert outbox.failed
    gate.set()
    outbox.close()
    assert not outbox.alive


def test_outbox_stops_when_the_transport_fails():
    def broken(frame):
        raise ConnectionError("gone")

    outbox = Outbox(broken, name="outbox-test")
    outbox.put({"type": "done"})
    deadline = time.monotonic() + 5
    while outbox.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outbox.failed and not outbox.alive
    assert not outbox.put({"type": "done"})


# --------------------------------------------------------------------------- fuzzing

@pytest.fixture(scope="module")
def fuzz_session(tmp_path_factory):
    frames = []
    lab = Lab(LIMITS, TrainingSlots(2), tmp_path_factory.mktemp("models"))
    session = Session(frames.append, lab, name="fuzz")
    yield session, frames
    session.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)
# Every message type with random extra or wrong-typed fields, but never a valid
# train (which would start a run) and never without a reply.
FIELDS = ["dataset", "hidden_layers", "regularization_parameter", "optimizer", "max_iter",
          "random_state", "validation_fraction", "probe", "delay_ms", "run_id", "request_id",
          "image", "vector", "sample", "name", "bogus"]


@st.composite
def malformed(draw):
    kind = draw(st.sampled_from(sorted(protocol.CLIENT_MESSAGES) + ["", "Train", "x" * 50]))
    msg = {"type": kind}
    for f in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)):
        msg[f] = draw(json_values)
    msg.setdefault("bogus", draw(json_values))  # an unknown field: never valid
    return json.dumps(msg)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=malformed() | st.text(max_size=50) | st.binary(max_size=20))
def test_every_malformed_message_gets_an_error_and_the_session_goes_on(fuzz_session, data):
    session, frames = fuzz_session
    before = len(frames)
    session.receive(data)
    assert session.outbox.flush(5)
    replies = [json.loads(f) for f in frames[before:]]
    assert len(replies) == 1, replies
    reply = replies[0]
    assert reply["type"] == "error"
    assert reply["code"] in protocol.ERROR_CODES and reply["code"] != "internal", reply
    assert reply["message"]
    assert session.outbox.alive

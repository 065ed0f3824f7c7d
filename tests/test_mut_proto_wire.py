"""The wire's small parts, byte by byte and message by message: frames, the field
reader and the error type (server/protocol/frames.py, reader.py, errors.py; mutants
that the socket tests, which look at whole sessions, did not tell apart)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from server.protocol import frames
from server.protocol.errors import ProtocolError, invalid, short
from server.protocol.reader import MAX_REQUEST_ID, Reader, is_ident, is_request_id

# --------------------------------------------------------------------------- frames

def test_a_dict_is_sent_as_compact_json_and_bytes_as_they_are():
    assert frames.encode({"type": "x", "a": [1, 2.5]}) == '{"type":"x","a":[1,2.5]}'
    assert frames.encode(b"\x00\x01") == b"\x00\x01"
    with pytest.raises(ValueError):  # NaN is not JSON: the page's JSON.parse would fail
        frames.encode({"cost": float("nan")})


def _split(frame: bytes):
    (n,) = struct.unpack_from("<I", frame, 0)
    return n, frame[4:4 + n], frame[4 + n:]


def test_a_weights_frame_is_length_header_padding_and_little_endian_float32():
    a = np.array([[1.0, -2.0, 0.5]])  # (1, 3)
    b = np.array([[3.0], [4.0]])  # (2, 1)
    frame = frames.encode_weights("run_1", 7.0, [a, b], request_id=5)
    n, header, data = _split(frame)
    text = ('{"type":"weights","run_id":"run_1","iteration":7,"request_id":5,'
            '"dtype":"float32","shapes":[[1,3],[2,1]]}')
    pad = -(4 + len(text)) % 4
    assert header == text.encode() + b" " * pad  # padded with spaces only, and no more
    assert (4 + n) % 4 == 0
    assert data == np.array([1.0, -2.0, 0.5, 3.0, 4.0], "<f4").tobytes()
    for run_id in ("r", "rx", "rxx", "rxxx"):  # every header length: float32 pads to 4
        n, header, _ = _split(frames.encode_weights(run_id, 1, [a]))
        assert (4 + n) % 4 == 0 and len(header) - len(header.rstrip(b" ")) < 4


def test_a_header_field_that_is_not_finite_is_refused():
    with pytest.raises(ValueError):  # JSON has no NaN: the page could not read the header
        frames.encode_weights("r", 1, [np.zeros(1)], probe_activations=[[float("nan")]])


def test_a_gradients_frame_carries_its_kind_and_aligns_float64_data():
    frame = frames.encode_gradients("update", "r", "q1", 3, [np.arange(3.0)], from_iteration=1)
    n, header, data = _split(frame)
    assert (4 + n) % 8 == 0 and len(header) - len(header.rstrip(b" ")) < 8
    assert json.loads(header) == {"type": "gradients", "kind": "update", "run_id": "r",
                                  "request_id": "q1", "iteration": 3, "from_iteration": 1,
                                  "dtype": "float64", "shapes": [[3]]}
    assert data == np.arange(3.0).astype("<f8").tobytes()


def test_decoding_returns_each_array_in_its_shape_and_refuses_trailing_bytes():
    arrays = [np.arange(6.0).reshape(2, 3), np.array([[-1.5]]), np.arange(4.0)]
    header, back = frames.decode_weights(frames.encode_gradients("weights", "r", 1, 2, arrays))
    assert header["iteration"] == 2 and header["kind"] == "weights"
    assert [b.dtype for b in back] == [np.dtype("<f8")] * 3
    for want, got in zip(arrays, back):
        np.testing.assert_array_equal(got, want)
    _, back32 = frames.decode_weights(frames.encode_weights("r", 1, arrays))
    assert [b.shape for b in back32] == [(2, 3), (1, 1), (4,)]
    np.testing.assert_array_equal(back32[2], [0.0, 1.0, 2.0, 3.0])
    frame = frames.encode_weights("r", 1, arrays)
    with pytest.raises(ValueError, match=r"^weights frame has 3 trailing bytes$"):
        frames.decode_weights(frame + b"abc")


# --------------------------------------------------------------------------- errors

def test_short_cuts_a_long_repr_to_its_limit_with_an_ellipsis():
    assert short("a" * 58) == repr("a" * 58)  # 60 characters with the quotes: kept
    assert short("a" * 59) == "'" + "a" * 56 + "..."  # 61: cut to 60
    assert len(short("a" * 59)) == 60
    assert short([1, 2, 3], limit=5) == "[1..."
    assert short([1, 2], limit=6) == "[1, 2]"


def test_invalid_names_the_field_in_the_code_the_message_and_the_attribute():
    e = invalid("hidden_layers", "must be a list")
    assert isinstance(e, ProtocolError) and isinstance(e, ValueError)
    assert (e.code, e.message, e.field, e.request) == (
        "invalid_field", "hidden_layers: must be a list", "hidden_layers", None)
    assert str(e) == "hidden_layers: must be a list"
    plain = ProtocolError("busy", "one run at a time")
    assert (plain.code, plain.message, plain.field) == ("busy", "one run at a time", None)


# --------------------------------------------------------------------------- reader

def _refused(call, message):
    with pytest.raises(ProtocolError) as info:
        call()
    assert info.value.code == "invalid_field"
    assert info.value.message == message
    return info.value


def test_ids_are_1_to_40_safe_characters():
    assert is_ident("a") and is_ident("A-z_9" * 8)
    assert not is_ident("") and not is_ident("a" * 41) and not is_ident("a b")
    assert not is_ident(5) and not is_ident(None)


def test_request_ids_are_exact_javascript_integers_or_short_strings():
    assert MAX_REQUEST_ID == 2**53
    assert is_request_id(2**53 - 1) and is_request_id(-(2**53 - 1)) and is_request_id(0)
    assert not is_request_id(2**53) and not is_request_id(-(2**53))
    assert not is_request_id(True) and not is_request_id(1.0) and not is_request_id(None)
    assert is_request_id("x" * 64) and is_request_id("") and not is_request_id("x" * 65)


def test_a_reader_names_fields_with_its_prefix_and_knows_type():
    r = Reader({"type": "train", "a": 1})
    assert r.int("a", 0, 5) == 1
    r.finish()  # type and a were read
    e = _refused(Reader({"type": "t", "zz": 1, "b": 2}).finish,
                 "b: is not a known field of this message")
    assert e.field == "b"
    _refused(Reader({"n": 9}, prefix="contenders[1].").finish,
             "contenders[1].n: is not a known field of this message")
    _refused(lambda: Reader({"n": 9}, prefix="p.").int("n", 0, 3),
             "p.n: 9 is out of range [0, 3]")


def test_has_and_raw_treat_null_as_absent():
    r = Reader({"a": None, "b": 0})
    assert not r.has("a") and r.has("b") and not r.has("c")
    assert r.raw("a", 4) == 4 and r.raw("b", 4) == 0 and r.raw("c", 7) == 7 and r.raw("c") is None
    r.finish()  # raw marks what it read


def test_int_accepts_its_bounds_and_whole_floats_and_names_the_range():
    r = Reader({"lo": 2, "hi": 9, "f": 4.0, "x": None})
    assert r.int("lo", 2, 9) == 2 and r.int("hi", 2, 9) == 9
    value = r.int("f", 2, 9)
    assert value == 4 and type(value) is int
    assert r.int("x", 2, 9, default=3) == 3 and r.int("y", 2, 9) is None
    r.finish()
    _refused(lambda: Reader({"n": 1}).int("n", 2, 9), "n: 1 is out of range [2, 9]")
    _refused(lambda: Reader({"n": 10}).int("n", 2, 9), "n: 10 is out of range [2, 9]")
    for bad in (2.5, "3", True, [3]):
        _refused(lambda bad=bad: Reader({"n": bad}).int("n", 2, 9),
                 "n: must be an integer in [2, 9]")
    _refused(lambda: Reader({}).int("n", 2, 9, required=True), "n: is required")
    _refused(lambda: Reader({"n": None}).int("n", 2, 9, required=True), "n: is required")
    r = Reader({"type": "t"})
    r.int("n", 0, 1)
    r.finish()  # an absent field is marked read too


def test_float_accepts_its_bounds_open_or_closed_and_names_the_range():
    r = Reader({"a": 0, "b": 1.0, "c": 0.5, "n": None})
    assert r.float("n", 0.0, 1.0, default=0.5) == 0.5
    value = r.float("a", 0.0, 1.0)
    assert value == 0.0 and type(value) is float
    assert r.float("b", 0.0, 1.0) == 1.0 and r.float("c", 0.0, 1.0, lo_open=True) == 0.5
    assert r.float("d", 0.0, 1.0, default=0.25) == 0.25
    r.finish()
    _refused(lambda: Reader({"x": 0.0}).float("x", 0.0, 1.0, lo_open=True),
             "x: 0.0 is out of range (0.0, 1.0]")
    _refused(lambda: Reader({"x": -0.5}).float("x", 0.0, 1.0), "x: -0.5 is out of range [0.0, 1.0]")
    _refused(lambda: Reader({"x": 1.5}).float("x", 0, 1), "x: 1.5 is out of range [0, 1]")
    _refused(lambda: Reader({"x": float("inf")}).float("x", 0, float("inf")),
             "x: inf is out of range [0, inf]")
    for bad in (True, "1", [1]):
        _refused(lambda bad=bad: Reader({"x": bad}).float("x", 0, 1), "x: must be a number")


def test_choice_lists_the_allowed_values_and_echoes_a_short_value():
    r = Reader({"c": "b", "n": None})
    assert r.choice("c", ("a", "b")) == "b" and r.choice("d", ("a",), default="a") == "a"
    assert r.choice("n", ("a",)) is None  # null is absent, and counts as read
    r.finish()
    _refused(lambda: Reader({"c": "z"}).choice("c", ("a", "b")), "c: 'z' is not one of ['a', 'b']")
    long = "q" * 100
    _refused(lambda: Reader({"c": long}).choice("c", ("a",)),
             f"c: {short(long)} is not one of ['a']")


def test_ident_reads_an_id_or_names_the_alphabet():
    r = Reader({"i": "run_1", "n": None})
    assert r.ident("n") is None
    assert r.ident("i") == "run_1" and r.ident("j", default="d") == "d"
    r.finish()
    for bad in ("", "a b", 7):
        _refused(lambda bad=bad: Reader({"i": bad}).ident("i"),
                 "i: must be 1-40 characters of letters, digits, '_' or '-'")


def test_int_list_checks_its_length_and_every_entry():
    default = (3, 4)
    r = Reader({"l": [1, 5], "one": [2], "n": None})
    got = r.int_list("l", 1, 2, 1, 5, default)
    assert got == [1, 5] and r.int_list("one", 1, 2, 1, 5, default) == [2]
    assert r.int_list("n", 1, 2, 1, 5, default) == [3, 4]
    missing = r.int_list("m", 1, 2, 1, 5, default)
    assert missing == [3, 4] and isinstance(missing, list)
    r.finish()
    for bad in ([], [1, 2, 3], "12"):
        _refused(lambda bad=bad: Reader({"l": bad}).int_list("l", 1, 2, 1, 5, default),
                 "l: must be a list of 1 to 2 integers")
    for item in (0, 6, True, 2.0, "x"):
        _refused(lambda item=item: Reader({"l": [1, item]}).int_list("l", 1, 2, 1, 5, default),
                 f"l: every entry must be an integer in [1, 5], got {short(item)}")


def test_request_id_is_echoed_or_refused_by_name():
    r = Reader({"request_id": "q"})
    assert r.request_id() == "q"
    r.finish()
    r = Reader({"request_id": None})
    assert r.request_id() is None
    r.finish()  # null is absent, and counts as read
    r = Reader({"type": "t"})
    assert r.request_id() is None
    r.finish()
    e = _refused(lambda: Reader({"request_id": 2**53}, prefix="p.").request_id(),
                 "request_id: must be an integer with |n| < 2^53 (exact in JavaScript) "
                 "or a string of at most 64 characters")
    assert e.field == "request_id"

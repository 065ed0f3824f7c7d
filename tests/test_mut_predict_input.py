"""The input of `predict` and `explain`: every refusal names its field and says what is
wanted (survivors of `make mutate` in server/protocol/requests.py)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from server.protocol import Limits, ProtocolError, validate_predict_input


def image(width=2, height=1, fmt="gray8", data=None, **extra):
    channels = {"gray8": 1, "rgba8": 4}.get(fmt, 1)
    if data is None:
        data = base64.b64encode(bytes(range(width * height * channels))).decode()
    out = {"width": width, "height": height, "data": data, **extra}
    if fmt is not None:
        out["format"] = fmt
    return out


def refused(msg, limits=None):
    with pytest.raises(ProtocolError) as info:
        validate_predict_input(msg, limits or Limits())
    return info.value.code, info.value.field, info.value.message


def test_a_gray8_image_is_height_by_width_and_rgba8_keeps_its_channels():
    gray = validate_predict_input({"image": image(3, 2)}, Limits())["image"]
    assert gray.shape == (2, 3) and gray.dtype == np.uint8
    assert gray.tolist() == [[0, 1, 2], [3, 4, 5]]
    rgba = validate_predict_input({"image": image(1, 2, "rgba8")}, Limits())["image"]
    assert rgba.shape == (2, 1, 4) and rgba[1, 0].tolist() == [4, 5, 6, 7]


def test_rgba8_is_the_format_when_none_is_given():
    data = base64.b64encode(bytes(8)).decode()
    got = validate_predict_input({"image": image(2, 1, None, data)}, Limits())["image"]
    assert got.shape == (1, 2, 4)


@pytest.mark.parametrize("value, field, message", [
    ("abc", "image", "image: must be an object {width, height, format, data}"),
    (image(data=5), "image.data", "image.data: must be a base64 string"),
    (image(data="AAA"), "image.data", "image.data: is not valid base64"),
    (image(data="AA!A"), "image.data", "image.data: is not valid base64"),
    (image(3, 1, data="AAA="), "image.data", "image.data: holds 2 bytes; 3x1 gray8 needs 3"),
])
def test_a_bad_image_is_refused_with_its_field(value, field, message):
    assert refused({"image": value}) == ("invalid_field", field, message)


@pytest.mark.parametrize("missing", ["width", "height"])
def test_an_image_needs_its_width_and_height(missing):
    value = image()
    del value[missing]
    code, field, message = refused({"image": value})
    assert field == f"image.{missing}" and "required" in message


def test_an_image_side_over_the_limit_is_refused_and_the_limit_itself_is_not():
    limits = Limits(max_image_side=4)
    assert validate_predict_input({"image": image(4, 4)}, limits)["image"].shape == (4, 4)
    code, field, _ = refused({"image": image(5, 1)}, limits)
    assert field == "image.width"


@pytest.mark.parametrize("stranger", ["type", "colour"])
def test_an_image_takes_no_other_key_not_even_a_type(stranger):
    code, field, message = refused({"image": image(**{stranger: "x"})})
    assert message == f"image.{stranger}: is not a known field of this message"


@pytest.mark.parametrize("value, message", [
    ([], "vector: must be a non-empty list of numbers in [0, 1]"),
    ("0.5", "vector: must be a non-empty list of numbers in [0, 1]"),
    ([0.5, True], "vector: must be a list of numbers in [0, 1]"),
    ([0.5, "1"], "vector: must be a list of numbers in [0, 1]"),
    ([0.5, 1.5], "vector: every value must be a finite number in [0, 1]"),
    ([-0.1, 0.5], "vector: every value must be a finite number in [0, 1]"),
    ([float("nan")], "vector: every value must be a finite number in [0, 1]"),
])
def test_a_bad_vector_is_refused_with_what_it_must_be(value, message):
    assert refused({"vector": value}) == ("invalid_field", "vector", message)


def test_a_vector_at_the_ends_of_the_unit_range_is_taken_as_floats():
    got = validate_predict_input({"vector": [0, 1, 0.25]}, Limits())["vector"]
    assert got.dtype == np.float64 and got.tolist() == [0.0, 1.0, 0.25]
    assert len(validate_predict_input({"vector": [0.5] * 1_000_000}, Limits())["vector"]) == 10**6
    assert refused({"vector": [0.5] * 1_000_001})[1] == "vector"


def test_exactly_one_input_kind():
    message = "image: give exactly one of 'image', 'vector' or 'sample'"
    assert refused({})[2] == message
    assert refused({"vector": [0.5], "sample": {"index": 0}})[2] == message


def test_a_sample_defaults_to_the_test_split_and_names_its_fields():
    got = validate_predict_input({"sample": {"index": 3}}, Limits())
    assert got == {"sample": {"split": "test", "index": 3}}
    assert refused({"sample": {"index": 3, "type": "x"}})[1] == "sample.type"
    assert refused({"sample": [3]})[1:] == ("sample", "sample: must be an object {split, index}")
    assert refused({"sample": {"split": "train"}})[1] == "sample.index"

"""A toy's data parameters in a URL query (`/samples?noise=...`): read like the `train`
settings of the same names (survivors of `make mutate` in server/protocol/requests.py)."""

from __future__ import annotations

import pytest

from server.protocol import Limits, ProtocolError, validate_data_query


def test_values_are_read_as_json_numbers_and_empty_ones_are_absent():
    got = validate_data_query({"noise": "0.25", "n_points": "", "data_seed": "7"}, Limits())
    assert got == {"noise": 0.25, "data_seed": 7}
    assert validate_data_query({}, Limits()) == {}


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_are_not_numbers_here(raw):
    with pytest.raises(ProtocolError) as info:
        validate_data_query({"noise": raw}, Limits())
    assert info.value.message == "noise: must be a number"  # not "nan is out of range"


@pytest.mark.parametrize("args, field", [
    ({"noise": "1.5"}, "noise"), ({"n_points": "19"}, "n_points"),
    ({"data_seed": "x"}, "data_seed"), ({"n_points": "2.5"}, "n_points"),
])
def test_a_value_out_of_its_row_is_refused_by_name(args, field):
    with pytest.raises(ProtocolError) as info:
        validate_data_query(args, Limits())
    assert info.value.code == "invalid_field" and info.value.field == field

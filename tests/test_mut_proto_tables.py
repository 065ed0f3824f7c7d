"""The builders that make tables at import time, called here directly: a mutant of
one is active only while a test calls it, never while the module's table was built
(`requests._token_message` builds the `follow` and `claim` validators,
`toys._settings` each toy's recommended settings)."""

from __future__ import annotations

import pytest

from server.datasources import toys
from server.protocol import requests
from server.protocol.errors import ProtocolError
from server.protocol.limits import Limits


@pytest.mark.parametrize("field", ["token", "control_token"])
def test_a_token_validator_reads_one_required_token(field):
    validate = requests._token_message(field)
    assert validate({"type": "follow", field: "abc_1"}, Limits()) == {
        "type": "follow", field: "abc_1"}
    with pytest.raises(ProtocolError) as info:
        validate({"type": "claim"}, Limits())
    assert (info.value.code, info.value.field, info.value.message) == (
        "invalid_field", field, f"{field}: is required: the token of a shared run")
    with pytest.raises(ProtocolError) as info:
        validate({"type": "claim", field: "t", "extra": 1}, Limits())
    assert info.value.message == "extra: is not a known field of this message"
    with pytest.raises(ProtocolError) as info:
        validate({"type": "claim", field: "a b"}, Limits())
    assert info.value.field == field


def test_the_table_routes_follow_and_claim_to_their_own_token():
    assert requests.CLIENT_MESSAGES["follow"]({"type": "follow", "token": "t"}, Limits()) == {
        "type": "follow", "token": "t"}
    assert requests.CLIENT_MESSAGES["claim"](
        {"type": "claim", "control_token": "c"}, Limits()) == {
        "type": "claim", "control_token": "c"}


def test_settings_builds_a_train_request_in_the_wires_names():
    hidden = (6, 2)
    got = toys._settings(hidden, 0.1, "TNC", 40, "tanh", 400)
    assert got == {"hidden_layers": [6, 2], "regularization_parameter": 0.1,
                   "optimizer": "TNC", "max_iter": 40, "activation": "tanh", "delay_ms": 400}
    assert type(got["hidden_layers"]) is list


@pytest.mark.parametrize("name, args", [
    ("xor", ([6], 0.1, "TNC", 40, "tanh", 400)),
    ("spiral", ([16, 16], 0.01, "TNC", 150, "tanh", 100)),
    ("gaussians", ([3], 0.1, "TNC", 30, "tanh", 500)),
])
def test_each_toy_recommends_what_settings_builds(name, args):
    assert toys.TOYS[name].recommended == toys._settings(*args)

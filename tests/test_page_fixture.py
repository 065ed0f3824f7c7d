"""The page's JS tests build their settings from tests/js/fixtures/ready-settings.json;
this keeps that file equal to what the server's `ready` really sends."""

from __future__ import annotations

import json
from pathlib import Path

from server.protocol import Limits, ready

FIXTURE = Path(__file__).parent / "js" / "fixtures" / "ready-settings.json"


def test_the_js_fixture_is_what_ready_sends():
    sent = json.loads(json.dumps(ready(Limits(), [])))
    fixture = json.loads(FIXTURE.read_text())
    assert fixture == {"settings": sent["settings"], "optimizers": sent["optimizers"]}, (
        "the settings schema changed: regenerate tests/js/fixtures/ready-settings.json from "
        "server.protocol.ready(Limits(), []) (its 'settings' and 'optimizers')")

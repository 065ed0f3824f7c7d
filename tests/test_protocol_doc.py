"""docs/protocol.md and server/protocol.py describe the same protocol."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server import protocol
from server.protocol import Limits, settings
from server.training import Session

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()


def documented(section: str) -> set[str]:
    """Names in backticks in the ``###`` headings of one ``##`` section."""
    body = re.split(r"^## ", DOC, flags=re.M)
    text = next(part for part in body if part.startswith(section))
    names = set()
    for heading in re.findall(r"^### (.+)$", text, flags=re.M):
        names.update(re.findall(r"`([a-z_]+)`", heading))
    return names


def test_every_client_message_in_the_doc_is_validated_and_handled():
    names = documented("Client → server")
    assert names == set(protocol.CLIENT_MESSAGES)
    assert names == set(Session.HANDLERS)
    assert all(callable(getattr(Session, method)) for method in Session.HANDLERS.values())


def test_every_server_message_in_the_doc_is_built():
    names = documented("Server → client") | documented("Binary frames")
    assert names == set(protocol.SERVER_MESSAGES)


def test_error_codes_and_done_reasons_match_the_doc():
    error_section = DOC.split("### `error`")[1].split("###")[0]
    assert set(re.findall(r'"([a-z_]+)"', error_section.split('"message"')[0])) - {
        "type", "error", "code"} == set(protocol.ERROR_CODES)
    done_section = DOC.split("### `done`")[1].split("###")[0]
    reasons = set(re.findall(r'"([a-z_]+)"', done_section.split('"message"')[0]))
    assert reasons - {"type", "done", "run_id", "reason"} == set(protocol.DONE_REASONS)


def test_the_done_doc_names_every_field_done_carries():
    done_section = DOC.split("### `done`")[1].split("###")[0]
    assert set(protocol.DONE_FIELDS) <= set(re.findall(r'"([a-z_]+)"', done_section))


@pytest.mark.parametrize("block", re.findall(r"```json\n(.*?)```", DOC, flags=re.S))
def test_the_json_examples_are_valid_requests(block):
    msg = json.loads(block)
    validated = protocol.parse(json.dumps(msg), Limits())
    assert validated["type"] == msg["type"]
    for key, value in msg.items():
        if key not in ("image",):
            assert validated[key] == value


def test_the_documented_weights_layout_is_what_encode_weights_writes():
    assert '"shapes": [[401, 25], [26, 10]]' in DOC
    assert "padded with spaces to a multiple of 4" in DOC
    frame = protocol.encode_weights("r", 1, [[[0.0]] * 2])
    assert frame[:4] == (len(frame) - 4 - 4 * 2).to_bytes(4, "little")


def test_the_documented_limits_are_the_ready_message_limits():
    ready_section = DOC.split("### `ready`")[1].split("###")[0]
    assert set(Limits().to_json()) <= set(re.findall(r'"([a-z_]+)"', ready_section))


def test_the_train_table_is_the_settings_table():
    """docs/protocol.md's `train` rows are generated from server/protocol/settings.py."""
    train_section = DOC.split("### `train`")[1].split("\n### ")[0]
    expected = "\n".join(settings.doc_rows())
    assert expected in train_section, "paste into docs/protocol.md:\n" + expected
    optimizers = "\n".join(settings.doc_optimizer_rows())
    assert optimizers in train_section, "paste into docs/protocol.md:\n" + optimizers


def test_the_ready_doc_names_every_key_a_settings_row_may_have():
    ready_section = DOC.split("### `ready`")[1].split("\n### ")[0]
    keys = {key for row in settings.settings_json(Limits()) for key in row}
    assert keys <= set(re.findall(r'"([a-z_]+)"', ready_section))

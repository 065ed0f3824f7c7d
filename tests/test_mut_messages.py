"""The wire shape of the server's small messages, key by key, as the page reads them
(survivors of `make mutate` in server/protocol/messages.py: a renamed key reached no
test, since the socket tests mostly look at a message's type and one field)."""

from __future__ import annotations

from server.protocol import messages as m


def test_the_sharing_messages_carry_their_run_token_and_follow_path():
    assert m.shared("r1", "t", "c", True, "10.0.0.2", 3) == {
        "type": "shared", "run_id": "r1", "token": "t", "control_token": "c",
        "path": "/follow/t", "reachable": True, "lan_address": "10.0.0.2", "followers": 3}
    assert m.shared("r1", "t", "c", False, None)["followers"] == 0
    assert m.following("r1", "t") == {"type": "following", "run_id": "r1", "token": "t"}
    assert m.claimed("r1", "t", "c", 2) == {
        "type": "claimed", "run_id": "r1", "token": "t", "control_token": "c",
        "path": "/follow/t", "followers": 2}
    assert m.followers("r1", 4.0) == {"type": "followers", "run_id": "r1", "count": 4}
    assert isinstance(m.followers("r1", 4.0)["count"], int)
    assert m.share_ended("r1", "t", "stopped") == {
        "type": "share_ended", "run_id": "r1", "token": "t", "reason": "stopped"}
    assert m.catchup("r1", [{"iteration": 1}], "running") == {
        "type": "catchup", "run_id": "r1", "iterations": [{"iteration": 1}], "state": "running"}


def test_saved_and_race_messages():
    assert m.saved("r1", "net") == {"type": "saved", "run_id": "r1", "name": "net"}
    assert m.race_started("q", [{"run_id": "a"}]) == {
        "type": "race_started", "race_id": "q", "contenders": [{"run_id": "a"}]}
    assert m.race_done("q", [], 0.0) == {
        "type": "race_done", "race_id": "q", "results": [], "same_start": 0.0}


def test_history_is_one_column_per_metric_with_the_timeline_and_extras():
    scalars = [{"iteration": 1, "cost": 2.0}, {"iteration": 2, "cost": 1.5, "elapsed": 0.3}]
    timeline = {"kept": [1, 2], "stride": 1, "bytes": 10, "budget_bytes": 100}
    msg = m.history("r1", scalars, timeline, 1, request_id="q")
    assert msg["type"] == "history" and msg["run_id"] == "r1"
    assert list(msg["metrics"]) == list(m.HISTORY_METRICS)
    assert msg["metrics"]["cost"] == [2.0, 1.5] and msg["metrics"]["elapsed"] == [None, 0.3]
    assert msg["finished"] is True and msg["request_id"] == "q"
    assert {k: msg[k] for k in timeline} == timeline

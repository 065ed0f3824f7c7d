"""Memory a run frees goes back to the system (issue 12; the churn figures are in
docs/deploy.md and docs/reliability.md, from bench/load.py --scenario cycles)."""

from __future__ import annotations

from test_training import FakeClient, make_lab, train

import server.live.run
from server.training import Session


def test_every_run_returns_its_freed_memory_when_it_ends(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(server.live.run, "release_freed_memory", lambda: calls.append(1))
    client = FakeClient()
    session = Session(client, make_lab(tmp_path), name="memory")
    for _ in range(2):
        train(session, max_iter=3)
        client.wait_for("done", count=len(calls) + 1)
        session.run().thread.join(10)
    session.close()
    assert len(calls) == 2


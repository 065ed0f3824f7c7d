"""The server from outside, in seconds: a protocol fuzz and disconnect churn (issue 12).

The server runs as a subprocess on a free loopback port and is driven by the
reliability suite's own client (bench/loadlib.py, bench/loadfuzz.py, bench/loadserver.py),
which knows only docs/protocol.md, the HTTP endpoints and /proc. `bench/load.py` runs
the same code at classroom scale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import loadfuzz  # noqa: E402
import loadlib  # noqa: E402
from loadserver import ServerProcess, settle  # noqa: E402


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory):
    with ServerProcess("dev", tmp_path_factory.mktemp("reliability")) as server:
        yield server


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    with ServerProcess("gunicorn", tmp_path_factory.mktemp("reliability")) as server:
        yield server


def test_a_thousand_fuzzed_frames_get_no_internal_error_no_close_and_no_traceback(dev_server):
    log_start = dev_server.log_size()
    report = loadfuzz.run_fuzz(dev_server.port, 1000, seed=1, max_seconds=120)
    assert report.frames == 1000
    assert report.internal == []
    assert report.unexpected_closes == []
    assert report.missing_closes == []
    assert dev_server.tracebacks(log_start) == 0
    # Every kind of frame went out and reached the code that refuses it, trainings
    # included; the size limit and RFC 6455's UTF-8 rule closed the socket as allowed.
    assert set(report.categories) == set(loadfuzz.FuzzGenerator.CATEGORIES
                                         + loadfuzz.FuzzGenerator.RARE)
    assert {"bad_message", "invalid_field", "unknown_type"} <= set(report.error_codes)
    assert report.replies["started"] > 0
    assert "oversized -> 1009" in report.allowed_closes
    loadlib.wait_idle(dev_server.port, timeout=60)  # no session or training left behind


def test_the_fuzzer_sends_every_client_type_the_protocol_documents():
    types = loadfuzz.documented_client_types()
    assert {"train", "pause", "resume", "step", "stop", "speed", "predict", "save",
            "gradient_check"} <= set(types)


@pytest.mark.parametrize("kind", ["dev", "gunicorn"])
def test_twenty_disconnect_cycles_leave_no_thread_behind(kind, request):
    server = request.getfixturevalue(f"{kind}_server")
    loadlib.fill_pool(server.port, n_clients=4)
    baseline = settle(server, "Threads", 0, timeout=1.0)
    for i in range(20):
        loadlib.disconnect_cycle(server.port, mid_run=i % 2 == 0, dataset="xor")
    health = loadlib.wait_idle(server.port, timeout=30)
    assert health["sessions"] == 0
    assert settle(server, "Threads", baseline, timeout=10.0) <= baseline

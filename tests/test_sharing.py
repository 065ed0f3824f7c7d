"""Follow mode with fake clients: share, follow, claim, a run that outlives its presenter."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from test_training import FakeClient, make_lab, train

from server import reach
from server.training import Session


@pytest.fixture
def lab(tmp_path):
    return make_lab(tmp_path)


@pytest.fixture
def people(lab):
    """make(name, send=None) -> (session, client); every session is closed at the end."""
    sessions = []

    def make(client=None, the_lab=None):
        client = client or FakeClient()
        session = Session(client, the_lab or lab, name=f"f{len(sessions)}",
                          reach=lambda: {"reachable": False, "lan_address": "192.168.1.20"})
        sessions.append(session)
        return session, client

    yield make
    for s in sessions:
        s.close()
    for the_lab in {s.lab for s in sessions}:
        the_lab.shares.close()  # the runs that outlived their presenters stop too


def send(session, **msg):
    session.receive(json.dumps(msg))


def shared_run(make, **fields):
    teacher, tc = make()
    train(teacher, run_id="class", max_iter=400, optimizer="gd", delay_ms=15, **fields)
    tc.wait_for("iteration")
    send(teacher, type="share", run_id="class")
    return teacher, tc, tc.wait_for("shared")


def numbers(client, run_id="class"):
    """The iterations a client saw: its catchup's, then the live ones."""
    out = [m["iteration"] for c in client.of("catchup", run_id) for m in c["iterations"]]
    return out + [m["iteration"] for m in client.of("iteration", run_id)]


def test_share_answers_tokens_a_path_and_whether_the_class_can_reach_it(people):
    teacher, tc, shared = shared_run(people)
    assert shared["path"] == f"/follow/{shared['token']}" and len(shared["token"]) >= 22
    assert shared["control_token"] != shared["token"]
    assert shared["reachable"] is False and shared["lan_address"] == "192.168.1.20"
    send(teacher, type="share", run_id="class")  # again: the same tokens
    assert tc.wait_for("shared", count=2)["token"] == shared["token"]


def test_followers_see_the_run_live_and_a_late_one_gets_the_history(people):
    teacher, tc, shared = shared_run(people)
    early, ec = people()
    send(early, type="follow", token=shared["token"])
    assert ec.wait_for("following")["run_id"] == "class"
    assert tc.wait_for("followers")["count"] == 1
    ec.wait_for("iteration", count=5)
    late, lc = people()
    send(late, type="follow", token=shared["token"])
    lc.wait_for("catchup")
    assert [m["type"] for m in lc.frames[:3]] == ["following", "started", "catchup"]
    assert tc.wait_for("followers", count=2)["count"] == 2
    lc.wait_for("iteration", count=3)
    send(teacher, type="stop", run_id="class")
    done = tc.wait_for("done")
    for client in (ec, lc):
        assert client.wait_for("done")["n_iter"] == done["n_iter"]
        seen = numbers(client)
        assert seen == sorted(set(seen)) and seen[-1] == done["n_iter"]  # no repeats
    caught = numbers(lc)
    assert caught[:len(caught) // 2] == list(range(0, len(caught) // 2))  # history from 0, no gap
    assert lc.of("weights") and lc.of("started")[0]["layer_sizes"] == [2, 4, 2]
    late.close()
    assert tc.wait_for("followers", count=3)["count"] == 1


@pytest.mark.parametrize("kind", ["pause", "resume", "step", "stop", "save", "speed",
                                  "gradient_check", "share"])
def test_a_follower_cannot_control_the_run(people, kind):
    teacher, tc, shared = shared_run(people)
    student, sc = people()
    send(student, type="follow", token=shared["token"])
    extra = {"delay_ms": 0} if kind == "speed" else {"name": "x"} if kind == "save" else {}
    send(student, type=kind, run_id="class", **extra)
    err = sc.wait_for("error")
    assert err["code"] == "forbidden" and err["field"] == "run_id"
    assert "cannot" in err["message"] and "follower" in err["message"]
    assert not tc.of("state", "class")  # the run never heard of it
    assert teacher.run("class").state == "running"


def test_a_follower_predicts_with_the_teachers_current_model(people):
    teacher, tc, shared = shared_run(people)
    student, sc = people()
    send(student, type="follow", token=shared["token"])
    sc.wait_for("iteration")
    send(student, type="predict", run_id="class", request_id=3, vector=[0.0, 1.0])
    answer = sc.wait_for("prediction")
    assert answer["run_id"] == "class" and answer["request_id"] == 3
    assert abs(sum(answer["probabilities"]) - 1) < 1e-9
    send(student, type="predict", run_id="class", request_id=4,
         sample={"split": "test", "index": 2})
    assert sc.wait_for("prediction", count=2)["true_label"] in (0, 1)
    assert not tc.of("prediction")  # answers go to the asker only


def test_a_shared_run_outlives_its_presenters_socket_and_is_claimed_back(people):
    teacher, tc, shared = shared_run(people)
    student, sc = people()
    send(student, type="follow", token=shared["token"])
    run = teacher.run("class")
    teacher.close()  # the page reloads
    before = len(sc.of("iteration"))
    sc.wait_for("iteration", count=before + 3)  # still training for the class
    assert run.state == "running" and not run.finished
    again, ac = people()
    send(again, type="claim", control_token=shared["control_token"])
    claimed = ac.wait_for("claimed")
    ac.wait_for("catchup")
    assert claimed["run_id"] == "class" and claimed["followers"] == 1
    assert [m["type"] for m in ac.frames[:3]] == ["claimed", "started", "catchup"]
    send(again, type="pause", run_id="class")
    assert ac.wait_for("state", state="paused")["run_id"] == "class"
    assert sc.wait_for("state", state="paused")  # the class sees it too
    send(again, type="stop", run_id="class")
    assert ac.wait_for("done")["reason"] == "stopped"
    send(student, type="claim", control_token=shared["token"])  # the public token is not it
    assert sc.wait_for("error")["field"] == "control_token"


def test_an_unclaimed_run_ends_after_the_orphan_time_and_its_tokens_expire(tmp_path, people):
    quick = make_lab(tmp_path, share_orphan_seconds=0.3)
    teacher, tc = people(the_lab=quick)
    train(teacher, run_id="class", max_iter=2000, optimizer="gd", delay_ms=10)
    tc.wait_for("iteration")
    send(teacher, type="share")
    token = tc.wait_for("shared")["token"]
    student, sc = people(the_lab=quick)
    send(student, type="follow", token=token)
    teacher.close()
    assert sc.wait_for("share_ended", timeout=10)["reason"] == "expired"
    run = quick.shares._by_token.get(token)
    assert run is None and len(quick.shares) == 0
    newcomer, nc = people(the_lab=quick)
    send(newcomer, type="follow", token=token)
    assert nc.wait_for("error")["field"] == "token"
    quick_run = [t for t in threading.enumerate() if t.name == "train-class"]
    for t in quick_run:
        t.join(10)
    assert quick.slots.snapshot()["running"] == 0  # the orphan run was stopped
    assert quick.history.nbytes == 0  # and its kept weights left the server's budget
    timers = [t for t in threading.enumerate() if t.name == "share-class"]
    for t in timers:  # the timer that ended the share returns from it
        t.join(5)
    assert not [t for t in timers if t.is_alive()]


class BlockedClient(FakeClient):
    """A phone that stops reading: its send blocks until released."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def __call__(self, frame):
        self.release.wait(30)
        super().__call__(frame)


def test_a_follower_that_stops_reading_slows_neither_the_others_nor_the_run(people):
    teacher, tc = people()
    train(teacher, run_id="class", max_iter=60, optimizer="gd", delay_ms=5,
          weights_interval_ms=0)
    tc.wait_for("iteration")
    send(teacher, type="share")
    token = tc.wait_for("shared")["token"]
    slow, blocked = people(BlockedClient())
    fast, fc = people()
    send(slow, type="follow", token=token)
    send(fast, type="follow", token=token)
    started = time.monotonic()
    done = tc.wait_for("done", timeout=30)
    assert fc.wait_for("done", timeout=5)["n_iter"] == done["n_iter"]
    assert time.monotonic() - started < 20
    assert not blocked.frames  # still stuck on its first frame
    assert len(slow.outbox._queue) < 30  # its iterations and weights coalesced
    blocked.release.set()
    assert blocked.wait_for("done", timeout=10)["n_iter"] == done["n_iter"]


def test_closing_the_shares_stops_the_orphan_runs_and_their_timers(people, lab):
    teacher, tc, shared = shared_run(people)
    run = teacher.run("class")
    teacher.close()
    assert [t for t in threading.enumerate() if t.name == "share-class"]
    lab.shares.close()
    assert run.finished and not run.thread.is_alive() and len(lab.shares) == 0
    assert not [t for t in threading.enumerate() if t.name == "share-class"]


def test_follow_refuses_an_unknown_token_and_the_presenters_own_run(people):
    teacher, tc, shared = shared_run(people)
    send(teacher, type="follow", token=shared["token"])
    assert tc.wait_for("error")["field"] == "token"
    student, sc = people()
    send(student, type="follow", token="nope")
    err = sc.wait_for("error")
    assert err["code"] == "invalid_field" and "expired" in err["message"]
    send(student, type="follow")
    assert sc.wait_for("error", count=2)["field"] == "token"


def test_reach_says_loopback_only_and_finds_a_lan_address_without_traffic():
    assert reach.reach("127.0.0.1")["reachable"] is False
    assert reach.reach("::1")["reachable"] is False
    assert reach.reach("localhost")["reachable"] is False
    assert reach.reach("0.0.0.0")["reachable"] is True
    address = reach.lan_address()
    assert address is None or not reach.is_loopback(address)


def test_the_follow_route_serves_the_page(client):
    assert b'src="/static/js/main.js"' in client.get("/follow/abcDEF_12-x").data
    assert client.get("/follow/bad.token").status_code == 404


@pytest.mark.parametrize("when", ["mid-run", "after the end"])
def test_a_late_follower_gets_the_timeline_and_the_weights_of_an_early_iteration(people, when):
    teacher, tc = people()
    train(teacher, run_id="class", max_iter=30 if when == "after the end" else 400,
          optimizer="gd", delay_ms=0 if when == "after the end" else 15,
          weights_interval_ms=10_000)  # live: only the first and the final weights frames
    tc.wait_for("iteration", count=5)
    send(teacher, type="share", run_id="class")
    token = tc.wait_for("shared")["token"]
    if when == "after the end":
        tc.wait_for("done")
    send(teacher, type="weights_at", run_id="class", iteration=2, request_id="t")
    teachers = tc.wait_for("weights", request_id="t")
    student, sc = people()
    send(student, type="follow", token=token)
    sc.wait_for("catchup")
    send(student, type="history", run_id="class", request_id="h")
    history = sc.wait_for("history", request_id="h")
    assert history["kept"][:3] == [0, 1, 2] and history["metrics"]["iteration"][:3] == [0, 1, 2]
    assert history["finished"] is (when == "after the end")
    # the weights of iteration 2, which no live frame carried: the timeline's, as the teacher's
    send(student, type="weights_at", run_id="class", iteration=2, request_id="w")
    got = sc.wait_for("weights", request_id="w")
    assert got["iteration"] == 2 and got["probe_activations"] is not None
    for a, b in zip(got["thetas"], teachers["thetas"]):
        np.testing.assert_array_equal(a, b)
    # (the live frames: iteration 0's and the last, or the last alone when the sender
    # lagged and coalesced them)
    live = [w["iteration"] for w in tc.of("weights") if w.get("request_id") is None]
    assert live and 2 not in live


def test_claiming_from_an_open_tab_keeps_the_runs_timeline(people):
    teacher, tc, shared = shared_run(people)  # the first tab stays open
    tc.wait_for("iteration", count=4)
    second, sc = people()  # a duplicated tab: same session storage, same control token
    send(second, type="claim", control_token=shared["control_token"])
    sc.wait_for("claimed")
    assert tc.wait_for("share_ended")["reason"] == "claimed"
    send(second, type="stop", run_id="class")
    sc.wait_for("done")
    send(second, type="history", run_id="class", request_id="h")
    history = sc.wait_for("history", request_id="h")
    assert history["kept"][0] == 0 and history["kept"] == history["metrics"]["iteration"]
    send(second, type="weights_at", run_id="class", iteration=0, request_id="w")
    assert sc.wait_for("weights", request_id="w")["iteration"] == 0

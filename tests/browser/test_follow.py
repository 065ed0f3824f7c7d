"""Follow mode in real browsers: a presenter shares its run, followers watch it live.

The presenter and each follower are separate browser contexts (separate tabs of
separate people): they share nothing but the server.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from test_page import button, draw_strokes, open_page

pytestmark = pytest.mark.browser

# A slow, steady run: plenty of iterations to watch, none too fast to see.
SLOW = "hidden_layers=10&optimizer=gd&max_iter=600&delay_ms=250&random_state=2"


def follower(browser, url):
    """A page in its own context that may only talk to 127.0.0.1; its frames recorded."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.errors, page.sent, page.got = [], [], []
    page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url
               or r.request.url.startswith("data:") else r.abort())
    page.on("pageerror", lambda e: page.errors.append(str(e)))

    def watch_ws(ws):
        ws.on("framesent", lambda p: page.sent.append(p if isinstance(p, str) else ""))
        ws.on("framereceived", lambda p: isinstance(p, str) and page.got.append(json.loads(p)))

    page.on("websocket", watch_ws)
    page.goto(url)
    return context, page


def iteration(page) -> int:
    return int(page.get_by_test_id("iteration").inner_text() or 0)


@pytest.fixture
def contexts(live_server):
    """Browser contexts closed, and the lab's shares ended, whatever the test's outcome."""
    opened = []
    yield opened
    for context in opened:
        context.close()
    live_server.app.extensions["backprop_lab"].shares.close()  # no share outlives the test


def rewound_to(page, iteration: int) -> str:
    """Move the timeline to ``iteration``; the output column the diagram then shows."""
    page.locator("#timeline-slider").fill(str(iteration))  # the kept iterations are 0, 1, …
    expect(page.locator("#timeline-label")).to_have_text(re.compile(f"^iteration {iteration} of"))
    expect(page.get_by_test_id("iteration")).to_have_text(str(iteration), timeout=10_000)
    page.wait_for_timeout(400)  # the frame that draws the weights_at answer
    return page.locator("#network").get_attribute("data-outputs")


def test_followers_watch_the_teachers_run_predict_with_it_and_cannot_control_it(
        page, live_server, watch, browser, contexts):
    open_page(page, live_server, SLOW)
    button(page, "Train").click()
    expect(page.get_by_test_id("run-state")).to_have_text("running", timeout=15_000)
    expect(page.get_by_test_id("iteration")).not_to_have_text("0", timeout=20_000)
    page.get_by_role("button", name="Share with the class").click()
    link = page.locator("#share-url")
    expect(link).to_contain_text("/follow/", timeout=10_000)
    token = link.inner_text().rsplit("/follow/", 1)[1]
    expect(page.locator("#share-warning")).to_contain_text("--host 0.0.0.0")  # loopback only
    qr = page.locator("#share-qr").evaluate("c => [c.width, c.height]")
    assert qr[0] == qr[1] and qr[0] > 100, qr
    url = f"{live_server.url}/follow/{token}"

    ctx_a, a = follower(browser, url)
    contexts.append(ctx_a)
    expect(a.locator("#follow-banner")).to_contain_text("Following the teacher's run",
                                                        timeout=15_000)
    expect(a.locator("#run-buttons")).to_be_hidden()
    expect(page.get_by_test_id("followers")).to_have_text("1 following", timeout=10_000)
    # live: the follower reaches the iteration the presenter shows
    now = iteration(page)
    a.wait_for_function(f"() => +document.querySelector('[data-testid=iteration]')"
                        f".textContent >= {now + 2}", timeout=20_000)
    # a late follower gets the history: every iteration so far (from 0) on its chart
    ctx_b, b = follower(browser, url)
    contexts.append(ctx_b)
    expect(page.get_by_test_id("followers")).to_have_text("2 following", timeout=10_000)
    seen = iteration(page)
    b.wait_for_function(f"() => +document.querySelector('#cost-chart').dataset.points "
                        f">= {seen + 1}", timeout=20_000)
    expect(b.locator("#cost-chart")).to_have_attribute("data-first-x", "0")
    catchup = next(m for m in b.got if m["type"] == "catchup")
    assert [m["iteration"] for m in catchup["iterations"]] == list(
        range(0, len(catchup["iterations"])))
    # the follower's drawing is read by the teacher's model
    run_id = next(m for m in a.got if m["type"] == "following")["run_id"]
    draw_strokes(a, [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]])
    expect(a.get_by_test_id("prediction")).to_have_text(re.compile(r"^[0-9]$"),
                                                        timeout=15_000)
    asked = [json.loads(f) for f in a.sent if '"predict"' in f]
    assert asked and all(m["run_id"] == run_id for m in asked)
    assert any(m["type"] == "prediction" and m["run_id"] == run_id for m in a.got)
    # the follower cannot pause (Space) nor stop the run
    a.locator("body").click(position={"x": 5, "y": 5})
    a.keyboard.press(" ")
    expect(a.locator("#status")).to_contain_text("cannot pause", timeout=10_000)
    assert any(m["type"] == "error" and m["code"] == "forbidden" for m in a.got)
    expect(page.get_by_test_id("run-state")).to_have_text("running")
    assert a.errors == []
    ctx_a.close()
    expect(page.get_by_test_id("followers")).to_have_text("1 following", timeout=10_000)

    # the end: a follower who watched and one who comes after it can both rewind the
    # timeline, to the initial weights too, and see what the presenter sees there
    button(page, "Stop").click()
    expect(page.get_by_test_id("run-state")).to_have_text("idle", timeout=20_000)
    last = iteration(page)
    ctx_c, c = follower(browser, url)
    contexts.append(ctx_c)
    for p in (page, b, c):
        expect(p.locator("#timeline-label")).to_have_text(f"iteration {last} of {last}",
                                                          timeout=15_000)
    at_start = rewound_to(page, 0)
    assert at_start and rewound_to(b, 0) == at_start and rewound_to(c, 0) == at_start
    assert rewound_to(c, last) != at_start
    assert b.errors == [] and c.errors == []

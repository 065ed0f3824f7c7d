"""The 2-D data sets in a real browser (issue 10): settings per data set, a map per
unit, the boundary as the main view, noise and new data, per-class accuracy."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from test_page import (
    CANVAS_HASH,
    CANVAS_STATS,
    LONG_TASK_GATE_MS,
    LONG_TASK_GOAL_MS,
    LONGTASK_OBSERVER,
    button,
    open_page,
)

pytestmark = pytest.mark.browser

# Timestamps of the boundary's redraws (its data-draws counter), from now on.
WATCH_DRAWS = """() => {
  window.__draws = [];
  const panel = document.querySelector('#boundary-panel');
  new MutationObserver(() => window.__draws.push(performance.now()))
    .observe(panel, {attributes: true, attributeFilter: ['data-draws']});
}"""


def url_query(page: Page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def train_to_the_end(page: Page, timeout=120_000) -> float:
    """Press Train, wait for the end, and return the test accuracy the status names (%)."""
    button(page, "Train").click()  # the status says "Training on …" at once
    # a 2-D run at full speed may be over before a poll sees it running: wait for its end
    expect(page.locator("#status")).to_contain_text("test accuracy", timeout=timeout)
    expect(page.get_by_test_id("run-state")).to_have_text("idle")
    status = page.locator("#status").inner_text()
    m = re.search(r"test accuracy ([\d.]+)%", status)
    assert m, status
    return float(m.group(1))


def set_field(page: Page, name: str, value: str):
    page.locator(f"#f-{name}").fill(value)
    page.locator(f"#f-{name}").press("Tab")


def test_choosing_spiral_applies_its_settings_and_learns_it(page, live_server, watch):
    open_page(page, live_server)
    expect(page.locator("#prediction-panel")).to_be_visible()
    page.locator("#f-dataset").select_option("spiral")
    expect(page.locator("#f-max_iter")).to_have_value("150")
    expect(page.locator("#f-layer-0")).to_have_value("16")
    expect(page.locator("#f-layer-1")).to_have_value("16")
    expect(page.locator("#f-activation")).to_have_value("tanh")
    expect(page.locator("#f-regularization_parameter")).to_have_value("0.01")
    expect(page.locator("#f-delay_ms")).to_have_value("100")
    q = url_query(page)
    assert (q["dataset"], q["hidden_layers"], q["activation"], q["noise"]) == ("spiral", "16,16", "tanh", "0.05")
    # the boundary sits above the fold, where the drawing pad is for images
    box = page.locator("#boundary-panel .boundary").bounding_box()
    assert box["y"] + box["height"] <= 720 and box["width"] >= 280, box
    expect(page.locator("#drawpad")).to_be_hidden()
    set_field(page, "delay_ms", "0")  # the speed control: the rest is as recommended
    accuracy = train_to_the_end(page)
    assert accuracy >= 90, page.locator("#status").inner_text()


def measure_full_speed_run(page: Page) -> dict:
    """Train at full speed; the boundary's redraws per second and the longest main-thread task."""
    page.evaluate(WATCH_DRAWS)
    start = page.evaluate("performance.now()")
    button(page, "Train").click()
    expect(page.get_by_test_id("run-state")).not_to_have_text("idle", timeout=10_000)
    expect(page.get_by_test_id("run-state")).to_have_text("idle", timeout=60_000)
    draws = page.evaluate("window.__draws")
    # From the run's first redraw on: the panels a new run rebuilds before it (charts,
    # timeline, unit maps) are set-up, not the live updates this measures.
    t0 = draws[0] if draws else start
    tasks = page.evaluate("t0 => window.__longtasks.filter(t => t.start >= t0)", t0)
    running = (draws[-1] - draws[0]) / 1000 if len(draws) > 1 else 0
    return {"draws": len(draws), "seconds": round(running, 2),
            "rate": (len(draws) - 1) / running if running > 0 else 0.0,
            "longest": max((t["duration"] for t in tasks), default=0.0), "long_tasks": len(tasks)}


def test_the_boundary_bends_live_at_least_ten_times_a_second_without_long_tasks(page, live_server, watch):
    """At full speed on Spiral the boundary redraws >= 10 times a second, no task over 50 ms.

    As in test_page's long-task test, the machine is shared: a run that misses is
    measured again (three runs at most), and the best run must redraw >= 10 times a
    second with no task over LONG_TASK_GATE_MS (gross regressions; the goal is 50 ms).
    """
    page.add_init_script(LONGTASK_OBSERVER)
    open_page(page, live_server, "dataset=spiral&delay_ms=0")
    expect(page.locator("html")).to_have_attribute("data-warm", "true", timeout=10_000)
    def good(r, longest):
        return r["rate"] >= 10 and r["longest"] <= longest

    runs = [measure_full_speed_run(page)]
    while not any(good(r, LONG_TASK_GOAL_MS) for r in runs) and len(runs) < 3:
        runs.append(measure_full_speed_run(page))
    for r in runs:
        print(f"boundary: {r['draws']} redraws in {r['seconds']} s = {r['rate']:.1f}/s; "
              f"long tasks {r['long_tasks']}, longest {r['longest']:.0f} ms")
    assert any(good(r, LONG_TASK_GATE_MS) for r in runs), runs
    # at a watchable speed the map changes between two moments of a run
    boundary = page.locator("canvas.boundary-map")
    set_field(page, "delay_ms", "150")
    button(page, "Train").click()
    expect(page.get_by_test_id("iteration")).not_to_have_text("0", timeout=10_000)
    page.wait_for_function("() => Number(document.querySelector('#boundary-panel').dataset.draws) > 0")
    first = boundary.evaluate(CANVAS_HASH)
    page.wait_for_timeout(1500)
    assert boundary.evaluate(CANVAS_HASH) != first
    button(page, "Stop").click()
    expect(page.get_by_test_id("run-state")).to_have_text("idle", timeout=10_000)


def test_each_hidden_unit_draws_its_own_map_and_opens_large(page, live_server, watch):
    open_page(page, live_server, "dataset=xor&hidden_layers=4,3&delay_ms=0&max_iter=30")
    train_to_the_end(page)
    hidden = page.locator("#network canvas.unit-map[data-kind=hidden]:visible")
    expect(hidden).to_have_count(4 + 3)
    expect(page.locator("#network canvas.unit-map[data-kind=output]:visible")).to_have_count(2)  # a unit per class
    hashes = hidden.evaluate_all(f"cs => cs.map({CANVAS_HASH})")
    assert len(set(hashes)) == 7, hashes  # each unit its own function of the plane
    stats = hidden.first.evaluate(CANVAS_STATS)
    assert stats["colours"] > 4, stats
    assert hidden.first.evaluate("c => getComputedStyle(c).imageRendering") == "pixelated"
    # a click shows the unit large in the boundary panel; "Show the output" goes back
    boundary = page.locator("canvas.boundary-map")
    output = boundary.evaluate(CANVAS_HASH)
    hidden.nth(1).click()
    expect(page.locator("#boundary-panel [data-role=what]")).to_have_text("hidden layer 1, unit 2")
    assert boundary.evaluate(CANVAS_HASH) != output
    page.locator("#boundary-panel [data-action=show-output]").click()
    expect(page.locator("#boundary-panel [data-role=what]")).to_have_text("")
    assert boundary.evaluate(CANVAS_HASH) == output


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_tanh_and_relu_train_from_the_page(page, live_server, watch, activation):
    open_page(page, live_server, "dataset=circles&delay_ms=0")
    page.locator("#f-activation").select_option(activation)
    assert url_query(page)["activation"] == activation
    accuracy = train_to_the_end(page)
    assert accuracy >= 85, f"{activation}: {accuracy}%"
    expect(page.locator("#network canvas.unit-map[data-kind=hidden]:visible")).to_have_count(6)


def test_noise_size_and_new_data_are_settings_of_the_points(page, live_server, watch):
    asked = []
    page.on("request", lambda r: "/samples" in r.url and asked.append(r.url))
    open_page(page, live_server)
    expect(page.locator("#f-noise")).to_be_hidden()  # digits: no such thing
    page.locator("#f-dataset").select_option("sine")
    expect(page.locator("#f-noise")).to_have_value("0.05")
    expect(page.locator("#f-n_points")).to_have_value("400")
    overlay = page.locator("canvas.boundary-points")
    page.wait_for_function(f"c => ({CANVAS_STATS})(c).drawn > 1000", arg=overlay.element_handle())
    before = overlay.evaluate(CANVAS_HASH)
    set_field(page, "n_points", "200")
    set_field(page, "noise", "0.2")
    page.locator("#new-data").click()
    q = url_query(page)
    assert (q["n_points"], q["noise"]) == ("200", "0.2") and q["data_seed"] != "0", q
    page.wait_for_function(f"([c, h]) => ({CANVAS_HASH})(c) !== h", arg=[overlay.element_handle(), before])
    # the page asks for exactly the points the run will train on
    last = parse_qs(urlparse(asked[-1]).query)
    assert (last["n_points"], last["noise"], last["data_seed"]) == (["200"], ["0.2"], [q["data_seed"]])
    train_to_the_end(page)
    page.locator("#f-dataset").select_option("digits20")
    expect(page.locator("#f-noise")).to_be_hidden()
    expect(page.locator("#f-layer-0")).to_have_value("25")  # the post's settings again


def test_a_shared_link_pins_its_keys_and_recommended_brings_them_back(page, live_server, watch):
    open_page(page, live_server, "dataset=xor&max_iter=7")
    expect(page.locator("#f-activation")).to_have_value("tanh")  # recommended
    expect(page.locator("#f-max_iter")).to_have_value("7")      # pinned by the link
    page.locator("#f-dataset").select_option("circles")
    expect(page.locator("#f-max_iter")).to_have_value("7")
    set_field(page, "regularization_parameter", "3")
    page.locator("#recommended").click()
    expect(page.locator("#f-max_iter")).to_have_value("40")
    expect(page.locator("#f-regularization_parameter")).to_have_value("0.1")
    assert url_query(page)["max_iter"] == "40"


def test_per_class_accuracy_strip_renders_for_digits(page, live_server, watch):
    open_page(page, live_server, "max_iter=4")
    strip = page.locator("#class-strip")
    button(page, "Train").click()
    expect(page.get_by_test_id("run-state")).to_have_text("idle", timeout=60_000)
    expect(strip).to_have_attribute("data-columns", "5", timeout=5_000)  # iterations 0 to 4
    canvas = strip.locator("canvas")
    stats = canvas.evaluate(CANVAS_STATS)
    assert stats["h"] == 10 and stats["colours"] > 3, stats  # a row per digit
    expect(strip.locator(".class-strip-labels span")).to_have_count(10)

"""Presenter mode (issue 11): one 1280x720 projector screen holds the diagram, the
cost curve and the pad (or the boundary), in type a class reads from the back of
the room, dark enough for a projector, with the scores and the shortcuts."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from screens import box, diagram_labels, in_viewport, texts
from test_page import button, open_page, wait_idle_after_run

pytestmark = pytest.mark.browser

W, H = 1280, 720
MIN_PX = 18
AA = 4.5


def start_and_pause(page, live_server, query, iterations=3):
    open_page(page, live_server, f"presenter=1&max_iter=400&delay_ms=150&{query}")
    button(page, "Train").click()
    page.wait_for_function(f"() => +document.querySelector('#iteration').textContent >= {iterations}", timeout=30_000)
    button(page, "Pause").click()
    expect(page.get_by_test_id("run-state")).to_have_text("paused", timeout=10_000)
    page.wait_for_timeout(400)  # the frames that draw the last iteration


def assert_readable_first_screen(page):
    """Every text on the first screen is >= 18 px and has AA contrast; so are the
    charts' axes and the diagram's labels, which are drawn on canvases."""
    first = [t for t in texts(page) if any(in_viewport(r, W, H) for r in t["rects"])]
    assert len(first) > 20, first
    small = [(t["text"], t["size"]) for t in first if t["size"] < MIN_PX]
    assert small == [], f"text under {MIN_PX} px on the first screen: {small}"
    faint = [(t["text"], round(t["contrast"], 2)) for t in first if t["contrast"] < AA and not t["inactive"]]
    assert faint == [], f"text under {AA}:1 contrast: {faint}"
    assert float(page.locator("#cost-chart").get_attribute("data-axis-font")) >= MIN_PX
    labels, font = diagram_labels(page)
    assert labels and font >= MIN_PX, (font, labels)


def test_presenter_mode_holds_the_diagram_cost_curve_and_pad_in_large_type(page, live_server, watch, screenshots):
    got = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda p: isinstance(p, str) and got.append(json.loads(p))))
    start_and_pause(page, live_server, "")
    for what in ("#network", "#cost-chart", "#drawpad canvas", "#scoreboard", "#prediction"):
        assert in_viewport(box(page.locator(what)), W, H), f"{what} is not on the first screen"
    expect(page.locator("#controls")).to_be_hidden()  # the settings collapse to the run buttons
    expect(button(page, "Train")).to_be_visible()
    # training and validation scores in large type (test comes with the end of the run)
    for cell in ("training-cost", "training-acc", "validation-cost", "validation-acc"):
        score = page.locator(f"#scoreboard [data-score={cell}]")
        expect(score).not_to_have_text("–")
        assert float(score.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 24
    expect(page.get_by_test_id("prediction")).to_have_text(re.compile(r"^[0-9]$"))
    assert_readable_first_screen(page)
    page.screenshot(path=screenshots / "11-presenter-digits.png")
    button(page, "Stop").click()
    wait_idle_after_run(page)
    # the end: the final weights' test cost and accuracy, from `done`
    done = next(m for m in got if m["type"] == "done")
    assert done["test_cost"] > 0
    expect(page.locator("#scoreboard [data-score=test-cost]")).to_have_text(
        page.evaluate("(c) => c.toPrecision(4)", done["test_cost"]))
    expect(page.locator("#scoreboard [data-score=test-acc]")).to_have_text(
        page.evaluate("(a) => `${(100 * a).toFixed(1)}%`", done["test_accuracy"]))


def test_presenter_mode_shows_the_boundary_for_2d_data(page, live_server, watch, screenshots):
    start_and_pause(page, live_server, "dataset=spiral")
    for what in ("#network", "#cost-chart", "#boundary", "#scoreboard"):
        assert in_viewport(box(page.locator(what)), W, H), f"{what} is not on the first screen"
    assert_readable_first_screen(page)
    page.screenshot(path=screenshots / "11-presenter-spiral.png")
    button(page, "Stop").click()
    wait_idle_after_run(page)


def test_shortcuts_are_shown_and_work_with_the_focus_anywhere_but_a_text_field(page, live_server, watch):
    open_page(page, live_server, "max_iter=400&delay_ms=150")
    legend = page.locator("#shortcuts")
    for key in ("T", "Space", "S", "X", "N", "P"):
        expect(legend.locator("kbd", has_text=re.compile(f"^{key}$"))).to_have_count(1)
    # P, from the page: presenter mode, in the URL
    page.locator("h1").click()
    page.keyboard.press("p")
    assert parse_qs(urlparse(page.url).query)["presenter"] == ["1"]
    expect(page.locator("#controls")).to_be_hidden()
    expect(page.locator("#presenter-toggle")).to_have_attribute("aria-pressed", "true")
    # T trains, Space pauses and resumes (over a focused button too), X stops
    page.keyboard.press("t")
    expect(page.get_by_test_id("run-state")).to_have_text("running", timeout=10_000)
    button(page, "Reset").focus()
    page.keyboard.press(" ")
    expect(page.get_by_test_id("run-state")).to_have_text("paused", timeout=10_000)
    expect(page.locator("#status")).not_to_contain_text("Reset")  # Space did not press the focused button
    page.wait_for_timeout(500)  # the iteration under way when Pause came
    at = int(page.get_by_test_id("iteration").inner_text())
    page.locator("#drawpad canvas").focus()
    page.keyboard.press("s")  # one step from paused: one iteration on, paused again
    expect(page.get_by_test_id("iteration")).to_have_text(str(at + 1), timeout=10_000)
    expect(page.get_by_test_id("run-state")).to_have_text("paused")
    # N: the step-through's next phase
    expect(legend.locator("kbd", has_text=re.compile("^N$"))).to_have_count(1)
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(page.locator("#stepper [data-phase=forward]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("n")
    expect(page.locator("#stepper [data-phase=cost]")).to_have_attribute("aria-pressed", "true")
    page.locator("#stepper [data-phase=live]").click()
    page.locator("h1").click()
    page.keyboard.press(" ")
    expect(page.get_by_test_id("run-state")).to_have_text("running", timeout=10_000)
    page.keyboard.press("x")
    wait_idle_after_run(page)
    # in a text field, letters are letters
    page.keyboard.press("p")
    expect(page.locator("#controls")).to_be_visible()
    page.locator("#model-name").fill("")
    page.locator("#model-name").press("t")
    expect(page.get_by_test_id("run-state")).to_have_text("idle")
    expect(page.locator("#model-name")).to_have_value("t")


def test_hints_are_dark_enough_for_a_projector_in_both_themes(page, live_server, watch):
    for theme in ("light", "dark"):
        open_page(page, live_server, f"theme={theme}")
        faint = [(t["text"], round(t["contrast"], 2)) for t in texts(page) if t["contrast"] < AA and not t["inactive"]]
        assert faint == [], f"{theme}: text under {AA}:1 contrast: {faint}"

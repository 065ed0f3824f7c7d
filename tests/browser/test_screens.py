"""Every screen (issue 11): no horizontal scroll and no overlapping labels from a
phone to a 1920x1080 monitor and at 125%/150% zoom; Enter trains, the focus stays
on the control that was used; iteration 0 is plotted and a new run or data set
starts clean."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from screens import box, diagram_labels, in_viewport, overlapping_texts, overlaps, texts
from test_page import CANVAS_HASH, button, open_page, wait_idle_after_run
from test_replay import download_csv

pytestmark = pytest.mark.browser

# (width, height, device scale factor): a phone, a small laptop, a monitor, and a
# 1280x720 screen at 125% and 150% zoom
SCREENS = [(390, 844, 1), (1024, 768, 1), (1920, 1080, 1), (1024, 576, 1.25), (853, 480, 1.5)]


@pytest.fixture
def screen_page(browser, request):
    width, height, scale = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page = context.new_page()
    yield page
    context.close()


def assert_fits(page, where):
    width = page.evaluate("innerWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, f"{where}: horizontal scroll"
    found = overlapping_texts(texts(page))
    assert found == [], f"{where}: overlapping text {found[:5]}"
    labels, _ = diagram_labels(page)
    assert labels, "the diagram exposes its labels"
    canvas_w = page.locator("#network").bounding_box()["width"]
    for i, a in enumerate(labels):
        assert a["x"] >= 0 and a["x"] + a["w"] <= canvas_w + 1, f"{where}: diagram label {a} cut"
        for b in labels[i + 1:]:
            assert not overlaps(a, b), f"{where}: diagram labels {a['text']!r} and {b['text']!r} overlap"


@pytest.mark.parametrize("screen_page", SCREENS, indirect=True, ids=lambda s: f"{s[0]}x{s[1]}@{s[2]}")
@pytest.mark.parametrize("query", ["", "dataset=spiral", "presenter=1"])
def test_no_horizontal_scroll_and_no_overlapping_labels(screen_page, live_server, query):
    page = screen_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_page(page, live_server, query)
    expect(page.locator("#network")).to_have_attribute("data-label-boxes", re.compile(r"hidden"))
    page.wait_for_timeout(300)  # the diagram redraws at its observed width
    assert_fits(page, f"{page.viewport_size} {query}")
    # the run buttons are whole (no "Sto") and inside the screen
    width = page.evaluate("innerWidth")
    for action in ("train", "pause", "step", "stop", "reset"):
        b = page.locator(f"[data-action={action}]")
        assert b.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), f"{action} is cut"
        assert in_viewport(box(b), width, 10_000), f"{action} is off screen"
    assert errors == []


@pytest.mark.parametrize("screen_page", [(390, 844, 1)], indirect=True, ids=["phone"])
def test_a_phone_follows_a_run_and_draws_with_a_short_header(screen_page, live_server, screenshots):
    page = screen_page
    open_page(page, live_server, "max_iter=3")
    assert page.locator(".topbar").bounding_box()["height"] <= 130, "the sticky header takes the screen"
    # the diagram comes before the settings
    assert page.locator("#network").bounding_box()["y"] < page.locator("#controls").bounding_box()["y"]
    button(page, "Train").click()
    wait_idle_after_run(page)
    pad = page.locator("#drawpad canvas")
    pad.scroll_into_view_if_needed()
    b = pad.bounding_box()
    page.mouse.move(b["x"] + 0.5 * b["width"], b["y"] + 0.2 * b["height"])
    page.mouse.down()
    page.mouse.move(b["x"] + 0.5 * b["width"], b["y"] + 0.8 * b["height"], steps=8)
    page.mouse.up()
    expect(page.get_by_test_id("prediction")).to_have_text(re.compile(r"^[0-9]$"), timeout=10_000)
    page.screenshot(path=screenshots / "12-phone-drawing.png")  # look at it: the phone's main use
    page.evaluate("scrollTo(0, 0)")  # scrolled, the sticky header covers the page as it should
    assert_fits(page, "phone after a run")
    page.screenshot(path=screenshots / "12-phone-top.png")


def test_enter_in_a_settings_field_trains_and_keeps_the_focus(page, live_server, watch):
    open_page(page, live_server, "max_iter=40")
    field = page.locator("#f-max_iter")
    field.fill("3")
    field.press("Enter")
    expect(page.get_by_test_id("run-state")).not_to_have_text("idle", timeout=5_000)
    assert parse_qs(urlparse(page.url).query)["max_iter"] == ["3"], "the typed value trained"
    assert page.evaluate("document.activeElement.id") == "f-max_iter"
    wait_idle_after_run(page)
    expect(page.get_by_test_id("iteration")).to_have_text("3")
    # Enter in the speed field during a run does not start a second run
    page.locator("#f-max_iter").fill("400")
    page.locator("#f-max_iter").press("Enter")
    expect(page.get_by_test_id("run-state")).to_have_text("running", timeout=10_000)
    delay = page.locator("#f-delay_ms")
    delay.fill("10")
    delay.press("Enter")
    expect(page.locator("#status")).to_contain_text("A run is under way")
    button(page, "Stop").click()
    wait_idle_after_run(page)


def test_the_focus_stays_on_the_train_button_after_train(page, live_server, watch):
    open_page(page, live_server, "max_iter=3")
    train = button(page, "Train")
    train.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("run-state")).not_to_have_text("idle", timeout=5_000)
    expect(train).to_be_disabled()  # aria-disabled while the run is on …
    assert page.evaluate("document.activeElement.dataset.action") == "train"  # … and still focused
    wait_idle_after_run(page)
    assert page.evaluate("document.activeElement.dataset.action") == "train"
    # a mouse click too, with a visible focus ring when the keyboard brought it there
    train.click()
    wait_idle_after_run(page)
    assert page.evaluate("document.activeElement.dataset.action") == "train"
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline


def test_iteration_0_is_plotted_and_the_legend_shows_the_newest_values(page, live_server, watch):
    """The server's iteration 0 (the initial weights, before the optimizer's first step)
    is the first readout and the first point of the cost curve."""
    got = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda p: isinstance(p, str) and got.append(json.loads(p))))
    open_page(page, live_server, "max_iter=4&delay_ms=2000")  # 2 s on each iteration
    button(page, "Train").click()
    cost = page.get_by_test_id("cost")
    expect(cost).not_to_have_text("–", timeout=15_000)
    shown = (page.get_by_test_id("iteration").inner_text(), cost.inner_text())
    first = next(m for m in got if m["type"] == "iteration")
    assert first["iteration"] == 0 and first["n_fev"] == 0
    assert shown == ("0", page.evaluate("(c) => c.toPrecision(4)", first["cost"])), shown
    wait_idle_after_run(page, timeout=60_000)
    chart = page.locator("#cost-chart")
    expect(chart).to_have_attribute("data-points", "5")  # iterations 0 to 4
    assert chart.get_attribute("data-first-x") == "0"
    start = download_csv(page, "#h-cost")[0]
    assert (start["iteration"], float(start["training"])) == ("0", first["cost"])
    assert float(start["validation"]) == first["val_cost"]
    # no hover: the legend shows the newest iteration and its values, not "–"
    legend = chart.locator(".u-legend")
    expect(legend).to_contain_text("4 (")
    assert "–" not in legend.inner_text()


def test_a_new_data_set_starts_clean(page, live_server, watch):
    open_page(page, live_server, "max_iter=4")
    empty_chart = page.locator("#cost-chart canvas").evaluate(CANVAS_HASH)
    expect(page.locator("#model-name")).to_have_attribute("placeholder", "digits20-25")
    button(page, "Train").click()
    wait_idle_after_run(page)
    page.locator("#gradient-check").click()
    expect(page.locator("#gradient-result")).to_contain_text(re.compile("relative difference", re.I), timeout=20_000)
    page.locator("#model-name").fill("../evil")
    page.locator("#save-model").click()
    expect(page.locator("#save-result")).to_contain_text("letters, digits", timeout=10_000)
    expect(page.locator("#misclassified .thumb").first).to_be_visible(timeout=10_000)
    # Reset: the previous run's x ticks are gone, the chart is drawn as on a fresh page
    button(page, "Reset").click()
    page.wait_for_timeout(300)
    assert page.locator("#cost-chart canvas").evaluate(CANVAS_HASH) == empty_chart
    expect(page.locator("#gradient-result")).to_contain_text("Compares backprop")
    button(page, "Train").click()
    wait_idle_after_run(page)
    page.locator("#gradient-check").click()
    expect(page.locator("#gradient-result")).to_contain_text(re.compile("relative difference", re.I), timeout=20_000)
    page.locator("#f-dataset").select_option("spiral")
    expect(page.locator("#model-name")).to_have_attribute("placeholder", "spiral-16-16")
    expect(page.locator("#gradient-result")).to_contain_text("Compares backprop")
    expect(page.locator("#save-result")).to_contain_text("Saved models are .npz files")
    expect(page.locator("#cost-chart")).to_have_attribute("data-points", "0")
    expect(page.locator("#misclassified .thumb")).to_have_count(0)
    expect(page.locator("table.confusion")).to_have_count(0)
    expect(page.locator("#scoreboard [data-score=training-cost]")).to_have_text("–")

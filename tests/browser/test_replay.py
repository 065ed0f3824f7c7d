"""Compare and replay in a real browser (issue 13): the optimizer race, the
timeline of a finished run, and a saved run reopened after a reload.

Runs are short (a few iterations on digits20); the race trains its contenders
one after the other, so it takes a few seconds on this 2-core machine.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from server.network import NeuralNetwork
from tests.browser.test_page import CANVAS_HASH, button, open_page, wait_idle_after_run

pytestmark = pytest.mark.browser


def scroll_to_charts(page: Page):
    """Charts, timeline and race table in view, under the sticky top bar."""
    page.evaluate("window.scrollTo(0, document.querySelector('.area-cost').getBoundingClientRect().top + scrollY - 100)")


def download_csv(page: Page, panel_heading: str) -> list[dict]:
    """Click a panel's CSV button and read the file it saves."""
    with page.expect_download() as info:
        page.locator(f"{panel_heading} [data-export=csv]").click()
    with open(info.value.path(), newline="") as f:
        return list(csv.DictReader(io.StringIO(f.read())))


def race_rows(page: Page, contenders: int, timeout=30.0) -> list[dict]:
    """The race chart's CSV once every contender's whole history is on it."""
    deadline = time.monotonic() + timeout
    while True:
        rows = download_csv(page, "#h-cost")
        firsts = [r for r in rows if r["iteration"] == "0"]
        if len(firsts) == contenders or time.monotonic() > deadline:
            return rows
        page.wait_for_timeout(300)


def test_a_race_of_three_optimizers_starts_them_at_the_same_cost_and_ends_with_a_table(page, live_server, watch, screenshots):
    open_page(page, live_server, "max_iter=6&random_state=3")
    boxes = page.locator("#race-controls input[type=checkbox]")
    expect(boxes).to_have_count(5)  # the registry's optimizers, from ready
    for name in ("TNC", "L-BFGS-B", "CG", "adam", "gd"):
        page.locator(f"#race-controls input[value='{name}']").set_checked(name in ("TNC", "L-BFGS-B", "adam"))
    page.locator("#race-start").click()

    table = page.locator("#race-results tbody tr")
    expect(table).to_have_count(3, timeout=10_000)
    expect(page.locator("#race-results .race-caption")).to_contain_text("full-batch", timeout=120_000)
    wait_idle_after_run(page)
    cells = [table.nth(i).locator("th").inner_text() for i in range(3)]
    assert cells == ["TNC (Newton)", "L-BFGS-B", "Adam"]
    for i in range(3):  # every row has its numbers
        assert "…" not in table.nth(i).inner_text()

    rows = race_rows(page, 3)
    starts = {r["optimizer"]: float(r["cost"]) for r in rows if r["iteration"] == "0"}
    assert len(starts) == 3, rows[:5]
    first = next(iter(starts.values()))
    assert all(abs(c - first) <= 1e-12 * abs(first) for c in starts.values()), starts
    legend = page.locator("#race-chart .u-legend").inner_text()
    for label in ("TNC (Newton)", "L-BFGS-B", "Adam"):
        assert label in legend

    chart = page.locator("#race-chart")
    assert chart.get_attribute("data-axis") == "iteration"
    x_iter = float(chart.get_attribute("data-x-max"))
    assert x_iter == 6
    page.locator("#race-axis").select_option("cpu_time")
    expect(chart).to_have_attribute("data-axis", "cpu_time")
    x_cpu = float(chart.get_attribute("data-x-max"))
    page.locator("#race-axis").select_option("n_fev_equiv")
    expect(chart).to_have_attribute("data-axis", "n_fev_equiv")
    x_fev = float(chart.get_attribute("data-x-max"))
    assert x_cpu != x_iter and x_fev != x_iter and x_cpu != x_fev, (x_iter, x_cpu, x_fev)
    assert x_fev > x_iter  # TNC and L-BFGS-B evaluate more than once per iteration

    # picking a contender shows its network: the timeline follows it
    page.locator("#race-results input[type=radio]").first.check()
    expect(page.locator("#timeline-label")).to_contain_text("iteration 6 of 6", timeout=10_000)
    expect(page.locator("#status")).to_contain_text("TNC (Newton): the final network (iteration 6)")
    # and the run's charts are its own: iterations 0 to 6, on no other run's points
    for chart in ("#cost-chart", "#acc-chart", "#gradnorm-chart"):
        expect(page.locator(chart)).to_have_attribute("data-points", "7")
        expect(page.locator(chart)).to_have_attribute("data-first-x", "0")
    scroll_to_charts(page)
    page.screenshot(path=screenshots / "13-race.png")


def force_every_weights_frame(page: Page):
    """The page sends the server's default weights interval; this run needs every iteration's frame."""
    def route(ws):
        server = ws.connect_to_server()

        def to_server(message):
            if isinstance(message, str) and '"type": "train"' in message.replace('":"', '": "'):
                msg = json.loads(message)
                message = json.dumps({**msg, "weights_interval_ms": 0})
            server.send(message)

        ws.on_message(to_server)
        server.on_message(lambda m: ws.send(m))
    page.route_web_socket(re.compile(r"/ws$"), route)


def diagram_and_heatmaps(page: Page):
    outputs = page.locator("#network").get_attribute("data-outputs")
    heat = page.locator("canvas.heatmap")
    return outputs, [heat.nth(i).evaluate(CANVAS_HASH) for i in range(heat.count())]


def settled(page: Page, timeout=10.0):
    """What the diagram and the heatmaps show once two looks 0.4 s apart agree."""
    deadline = time.monotonic() + timeout
    last = diagram_and_heatmaps(page)
    while time.monotonic() < deadline:
        page.wait_for_timeout(400)
        now = diagram_and_heatmaps(page)
        if now == last and now[0]:
            return now
        last = now
    return last


def test_the_timeline_rewinds_the_diagram_and_the_heatmaps_to_what_iteration_5_showed(page, live_server, watch, screenshots):
    force_every_weights_frame(page)
    open_page(page, live_server, "max_iter=8&hidden_layers=16")
    step = button(page, "Step")
    step.click()
    expect(page.get_by_test_id("run-state")).to_have_text("paused", timeout=15_000)
    for it in range(2, 6):
        expect(page.get_by_test_id("iteration")).to_have_text(str(it - 1), timeout=15_000)
        step.click()
    expect(page.get_by_test_id("iteration")).to_have_text("5", timeout=15_000)
    expect(page.get_by_test_id("run-state")).to_have_text("paused", timeout=15_000)
    live = settled(page)
    assert live[0] and len(live[1]) == 2, live

    button(page, "Pause").click()  # resume to the end
    wait_idle_after_run(page)
    expect(page.locator("#timeline-panel")).to_be_visible(timeout=10_000)
    expect(page.locator("#timeline-label")).to_have_text("iteration 8 of 8")
    assert settled(page) != live  # the end looks different from iteration 5

    slider = page.locator("#timeline-slider")
    kept = page.evaluate("() => document.querySelector('#timeline-note').textContent")
    assert kept.startswith("9 of 9 iterations (0 to 8) kept"), kept
    slider.fill("5")  # the kept iterations are 0…8: the sixth is iteration 5
    expect(page.locator("#timeline-label")).to_have_text("iteration 5 of 8")
    expect(page.get_by_test_id("iteration")).to_have_text("5", timeout=5_000)
    rewound = settled(page)
    assert json.loads(rewound[0]) == json.loads(live[0])
    assert rewound[1] == live[1]
    expect(page.locator("#status")).to_contain_text("Rewound to iteration 5 of 8")
    # the curves mark iteration 5 and their readouts are iteration 5's
    rows = {r["iteration"]: r for r in download_csv(page, "#h-cost")}
    for chart in ("#cost-chart", "#acc-chart", "#gradnorm-chart"):
        expect(page.locator(chart)).to_have_attribute("data-at", "5")
        expect(page.locator(f"{chart} .u-legend")).to_have_text(re.compile(r"^iteration:?\s*5\b"))
    training = page.locator("#cost-chart .u-legend .u-series").nth(1).inner_text()  # "training1.724"
    value = re.search(r"[-+\d.e]+$", training.strip()).group()
    assert float(value) == pytest.approx(float(rows["5"]["training"]), rel=1e-3)
    scroll_to_charts(page)
    page.screenshot(path=screenshots / "13-timeline.png")

    # the timeline reaches back to iteration 0, the initial weights, where the curves start
    slider.fill("0")
    expect(page.locator("#timeline-label")).to_have_text("iteration 0 of 8")
    expect(page.get_by_test_id("iteration")).to_have_text("0", timeout=5_000)
    start = download_csv(page, "#h-cost")[0]
    assert start["iteration"] == "0"
    assert float(page.get_by_test_id("cost").inner_text()) == pytest.approx(float(start["training"]), rel=1e-3)
    assert settled(page)[1] != rewound[1]  # the initial weights are not iteration 5's

    # playing back (from iteration 0) ends at the last iteration, where no mark is left
    page.locator("#timeline-speed").select_option("20")
    page.locator("#timeline-play").click()
    expect(page.locator("#timeline-label")).to_have_text("iteration 8 of 8", timeout=15_000)
    expect(page.locator("#timeline-play")).to_have_text("▶ Play", timeout=5_000)
    for chart in ("#cost-chart", "#acc-chart", "#gradnorm-chart"):
        expect(page.locator(chart)).not_to_have_attribute("data-at", re.compile(".*"))
        expect(page.locator(f"{chart} .u-legend")).to_have_text(re.compile(r"^iteration:?\s*8\b"))


class SocketTap:
    """The page's socket, tapped: `train` asks for every weights frame, and the test can ask
    the server directly on the page's own connection (those answers never reach the page)."""

    def __init__(self, page: Page):
        self.page = page
        self.server = None
        self.sent = []      # what the page sent, decoded
        self.answers = {}   # request_id -> the server's answer to the test's own requests
        page.route_web_socket(re.compile(r"/ws$"), self._route)

    def _route(self, ws):
        server = self.server = ws.connect_to_server()

        def to_server(message):
            if isinstance(message, str):
                msg = json.loads(message)
                self.sent.append(msg)
                if msg.get("type") == "train":
                    message = json.dumps({**msg, "weights_interval_ms": 0})
            server.send(message)

        def to_page(message):
            if isinstance(message, str) and '"tap-' in message:
                msg = json.loads(message)
                if str(msg.get("request_id")).startswith("tap-"):
                    self.answers[msg["request_id"]] = msg
                    return
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    def ask(self, timeout=10.0, **msg) -> dict:
        """Send ``msg`` to the server as the page's connection; return its answer."""
        rid = f"tap-{len(self.sent)}-{time.monotonic_ns()}"
        self.server.send(json.dumps({**msg, "request_id": rid}))
        deadline = time.monotonic() + timeout
        while rid not in self.answers and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        return self.answers[rid]

    def of(self, kind) -> list[dict]:
        return [m for m in self.sent if m.get("type") == kind]


def shown_matrix(page: Page) -> list[list[int]]:
    """The confusion matrix the panel shows, through its CSV button (exact counts)."""
    return [[int(v) for k, v in row.items() if k != "true \\ predicted"]
            for row in download_csv(page, "#h-conf")]


def test_the_timeline_rewinds_the_confusion_matrix_and_the_class_strip_to_iteration_5(page, live_server, watch, screenshots):
    tap = SocketTap(page)
    open_page(page, live_server, "max_iter=8&hidden_layers=16")
    button(page, "Train").click()
    expect(page.get_by_test_id("run-state")).not_to_have_text("idle", timeout=5_000)
    wait_idle_after_run(page)
    expect(page.locator("#timeline-label")).to_have_text("iteration 8 of 8", timeout=10_000)
    expect(page.locator("#confusion")).to_have_attribute("data-iteration", "final")
    final_shown = shown_matrix(page)  # what `done` brought
    assert tap.of("confusion") == []

    # drag from iteration 1 to 5 in one go (the kept iterations are 0…8, so the slider's
    # value is the iteration): one batch in flight, then only the latest asked
    page.evaluate("""() => {
      const s = document.querySelector('#timeline-slider');
      for (const v of [1, 2, 3, 4, 5]) { s.value = String(v); s.dispatchEvent(new Event('input')); }
    }""")
    expect(page.locator("#timeline-label")).to_have_text("iteration 5 of 8")
    matrix = page.locator("#confusion")
    expect(matrix).to_have_attribute("data-iteration", "5", timeout=10_000)
    expect(page.get_by_test_id("confusion-iteration")).to_have_text("at iteration 5 of 8")
    asked = tap.of("confusion")
    assert [m["iteration"] for m in asked] == [1, 1, 5, 5], asked  # not 1, 2, 3, 4, 5 twice each
    assert {m["split"] for m in asked} == {"test", "validation"}
    run_id = asked[0]["run_id"]

    at5 = tap.ask(type="confusion", run_id=run_id, iteration=5, split="test")
    assert at5["iteration"] == 5
    assert shown_matrix(page) == at5["matrix"]  # the panel (and its CSV) is iteration 5's
    final = tap.ask(type="confusion", run_id=run_id, split="test")
    assert final["iteration"] == 8 and final["matrix"] == final_shown
    assert at5["matrix"] != final["matrix"]

    strip = page.locator("#class-strip")
    expect(strip).to_have_attribute("data-at", "5")
    val5 = tap.ask(type="confusion", run_id=run_id, iteration=5, split="validation")
    label = page.get_by_test_id("class-strip-iteration")
    expect(label).to_contain_text("Iteration 5 of 8")
    for c, v in enumerate(val5["class_accuracy"]):
        expect(label).to_contain_text(f"{c} {int(100 * v + 0.5)}%")
    scroll_to_charts(page)
    page.screenshot(path=screenshots / "13-rewound-strip.png")
    page.locator(".area-conf").screenshot(path=screenshots / "13-rewound-confusion.png")

    page.locator("#timeline-slider").fill("8")  # back to the end: the final matrix, the whole strip
    expect(page.locator("#timeline-label")).to_have_text("iteration 8 of 8")
    expect(matrix).to_have_attribute("data-iteration", "final")
    assert shown_matrix(page) == final_shown
    expect(label).to_be_hidden()
    assert strip.get_attribute("data-at") is None


def test_a_saved_run_reopens_after_a_reload_with_its_cost_prediction_and_curve(page, live_server, watch):
    open_page(page, live_server, "max_iter=5&hidden_layers=12")
    button(page, "Train").click()
    expect(page.get_by_test_id("run-state")).not_to_have_text("idle", timeout=5_000)
    wait_idle_after_run(page)
    expect(page.locator("#cost-chart")).to_have_attribute("data-points", "6")  # iterations 0 to 5
    cost = page.get_by_test_id("cost").inner_text()
    curve = download_csv(page, "#h-cost")
    page.locator("#samples .thumb").first.click()
    expect(page.get_by_test_id("prediction")).not_to_have_text("")
    predicted, bars = page.get_by_test_id("prediction").inner_text(), page.locator("#bars").inner_text()
    page.locator("#model-name").fill("replay-run")
    page.locator("#save-model").click()
    expect(page.locator("#save-result")).to_contain_text("Saved on the server")

    open_page(page, live_server, "hidden_layers=12")
    item = page.locator("#saved-runs li[data-model='replay-run']")
    expect(item).to_contain_text("5 it.")
    item.get_by_role("button", name="Open replay-run").click()
    expect(page.locator("#status")).to_contain_text("Finished", timeout=15_000)
    expect(page.get_by_test_id("cost")).to_have_text(cost)
    expect(page.locator("#cost-chart")).to_have_attribute("data-points", "6")
    again = download_csv(page, "#h-cost")
    assert [r["iteration"] for r in again] == [r["iteration"] for r in curve]
    for a, b in zip(again, curve):
        assert float(a["training"]) == pytest.approx(float(b["training"]), rel=1e-12)
        assert float(a["validation"]) == pytest.approx(float(b["validation"]), rel=1e-12)
    page.locator("#samples .thumb").first.click()
    expect(page.get_by_test_id("prediction")).to_have_text(predicted)
    assert page.locator("#bars").inner_text() == bars  # drawn with the class, in one call
    expect(page.locator("#timeline-label")).to_have_text("iteration 5 of 5")


def test_an_uploaded_model_that_does_not_fit_the_data_set_gets_the_servers_message(page, live_server, watch, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((40, 2))
    model = NeuralNetwork(hidden_layers=(3,), max_iter=3, random_state=0).fit(X, (X[:, 0] > 0.5).astype(int))
    model.save(tmp_path / "two-inputs.npz")
    open_page(page, live_server)
    page.locator("#model-upload").set_input_files(str(tmp_path / "two-inputs.npz"))
    expect(page.locator("#saved-note")).to_contain_text("Uploaded two-inputs (2–3–2)")
    page.get_by_role("button", name="Open two-inputs").click()
    expect(page.locator("#saved-note")).to_contain_text("takes 2 inputs", timeout=10_000)
    expect(page.locator("#saved-note")).to_contain_text("400")
    expect(page.get_by_test_id("run-state")).to_have_text("idle")

"""Issue 9 in a real Chromium: the step-through of one training step, the post's
chain of matrices, and the gradient check you can break.

The numbers the page receives are read from the WebSocket itself (unrounded) and
compared with the engine run in Python on the same weights (the model saved
through the page and loaded with ``NeuralNetwork.load``).
"""

from __future__ import annotations

import json
import re
import struct

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from screens import overlaps
from test_page import CANVAS_HASH, button, open_page, wait_idle_after_run

from server.datasets import load_dataset, train_validation_split
from server.network import NeuralNetwork

pytestmark = pytest.mark.browser

PHASES = ("Forward", "Cost", "Backward", "Update")


class Wire:
    """Every frame the server sends the page: JSON messages and binary frames."""

    def __init__(self, page: Page):
        self.messages: list[dict] = []
        self.frames: list[tuple[dict, list[np.ndarray]]] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload):
        if isinstance(payload, str):
            self.messages.append(json.loads(payload))
            return
        data = bytes(payload)
        (n,) = struct.unpack_from("<I", data)
        header = json.loads(data[4:4 + n])
        offset = 4 + n
        dtype = np.float64 if header.get("dtype") == "float64" else np.float32
        arrays = []
        for rows, cols in header["shapes"]:
            arrays.append(np.frombuffer(data, dtype=dtype, count=rows * cols, offset=offset).reshape(rows, cols))
            offset += rows * cols * np.dtype(dtype).itemsize
        self.frames.append((header, arrays))

    def last(self, kind):
        return next((m for m in reversed(self.messages) if m.get("type") == kind), None)


def train(page: Page, live_server, query: str):
    open_page(page, live_server, query)
    button(page, "Train").click()
    expect(page.get_by_test_id("run-state")).not_to_have_text("idle", timeout=5_000)
    wait_idle_after_run(page)
    expect(page.locator("#status")).to_contain_text("Finished")


def shapes(page: Page, kind: str) -> list[str]:
    return page.locator(f"#matrix-chain li[data-kind={kind}]").evaluate_all("(els) => els.map((e) => e.dataset.shape)")


@pytest.mark.parametrize(("hidden", "thetas", "deltas"), [
    ("25", ["401×25", "26×10"], ["m×10", "m×25"]),
    ("16,8", ["401×16", "17×8", "9×10"], ["m×10", "m×8", "m×16"]),
])
def test_the_matrix_chain_follows_the_architecture(page, live_server, watch, hidden, thetas, deltas):
    open_page(page, live_server, f"hidden_layers={hidden}")
    expect(page.locator("#matrix-chain li[data-kind=theta]")).to_have_count(len(thetas))
    assert shapes(page, "theta") == thetas
    assert shapes(page, "delta") == deltas
    assert shapes(page, "input") == ["m×400"] and shapes(page, "bias")[0] == "m×401"
    assert shapes(page, "grad") == list(reversed(thetas))
    # typeset by KaTeX (rendered into the element, no inline HTML strings)
    expect(page.locator("#matrix-chain li[data-kind=theta] .katex").first).to_be_visible()


def test_the_page_gets_the_engines_delta_and_gradients_for_test_sample_0(page, live_server, watch):
    wire = Wire(page)
    train(page, live_server, "max_iter=3&random_state=0")
    page.locator("#samples .thumb").first.click()
    button(page, "3 Backward").click()
    expect(page.locator("#network")).to_have_attribute("data-phase", "backward", timeout=10_000)
    page.wait_for_function("() => document.querySelector('#matrix-chain li[data-kind=delta] .values').textContent.startsWith('row')", timeout=10_000)
    msg = wire.last("explanation")
    assert msg is not None
    # the weights the page explained, through the page's own Save
    page.locator("#model-name").fill("explained")
    page.get_by_role("button", name="Save model").click()
    expect(page.get_by_role("link", name="Download explained.npz")).to_be_visible(timeout=10_000)
    model = NeuralNetwork.load(live_server.models_dir / "explained.npz")
    thetas = [np.asarray(t, dtype=np.float64) for t in model.thetas]

    from server.core.explain import explain_sample, full_gradient
    ds = load_dataset("digits20")
    mine = explain_sample(thetas, ds.X_test[0], int(ds.y_test[0]))
    X, y, _, _ = train_validation_split(ds.X_train, ds.y_train, 0.1, 0)
    Y = np.eye(10)[y]
    full = full_gradient(thetas, X, Y, 1.0)

    sent = [layer["delta"] for layer in msg["layers"][1:]]
    for got, want in zip(sent, mine.delta, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    grads = {h["kind"]: arrays for h, arrays in wire.frames if h.get("type") == "gradients" and h.get("request_id") == msg["request_id"]}
    assert set(msg["frames"]) <= set(grads), f"gradient frames: {sorted(grads)}"
    for got, want in zip(grads["weights"], thetas, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    for got, want in zip(grads["grad_sample"], mine.grads, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    for got, want in zip(grads["grad_full"], full.grads, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    # and the page shows them: the output δ row of the chain, to its 3 decimals
    shown = page.locator("#matrix-chain li[data-kind=delta]").first.locator(".values").inner_text()
    assert f"{mine.delta[-1][0]:.3f}" in shown


def assert_phase_texts_fit(page, where):
    """Every text the phase canvas wrote is inside it, none over another (the legend
    band's sentences wrap at its right edge)."""
    canvas = page.locator("#network canvas.net-phase")
    width, height = canvas.evaluate("c => [c.clientWidth, c.clientHeight]")
    boxes = json.loads(canvas.get_attribute("data-text-boxes") or "[]")
    assert boxes, f"{where}: the phase canvas exposes its texts"
    for i, a in enumerate(boxes):
        assert a["x"] >= 0 and a["x"] + a["w"] <= width + 1, f"{where}: {a} cut at the edge ({width} px)"
        assert a["y"] >= 0 and a["y"] + a["h"] <= height + 1, f"{where}: {a} cut ({height} px high)"
        for b in boxes[i + 1:]:
            assert not overlaps(a, b), f"{where}: {a['text']!r} and {b['text']!r} overlap"


@pytest.mark.parametrize("query", ["", "presenter=1"])
def test_the_phase_stepper_recolours_the_diagram_in_each_phase(page, live_server, watch, screenshots, query):
    train(page, live_server, f"max_iter=3&{query}")
    live = page.locator("#network canvas.net-units").evaluate(CANVAS_HASH)
    seen = {"live": live}
    for k, name in enumerate(PHASES, 1):
        button(page, f"{k} {name}").click()
        expect(page.locator("#network")).to_have_attribute("data-phase", name.lower(), timeout=10_000)
        page.wait_for_timeout(600)  # the gradient frames of the Update phase
        seen[name] = page.locator("#network canvas.net-phase").evaluate(CANVAS_HASH)
        assert_phase_texts_fit(page, f"{name} {query}")
        page.locator("#h-net").scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"09-phase-{k}-{name.lower()}{'-presenter' if query else ''}.png")
    assert len(set(seen.values())) == len(seen), seen
    button(page, "Live").click()
    expect(page.locator("#network canvas.net-phase")).to_be_hidden()


def test_each_broken_backprop_fails_the_check_and_the_real_one_passes(page, live_server, watch):
    train(page, live_server, "max_iter=2")
    variants = page.locator("#gradient-variant option").evaluate_all("(os) => os.map((o) => o.value)")
    assert "correct" in variants and len(variants) >= 5, variants
    for v in variants:
        page.locator("#gradient-variant").select_option(v)
        expect(page.locator("#variant-about")).not_to_be_empty()
        page.get_by_role("button", name="Check gradients").click()
        result = page.locator("#gradient-result")
        expect(result).to_have_attribute("data-verdict", "pass" if v == "correct" else "fail", timeout=30_000)
        expect(result).to_contain_text("PASS" if v == "correct" else "FAIL")
        expect(page.locator("#gradient-table tbody tr").first).to_be_visible()


def test_help_opens_with_the_keyboard_and_escape_closes_it(page, live_server, watch):
    open_page(page, live_server)
    help_cost = page.get_by_role("button", name=re.compile("^Help: The cost"))
    help_cost.focus()
    page.keyboard.press("Enter")
    pop = page.locator("#help-pop")
    expect(pop).to_be_visible()
    expect(pop).to_contain_text("λ/(2m)")
    expect(pop.locator(".katex").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(pop).to_be_hidden()
    expect(help_cost).to_be_focused()
    # every panel has its "?", and the settings built from the schema get theirs
    assert page.locator(".panel h2 .help-btn").count() >= 10
    expect(page.get_by_role("button", name=re.compile("^Help: λ"))).to_have_count(1)

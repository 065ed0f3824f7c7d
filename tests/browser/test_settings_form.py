"""The settings form is built from the server's schema (`ready.settings`, `ready.optimizers`)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from server.protocol import Limits
from server.protocol.settings import optimizers_json, settings_json

pytestmark = pytest.mark.browser


def test_the_form_shows_the_schemas_fields_optimizers_and_limits(page, live_server, watch):
    page.goto(f"{live_server.url}/?optimizer=TNC")
    expect(page.locator("#samples .thumb").first).to_be_visible(timeout=15_000)
    rows = [r for r in settings_json(Limits()) if r["form"]]
    for r in rows:
        field = page.locator(f"#f-{r['name']}") if r["type"] != "ints" else page.locator(f"#l-{r['name']}")
        expect(field).to_have_count(1)
    assert page.locator("#f-validation_fraction").count() == 0  # wire-only rows are not in the form
    # the optimizer choices and their labels come from the registry
    options = page.locator("#f-optimizer option")
    assert options.evaluate_all("os => os.map(o => o.value)") == [o["name"] for o in optimizers_json()]
    expect(page.locator("#f-optimizer option[value=TNC]")).to_have_text("TNC (Newton)")
    # the limits are the server's
    max_iter = next(r for r in rows if r["name"] == "max_iter")
    expect(page.locator("#f-max_iter")).to_have_attribute("max", str(max_iter["max"]))
    expect(page.locator("#f-max_iter")).to_have_attribute("title", max_iter["help"])
    # learning rate and batch size only for the optimizers that take them
    expect(page.locator("#f-learning_rate")).to_be_hidden()
    page.locator("#f-optimizer").select_option("adam")
    expect(page.locator("#f-learning_rate")).to_be_visible()
    expect(page.locator("#f-batch_size")).to_be_visible()
    assert parse_qs(urlparse(page.url).query)["optimizer"] == ["adam"]
    page.locator("#f-learning_rate").fill("0")
    page.locator("#f-learning_rate").press("Tab")
    expect(page.locator("#e-learning_rate")).to_have_text(re.compile("greater than 0"))
    page.locator("#f-optimizer").select_option("CG")
    expect(page.locator("#f-batch_size")).to_be_hidden()


def test_a_url_edited_before_the_server_answers_keeps_its_train_values(page, live_server, watch):
    """The theme toggled at once must not drop the URL's train settings (they wait for the schema)."""
    page.goto(f"{live_server.url}/?max_iter=7&hidden_layers=12,6&theme=dark")
    expect(page.locator("#f-max_iter")).to_have_value("7", timeout=15_000)
    expect(page.locator("#f-layer-1")).to_have_value("6")
    q = parse_qs(urlparse(page.url).query)
    assert q["max_iter"] == ["7"] and q["hidden_layers"] == ["12,6"] and q["theme"] == ["dark"]
    assert q["random_state"] == ["0"]  # the rest filled in from the schema's defaults

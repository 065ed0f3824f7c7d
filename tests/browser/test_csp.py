"""The page under the server's Content-Security-Policy, and names that stay text (issue 12).

The page must work with no inline script and no origin but its own: loading it
and training produces no console error and no `securitypolicyviolation` event.
Names the page shows come from users (an uploaded CSV's class names, a data set's
name): written as HTML and script, they must show as text and run nothing.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from server.datasets import load_user_dataset

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
window.__ran = [];
"""

HOSTILE = ["<img src=x onerror=__ran.push(1)>", "<script>__ran.push(2)</script>",
           "x\"><svg onload=__ran.push(3)>"]
HOSTILE_NAME = "<b id=injected>bold</b><img src=x onerror=__ran.push(4)>"


def train_and_wait(page: Page, url: str):
    page.goto(url)
    expect(page.get_by_test_id("run-state")).to_have_text("idle", timeout=15_000)
    expect(page.locator("#status")).not_to_contain_text("Finished")
    page.get_by_role("button", name=re.compile("^Train")).click()
    # a 2-D run of a few iterations can end before "running" is ever seen: wait for its end
    expect(page.locator("#status")).to_contain_text("Finished", timeout=60_000)
    expect(page.get_by_test_id("run-state")).to_have_text("idle")


def test_the_page_trains_under_the_policy_with_no_violation(page, live_server, watch):
    page.add_init_script(RECORD_VIOLATIONS)
    policy = []
    page.on("response", lambda r: r.request.resource_type == "document" and policy.append(
        r.headers.get("content-security-policy")))
    train_and_wait(page, f"{live_server.url}/?max_iter=3")
    page.wait_for_timeout(300)
    assert policy and "default-src 'self'" in policy[0]  # the policy really was in force
    assert page.evaluate("window.__csp") == []
    # and it is really enforced: a fetch to another host is refused before it leaves
    result = page.evaluate("fetch('http://192.0.2.1/x').then(() => 'sent', () => 'refused')")
    assert result == "refused" and watch.blocked == []
    assert page.evaluate("window.__csp") and "connect-src" in page.evaluate("window.__csp[0]")
    watch.console_errors.clear()  # the refusal is logged, as it should be


def test_html_and_script_in_uploaded_class_names_stay_text(page, make_live_server, watch):
    rows = ["label,x,y"] + [f"{HOSTILE[i % 3]},{(i * 7) % 10 / 10 + (i % 3)},{(i * 3) % 10 / 10}"
                            for i in range(90)]
    ds = load_user_dataset("\n".join(rows).encode(), name=HOSTILE_NAME)
    assert sorted(ds.class_names) == sorted(HOSTILE)
    server = make_live_server()
    server.app.extensions["backprop_lab"].add_dataset("hostile", ds)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.add_init_script(RECORD_VIOLATIONS)
    train_and_wait(page, f"{server.url}/?dataset=hostile&max_iter=5&hidden_layers=4")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") == [] and dialogs == []
    assert page.locator("#injected").count() == 0
    assert page.locator("img[src='x'], svg[onload], script:not([src])").count() == 0
    text = page.locator("body").inner_text()
    shown = [name for name in HOSTILE + [HOSTILE_NAME] if name in text]
    assert shown, "the names should be shown, as text"
    assert page.evaluate("window.__csp") == []

"""Browser fixtures: Debian's Chromium, a page that may only talk to 127.0.0.1,
and a record of console errors and blocked requests that every test checks."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's Chromium (Playwright cannot download browsers here); fall back
    to Playwright's own when that path does not exist."""
    args = {
        **browser_type_launch_args,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage",
        ],
    }
    exe = os.environ.get("CHROMIUM_PATH", DEBIAN_CHROMIUM)
    if os.path.exists(exe):
        args["executable_path"] = exe
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A projector-sized window."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 720}}


class PageWatch:
    """What a page did that it should not: console errors, page errors, requests
    to anything but 127.0.0.1 (those are aborted)."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.blocked: list[str] = []

    def assert_clean(self):
        assert self.blocked == [], f"requests left 127.0.0.1: {self.blocked}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture
def watch(page):
    """Route every request not to 127.0.0.1 to abort; collect console errors.
    The test ends with ``watch.assert_clean()`` checked here too."""
    w = PageWatch()

    def route(route):
        url = route.request.url
        if url.startswith("data:") or urlparse(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            w.blocked.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and w.console_errors.append(m.text))
    page.on("pageerror", lambda e: w.console_errors.append(f"pageerror: {e}"))
    yield w
    w.assert_clean()


@pytest.fixture(scope="session")
def screenshots():
    """Folder for screenshots of the main states (git-ignored); look at them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

"""``python -m server`` flags that the end-to-end server tests do not cover."""

import threading

import flask

from server import __main__ as entry


def test_open_launches_the_browser_on_the_served_url(monkeypatch):
    opened = threading.Event()
    seen = {}

    def fake_open(url):
        seen["url"] = url
        opened.set()

    def fake_run(self, **kwargs):
        seen["run"] = kwargs
        assert opened.wait(5), "--open did not open a browser"

    monkeypatch.setattr(entry.webbrowser, "open", fake_open)
    monkeypatch.setattr(flask.Flask, "run", fake_run)
    assert entry.main(["--open", "--port", "5123", "--host", "0.0.0.0"]) == 0
    assert seen["url"] == "http://127.0.0.1:5123/"  # a wildcard bind is opened on loopback
    assert seen["run"]["host"] == "0.0.0.0" and seen["run"]["threaded"] is True


def test_without_open_no_browser_is_started(monkeypatch):
    calls = []
    monkeypatch.setattr(entry.webbrowser, "open", calls.append)
    monkeypatch.setattr(flask.Flask, "run", lambda self, **kwargs: None)
    assert entry.main(["--port", "5124"]) == 0
    assert calls == []
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]

"""Protective headers on every response: a strict Content-Security-Policy and friends.

The page is one external module script, stylesheets and the server's own
WebSocket, so the policy allows nothing but the page's own origin: no inline
script, no eval, no other host, no framing. ``'self'`` in ``connect-src`` covers
the same-origin WebSocket in current browsers (CSP Level 3); the ``ws:``/``wss:``
form of the page's own host is listed too, for browsers that read 'self' as
http(s) only.
"""

from __future__ import annotations

import re

from flask import request

# A Host header we are willing to repeat inside the policy (no ';', spaces or quotes).
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",  # the favicon is data:, canvases may export blobs
    "font-src 'self'",
    "connect-src 'self'{sockets}",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(host: str | None) -> str:
    """The policy for a page served as ``host`` (``request.host``: name and port)."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST_RE.match(host) else ""
    return "; ".join(POLICY).format(sockets=sockets)


def protect(response):
    """Add the headers to one response (an ``after_request`` hook)."""
    response.headers["Content-Security-Policy"] = content_security_policy(request.host)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app):
    app.after_request(protect)

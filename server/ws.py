"""The /ws route: frames in, Session calls; Session frames out. Nothing else."""

from __future__ import annotations

import itertools
import logging
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_sock import ConnectionClosed, Sock

from .training import Session

log = logging.getLogger(__name__)

sock = Sock()
_connection_ids = itertools.count(1)


@sock.route("/ws")
def ws_route(ws):
    """Run one connection: a Session, fed by this thread, sending from its outbox."""
    lab = current_app.extensions["backprop_lab"]
    session = Session(ws.send, lab, name=f"ws{next(_connection_ids)}")
    try:
        session.hello()
        while not session.outbox.failed:
            data = ws.receive(timeout=1.0)
            if data is not None:
                session.receive(data)
    except ConnectionClosed:
        pass
    finally:
        session.close()


def check_origin():
    """Refuse a WebSocket handshake from a page served by another host (CSRF-style)."""
    if request.path != "/ws":
        return None
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser: nothing to protect against
        return None
    allowed = current_app.config.get("ALLOWED_ORIGINS") or []
    if origin in allowed or urlsplit(origin).netloc == request.host:
        return None
    log.warning("refused /ws from origin %s (host %s)", origin, request.host)
    abort(403, description=f"WebSocket origin {origin} does not match host {request.host}")


def init_app(app):
    sock.init_app(app)
    app.before_request(check_origin)

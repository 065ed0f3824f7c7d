"""The /ws route: frames in, Session calls; Session frames out. Nothing else."""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from urllib.parse import urlsplit

from flask import current_app, request
from flask_sock import ConnectionClosed, Sock

from . import reach
from .httperrors import Refused
from .live import Session

log = logging.getLogger(__name__)

sock = Sock()
_connection_ids = itertools.count(1)
SEND_LOCK_TIMEOUT = 10.0  # s; a send stuck this long means the peer is gone
CLOSE_FRAME_TIMEOUT = 2.0  # s to let the reader thread write its close frame


class LockedSocket:
    """The connection's socket with one lock around every send.

    Two threads write to it: our outbox's sender, and simple-websocket's own
    thread (pings, pongs, the close frame). ``socket.send`` may block half-way
    through a frame when the client reads slowly, so without the lock their
    frames could interleave on the wire.
    """

    def __init__(self, raw):
        self._raw = raw
        self._lock = threading.Lock()

    def send(self, data):
        if not self._lock.acquire(timeout=SEND_LOCK_TIMEOUT):
            raise TimeoutError("the socket has been busy for too long: peer gone?")
        try:
            self._raw.sendall(data)
        finally:
            self._lock.release()
        return len(data)

    def abort(self):
        """Unblock a send stuck on a peer that stopped reading."""
        try:
            self._raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def __getattr__(self, name):
        return getattr(self._raw, name)


@sock.route("/ws")
def ws_route(ws):
    """Run one connection: a Session, fed by this thread, sending from its outbox."""
    ws.sock = LockedSocket(ws.sock)
    lab = current_app.extensions["backprop_lab"]
    listen_host = request.environ.get("SERVER_NAME")
    session = Session(ws.send, lab, name=f"ws{next(_connection_ids)}",
                      reach=lambda: reach.reach(listen_host))
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
        end_connection(ws, stuck=session.outbox.alive)


def end_connection(ws, stuck=False):
    """End the TCP connection ourselves, after the close frame simple-websocket sends.

    simple-websocket's reader thread wakes ``receive`` before it writes the close
    frame it answers with (1007 for text that is not UTF-8, 1009 for a message too
    big): returning at once would let the server close the socket first (gunicorn)
    or write its HTTP response into it (Werkzeug). So wait for that thread, then shut
    the socket down: Werkzeug would otherwise keep the thread and the connection
    until the client closes its side. ``stuck``: a send blocked on a client that
    stopped reading; shut down at once to unblock it.
    """
    if not stuck and ws.connected:
        try:
            ws.close(reason=1000)  # we end it (the outbox failed): say so first
        except ConnectionClosed:
            pass
    thread = getattr(ws, "thread", None)
    if not stuck and thread is not None and thread is not threading.current_thread():
        thread.join(CLOSE_FRAME_TIMEOUT)
    ws.sock.abort()


def check_origin():
    """Refuse a WebSocket handshake or a write from a page served by another host (CSRF).

    A multipart POST needs no CORS preflight, so without this any page a student
    visits could upload or overwrite models on the lab server.
    """
    if request.path != "/ws" and request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser: nothing to protect against
        return None
    allowed = current_app.config.get("ALLOWED_ORIGINS") or []
    if origin in allowed or urlsplit(origin).netloc == request.host:
        return None
    log.warning("refused %s %s from origin %s (host %s)", request.method, request.path, origin,
                request.host)
    raise Refused(description=f"Origin {origin} does not match the host {request.host} "
                  "(another site's page may not write here; see ALLOWED_ORIGINS)")


def init_app(app):
    sock.init_app(app)
    app.before_request(check_origin)

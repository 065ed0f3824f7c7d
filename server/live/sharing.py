"""Sharing a run with a class: one run, many watchers, each with its own outbox.

A run talks to an :class:`Audience`: the session that controls it (none while its
presenter is away) and the sessions that follow it. Every frame is built and
encoded once, in the first sender thread that needs it, and queued in each
watcher's own bounded, coalescing outbox: a slow phone only delays itself, and the
training thread only appends to queues.

:class:`Shares` is the lab's table of shared runs: the follow token (public, in
the link) and the control token (the presenter's, to claim the run back), and the
bounded lifetime of a run whose presenter has gone.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field

from .. import protocol

log = logging.getLogger(__name__)

ORPHAN_SECONDS = 600.0  # a shared run lives this long after its presenter's socket closes


class _Once:
    """A lazy payload evaluated and encoded once, whichever outbox asks first."""

    __slots__ = ("make", "_frame", "_lock")

    def __init__(self, make):
        self.make, self._frame, self._lock = make, None, threading.Lock()

    def __call__(self):
        with self._lock:
            if self._frame is None:
                self._frame = protocol.encode(self.make())
            return self._frame


class Audience:
    """Who hears a run: its controlling session (or None) and its followers."""

    def __init__(self, controller):
        self.controller = controller
        self.followers: tuple = ()
        # Held while a frame goes out and while a watcher joins, so that a late
        # joiner's history and the live frames neither overlap nor leave a gap.
        self.lock = threading.RLock()

    def put(self, payload, key=None):
        with self.lock:
            watchers = self.followers
            if watchers and callable(payload):
                payload = _Once(payload)
            if self.controller is not None:
                self.controller.put(payload, key)
            for session in watchers:
                session.put(payload, key)

    def add(self, session) -> int:
        with self.lock:
            if session not in self.followers:
                self.followers = (*self.followers, session)
            return len(self.followers)

    def remove(self, session) -> bool:
        with self.lock:
            if session not in self.followers:
                return False
            self.followers = tuple(s for s in self.followers if s is not session)
            return True


@dataclass
class Share:
    run: object
    token: str
    control_token: str
    timer: threading.Timer | None = field(default=None, repr=False)
    ended: bool = False


class Shares:
    """The shared runs of a lab, by follow token and by control token."""

    def __init__(self, orphan_seconds: float = ORPHAN_SECONDS):
        self.orphan_seconds = orphan_seconds
        self._by_token: dict[str, Share] = {}
        self._by_control: dict[str, Share] = {}
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._by_token)

    def share(self, run) -> Share:
        """The run's share, made on the first call (tokens: 128 random bits each)."""
        with self._lock:
            for share in self._by_token.values():
                if share.run is run:
                    return share
            share = Share(run, secrets.token_urlsafe(16), secrets.token_urlsafe(16))
            self._by_token[share.token] = share
            self._by_control[share.control_token] = share
            return share

    def of(self, run) -> Share | None:
        with self._lock:
            return next((s for s in self._by_token.values() if s.run is run), None)

    def find(self, token: str, field_name="token", by_control=False) -> Share:
        with self._lock:
            share = (self._by_control if by_control else self._by_token).get(token)
        if share is None:
            raise protocol.invalid(field_name, "no shared run has this token: it expired "
                                   "with its run, or was mistyped")
        return share

    def orphan(self, share: Share):
        """The presenter's socket closed: end the share unless it is claimed in time."""
        with self._lock:
            if share.ended:
                return
            if share.timer is not None:
                share.timer.cancel()
            share.timer = threading.Timer(self.orphan_seconds, self.end, (share, "expired"))
            share.timer.daemon = True
            share.timer.name = f"share-{share.run.id}"
            share.timer.start()

    def adopted(self, share: Share):
        """A presenter claimed the run back: no more expiry."""
        with self._lock:
            if share.timer is not None:
                share.timer.cancel()
                share.timer = None

    def close(self, timeout: float = 10.0):
        """End every share (a server shutting down, a test's end): orphan runs stop, and
        their timers' threads are gone when this returns."""
        with self._lock:
            shares = list(self._by_token.values())
        for share in shares:
            self.end(share, "closed")
        for share in shares:
            if share.timer is not None and share.timer is not threading.current_thread():
                share.timer.join(timeout)  # cancelled by end(): it wakes and exits
            if share.run.thread.is_alive() and share.run.audience.controller is None:
                share.run.thread.join(timeout)

    def end(self, share: Share, reason: str = "ended"):
        """Forget the tokens; tell the followers. A run nobody controls is stopped, and
        its timeline leaves the server's history budget: nobody can reach it any more."""
        with self._lock:
            if share.ended:
                return
            share.ended = True
            if share.timer is not None:
                share.timer.cancel()
            self._by_token.pop(share.token, None)
            self._by_control.pop(share.control_token, None)
        run = share.run
        log.info("share of run %s ended (%s)", run.id, reason)
        if run.audience.controller is None:
            if not run.finished:
                run.stop()
            run.lab.history.release(run.timeline)
        with run.audience.lock:
            watchers = run.audience.followers
            run.audience.followers = ()
        for session in watchers:
            session.unfollow(run)
            session.put(protocol.share_ended(run.id, share.token, reason))


def replay(run, session):
    """Bring ``session`` up to date with ``run``: call with ``run.audience.lock`` held.

    `started`, a `catchup` with every kept iteration but the newest, the newest as
    a full `iteration` (with its probe), the newest weights, then `done` or the
    run's `state`. The frames the run sends after this follow without a gap.
    """
    if run.started is None:
        if not run.finished:
            session.put(protocol.state(run.id, "queued"))
        else:
            session.put(run.result)
        return
    session.put(run.started)
    history = list(run.history)
    session.put(protocol.catchup(run.id, history[:-1], run.state))
    if history:
        last, probe = history[-1], run.latest_probe
        session.put(lambda: protocol.iteration(run.id, last, probe))
    thetas, iteration = run.latest_thetas, run.latest_iteration
    if thetas is not None:
        session.put(lambda: protocol.encode_weights(run.id, iteration, thetas))
    if run.finished:
        session.put(run.result)
    elif run.state in protocol.RUN_STATES and run.state != "running":
        session.put(protocol.state(run.id, run.state))

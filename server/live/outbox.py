"""The outbox: frames waiting for one client, sent in order by one thread.

A slow client never slows training, and sends from several worker threads never
interleave. Intermediate ``iteration``, ``evaluation`` and ``weights`` frames of a
run are coalesced (only the newest pending one is kept, and an iteration frame
carries the scalars of those it replaced: ``protocol.merge_coalesced``); every
other frame is delivered in order.
"""

from __future__ import annotations

import collections
import logging
import threading
import time

from .. import protocol

log = logging.getLogger(__name__)

JOIN_TIMEOUT = 10.0  # seconds a closing session waits for each thread it started


class Outbox:
    """Frames waiting for one client, sent in order by one thread.

    ``put(payload, key)``: a payload with a ``key`` replaces the pending payload
    with the same key (in its place in the queue), and ``merge(newest, replaced)``
    (the protocol's) makes the payload sent from it and those it replaced, oldest
    first; ``key=None`` frames are never dropped. A payload is a message (a dict or
    bytes), or a zero-argument callable returning one, evaluated in the sender thread
    so that building it costs the worker nothing; ``encode`` (the protocol's) turns it
    into the frame sent.
    """

    def __init__(self, send, name="outbox", max_pending=1000, encode=protocol.encode,
                 merge=protocol.merge_coalesced):
        self._send = send
        self._encode = encode
        self._merge = merge
        self._max_pending = max_pending
        self._queue = collections.deque()  # entries: [key, payload, replaced payloads]
        self._pending = {}                 # key -> its entry in _queue
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self.failed = False
        self.coalesced = 0
        self._thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self._thread.start()

    def put(self, payload, key=None) -> bool:
        """Queue a frame; False when the outbox is closed or the client is hopeless."""
        with self._cond:
            if self._closed:
                return False
            if key is not None and key in self._pending:
                entry = self._pending[key]
                entry[2].append(entry[1])
                entry[1] = payload
                self.coalesced += 1
                return True
            if len(self._queue) >= self._max_pending:
                # Only never-dropped frames can pile up this far: the client does
                # not read. Give up on it rather than hold memory without bound.
                log.warning("outbox %s: client not reading; closing", self._thread.name)
                self.failed = self._closed = True
                self._queue.clear()
                self._cond.notify_all()
                return False
            entry = [key, payload, []]
            self._queue.append(entry)
            if key is not None:
                self._pending[key] = entry
            self._cond.notify_all()
            return True

    def _drain(self):
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                key, payload, replaced = self._queue.popleft()
                if key is not None:
                    del self._pending[key]
                self._busy = True
            try:
                if replaced:
                    payload = self._merge(payload, replaced)
                self._send(self._encode(payload() if callable(payload) else payload))
            except Exception as exc:  # the transport is gone: stop sending
                log.debug("outbox %s: send failed: %r", self._thread.name, exc)
                with self._cond:
                    self.failed = self._closed = True
                    self._queue.clear()
                    self._busy = False
                    self._cond.notify_all()
                return
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def flush(self, timeout=None) -> bool:
        """Wait until everything queued has been sent; True if it was."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while (self._queue or self._busy) and not self.failed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return not self.failed

    def close(self):
        """Stop the sender thread; frames still queued are dropped."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._pending.clear()
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(JOIN_TIMEOUT)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

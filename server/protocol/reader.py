"""Read typed fields out of one client message, each error naming the field and its range."""

from __future__ import annotations

import math
import re

from .errors import invalid, short

# \Z, not $: "$" also matches before a trailing newline.
ID_RE = re.compile(r"\A[A-Za-z0-9_-]{1,40}\Z")
NAME_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def is_ident(value) -> bool:
    """A run id or data set id: 1-40 letters, digits, '_' or '-'."""
    return isinstance(value, str) and ID_RE.match(value) is not None


class Reader:
    """Read typed fields out of one message; complain about the ones nobody read."""

    def __init__(self, msg: dict, prefix: str = ""):
        self.msg = msg
        self.prefix = prefix
        self.seen = {"type"}

    def _name(self, field):
        return self.prefix + field

    def has(self, field) -> bool:
        return field in self.msg and self.msg[field] is not None

    def raw(self, field, default=None):
        self.seen.add(field)
        value = self.msg.get(field, default)
        return default if value is None else value

    def int(self, field, lo, hi, default=None, *, required=False):
        if not self.has(field):
            self.seen.add(field)
            if required:
                raise invalid(self._name(field), "is required")
            return default
        value = self.raw(field)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(self._name(field), f"must be an integer in [{lo}, {hi}]")
        if not lo <= value <= hi:
            raise invalid(self._name(field), f"{value} is out of range [{lo}, {hi}]")
        return value

    def float(self, field, lo, hi, default=None, *, lo_open=False):
        if not self.has(field):
            self.seen.add(field)
            return default
        value = self.raw(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(self._name(field), "must be a number")
        value = float(value)
        low_ok = value > lo if lo_open else value >= lo
        if not (math.isfinite(value) and low_ok and value <= hi):
            bracket = "(" if lo_open else "["
            raise invalid(self._name(field), f"{value} is out of range {bracket}{lo}, {hi}]")
        return value

    def choice(self, field, allowed, default=None):
        if not self.has(field):
            self.seen.add(field)
            return default
        value = self.raw(field)
        if value not in allowed:
            raise invalid(self._name(field), f"{short(value)} is not one of {list(allowed)}")
        return value

    def ident(self, field, default=None):
        """A run id or data set id: 1-40 letters, digits, '_' or '-'."""
        if not self.has(field):
            self.seen.add(field)
            return default
        value = self.raw(field)
        if not isinstance(value, str) or not ID_RE.match(value):
            raise invalid(self._name(field),
                          "must be 1-40 characters of letters, digits, '_' or '-'")
        return value

    def int_list(self, field, min_len, max_len, lo, hi, default):
        if not self.has(field):
            self.seen.add(field)
            return list(default)
        value = self.raw(field)
        if not isinstance(value, list) or not min_len <= len(value) <= max_len:
            raise invalid(self._name(field),
                          f"must be a list of {min_len} to {max_len} integers")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or not lo <= item <= hi:
                raise invalid(self._name(field),
                              f"every entry must be an integer in [{lo}, {hi}], got {short(item)}")
        return list(value)

    def request_id(self):
        if not self.has("request_id"):
            self.seen.add("request_id")
            return None
        value = self.raw("request_id")
        if not is_request_id(value):
            raise invalid("request_id", "must be an integer with |n| < 2^53 (exact in "
                          "JavaScript) or a string of at most 64 characters")
        return value

    def finish(self):
        extra = sorted(set(self.msg) - self.seen)
        if extra:
            raise invalid(self._name(extra[0]), "is not a known field of this message")


MAX_REQUEST_ID = 2**53  # |n| below it: the integers a JavaScript number holds exactly


def is_request_id(value) -> bool:
    """True for a `request_id` the server echoes: an exact integer or a short string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < MAX_REQUEST_ID
    return isinstance(value, str) and len(value) <= 64

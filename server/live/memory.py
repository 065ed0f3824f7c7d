"""Give the memory a finished run freed back to the system.

A run allocates its arrays in the worker thread's malloc arena (tens of MB for
digits20: the data with its bias column, activations, gradients). glibc keeps
freed memory in the arena for reuse, and a new thread per run gets another
arena: after a few hundred runs a worker held a gigabyte it did not use
(issue 12). ``malloc_trim(0)`` returns the free pages of every arena; the
deployment also caps the arenas (``MALLOC_ARENA_MAX=2`` in docs/deploy.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)


def _libc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _libc_trim()


def release_freed_memory() -> bool:
    """Return freed heap pages to the system (glibc ``malloc_trim``); False elsewhere."""
    if _TRIM is None:
        return False
    return bool(_TRIM(0))

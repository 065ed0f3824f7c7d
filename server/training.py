"""Training sessions, by their old name: the code lives in :mod:`server.live`."""

from __future__ import annotations

from .core.metrics import count_parameters
from .live import Lab, Outbox, Run, Session, predict, prepare_input

__all__ = ["Lab", "Outbox", "Run", "Session", "count_parameters", "predict", "prepare_input"]

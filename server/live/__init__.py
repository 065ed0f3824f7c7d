"""The live part: sessions and runs, the outbox, the lab, prediction.

Threads live here (one worker per run, one sender per connection); sockets do
not: the transport (server/ws.py) hands a ``send`` callable in and frames out.
"""

from __future__ import annotations

from .lab import Lab
from .outbox import Outbox
from .prediction import predict, prepare_input
from .run import Run
from .session import Session

__all__ = ["Lab", "Outbox", "Run", "Session", "predict", "prepare_input"]

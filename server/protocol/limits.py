"""What one request may ask of the server; every cap is configurable."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server; every cap is configurable."""

    max_hidden_layers: int = 4          # hidden layers per network
    max_units: int = 512                # units per hidden layer
    max_parameters: int = 1_000_000     # weights + biases of one network
    max_iter: int = 2000                # optimizer iterations per run
    max_probe: int = 16                 # probe samples streamed per iteration
    max_image_side: int = 1024          # width/height of a predict bitmap
    max_message_bytes: int = 4_000_000  # one incoming WebSocket message
    max_delay_ms: int = 5000            # the `speed` delay

    def to_json(self) -> dict:
        return asdict(self)

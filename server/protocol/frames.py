"""Frames on the wire: a message dict as JSON text, the weights as a binary frame.

Every encoding the server sends goes through here; the outbox only sends what
:func:`encode` returns.
"""

from __future__ import annotations

import json
import struct

import numpy as np


def encode(message) -> str | bytes:
    """A message as the frame that carries it: a dict as compact JSON text, bytes as they are."""
    if isinstance(message, dict):
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    return message


def encode_weights(run_id, iteration_number, thetas, **extra) -> bytes:
    """The binary `weights` frame: uint32 header length, JSON header, float32 data.

    ``extra`` adds header fields (a `weights_at` reply's `request_id` and
    `probe_activations`).
    """
    arrays = [np.ascontiguousarray(t, dtype="<f4") for t in thetas]
    header = json.dumps({"type": "weights", "run_id": run_id,
                         "iteration": int(iteration_number), "dtype": "float32",
                         "shapes": [list(a.shape) for a in arrays], **extra},
                        separators=(",", ":"), allow_nan=False).encode()
    header += b" " * (-len(header) % 4)
    return b"".join([struct.pack("<I", len(header)), header, *(a.tobytes() for a in arrays)])


def decode_weights(frame: bytes) -> tuple[dict, list[np.ndarray]]:
    """Inverse of :func:`encode_weights` (used by tests and tools)."""
    (n,) = struct.unpack_from("<I", frame, 0)
    header = json.loads(frame[4:4 + n])
    offset, arrays = 4 + n, []
    for shape in header["shapes"]:
        size = int(np.prod(shape))
        arrays.append(np.frombuffer(frame, "<f4", size, offset).reshape(shape))
        offset += 4 * size
    if offset != len(frame):
        raise ValueError(f"weights frame has {len(frame) - offset} trailing bytes")
    return header, arrays

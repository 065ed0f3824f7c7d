"""Frames on the wire: a message dict as JSON text; weights and gradients as binary frames.

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


DTYPES = {"float32": "<f4", "float64": "<f8"}


def _encode_arrays(fields: dict, arrays, dtype: str) -> bytes:
    """uint32 header length, JSON header padded so the data is aligned, the arrays."""
    arrays = [np.ascontiguousarray(a, dtype=DTYPES[dtype]) for a in arrays]
    header = json.dumps({**fields, "dtype": dtype, "shapes": [list(a.shape) for a in arrays]},
                        separators=(",", ":"), allow_nan=False).encode()
    size = np.dtype(DTYPES[dtype]).itemsize
    header += b" " * (-(4 + len(header)) % size)
    return b"".join([struct.pack("<I", len(header)), header, *(a.tobytes() for a in arrays)])


def encode_weights(run_id, iteration_number, thetas, **extra) -> bytes:
    """The binary `weights` frame: uint32 header length, JSON header, float32 data.

    ``extra`` adds header fields (a `weights_at` reply's `request_id` and
    `probe_activations`).
    """
    return _encode_arrays({"type": "weights", "run_id": run_id,
                           "iteration": int(iteration_number), **extra}, thetas, "float32")


GRADIENT_KINDS = ("grad_sample", "grad_full", "weights", "update")


def encode_gradients(kind, run_id, request_id, iteration_number, arrays, **extra) -> bytes:
    """A binary `gradients` frame of an `explanation`: like `weights`, float64 data.

    ``kind`` is one of ``GRADIENT_KINDS``; ``extra`` adds documented header fields
    (``from_iteration`` of an ``update``).
    """
    assert kind in GRADIENT_KINDS, kind
    return _encode_arrays({"type": "gradients", "kind": kind, "run_id": run_id,
                           "request_id": request_id, "iteration": int(iteration_number),
                           **extra}, arrays, "float64")


def decode_weights(frame: bytes) -> tuple[dict, list[np.ndarray]]:
    """Inverse of :func:`encode_weights` and :func:`encode_gradients` (tests and tools)."""
    (n,) = struct.unpack_from("<I", frame, 0)
    header = json.loads(frame[4:4 + n])
    code = DTYPES[header["dtype"]]
    size = np.dtype(code).itemsize
    offset, arrays = 4 + n, []
    for shape in header["shapes"]:
        count = int(np.prod(shape))
        arrays.append(np.frombuffer(frame, code, count, offset).reshape(shape))
        offset += size * count
    if offset != len(frame):
        raise ValueError(f"weights frame has {len(frame) - offset} trailing bytes")
    return header, arrays

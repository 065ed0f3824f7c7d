"""The wire protocol of docs/protocol.md: parse and validate what the client sends,
build and encode what the server sends.

Nothing here touches a socket, a thread or the engine's loops. The parts:
``settings`` (the one table of train settings), ``reader`` and ``requests``
(client → server), ``messages`` (server → client builders), ``frames`` (every
encoding: JSON text and the binary weights frame), ``errors`` and ``limits``.
The names below are the protocol's public face.
"""

from __future__ import annotations

from . import settings
from .errors import ERROR_CODES, ProtocolError, invalid
from .frames import GRADIENT_KINDS, decode_weights, encode, encode_gradients, encode_weights
from .limits import Limits
from .messages import (
    DONE_FIELDS,
    DONE_REASONS,
    PROTOCOL_VERSION,
    RUN_STATES,
    SERVER_MESSAGES,
    LazyIteration,
    catchup,
    claimed,
    confusion,
    done,
    error,
    error_from,
    evaluation,
    explanation,
    followers,
    following,
    gradient_check_result,
    history,
    iteration,
    iteration_scalars,
    merge_coalesced,
    prediction,
    probe_rows,
    race_done,
    race_started,
    ready,
    rounded,
    saved,
    share_ended,
    shared,
    started,
    state,
)
from .reader import MAX_REQUEST_ID, is_ident, is_request_id
from .requests import (
    CLIENT_MESSAGES,
    IMAGE_FORMATS,
    SPLITS,
    decode,
    model_name,
    parse,
    validate_control,
    validate_data_query,
    validate_gradient_check,
    validate_predict,
    validate_predict_input,
    validate_save,
    validate_speed,
    validate_train,
)

OPTIMIZERS = tuple(settings.SETTING["optimizer"].choices)

__all__ = [
    "catchup", "claimed", "followers", "following", "share_ended", "shared",
    "CLIENT_MESSAGES", "DONE_FIELDS", "DONE_REASONS", "ERROR_CODES", "GRADIENT_KINDS",
    "IMAGE_FORMATS", "MAX_REQUEST_ID", "OPTIMIZERS", "PROTOCOL_VERSION", "RUN_STATES",
    "SERVER_MESSAGES", "SPLITS", "Limits", "ProtocolError", "decode", "decode_weights", "done",
    "encode", "encode_gradients", "encode_weights", "error", "error_from", "evaluation",
    "explanation", "gradient_check_result", "invalid", "is_ident", "is_request_id",
    "iteration", "iteration_scalars", "model_name", "parse", "prediction", "ready", "rounded",
    "saved", "settings", "started", "state", "validate_control", "validate_data_query",
    "validate_gradient_check", "validate_predict",
    "confusion", "history", "probe_rows", "race_done", "race_started",
    "LazyIteration", "merge_coalesced",
    "validate_predict_input", "validate_save", "validate_speed", "validate_train",
]

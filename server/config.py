"""Configuration: defaults, then a config file, then the environment, then the tests'.

Every key can be set from the environment with the ``BACKPROP_LAB_`` prefix (values
are parsed as JSON, e.g. ``BACKPROP_LAB_MAX_CONCURRENT_TRAININGS=8``), or in a Python
file named by ``BACKPROP_LAB_SETTINGS``.
"""

from __future__ import annotations

from . import paths
from .protocol import Limits
from .threads import TRAINING_NICE, available_cores

DEFAULTS = {
    # Where `save` and uploads put models (.npz written by the engine): models/ in a
    # checkout, the user's data directory for an installed copy (see paths.py).
    "MODELS_DIR": str(paths.default_models_dir()),
    # Limits of one request (see protocol.Limits for what each means).
    "MAX_HIDDEN_LAYERS": 4,
    "MAX_UNITS": 512,
    "MAX_PARAMETERS": 1_000_000,
    "MAX_ITER": 2000,
    "MAX_PROBE": 16,
    "MAX_IMAGE_SIDE": 1024,
    "MAX_MESSAGE_BYTES": 4_000_000,
    # Trainings running at once over the whole server; beyond that they wait in a
    # queue of MAX_QUEUED_TRAININGS ("queue") or are refused with `busy` ("refuse").
    # One training per core: more would oversubscribe them (16 ms vs 6 ms measured).
    "MAX_CONCURRENT_TRAININGS": available_cores(),
    "MAX_QUEUED_TRAININGS": 64,
    # Nice steps (Linux) the trainings' threads and the BLAS workers run below the
    # threads that answer requests (at most nice 19: the default is the lowest), so that
    # a predict or a health check does not wait behind trainings holding both cores;
    # 0 = off. A training still gets every core nobody else wants.
    "TRAINING_NICE": TRAINING_NICE,
    # Seconds of computing one run may take (pauses and speed delays do not count), so
    # that no run holds a training slot for hours; 0 = no limit.
    "MAX_RUN_SECONDS": 1800,
    "BUSY_POLICY": "queue",
    # Seconds a shared run lives on after its presenter's socket closed (a reload or a
    # dropped Wi-Fi must not end the class's run); the presenter claims it back meanwhile.
    "SHARE_ORPHAN_SECONDS": 600,
    # Per connection: runs training at once, and runs (models) kept for predict/save.
    "MAX_ACTIVE_RUNS_PER_CONNECTION": 2,
    "MAX_KEPT_RUNS_PER_CONNECTION": 8,
    # The timeline: every iteration's weights (float32) are kept up to this many bytes
    # per run, then every 2^k-th (first and latest always); over the whole server the
    # oldest finished runs are thinned first. 784-128-10 costs 0.41 MB an iteration.
    "HISTORY_BYTES_PER_RUN": 64 * 1024 * 1024,
    "HISTORY_BYTES_PER_SERVER": 512 * 1024 * 1024,
    # Upload of a model file: a saved run at the default HISTORY_BYTES_PER_RUN (64 MiB
    # of kept weights, plus metrics and the model) fits; raise it with that budget.
    "MAX_UPLOAD_BYTES": 80_000_000,
    # Extra origins allowed to open /ws besides the server's own host.
    "ALLOWED_ORIGINS": [],
    # Misclassified test indices listed in `done`.
    "MAX_MISCLASSIFIED": 100,
    # WebSocket keep-alive; also detects clients that vanished without closing.
    "WS_PING_INTERVAL": 25,
}


def load(app, test_config: dict | None) -> None:
    """Fill ``app.config`` from the four sources, later ones winning."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_envvar("BACKPROP_LAB_SETTINGS", silent=True)
        app.config.from_prefixed_env("BACKPROP_LAB")
    else:
        app.config.from_mapping(test_config)
    if app.config["BUSY_POLICY"] not in ("queue", "refuse"):
        raise ValueError(f"BUSY_POLICY={app.config['BUSY_POLICY']!r}: "
                         "allowed 'queue' or 'refuse'")
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or (
        app.config["MAX_UPLOAD_BYTES"] + 1_000_000)
    app.config["SOCK_SERVER_OPTIONS"] = {
        "max_message_size": app.config["MAX_MESSAGE_BYTES"],
        "ping_interval": app.config["WS_PING_INTERVAL"],
        # simple-websocket reads 4 KB at a time by default: a 400 KB canvas bitmap
        # would take a hundred trips through wsproto.
        "receive_bytes": 65536,
    }


def limits(config) -> Limits:
    """The per-request limits the protocol validators enforce."""
    return Limits(
        max_hidden_layers=int(config["MAX_HIDDEN_LAYERS"]),
        max_units=int(config["MAX_UNITS"]),
        max_parameters=int(config["MAX_PARAMETERS"]),
        max_iter=int(config["MAX_ITER"]),
        max_probe=int(config["MAX_PROBE"]),
        max_image_side=int(config["MAX_IMAGE_SIDE"]),
        max_message_bytes=int(config["MAX_MESSAGE_BYTES"]),
    )

"""Model files: thetas and JSON metadata in one ``.npz``, read without unpickling.

Format version 2 adds the run's history (:mod:`.runfile`): ``history_*`` arrays and
a ``history`` entry in the metadata. Version 1 files (no history) still load.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib

import numpy as np

from . import runfile
from .checks import check_thetas

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_MODEL_FILE_BYTES = 256 * 1024 * 1024
BAD = "not a Backprop Lab model file"


def _npz_member_header(zf, name):
    """Return ``(shape, dtype)`` of an .npy member without reading its data."""
    try:
        return _read_npy_header(zf, name)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # a damaged archive
        raise ValueError(f"{BAD}: {name} is damaged ({e})") from None


def _read_npy_header(zf, name):
    with zf.open(name) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version} in {name}")
    return shape, dtype


def save_model(model, path):
    """Write ``model``'s thetas and JSON metadata to one ``.npz`` file (no pickles)."""
    params = model.get_params()
    params["hidden_layers"] = list(model._validated_params())
    meta = {
        "format": "backprop-lab-model",
        "format_version": FORMAT_VERSION,
        "layer_sizes": list(model.layer_sizes),
        "params": params,
        "classes": np.asarray(model.classes_).tolist(),
        "class_names": None if model.class_names is None else list(model.class_names),
        "image_shape": None if model.image_shape is None else list(model.image_shape),
        "cost_history": [float(c) for c in getattr(model, "cost_history_", [])],
        "n_iter": int(getattr(model, "n_iter_", 0)),
    }
    history = getattr(model, "history_", None)
    if history is None:  # fitted in Python: its per-iteration lists and final weights
        history = runfile.RunHistory.from_model(model)
    meta["history"], arrays = history.to_file()
    arrays.update({f"theta_{i}": t for i, t in enumerate(model.thetas)})
    arrays["metadata"] = np.array(json.dumps(meta))
    if not isinstance(path, (str, os.PathLike)):  # an open file: written where it stands
        np.savez(path, **arrays)
        return
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _check_size(path):
    try:
        if isinstance(path, (str, os.PathLike)):
            size = os.path.getsize(path)
        else:  # a file object: what is left of it from where it stands
            start = path.tell()
            size = path.seek(0, os.SEEK_END) - start
            path.seek(start)
    except OSError as e:
        raise ValueError(f"cannot read model file: {e}") from None
    if size is not None and size > MAX_MODEL_FILE_BYTES:
        raise ValueError(f"model file is {size} bytes; at most {MAX_MODEL_FILE_BYTES} allowed")


def _check_members(zf, max_params) -> int:
    """Check the archive's members from their headers alone; return the theta count."""
    names = zf.namelist()
    keys = sorted(n[:-4] for n in names if n.endswith(".npy"))
    if len(keys) != len(names) or "metadata" not in keys:
        raise ValueError(f"{BAD}: expected theta_0.npy ... and metadata.npy, got {names}")
    history = [k for k in keys if k.startswith(runfile.ARRAY_PREFIX)]
    theta_keys = [k for k in keys if k != "metadata" and k not in history]
    n = len(theta_keys)
    if n == 0 or sorted(theta_keys) != sorted(f"theta_{i}" for i in range(n)):
        raise ValueError(f"{BAD}: theta arrays must be named theta_0 .. theta_{n - 1}")
    total = 0
    for k in theta_keys:
        shape, dtype = _npz_member_header(zf, k + ".npy")
        if dtype.kind != "f" or dtype.hasobject or len(shape) != 2:
            raise ValueError(f"{BAD}: {k} must be a 2-D float array, got {dtype} {shape}")
        total += int(np.prod(shape, dtype=np.int64))
        if total > max_params:
            raise ValueError(f"model has more than max_params={max_params:,} parameters")
    shape, dtype = _npz_member_header(zf, "metadata.npy")
    if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * 16 * 1024 * 1024:
        raise ValueError(f"{BAD}: metadata must be one JSON string")
    if history:
        try:
            runfile.check_members({k: _npz_member_header(zf, k + ".npy") for k in history}, n)
        except ValueError as e:
            raise ValueError(f"{BAD}: {e}") from None
    return n, history


def _read_archive(path, max_params):
    """Return ``(metadata dict, thetas)`` of a model file, checked before it is read."""
    _check_size(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{BAD}: not an .npz archive ({e})") from None
    with zf:
        n, history = _check_members(zf, max_params)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["metadata"]))
            thetas = [data[f"theta_{i}"] for i in range(n)]
            arrays = {k: data[k] for k in history}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError(f"{BAD}: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != "backprop-lab-model":
        raise ValueError(f"{BAD}: metadata lacks format 'backprop-lab-model'")
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise ValueError(
            f"model format_version {meta.get('format_version')!r} is not supported "
            f"(this version reads {list(READABLE_VERSIONS)})"
        )
    return meta, check_thetas(thetas), arrays


def load_model(cls, path, max_params):
    """Read a model written by :func:`save_model`; refuse anything malformed or hostile."""
    meta, thetas, arrays = _read_archive(path, max_params)
    layer_sizes = [thetas[0].shape[0] - 1] + [t.shape[1] for t in thetas]
    if meta.get("layer_sizes") != layer_sizes:
        raise ValueError(f"{BAD}: layer_sizes {meta.get('layer_sizes')} != {layer_sizes}")
    params = meta.get("params")
    if not isinstance(params, dict):
        raise ValueError(f"{BAD}: params must be an object")
    unknown = set(params) - set(cls._PARAM_NAMES)
    if unknown:
        raise ValueError(f"{BAD}: unknown parameters {sorted(unknown)}")
    params = dict(params)
    params["hidden_layers"] = tuple(params.get("hidden_layers", layer_sizes[1:-1]))
    params["max_params"] = max(int(params.get("max_params") or max_params), 1)
    if params.get("image_shape") is not None:
        params["image_shape"] = tuple(params["image_shape"])
    classes = meta.get("classes")
    if not isinstance(classes, list) or len(classes) != layer_sizes[-1]:
        raise ValueError(f"{BAD}: classes must list {layer_sizes[-1]} labels")
    model = cls.from_thetas(thetas, classes=np.asarray(classes), **params)
    model.cost_history_ = [float(c) for c in meta.get("cost_history", [])]
    model.n_iter_ = int(meta.get("n_iter", 0))
    model.history_ = None
    if arrays or "history" in meta:
        try:
            model.history_ = runfile.RunHistory.from_file(
                meta.get("history"), arrays, [t.shape for t in thetas])
        except (ValueError, KeyError) as e:
            raise ValueError(f"{BAD}: history: {e}") from None
    return model


def file_summary(path, max_params=10_000_000) -> dict:
    """What a listing shows of a model file, from its checked metadata alone."""
    _check_size(path)
    with zipfile.ZipFile(path) as zf:
        _check_members(zf, max_params)
        with zf.open("metadata.npy") as f:
            meta = json.loads(str(np.lib.format.read_array(f, allow_pickle=False)))
    if not isinstance(meta, dict) or meta.get("format") != "backprop-lab-model":
        raise ValueError(f"{BAD}: metadata lacks format 'backprop-lab-model'")
    history = meta.get("history") if isinstance(meta.get("history"), dict) else {}
    costs = meta.get("cost_history") or [None]
    return {"format_version": meta.get("format_version"), "layer_sizes": meta.get("layer_sizes"),
            "has_history": bool(history), "dataset": history.get("dataset"),
            "n_iter": meta.get("n_iter"), "cost": costs[-1]}

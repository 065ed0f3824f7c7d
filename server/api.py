"""HTTP side: the page, data sets and their samples, saved models, predict, health."""

from __future__ import annotations

import base64
import os
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from flask import Blueprint, current_app, jsonify, render_template, request, send_file

from . import protocol
from .core.modelfile import file_summary
from .live.prediction import predict as predict_fields
from .network import NeuralNetwork
from .protocol import ProtocolError

bp = Blueprint("api", __name__)

MAX_SAMPLES_PER_REQUEST = 256


def _lab():
    return current_app.extensions["backprop_lab"]


@bp.errorhandler(ProtocolError)
def _protocol_error(exc: ProtocolError):
    status = {"too_large": 413, "no_model": 404, "busy": 503, "internal": 500}.get(exc.code, 400)
    body = protocol.error(exc.code, exc.message, exc.field, request.endpoint, None)
    return jsonify(body), status


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    lab = _lab()
    return {"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
            "sessions": lab.sessions, "trainings": lab.slots.snapshot()}


@bp.get("/api/datasets")
def datasets():
    return jsonify(_lab().catalog())


def _query_int(name, default, lo, hi):
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise protocol.invalid(name, f"must be an integer in [{lo}, {hi}]") from None
    if not lo <= value <= hi:
        raise protocol.invalid(name, f"{value} is out of range [{lo}, {hi}]")
    return value


@bp.get("/api/datasets/<dataset_id>/samples")
def samples(dataset_id):
    """A page of a data set's examples: ``?split=test&start=0&count=16&format=list``.

    2-D data sets also take ``noise``, ``n_points`` and ``data_seed`` (as `train` does).

    ``format=list`` gives each image as a row-major list of floats in [0, 1];
    ``format=base64`` gives each as base64 of uint8 (0-255) bytes, row-major.
    """
    lab = _lab()
    if not protocol.is_ident(dataset_id):
        raise protocol.invalid("dataset", "is not a valid data set id")
    info = lab.dataset_info(dataset_id)
    split = request.args.get("split", "test")
    if split not in protocol.SPLITS:
        raise protocol.invalid("split", f"{split!r} is not one of {list(protocol.SPLITS)}")
    fmt = request.args.get("format", "list")
    if fmt not in ("list", "base64"):
        raise protocol.invalid("format", f"{fmt!r} is not one of ['list', 'base64']")
    ds = lab.dataset(dataset_id, protocol.validate_data_query(request.args, lab.limits))
    X, y = (ds.X_test, ds.y_test) if split == "test" else (ds.X_train, ds.y_train)
    n = int(X.shape[0])
    if "indices" in request.args:  # any samples at once, e.g. the misclassified ones
        index = _query_indices(n)
        start = None
    else:
        start = _query_int("start", 0, 0, max(0, n - 1))
        count = _query_int("count", 16, 1, MAX_SAMPLES_PER_REQUEST)
        index = np.arange(start, min(start + count, n))
    rows = np.asarray(X[index], dtype=np.float64)
    if fmt == "list":
        images = np.round(rows, 4).tolist()
    else:
        as_bytes = np.clip(np.rint(rows * 255), 0, 255).astype(np.uint8)
        images = [base64.b64encode(r.tobytes()).decode("ascii") for r in as_bytes]
    return {"dataset": dataset_id, "split": split, "start": start, "count": len(images),
            "n": n, "image_shape": info["image_shape"], "class_names": info["class_names"],
            "format": fmt, "indices": index.tolist(), "labels": np.asarray(y[index]).tolist(),
            "images": images, "data_params": _data_params(ds)}


def _data_params(ds):
    """The parameters that drew a 2-D data set (null for other kinds)."""
    if ds.kind != protocol.settings.POINTS:
        return None
    return {k: ds.params[k] for k in protocol.settings.DATA_PARAMS}


def _query_indices(n):
    """``?indices=3,17,42``: at most MAX_SAMPLES_PER_REQUEST sample indices in [0, n)."""
    parts = [p for p in request.args.get("indices", "").split(",") if p.strip()]
    if not 1 <= len(parts) <= MAX_SAMPLES_PER_REQUEST:
        raise protocol.invalid("indices", f"must list 1 to {MAX_SAMPLES_PER_REQUEST} "
                               "comma-separated integers")
    try:
        index = np.array([int(p) for p in parts], dtype=np.int64)
    except ValueError:
        raise protocol.invalid("indices", "must be comma-separated integers") from None
    if index.min() < 0 or index.max() >= n:
        raise protocol.invalid("indices", f"every index must be in [0, {n - 1}]")
    return index


# --------------------------------------------------------------------------- models

def _models_dir():
    return _lab().models_dir


def _model_path(name: str):
    name = protocol.model_name(name)
    return _models_dir() / f"{name}.npz", name


def _load_model(path):
    try:
        return NeuralNetwork.load(path, max_params=_lab().limits.max_parameters)
    except ValueError as exc:
        raise protocol.invalid("file", f"not a valid model: {exc}") from None


def _file_summary(path) -> dict:
    """A listed file's history, data set and final cost (all null if it is not valid)."""
    try:
        return file_summary(path, _lab().limits.max_parameters) | {"valid": True}
    except (ValueError, OSError, KeyError, zipfile.BadZipFile):
        return {"format_version": None, "layer_sizes": None, "has_history": False,
                "dataset": None, "n_iter": None, "cost": None, "valid": False}


@bp.get("/api/models")
def models():
    directory = _models_dir()
    out = []
    if directory.is_dir():
        for path in sorted(directory.glob("*.npz")):
            stat = path.stat()
            out.append({"name": path.stem, "bytes": stat.st_size,
                        "modified": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                  time.gmtime(stat.st_mtime))}
                       | _file_summary(path))
    return jsonify(out)


@bp.get("/api/models/<name>")
def download_model(name):
    path, name = _model_path(name)
    if not path.is_file():
        raise ProtocolError("no_model", f"no model named {name!r}", "name")
    return send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=f"{name}.npz")


@bp.post("/api/models")
def upload_model():
    """Store an uploaded ``.npz`` after the engine's loader has accepted it.

    The body is either multipart (field ``file``; name from ``name`` or the file
    name) or the raw file with ``?name=``. The file is written to a temporary file
    in the models directory, loaded with ``NeuralNetwork.load`` (never unpickles;
    checks shapes, dtypes, sizes and finiteness) and only then renamed into place.
    """
    cap = int(current_app.config["MAX_UPLOAD_BYTES"])
    if request.mimetype != "multipart/form-data":
        # A raw body (curl --data-binary sends it as a form by default): read it
        # before request.form would consume and parse it.
        data = request.get_data(cache=False)
        upload, raw_name = None, request.args.get("name")
    else:
        upload = request.files.get("file")
        raw_name = request.form.get("name") or request.args.get("name")
    if upload is None and request.mimetype == "multipart/form-data":
        raise protocol.invalid("file", "missing: send the model as the multipart field 'file'")
    if upload is not None:
        if not raw_name:  # a browser sends a base name; anything else loses its path
            raw_name = PurePosixPath((upload.filename or "").replace("\\", "/")).name
        data = upload.stream.read(cap + 1)
    path, name = _model_path(raw_name or "")
    if len(data) > cap:
        raise ProtocolError("too_large", f"file: more than {cap} bytes", "file")
    if not data:
        raise protocol.invalid("file", "is empty")
    directory = _models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        model = _load_model(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return {"name": name, "layer_sizes": list(model.layer_sizes), "bytes": len(data)}, 201


@bp.post("/api/predict")
def predict():
    """``{"model": name, "image"|"vector": ...}`` → the `prediction` message."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ProtocolError("bad_message", "the body must be a JSON object")
    fields = {k: v for k, v in body.items() if k != "model"}
    fields["type"] = "predict"
    given = protocol.validate_predict(fields, _lab().limits)
    if "sample" in given:
        raise protocol.invalid("sample", "a saved model has no data set; send image or vector")
    path, name = _model_path(body.get("model", ""))
    if not path.is_file():
        raise ProtocolError("no_model", f"no model named {name!r}", "model")
    fields = predict_fields(_load_model(path), given)
    return protocol.prediction(given["request_id"], None, **fields, model=name)


def init_app(app):
    app.register_blueprint(bp)

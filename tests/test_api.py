"""The HTTP API: health, data sets and samples, models (hostile uploads too), predict."""

from __future__ import annotations

import base64
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from server import create_app
from server.datasets import load_dataset
from server.network import NeuralNetwork


@pytest.fixture(scope="module")
def xor_model():
    ds = load_dataset("xor")
    return NeuralNetwork((4,), 0.1, max_iter=40, random_state=0,
                         class_names=ds.class_names).fit(ds.X_train, ds.y_train)


@pytest.fixture(scope="module")
def digits_model():
    ds = load_dataset("optdigits")
    return NeuralNetwork((6,), 1.0, max_iter=5, random_state=0, class_names=ds.class_names,
                         image_shape=ds.image_shape).fit(ds.X_train[:500], ds.y_train[:500])


def model_bytes(model, tmp_path) -> bytes:
    path = tmp_path / "m.npz"
    model.save(path)
    return path.read_bytes()


def upload(client, data: bytes, name="net.npz", form_name=None):
    fields = {"file": (io.BytesIO(data), name)}
    if form_name is not None:
        fields["name"] = form_name
    return client.post("/api/models", data=fields, content_type="multipart/form-data")


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["trainings"]["running"] == 0


def test_the_page_is_templates_index_html(client, app):
    response = client.get("/")
    assert response.status_code == 200
    with app.test_request_context():
        from flask import render_template
        assert response.get_data(as_text=True) == render_template("index.html")


def test_datasets_lists_the_catalog(client):
    body = client.get("/api/datasets").get_json()
    by_id = {d["id"]: d for d in body}
    assert by_id["digits20"]["image_shape"] == [20, 20]
    assert by_id["xor"]["n_features"] == 2


def test_sample_images_as_lists_and_base64(client):
    ds = load_dataset("optdigits")
    body = client.get("/api/datasets/optdigits/samples?split=test&start=5&count=3").get_json()
    assert body["image_shape"] == [8, 8] and body["count"] == 3 and body["start"] == 5
    assert body["labels"] == ds.y_test[5:8].tolist()
    np.testing.assert_allclose(body["images"][0], ds.X_test[5], atol=1e-4)
    b64 = client.get("/api/datasets/optdigits/samples?split=train&count=2&format=base64")
    pixels = np.frombuffer(base64.b64decode(b64.get_json()["images"][1]), np.uint8)
    np.testing.assert_allclose(pixels / 255, ds.X_train[1], atol=1 / 255)


@pytest.mark.parametrize("query, field", [
    ("split=dev", "split"), ("count=0", "count"), ("count=1000", "count"),
    ("start=-1", "start"), ("start=abc", "start"), ("format=png", "format"),
])
def test_sample_query_errors_name_the_field(client, query, field):
    response = client.get(f"/api/datasets/xor/samples?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_unknown_dataset_is_a_400_that_lists_the_ids(client):
    response = client.get("/api/datasets/nope/samples")
    assert response.status_code == 400 and "digits20" in response.get_json()["message"]


def test_upload_list_download_and_predict_with_a_model(client, app, xor_model, tmp_path):
    data = model_bytes(xor_model, tmp_path)
    response = upload(client, data, "../../My Net.npz", form_name="xor-net")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["layer_sizes"] == [2, 4, 2]
    assert [m["name"] for m in client.get("/api/models").get_json()] == ["xor-net"]
    with client.get("/api/models/xor-net") as download:
        assert download.data == data
    reply = client.post("/api/predict", json={"model": "xor-net", "vector": [0.3, 0.7],
                                              "request_id": 5}).get_json()
    proba = xor_model.predict_proba(np.array([[0.3, 0.7]]))[0]
    assert reply["type"] == "prediction" and reply["request_id"] == 5
    assert reply["label"] == int(np.argmax(proba))
    np.testing.assert_allclose(reply["outputs"], proba, atol=1e-5)
    assert client.post("/api/predict", json={"model": "nope", "vector": [0.1, 0.1]}
                       ).status_code == 404
    bad = client.post("/api/predict", json={"model": "xor-net", "vector": [0.1]})
    assert bad.status_code == 400 and bad.get_json()["field"] == "vector"
    typo = client.post("/api/predict", json={"model": "xor-net", "vectr": [0.1, 0.2]})
    assert typo.status_code == 400 and typo.get_json()["field"] in ("image", "vectr")
    assert client.post("/api/predict", data="nope").status_code == 400


def test_predict_a_drawn_bitmap_with_a_saved_image_model(client, digits_model, tmp_path):
    assert upload(client, model_bytes(digits_model, tmp_path), "digits.npz").status_code == 201
    canvas = np.full((64, 64), 255, np.uint8)
    canvas[8:56, 28:36] = 0  # a dark stroke on white paper
    reply = client.post("/api/predict", json={"model": "digits", "image": {
        "width": 64, "height": 64, "format": "gray8",
        "data": base64.b64encode(canvas.tobytes()).decode()}}).get_json()
    assert reply["image_shape"] == [8, 8] and len(reply["image"]) == 64
    assert [len(a) for a in reply["activations"]] == [64, 6, 10]
    assert reply["class_name"] == str(reply["label"])


def test_model_names_from_the_url_cannot_escape(client):
    assert client.get("/api/models/..%2F..%2Fpyproject").status_code in (400, 404)
    assert client.get("/api/models/.hidden").status_code == 400


# --------------------------------------------------------------------------- hostile files

def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _meta(layer_sizes):
    return np.array(json.dumps({
        "format": "backprop-lab-model", "format_version": 1, "layer_sizes": layer_sizes,
        "params": {"hidden_layers": layer_sizes[1:-1]}, "classes": list(range(layer_sizes[-1])),
        "class_names": None, "image_shape": None}))


def _huge_header_npz() -> bytes:
    """A theta whose .npy header declares 10^10 floats but holds 16 bytes."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("theta_0.npy", npy + b"\0" * 16)
        meta = io.BytesIO()
        np.save(meta, _meta([99999, 100000]))
        zf.writestr("metadata.npy", meta.getvalue())
    return buffer.getvalue()


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


HOSTILE = {
    "pickle": _npz(theta_0=np.array([Evil()], dtype=object), metadata=_meta([2, 2])),
    "raw pickle": pickle.dumps(Evil()),
    "wrong shapes": _npz(theta_0=np.zeros((3, 4)), theta_1=np.zeros((7, 2)),
                         metadata=_meta([2, 4, 2])),
    "NaN": _npz(theta_0=np.full((3, 2), np.nan), metadata=_meta([2, 2])),
    "huge declared shape": _huge_header_npz(),
    "not a zip": b"hello, I am not a model" * 10,
    "no metadata": _npz(theta_0=np.zeros((3, 2))),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_upload_refuses_hostile_files(client, app, kind, capsys):
    response = client.post("/api/models?name=evil", data=HOSTILE[kind],
                           content_type="application/octet-stream")
    assert response.status_code == 400, (kind, response.get_json())
    assert response.get_json()["field"] == "file"
    assert "pwned" not in capsys.readouterr().out
    models_dir = app.extensions["backprop_lab"].models_dir
    assert not models_dir.exists() or not any(models_dir.iterdir())  # no leftovers


@pytest.mark.parametrize("name", ["../evil.npz", "..", ".npz", "a" * 80 + ".npz", "x/.."])
def test_upload_refuses_bad_names(client, xor_model, tmp_path, name):
    response = upload(client, model_bytes(xor_model, tmp_path), "f.npz", form_name=name)
    assert response.status_code == 400 and response.get_json()["field"] == "name"


def test_upload_over_the_size_cap_is_refused(tmp_path, xor_model):
    app = create_app({"TESTING": True, "MODELS_DIR": str(tmp_path / "models"),
                      "MAX_UPLOAD_BYTES": 500})
    response = upload(app.test_client(), model_bytes(xor_model, tmp_path) + b"\0" * 1000)
    assert response.status_code == 413
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_an_upload_from_another_sites_page_is_refused(client, xor_model, tmp_path):
    response = client.post("/api/models?name=planted", data=model_bytes(xor_model, tmp_path),
                           content_type="application/octet-stream",
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert client.get("/api/models/planted").status_code == 404


def test_a_raw_upload_with_curls_default_content_type_is_stored(client, xor_model, tmp_path):
    response = client.post("/api/models?name=raw-one", data=model_bytes(xor_model, tmp_path),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.get_json()
    download = client.get("/api/models/raw-one")
    assert download.status_code == 200 and download.data == model_bytes(xor_model, tmp_path)
    download.close()


def test_a_corrupted_archive_is_a_clear_400(client, xor_model, tmp_path):
    data = bytearray(model_bytes(xor_model, tmp_path))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("theta_0.npy")
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF  # inside theta_0's data
    response = client.post("/api/models?name=broken", data=bytes(data),
                           content_type="application/octet-stream")
    assert response.status_code == 400
    assert response.get_json()["field"] == "file"


def test_samples_by_a_list_of_indices(client):
    ds = load_dataset("xor")
    body = client.get("/api/datasets/xor/samples?split=test&indices=7,0,42").get_json()
    assert body["indices"] == [7, 0, 42] and body["start"] is None
    assert body["labels"] == [int(ds.y_test[i]) for i in (7, 0, 42)]
    np.testing.assert_allclose(body["images"][2], ds.X_test[42], atol=1e-4)
    for bad in ("", "1,x", "-1", "100000", ",".join(["1"] * 300)):
        response = client.get(f"/api/datasets/xor/samples?indices={bad}")
        assert response.status_code == 400 and response.get_json()["field"] == "indices"


@pytest.mark.parametrize("split", ["test", "train"])
def test_sample_indices_stop_one_short_of_the_set_size(client, split):
    url = f"/api/datasets/xor/samples?split={split}"
    n = client.get(f"{url}&count=1").get_json()["n"]
    last = client.get(f"{url}&indices=0,{n - 1}")
    assert last.status_code == 200 and last.get_json()["indices"] == [0, n - 1]
    past = client.get(f"{url}&indices=0,{n}")
    assert past.status_code == 400
    error = past.get_json()
    assert error["field"] == "indices" and f"[0, {n - 1}]" in error["message"]
    assert client.get(f"{url}&start={n - 1}").get_json()["indices"] == [n - 1]
    past = client.get(f"{url}&start={n}")
    assert past.status_code == 400 and past.get_json()["field"] == "start"
    assert f"[0, {n - 1}]" in past.get_json()["message"]

"""`/api/predict` parses a saved model once and keeps it until the file changes (issue 12)."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from server import create_app
from server.datasets import load_dataset
from server.live.models import ModelCache
from server.network import NeuralNetwork


def fitted(hidden, seed):
    ds = load_dataset("xor")
    return NeuralNetwork((hidden,), 0.1, max_iter=20, random_state=seed,
                         class_names=ds.class_names).fit(ds.X_train, ds.y_train)


@pytest.fixture(scope="module")
def two_models():
    return fitted(3, 0), fitted(5, 1)


def counting_loader(loads, delay=0.0):
    def load(path, max_params):
        loads.append(path)
        time.sleep(delay)
        return NeuralNetwork.load(path, max_params=max_params)
    return load


def test_many_threads_asking_for_one_new_model_parse_it_once(tmp_path, two_models):
    two_models[0].save(tmp_path / "m.npz")
    loads = []
    cache = ModelCache(10_000, loader=counting_loader(loads, delay=0.2))
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(tmp_path / "m.npz")))
               for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len({id(m) for m in got}) == 1


def test_a_replaced_file_is_read_again_and_a_bad_one_is_not_kept(tmp_path, two_models):
    path = tmp_path / "m.npz"
    two_models[0].save(path)
    loads = []
    cache = ModelCache(10_000, loader=counting_loader(loads))
    assert cache.get(path).layer_sizes[1] == 3
    two_models[1].save(tmp_path / "new.npz")
    os.replace(tmp_path / "new.npz", path)  # what save and upload do
    assert cache.get(path).layer_sizes[1] == 5 and len(loads) == 2
    path.write_bytes(b"not a model")
    for _ in range(2):
        with pytest.raises(ValueError):
            cache.get(path)
    assert len(loads) == 4
    path.unlink()
    with pytest.raises(FileNotFoundError):
        cache.get(path)


def test_the_cache_keeps_at_most_max_models(tmp_path, two_models):
    cache = ModelCache(10_000, max_models=2)
    for i in range(4):
        two_models[0].save(tmp_path / f"m{i}.npz")
        cache.get(tmp_path / f"m{i}.npz")
    assert len(cache) == 2


def test_http_predict_reads_the_model_file_once_until_it_changes(tmp_path, two_models,
                                                                 monkeypatch):
    app = create_app({"TESTING": True, "MODELS_DIR": str(tmp_path)})
    client = app.test_client()
    two_models[0].save(tmp_path / "net.npz")
    loads = []
    real = NeuralNetwork.load.__func__
    monkeypatch.setattr(NeuralNetwork, "load", classmethod(
        lambda cls, path, **kw: loads.append(path) or real(cls, path, **kw)))
    x = [0.3, 0.7]
    for i in range(10):
        reply = client.post("/api/predict", json={"model": "net", "vector": x, "request_id": i})
        assert reply.status_code == 200, reply.get_json()
    assert len(loads) == 1
    two_models[1].save(tmp_path / "next.npz")
    os.replace(tmp_path / "next.npz", tmp_path / "net.npz")
    reply = client.post("/api/predict", json={"model": "net", "vector": x}).get_json()
    expected = two_models[1].predict_proba(np.array([x]))[0]
    assert np.allclose(reply["probabilities"], expected / expected.sum(), atol=1e-5)
    assert len(loads) == 2

"""Model files whose metadata is off by one detail: each refusal names it, and the
missing optional entries take their defaults (survivors of `make mutate` in
server/core/modelfile.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from server.core import modelfile
from server.network import NeuralNetwork

THETAS = [np.full((3, 2), 0.1), np.full((3, 2), -0.2)]  # 2 -> 2 -> 2


def write(path, meta_changes=(), drop=(), arrays=None):
    """A version 1 model file (no history) with its metadata changed."""
    meta = {"format": "backprop-lab-model", "format_version": 1, "layer_sizes": [2, 2, 2],
            "params": {"hidden_layers": [2]}, "classes": [0, 1],
            "cost_history": [0.5, 0.25], "n_iter": 2}
    meta.update(dict(meta_changes))
    for key in drop:
        meta.pop(key)
    data = dict(arrays or {f"theta_{i}": t for i, t in enumerate(THETAS)})
    data["metadata"] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **data)
    return path


def test_a_version_1_file_loads_with_its_costs_and_no_history(tmp_path):
    model = NeuralNetwork.load(write(tmp_path / "m.npz"))
    assert model.layer_sizes == (2, 2, 2) and model.hidden_layers == (2,)
    assert model.cost_history_ == [0.5, 0.25] and model.n_iter_ == 2
    assert model.history_ is None


def test_missing_optional_entries_take_their_defaults(tmp_path):
    path = write(tmp_path / "m.npz", {"params": {}}, drop=("cost_history", "n_iter"))
    model = NeuralNetwork.load(path, max_params=1000)
    assert model.hidden_layers == (2,)  # from the weights' shapes
    assert model.max_params == 1000
    assert model.cost_history_ == [] and model.n_iter_ == 0
    summary = modelfile.file_summary(path)
    assert summary == {"format_version": 1, "layer_sizes": [2, 2, 2], "has_history": False,
                       "dataset": None, "n_iter": None, "cost": None}


def test_the_summary_reads_the_last_cost_and_the_history_data_set(tmp_path):
    model = NeuralNetwork((2,), 0.0, max_iter=3, random_state=0)
    model.fit(np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]), np.array([0, 1, 1, 0]))
    model.save(tmp_path / "fit.npz")
    summary = modelfile.file_summary(tmp_path / "fit.npz")
    assert summary["has_history"] is True and summary["format_version"] == 2
    assert summary["cost"] == pytest.approx(model.cost_history_[-1])
    assert summary["n_iter"] == model.n_iter_ and summary["layer_sizes"] == [2, 2, 2]


@pytest.mark.parametrize("changes, message", [
    ({"format": "other"}, r"^not a Backprop Lab model file: metadata lacks format"),
    ({"format_version": 9},
     r"^model format_version 9 is not supported \(this version reads \[1, 2\]\)$"),
    ({"layer_sizes": [2, 3, 2]},
     r"^not a Backprop Lab model file: layer_sizes \[2, 3, 2\] != \[2, 2, 2\]$"),
    ({"params": [1]}, r"^not a Backprop Lab model file: params must be an object$"),
    ({"classes": [0, 1, 2]}, r"^not a Backprop Lab model file: classes must list 2 labels$"),
    ({"classes": "01"}, r"^not a Backprop Lab model file: classes must list 2 labels$"),
])
def test_a_metadata_fault_is_named(tmp_path, changes, message):
    path = write(tmp_path / "m.npz", changes)
    with pytest.raises(ValueError, match=message):
        NeuralNetwork.load(path)


def test_the_summary_refuses_what_is_not_a_model_file(tmp_path):
    with pytest.raises(ValueError, match=r"^not a Backprop Lab model file: metadata lacks format"):
        modelfile.file_summary(write(tmp_path / "m.npz", {"format": "other"}))
    with pytest.raises(ValueError, match=r"^cannot read model file: "):
        modelfile.file_summary(tmp_path / "missing.npz")


def test_a_history_entry_without_its_arrays_is_refused(tmp_path):
    path = write(tmp_path / "m.npz", {"history": {"metrics": []}})
    with pytest.raises(ValueError, match=r"^not a Backprop Lab model file: history: "):
        NeuralNetwork.load(path)


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    arrays = {"theta_0": np.array([[object()]] * 3, dtype=object), "theta_1": THETAS[1]}
    with pytest.raises(ValueError, match=r"theta_0 must be a 2-D float array, got object"):
        NeuralNetwork.load(write(tmp_path / "m.npz", arrays=arrays))


def test_the_summary_refuses_more_than_ten_million_declared_parameters(tmp_path):
    import io
    import zipfile

    path = write(tmp_path / "m.npz")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (1, 9_999_989)})
    with zipfile.ZipFile(path, "a") as zf:  # 12 + 9,999,989 = 10,000,001 parameters
        zf.writestr("theta_2.npy", header.getvalue())
    with pytest.raises(ValueError, match=r"^model has more than max_params=10,000,000 "):
        modelfile.file_summary(path)
    assert modelfile.file_summary(path, max_params=10_000_001)["layer_sizes"] == [2, 2, 2]


def test_a_missing_file_cannot_be_read(tmp_path):
    with pytest.raises(ValueError, match=r"^cannot read model file: "):
        NeuralNetwork.load(tmp_path / "missing.npz")


def test_hidden_layers_in_the_file_must_match_its_weights(tmp_path):
    path = write(tmp_path / "m.npz", {"params": {"hidden_layers": [3]}})
    with pytest.raises(ValueError, match=r"^hidden_layers \(3,\) do not match the thetas' shapes$"):
        NeuralNetwork.load(path)

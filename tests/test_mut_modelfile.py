"""Model files whose metadata is off by one detail: each refusal names it, and the
missing optional entries take their defaults (survivors of `make mutate` in
server/core/modelfile.py)."""

from __future__ import annotations

import json
import re

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


# -- members checked from their headers --------------------------------------------


def npy_bytes(array, version=(1, 0)):
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version)
    return buf.getvalue()


def archive(path, members):
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def meta_bytes(**changes):
    meta = {"format": "backprop-lab-model", "format_version": 1, "layer_sizes": [2, 2, 2],
            "params": {"hidden_layers": [2]}, "classes": [0, 1]}
    meta.update(changes)
    return npy_bytes(np.array(json.dumps(meta)))


def test_npy_version_2_members_load_and_other_versions_are_named(tmp_path):
    members = {"theta_0.npy": npy_bytes(THETAS[0], (2, 0)),
               "theta_1.npy": npy_bytes(THETAS[1], (2, 0)), "metadata.npy": meta_bytes()}
    model = NeuralNetwork.load(archive(tmp_path / "v2.npz", members))
    np.testing.assert_array_equal(model.thetas[1], THETAS[1])
    bad = bytearray(npy_bytes(THETAS[0]))
    bad[6] = 3  # the major version byte after b"\x93NUMPY"
    members["theta_0.npy"] = bytes(bad)
    with pytest.raises(ValueError, match=r"^unsupported \.npy version \(3, 0\) in theta_0\.npy$"):
        NeuralNetwork.load(archive(tmp_path / "v3.npz", members))


@pytest.mark.parametrize("members, message", [
    ({"theta_0.npy": THETAS[0], "theta_2.npy": THETAS[1]},
     "theta arrays must be named theta_0 .. theta_1"),
    ({"theta_0.npy": np.ones((3, 2, 1))},
     "theta_0 must be a 2-D float array, got float64 (3, 2, 1)"),
    ({"theta_0.npy": np.ones((3, 2), np.int64)},
     "theta_0 must be a 2-D float array, got int64 (3, 2)"),
])
def test_weight_members_are_checked_by_name_and_kind(tmp_path, members, message):
    data = {k: npy_bytes(v) for k, v in members.items()}
    data["metadata.npy"] = meta_bytes()
    with pytest.raises(ValueError, match="^not a Backprop Lab model file: " + re.escape(message)):
        NeuralNetwork.load(archive(tmp_path / "m.npz", data))


def test_the_parameter_cap_counts_every_matrix_up_to_the_limit(tmp_path):
    path = write(tmp_path / "m.npz")  # 6 + 6 parameters
    assert NeuralNetwork.load(path, max_params=12).layer_sizes == (2, 2, 2)
    with pytest.raises(ValueError, match=r"^model has more than max_params=11 parameters$"):
        NeuralNetwork.load(path, max_params=11)


@pytest.mark.parametrize("metadata", [
    np.array(["{}", "{}"]), np.array(b"{}"),
])
def test_metadata_must_be_one_unicode_string(tmp_path, metadata):
    data = {"theta_0.npy": npy_bytes(THETAS[0]), "metadata.npy": npy_bytes(metadata)}
    with pytest.raises(ValueError, match="^not a Backprop Lab model file: metadata must be one "
                                         "JSON string$"):
        NeuralNetwork.load(archive(tmp_path / "m.npz", data))


def test_metadata_may_declare_up_to_64_mib(tmp_path):
    import io
    import zipfile

    for chars, ok in ((16 * 1024 * 1024, True), (16 * 1024 * 1024 + 1, False)):
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": f"<U{chars}", "fortran_order": False, "shape": ()})
        path = archive(tmp_path / f"m{chars}.npz", {"theta_0.npy": npy_bytes(THETAS[0]),
                                                    "metadata.npy": header.getvalue()})
        with zipfile.ZipFile(path) as zf:
            if ok:
                assert modelfile._check_members(zf, 100) == (1, [])
            else:
                with pytest.raises(ValueError, match="metadata must be one JSON string"):
                    modelfile._check_members(zf, 100)


def test_a_history_member_fault_is_named(tmp_path):
    data = {"theta_0.npy": npy_bytes(THETAS[0]), "metadata.npy": meta_bytes(),
            "history_kept.npy": npy_bytes(np.zeros(1))}
    with pytest.raises(ValueError, match=r"^not a Backprop Lab model file: history arrays must "
                                         r"be \['history_kept', 'history_metrics', "):
        NeuralNetwork.load(archive(tmp_path / "m.npz", data))


def test_the_file_size_cap_is_inclusive(tmp_path, monkeypatch):
    path = write(tmp_path / "m.npz")
    size = path.stat().st_size
    monkeypatch.setattr(modelfile, "MAX_MODEL_FILE_BYTES", size)
    assert NeuralNetwork.load(path).layer_sizes == (2, 2, 2)
    monkeypatch.setattr(modelfile, "MAX_MODEL_FILE_BYTES", size - 1)
    with pytest.raises(ValueError, match=f"^model file is {size} bytes; at most {size - 1} "
                                         "allowed$"):
        NeuralNetwork.load(path)


def test_saved_metadata_and_the_saved_parameter_cap(tmp_path):
    net = NeuralNetwork.from_thetas(THETAS, class_names=["a", "b"], image_shape=(1, 2),
                                    max_params=500)
    net.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        meta = json.loads(str(data["metadata"]))
    assert meta["class_names"] == ["a", "b"] and meta["image_shape"] == [1, 2]
    assert NeuralNetwork.load(tmp_path / "m.npz").max_params == 500
    with pytest.raises(ValueError, match=r"max_params allows at most 1$"):
        NeuralNetwork.load(write(tmp_path / "neg.npz", {"params": {"max_params": -5}}))


def test_the_class_count_is_the_output_layers(tmp_path):
    thetas = {"theta_0": np.full((3, 2), 0.1), "theta_1": np.full((3, 3), 0.1)}
    path = write(tmp_path / "m.npz", {"layer_sizes": [2, 2, 3]}, arrays=thetas)
    with pytest.raises(ValueError, match=r"^not a Backprop Lab model file: classes must list "
                                         r"3 labels$"):
        NeuralNetwork.load(path)


def test_a_model_without_training_lists_saves_empty_ones(tmp_path):
    net = NeuralNetwork.from_thetas(THETAS)
    del net.cost_history_, net.n_iter_
    net.save(tmp_path / "m.npz")
    loaded = NeuralNetwork.load(tmp_path / "m.npz")
    assert loaded.cost_history_ == [] and loaded.n_iter_ == 0

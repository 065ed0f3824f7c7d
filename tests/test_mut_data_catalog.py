"""The catalog and loader of server/datasets.py: what the page is told about each set,
the refusals, the per-process memo and how each image set is assembled."""

from __future__ import annotations

import numpy as np
import pytest

from server import datasets, paths
from server.datasources import files


def test_an_image_set_is_listed_with_every_key_the_page_reads():
    listed = {d["id"]: d for d in datasets.list_datasets()}
    assert listed["optdigits"] == {
        "id": "optdigits", "name": "UCI optdigits 8x8",
        "description": datasets._CATALOG["optdigits"]["description"],
        "image_shape": [8, 8], "n_features": 64, "class_names": datasets.DIGITS,
        "n_train": 3823, "n_test": 1797, "kind": "image",
        "recommended": datasets.POST_SETTINGS}
    assert listed["digits20"]["n_features"] == 400 and listed["digits20"]["n_train"] == 5000
    listed["optdigits"]["recommended"]["max_iter"] = 1  # a copy, not the shared table
    listed["optdigits"]["class_names"].append("x")
    assert datasets.POST_SETTINGS["max_iter"] == 50 and len(datasets.DIGITS) == 10
    assert [d["id"] for d in datasets.list_datasets()] == list(datasets.DATASET_IDS)


def test_load_dataset_refuses_an_unknown_id_or_parameters_by_name():
    with pytest.raises(ValueError) as info:
        datasets.load_dataset("digits21")
    assert str(info.value) == ("dataset: unknown id 'digits21'; allowed: digits20, mnist, "
                               "optdigits, semeion, xor, circles, spiral, gaussians, sine")
    with pytest.raises(ValueError) as info:
        datasets.load_dataset("optdigits", noise=0.1, n_points=20)
    assert str(info.value) == "dataset 'optdigits' takes no parameters, got ['n_points', 'noise']"
    toy = datasets.load_dataset("xor", n_points=12, data_seed=3)
    assert toy.params["n_points"] == 12 and toy.params["data_seed"] == 3


def test_image_sets_are_memoised_per_resolved_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_MEMO", {})  # other tests' fixtures keep the real memo
    first = datasets.load_dataset("optdigits")
    assert datasets.load_dataset("optdigits", data_dir=str(paths.DATA_DIR / ".")) is first
    assert datasets.load_dataset("optdigits", cache_dir=tmp_path) is not first
    datasets.clear_memory_cache()
    again = datasets.load_dataset("optdigits")
    assert again is not first
    np.testing.assert_array_equal(again.X_test, first.X_test)


def test_an_image_set_is_read_only_typed_arrays_and_the_catalog_entry():
    ds = datasets._image_dataset("semeion", [[0, 1]], [2.0], [[1, 1]], [3])
    assert (ds.id, ds.name, ds.image_shape, ds.kind) == (
        "semeion", "UCI Semeion 16x16", (16, 16), "image")
    assert ds.class_names == datasets.DIGITS and ds.class_names is not datasets.DIGITS
    assert ds.description == datasets._CATALOG["semeion"]["description"]
    assert ds.source == datasets._CATALOG["semeion"]["source"]
    for a, dtype in ((ds.X_train, np.float64), (ds.y_train, np.int64),
                     (ds.X_test, np.float64), (ds.y_test, np.int64)):
        assert a.dtype == dtype and not a.flags.writeable and a.flags.c_contiguous
    assert ds.y_train.tolist() == [2] and ds.X_test.tolist() == [[1.0, 1.0]]


def test_semeion_is_split_a_quarter_for_test_with_seed_0():
    ds = datasets._build_image_dataset("semeion", paths.DATA_DIR, paths.DATA_DIR)
    with np.load(paths.DATA_DIR / "semeion.npz") as z:
        X, y = z["X"].astype(np.float64), z["y"]
    want = datasets.train_validation_split(X, y, 0.25, random_state=0)
    for got, expected in zip((ds.X_train, ds.y_train, ds.X_test, ds.y_test), want):
        np.testing.assert_array_equal(got, expected)


def test_optdigits_counts_are_divided_by_16():
    ds = datasets._build_image_dataset("optdigits", paths.DATA_DIR, paths.DATA_DIR)
    with np.load(paths.DATA_DIR / "optdigits.npz") as z:
        np.testing.assert_array_equal(ds.X_train, z["X_train"] / 16.0)
        np.testing.assert_array_equal(ds.X_test, z["X_test"] / 16.0)
        np.testing.assert_array_equal(ds.y_test, z["y_test"])


def test_the_module_reads_mnist_from_the_shipped_directory_by_default(monkeypatch):
    monkeypatch.setitem(files.MNIST_FILES, "train", files.MNIST_FILES["test"])
    images, labels = datasets.read_mnist()
    assert images.shape == (10000, 28, 28) and labels[:3].tolist() == [7, 2, 1]


def test_the_cache_path_defaults_to_the_shipped_data_and_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "default_cache_dir", lambda: tmp_path)
    path = datasets.digits20_cache_path()
    assert path.parent == tmp_path
    assert path == datasets.digits20.cache_path(paths.DATA_DIR, tmp_path,
                                                datasets.CACHE_FORMAT_VERSION)
    assert path.name.startswith("digits20-v1-")


def _link(tmp_path, rels):
    """A data directory holding only ``rels``, linked to the shipped files."""
    data = tmp_path / "data"
    for rel in rels:
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).symlink_to(paths.DATA_DIR / rel)
    return data


def test_mnist_is_read_from_the_given_directory_for_both_splits(tmp_path):
    only_test = _link(tmp_path / "a", files.MNIST_FILES["test"])
    with pytest.raises(FileNotFoundError, match="train-images"):
        datasets._build_image_dataset("mnist", only_test, tmp_path)
    only_train = _link(tmp_path / "b", files.MNIST_FILES["train"])
    with pytest.raises(FileNotFoundError, match="t10k-images"):
        datasets._build_image_dataset("mnist", only_train, tmp_path)


def test_digits20_is_keyed_and_read_from_the_given_directories(tmp_path):
    cache = tmp_path / "cache"
    shipped_key = datasets.digits20_cache_path(paths.DATA_DIR, cache)
    cache.mkdir()
    np.savez(shipped_key, X_train=np.zeros((1, 400)), y_train=[0],
             X_test=np.zeros((1, 400)), y_test=[0])  # the shipped files' cache
    assert datasets._build_image_dataset("digits20", paths.DATA_DIR, cache).y_train.tolist() == [0]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=str(empty)):
        datasets._build_image_dataset("digits20", empty, cache)
    with pytest.raises(FileNotFoundError, match=str(empty)):
        datasets.digits20_cache_path(empty, cache)


def test_load_dataset_reads_and_keys_the_directories_it_is_given(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_MEMO", {})
    datasets.load_dataset("optdigits")
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        datasets.load_dataset("optdigits", data_dir=tmp_path)
    np.savez(datasets.digits20_cache_path(paths.DATA_DIR, tmp_path), X_train=np.zeros((1, 400)),
             y_train=[0], X_test=np.zeros((1, 400)), y_test=[0])
    assert len(datasets.load_dataset("digits20", cache_dir=tmp_path).y_train) == 1

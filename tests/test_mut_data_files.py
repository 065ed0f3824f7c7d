"""The shipped files' readers, digits20's parts and the split, checked on small
inputs built here (server/datasources/files.py, digits20.py, splits.py)."""

from __future__ import annotations

import gzip
import hashlib
import inspect
import os

import numpy as np
import pytest

from server.datasources import digits20, files
from server.datasources.splits import train_validation_split
from server.paths import DATA_DIR
from server.preprocess import area_weights

# --------------------------------------------------------------------------- files

def test_a_file_digest_is_its_sha256_and_follows_a_rewrite(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    assert files.file_sha256(path) == hashlib.sha256(b"abc").hexdigest()
    assert files.file_sha256(str(path)) == hashlib.sha256(b"abc").hexdigest()
    path.write_bytes(b"abcd")  # another size: the memo does not answer for it
    assert files.file_sha256(path) == hashlib.sha256(b"abcd").hexdigest()
    twin = tmp_path / "twin.bin"  # same size and time as f.bin: the memo tells them by path
    twin.write_bytes(b"wxyz")
    os.utime(twin, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
    assert files.file_sha256(twin) == hashlib.sha256(b"wxyz").hexdigest()
    big = tmp_path / "big.bin"
    data = bytes(range(256)) * 8200  # over one 1 MiB block
    big.write_bytes(data)
    assert files.file_sha256(big) == hashlib.sha256(data).hexdigest()


def test_checked_names_a_missing_or_altered_file(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        files.checked(tmp_path, "optdigits.npz")
    assert str(info.value) == f"missing data file {tmp_path / 'optdigits.npz'} (see data/README.md)"
    (tmp_path / "optdigits.npz").write_bytes(b"not it")
    with pytest.raises(ValueError) as info:
        files.checked(tmp_path, "optdigits.npz")
    assert str(info.value) == (
        f"data file {tmp_path / 'optdigits.npz'} has sha256 {hashlib.sha256(b'not it').hexdigest()}"
        f", expected {files.SOURCE_SHA256['optdigits.npz']}: restore it from the repository")
    assert files.checked(DATA_DIR, "optdigits.npz") == DATA_DIR / "optdigits.npz"


def _idx(path, magic, dims, data):
    raw = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + data
    with gzip.open(path, "wb") as f:
        f.write(raw)
    return path


def test_read_idx_reads_labels_and_images_in_their_dimensions(tmp_path):
    labels = files.read_idx(_idx(tmp_path / "l.gz", 0x0801, [3], bytes([7, 0, 255])))
    assert labels.dtype == np.uint8 and labels.tolist() == [7, 0, 255]
    images = files.read_idx(_idx(tmp_path / "i.gz", 0x0803, [2, 2, 3], bytes(range(12))))
    assert images.shape == (2, 2, 3)
    assert images[1, 0].tolist() == [6, 7, 8]


def test_read_idx_refuses_another_type_or_a_wrong_length(tmp_path):
    path = _idx(tmp_path / "f.gz", 0x0D01, [1], b"\0\0\0\0")  # 0x0D: float data
    with pytest.raises(ValueError) as info:
        files.read_idx(path)
    assert str(info.value) == f"{path}: not an unsigned-byte IDX file (magic 0x00000d01)"
    path = _idx(tmp_path / "s.gz", 0x0802, [2, 3], bytes(5))
    with pytest.raises(ValueError) as info:
        files.read_idx(path)
    assert str(info.value) == f"{path}: 5 data bytes for dimensions [2, 3]"
    path = _idx(tmp_path / "b.gz", 0x0802, [2**24 + 1, 2**24 + 1], bytes(1))  # all 4 bytes count
    with pytest.raises(ValueError) as info:
        files.read_idx(path)
    assert str(info.value) == f"{path}: 1 data bytes for dimensions [16777217, 16777217]"


def test_read_mnist_gives_uint8_images_and_int64_labels(monkeypatch):
    images, labels = files.read_mnist(DATA_DIR, "test")
    assert images.dtype == np.uint8 and images.shape == (10000, 28, 28)
    assert labels.dtype == np.int64 and labels[:5].tolist() == [7, 2, 1, 0, 4]
    # The training split by default (read from the smaller test files here).
    monkeypatch.setitem(files.MNIST_FILES, "train", files.MNIST_FILES["test"])
    assert files.read_mnist(DATA_DIR)[1][:5].tolist() == [7, 2, 1, 0, 4]


def test_to_unit_flattens_rows_and_scales_to_one():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # (1, 2, 2)
    np.testing.assert_allclose(files.to_unit(images), [[0.0, 1.0, 0.2, 0.4]])


# --------------------------------------------------------------------------- digits20

def test_the_cache_name_is_the_version_and_a_digest_of_sources_and_recipe(tmp_path):
    path = digits20.cache_path(DATA_DIR, tmp_path, 3)
    digests = [hashlib.sha256((DATA_DIR / rel).read_bytes()).hexdigest()
               for pair in files.MNIST_FILES.values() for rel in pair]
    key = hashlib.sha256(f"v3:{':'.join(digests)}:{digits20.recipe()}".encode()).hexdigest()
    assert path == tmp_path / f"digits20-v3-{key[:16]}.npz"


def test_the_recipe_covers_the_class_size_and_each_builder(monkeypatch):
    before = digits20.recipe()
    assert len(before) == 64 and before == digits20.recipe()
    monkeypatch.setattr(digits20, "DIGITS20_PER_CLASS", 499)
    assert digits20.recipe() != before


def test_a_source_digest_hashes_the_source_or_else_the_name():
    src = inspect.getsource(digits20.to_digits20)
    assert digits20._source_digest(digits20.to_digits20) == hashlib.sha256(src.encode()).hexdigest()
    assert digits20._source_digest(len) == hashlib.sha256(b"builtins.len").hexdigest()


def test_select_takes_the_first_of_each_class_in_file_order():
    labels = np.array([3, 1, 3, 0, 1, 3, 9, 0, 1])
    assert digits20.select_digits20(labels, 2).tolist() == [0, 1, 2, 3, 4, 6, 7]
    assert digits20.select_digits20(labels, 1).tolist() == [0, 1, 3, 6]
    assert digits20.select_digits20(np.repeat(np.arange(10), 501)).size == 5000
    assert digits20.select_digits20(np.array([10, 11, 0]), 2).tolist() == [2]  # digits only


def test_to_digits20_area_averages_28_to_20_and_flattens_rows():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 28, 28)).astype(np.uint8)
    W = area_weights(28, 20, 20 / 28)  # (20, 28)
    want = np.stack([W @ (im / 255.0) @ W.T for im in images]).reshape(2, 400)
    got = digits20.to_digits20(images)
    assert got.shape == (2, 400)
    np.testing.assert_allclose(got, want, atol=1e-12)
    full = digits20.to_digits20(np.full((1, 28, 28), 255, np.uint8))
    assert full.max() == 1.0 and full.min() == pytest.approx(1.0)


def test_arrays_reads_a_written_cache_and_writes_a_missing_one(tmp_path, monkeypatch):
    fake = dict(X_train=np.ones((2, 400)), y_train=np.array([1, 2]),
                X_test=np.zeros((1, 400)), y_test=np.array([3]))
    calls = []
    monkeypatch.setattr(digits20, "build", lambda d: calls.append(d) or fake)
    path = tmp_path / "a" / "b" / "c.npz"  # the cache directory is made, parents too
    got = digits20.arrays(path, DATA_DIR)
    assert calls == [DATA_DIR] and [a.tolist() for a in got[1::2]] == [[1, 2], [3]]
    assert path.is_file() and os.listdir(path.parent) == ["c.npz"]  # no temporary left
    again = digits20.arrays(path, DATA_DIR)
    assert len(calls) == 1
    for a, b in zip(got, again):
        np.testing.assert_array_equal(a, b)
    path.write_bytes(b"torn")
    digits20.arrays(path, DATA_DIR)
    assert len(calls) == 2
    with open(path, "wb") as f:  # a foreign file holding pickled objects is not unpickled
        np.savez(f, X_train=np.array([{}], dtype=object), y_train=fake["y_train"],
                 X_test=fake["X_test"], y_test=fake["y_test"])
    assert digits20.arrays(path, DATA_DIR)[0].dtype == np.float64
    assert len(calls) == 3


# --------------------------------------------------------------------------- splits

def test_the_split_names_bad_shapes():
    with pytest.raises(ValueError) as info:
        train_validation_split(np.zeros(4), np.zeros(4), 0.5)
    assert str(info.value) == "X must be (n, n_features) and y (n,), got (4,) and (4,)"
    with pytest.raises(ValueError) as info:
        train_validation_split(np.zeros((4, 2)), np.zeros(3), 0.5)
    assert str(info.value) == "X must be (n, n_features) and y (n,), got (4, 2) and (3,)"
    for bad in (True, 1.0, -0.1, "0.2", None):
        with pytest.raises(ValueError) as info:
            train_validation_split(np.zeros((4, 2)), np.zeros(4), bad)
        assert str(info.value) == f"validation_fraction must be a number in [0, 1), got {bad!r}"
    X_tr, _, X_val, _ = train_validation_split(np.zeros((4, 2)), np.zeros(4), 0)
    assert X_tr.shape == (4, 2) and X_val.shape == (0, 2)
    assert len(train_validation_split(np.zeros((4, 2)), np.zeros(4), np.float32(0.5))[3]) == 2


def test_the_split_gives_the_remaining_rows_to_the_largest_remainders():
    y = np.repeat([0, 1, 2], [5, 3, 2])  # fraction 0.25: shares 1.25, 0.75, 0.5; total 2
    assert np.bincount(train_validation_split(np.zeros((10, 1)), y, 0.25)[3],
                       minlength=3).tolist() == [1, 1, 0]
    y = np.repeat([0, 1], [5, 3])  # fraction 0.5: shares 2.5, 1.5, a tie; total 4
    _, y_tr, _, y_val = train_validation_split(np.zeros((8, 1)), y, 0.5)
    assert np.bincount(y_val).tolist() == [3, 1]  # the tie goes to the first class
    assert np.bincount(y_tr).tolist() == [2, 2]
    y = np.repeat([4, 7], [6, 6])
    _, _, _, y_val = train_validation_split(np.zeros((12, 1)), y, 0.5, random_state=None)
    assert sorted(y_val.tolist()) == [4, 4, 4, 7, 7, 7]


def test_ties_between_remainders_go_to_the_lower_class_whatever_the_class_count():
    extra = [3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 2, 3, 2, 2, 3, 3, 2]  # 17 classes: past numpy's
    counts = [4 + e for e in extra]  # insertion-sort size, where an unstable sort reorders ties
    y = np.repeat(np.arange(17), counts)
    share = [0.25 * c for c in counts]
    floor = [int(v) for v in share]
    short = round(0.25 * len(y)) - sum(floor)
    ranked = sorted(range(17), key=lambda c: -(share[c] - floor[c]))  # Python's sort is stable
    want = [f + (c in ranked[:short]) for c, f in enumerate(floor)]
    _, _, _, y_val = train_validation_split(np.zeros((len(y), 1)), y, 0.25)
    assert np.bincount(y_val, minlength=17).tolist() == want


def test_the_training_part_is_the_rows_left_out_of_validation():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10) % 2
    X_tr, y_tr, X_val, y_val = train_validation_split(X, y, 0.4)
    np.testing.assert_array_equal(X_tr[:, 0] / 2 % 2, y_tr)  # each row keeps its label
    np.testing.assert_array_equal(X_val[:, 0] / 2 % 2, y_val)
    assert sorted(np.r_[X_tr[:, 0], X_val[:, 0]].tolist()) == X[:, 0].tolist()


def test_the_split_is_seeded_with_0_by_default():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20) % 2
    default = train_validation_split(X, y, 0.3)
    for a, b in zip(default, train_validation_split(X, y, 0.3, random_state=0)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in
               zip(default, train_validation_split(X, y, 0.3, random_state=1)))

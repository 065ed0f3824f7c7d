"""The shipped data, the data sets built from it, toys, splits and user files."""

import hashlib
import io
import re
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from server import datasets
from server.datasets import (
    DATA_DIR,
    UserDataLimits,
    list_datasets,
    load_dataset,
    load_user_dataset,
    train_validation_split,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MNIST_TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def digits20():
    return load_dataset("digits20")


def readme_checksums():
    text = (DATA_DIR / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| ([\d,]+) \| `([0-9a-f]{64})` \|$", text, re.M)
    return {path: (int(size.replace(",", "")), digest) for path, size, digest in rows}


# --------------------------------------------------------------------------- files

def test_every_shipped_file_matches_the_checksum_in_data_readme():
    listed = readme_checksums()
    assert len(listed) == 7
    for rel, (size, digest) in listed.items():
        path = (DATA_DIR / rel).resolve()
        assert path.stat().st_size == size, rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, rel


def test_the_loader_checks_the_same_checksums_as_the_readme():
    listed = readme_checksums()
    assert {rel: listed[rel][1] for rel in datasets.SOURCE_SHA256} == datasets.SOURCE_SHA256


def test_a_damaged_data_file_is_refused_with_its_name(tmp_path):
    (tmp_path / "mnist").mkdir()
    for rel in ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"):
        (tmp_path / rel).write_bytes((DATA_DIR / rel).read_bytes())
    damaged = bytearray((DATA_DIR / "mnist/t10k-labels-idx1-ubyte.gz").read_bytes())
    damaged[-1] ^= 0xFF
    (tmp_path / "mnist/t10k-labels-idx1-ubyte.gz").write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz has sha256"):
        datasets.read_mnist(tmp_path, "test")


# --------------------------------------------------------------------------- catalogue

def test_an_unknown_dataset_is_refused_naming_the_allowed_ids():
    with pytest.raises(ValueError, match="'digits21'.*digits20, mnist, optdigits, semeion, "
                                         "xor, circles, spiral, gaussians, sine"):
        load_dataset("digits21")


def test_list_datasets_does_not_load_anything(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("list_datasets loaded a data set")
    monkeypatch.setattr(datasets, "_build_image_dataset", refuse)
    monkeypatch.setattr(datasets, "make_toy", refuse)
    ids = [d["id"] for d in list_datasets()]
    assert ids[0] == "digits20" == datasets.DEFAULT_DATASET
    assert set(ids) == set(datasets.DATASET_IDS)


@pytest.mark.parametrize("name", ["digits20", "optdigits", "semeion", "xor", "circles",
                                  "spiral", "gaussians", "sine"])
def test_list_datasets_describes_each_set_as_it_loads(name):
    listed = {d["id"]: d for d in list_datasets()}[name]
    loaded = load_dataset(name)
    assert {k: listed[k] for k in loaded.info()} == loaded.info()
    assert set(listed) - set(loaded.info()) == (
        {"recommended", "data_params"} if loaded.kind == "points" else {"recommended"})
    if loaded.kind == "points":
        assert listed["data_params"] == {"noise": loaded.params["noise"],
                                         "n_points": loaded.params["n_points"],
                                         "data_seed": loaded.params["data_seed"]}


def test_load_dataset_defaults_to_digits20(digits20):
    # the memo's copy, not the fixture's: another test may have cleared the memo since
    default = load_dataset()
    assert default.id == "digits20" and default is load_dataset("digits20")


# --------------------------------------------------------------------------- digits20

def test_digits20_has_500_training_digits_per_class_and_every_mnist_test_digit(digits20):
    ds = digits20
    assert (ds.id, ds.kind, ds.image_shape) == ("digits20", "image", (20, 20))
    assert ds.X_train.shape == (5000, 400) and ds.X_test.shape == (10000, 400)
    assert ds.X_train.dtype == ds.X_test.dtype == np.float64
    assert ds.y_train.dtype == ds.y_test.dtype == np.int64
    assert np.bincount(ds.y_train).tolist() == [500] * 10
    assert np.bincount(ds.y_test).tolist() == MNIST_TEST_HISTOGRAM
    assert ds.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # MNIST's order
    for X in (ds.X_train, ds.X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    assert ds.class_names == [str(d) for d in range(10)]
    assert "MNIST" in ds.source and "not Andrew Ng's" in ds.source


def test_digits20_takes_the_first_500_of_each_class_in_file_order(digits20):
    images, labels = datasets.read_mnist(split="train")
    keep = datasets.select_digits20(labels)
    assert np.all(np.diff(keep) > 0)
    for c in range(10):  # nothing of class c is skipped before its 500th example
        last = keep[labels[keep] == c][-1]
        assert np.count_nonzero(labels[:last + 1] == c) == 500
    assert digits20.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    np.testing.assert_array_equal(digits20.X_train, datasets.to_digits20(images[keep]))


def test_digits20_resizing_averages_each_2_by_2_area_exactly():
    # 28 -> 20 is 1.4 source pixels per output pixel: output pixel 0 covers source
    # pixel 0 fully and 0.4 of pixel 1, so a frame with only pixel (0, 0) at 255 gives
    # 1 / 1.4**2 = 0.5102 there; pixel (1, 1) at 255 gives 0.4**2 / 1.4**2 = 0.0816.
    frame = np.zeros((2, 28, 28), dtype=np.uint8)
    frame[0, 0, 0] = 255
    frame[1, 1, 1] = 255
    small = datasets.to_digits20(frame).reshape(2, 20, 20)
    assert small[0, 0, 0] == pytest.approx(1 / 1.4**2)
    assert small[1, 0, 0] == pytest.approx(0.4**2 / 1.4**2)
    assert small[1].sum() == pytest.approx(1 / 1.4**2)  # area averaging keeps the ink


def test_digits20_digits_are_upright_and_not_transposed(digits20):
    X = digits20.X_train.reshape(-1, 20, 20)
    y = digits20.y_train
    one = X[y == 1].mean(axis=0)  # a vertical stroke: ink spread down, not across
    rows, cols = one.sum(axis=1), one.sum(axis=0)
    assert np.count_nonzero(rows > 0.2 * rows.max()) > 2 * np.count_nonzero(
        cols > 0.2 * cols.max())
    seven = X[y == 7].mean(axis=0)  # a 7: bar at the top, stem slanting down to the left
    assert np.argmax(seven.sum(axis=1)) < 8
    centre = lambda part: (part.sum(axis=0) @ np.arange(20)) / part.sum()  # noqa: E731
    assert centre(seven[14:19]) < centre(seven[8:12]) - 1.0
    five = X[0]  # MNIST train[0] is a 5: bar at the top right, bowl at the bottom left
    assert digits20.y_train[0] == 5
    assert five[2:6, 12:].sum() > five[2:6, :8].sum()
    assert five[14:18, :10].sum() > five[14:18, 14:].sum()


def ex4_thetas():
    w = scipy.io.loadmat(FIXTURES / "ex4weights.mat")
    return [w["Theta1"].T, w["Theta2"].T]  # (401, 25), (26, 10): row 0 is the bias


def ex4_predict(X):
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    a = X
    for theta in ex4_thetas():
        a = sigmoid(np.c_[np.ones(len(a)), a] @ theta)
    return np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])[a.argmax(axis=1)]  # unit 10 is digit 0


def column_major(X):
    return X.reshape(-1, 20, 20).transpose(0, 2, 1).reshape(-1, 400)


def test_the_course_network_scores_at_least_92_percent_on_digits20_test(digits20):
    accuracy = np.mean(ex4_predict(column_major(digits20.X_test)) == digits20.y_test)
    assert accuracy >= 0.92
    # and our row-major rows really are row-major: fed as they are, it is lost
    assert np.mean(ex4_predict(digits20.X_test) == digits20.y_test) < 0.5


def test_the_course_network_agrees_through_neural_network_from_thetas(digits20):
    from server.network import NeuralNetwork
    model = NeuralNetwork.from_thetas(ex4_thetas(), classes=[1, 2, 3, 4, 5, 6, 7, 8, 9, 0])
    X = column_major(digits20.X_test[:2000])
    np.testing.assert_array_equal(model.predict(X), ex4_predict(X))


def test_digits20_is_cached_and_a_later_load_is_fast_and_identical(tmp_path):
    first = load_dataset("digits20", cache_dir=tmp_path)
    cached = list(tmp_path.glob("digits20-v*.npz"))
    assert [p.name for p in cached] == [datasets.digits20_cache_path(cache_dir=tmp_path).name]
    datasets.clear_memory_cache()
    t0 = time.perf_counter()
    again = load_dataset("digits20", cache_dir=tmp_path)
    elapsed = time.perf_counter() - t0
    assert again is not first
    assert elapsed < 1.0, f"cached load took {elapsed:.2f} s"
    for name in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name))


def test_the_cache_key_names_the_format_version_and_the_sources(tmp_path, monkeypatch):
    path = datasets.digits20_cache_path(cache_dir=tmp_path)
    assert path.name.startswith(f"digits20-v{datasets.CACHE_FORMAT_VERSION}-")
    monkeypatch.setattr(datasets, "CACHE_FORMAT_VERSION", datasets.CACHE_FORMAT_VERSION + 1)
    assert datasets.digits20_cache_path(cache_dir=tmp_path).name != path.name


def test_a_torn_cache_file_is_rebuilt(tmp_path, digits20):
    path = datasets.digits20_cache_path(cache_dir=tmp_path)
    path.write_bytes(b"PK\x03\x04 half a file")
    rebuilt = load_dataset("digits20", cache_dir=tmp_path)
    np.testing.assert_array_equal(rebuilt.X_test, digits20.X_test)
    with np.load(path) as z:
        assert z["X_train"].shape == (5000, 400)


def test_shared_arrays_are_read_only(digits20):
    with pytest.raises(ValueError, match="read-only"):
        digits20.X_train[0, 0] = 0.5


# --------------------------------------------------------------------------- other images

def test_mnist_is_the_full_set_scaled_to_unit_range():
    ds = load_dataset("mnist")
    assert ds.X_train.shape == (60000, 784) and ds.X_test.shape == (10000, 784)
    assert ds.image_shape == (28, 28)
    assert np.bincount(ds.y_test).tolist() == MNIST_TEST_HISTOGRAM
    assert ds.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert ds.X_train.min() == 0.0 and ds.X_train.max() == 1.0
    assert ds.X_train.mean() * 255 == pytest.approx(33.318, abs=1e-3)  # PROVENANCE.md


def test_optdigits_counts_become_sixteenths_and_keep_the_uci_split():
    ds = load_dataset("optdigits")
    assert ds.X_train.shape == (3823, 64) and ds.X_test.shape == (1797, 64)
    assert ds.image_shape == (8, 8)
    assert np.array_equal(ds.X_train * 16, np.round(ds.X_train * 16))
    assert ds.X_train.max() == 1.0 and ds.X_train.min() == 0.0
    assert ds.y_train[:10].tolist() == [0, 0, 7, 4, 6, 2, 5, 5, 0, 8]
    seven = ds.X_train[ds.y_train == 7].reshape(-1, 8, 8).mean(axis=0)
    assert seven[:2].sum() > 2 * seven[-2:].sum()  # the bar of a 7 is at the top
    centre = lambda part: (part.sum(axis=0) @ np.arange(8)) / part.sum()  # noqa: E731
    assert centre(seven[-2:]) < centre(seven[:2]) - 0.5  # and its foot is to the left


def test_semeion_is_binary_with_a_stratified_deterministic_split():
    ds = load_dataset("semeion")
    assert ds.X_train.shape == (1195, 256) and ds.X_test.shape == (398, 256)
    assert set(np.unique(ds.X_train)) == {0.0, 1.0}
    share = np.bincount(ds.y_test, minlength=10) / np.bincount(
        np.r_[ds.y_train, ds.y_test], minlength=10)
    assert np.all(np.abs(share - 0.25) < 0.02)
    datasets.clear_memory_cache()
    np.testing.assert_array_equal(load_dataset("semeion").X_test, ds.X_test)


# --------------------------------------------------------------------------- toys

@pytest.mark.parametrize("name", ["xor", "circles", "spiral", "gaussians", "sine"])
def test_toys_are_seeded_balanced_two_dimensional_and_in_unit_range(name):
    a = load_dataset(name, noise=0.2, data_seed=3, n_points=300)
    b = load_dataset(name, noise=0.2, data_seed=3, n_points=300)
    c = load_dataset(name, noise=0.2, data_seed=4, n_points=300)
    assert a.kind == "points" and a.image_shape is None
    assert a.X_train.shape == (300, 2) and a.X_test.shape == (75, 2)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)
    assert 0.0 <= a.X_train.min() and a.X_train.max() <= 1.0
    counts = np.bincount(a.y_train)
    assert len(counts) == len(a.class_names) and counts.max() - counts.min() <= 1


def test_noise_moves_points_off_the_clean_pattern():
    clean = load_dataset("circles", noise=0.0, n_points=200)
    radius = np.hypot(*(clean.X_train * 3 - 1.5).T)  # back to drawing units
    np.testing.assert_allclose(radius[clean.y_train == 0], 1.0)
    np.testing.assert_allclose(radius[clean.y_train == 1], 0.5)
    noisy = load_dataset("circles", noise=0.2, n_points=200)
    spread = np.hypot(*(noisy.X_train * 3 - 1.5).T)[noisy.y_train == 0].std()
    assert 0.1 < spread < 0.3


def test_xor_labels_follow_the_quadrants_without_noise():
    ds = load_dataset("xor", noise=0.0)
    centred = ds.X_train - 0.5
    np.testing.assert_array_equal(ds.y_train, (centred[:, 0] * centred[:, 1] < 0))


@pytest.mark.parametrize("params, field", [
    ({"noise": 1.5}, "noise"), ({"noise": -0.1}, "noise"), ({"n_points": 5}, "n_points"),
    ({"n_points": 10.5}, "n_points"), ({"n_classes": 3}, "n_classes"),
    ({"data_seed": -1}, "data_seed"),
])
def test_toy_parameters_out_of_range_are_named(params, field):
    with pytest.raises(ValueError, match=field):
        load_dataset("xor", **params)


def test_spiral_can_have_more_arms():
    ds = load_dataset("spiral", n_classes=4, noise=0.1)
    assert ds.class_names == ["0", "1", "2", "3"]
    assert np.bincount(ds.y_train).tolist() == [100] * 4


def test_fixed_sets_refuse_toy_parameters():
    with pytest.raises(ValueError, match="takes no parameters"):
        load_dataset("digits20", noise=0.1)


# --------------------------------------------------------------------------- splits

def test_the_split_is_deterministic_stratified_and_a_partition():
    X = np.arange(200, dtype=float).reshape(100, 2)
    y = np.repeat([0, 1, 2], [50, 30, 20])
    X_tr, y_tr, X_val, y_val = train_validation_split(X, y, 0.2, random_state=7)
    again = train_validation_split(X, y, 0.2, random_state=7)
    other = train_validation_split(X, y, 0.2, random_state=8)
    assert all(np.array_equal(p, q) for p, q in zip((X_tr, y_tr, X_val, y_val), again))
    assert not np.array_equal(X_val, other[2])
    assert np.bincount(y_val).tolist() == [10, 6, 4]
    assert sorted(np.r_[X_tr[:, 0], X_val[:, 0]].tolist()) == X[:, 0].tolist()
    assert np.all(np.diff(X_val[:, 0]) > 0)  # original order kept
    np.testing.assert_array_equal(y_tr, y[(X_tr[:, 0] / 2).astype(int)])


def test_the_split_hits_the_rounded_total_when_classes_do_not_divide():
    y = np.repeat([0, 1, 2], [7, 7, 7])
    _, _, _, y_val = train_validation_split(np.zeros((21, 1)), y, 0.5, random_state=0)
    assert len(y_val) == 10 and np.bincount(y_val).max() - np.bincount(y_val).min() <= 1


def test_a_zero_fraction_gives_an_empty_validation_set():
    X_tr, y_tr, X_val, y_val = train_validation_split(np.ones((10, 3)), np.arange(10) % 2, 0.0)
    assert X_tr.shape == (10, 3) and X_val.shape == (0, 3) and y_val.shape == (0,)


@pytest.mark.parametrize("fraction", [1.0, -0.1, "0.2", True])
def test_a_bad_fraction_is_named(fraction):
    with pytest.raises(ValueError, match=r"validation_fraction must be a number in \[0, 1\)"):
        train_validation_split(np.ones((10, 3)), np.arange(10) % 2, fraction)


# --------------------------------------------------------------------------- user data

def csv_bytes(text):
    return text.encode()


def test_a_csv_with_a_header_and_a_named_label_column_loads():
    text = "x1,x2,kind\n" + "".join(f"{i % 5},{(i * 3) % 7},{'ab'[i % 2]}\n" for i in range(40))
    ds = load_user_dataset(csv_bytes(text), label_column="kind", test_fraction=0.25)
    assert ds.kind == "points" and ds.class_names == ["a", "b"]
    assert ds.X_train.shape == (30, 2) and ds.X_test.shape == (10, 2)
    assert ds.X_train.min() >= 0.0 and ds.X_train.max() <= 1.0
    all_x = np.r_[ds.X_train, ds.X_test]
    assert all_x[:, 0].max() == 1.0 and all_x[:, 1].max() == 1.0  # column-wise scaling


def test_a_headerless_image_csv_sorts_numeric_labels_and_keeps_pixels_together():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (30, 64))
    labels = np.arange(30) % 11  # "10" must come after "9"
    text = "\n".join(",".join(map(str, [lab, *row])) for lab, row in zip(labels, pixels))
    ds = load_user_dataset(csv_bytes(text), test_fraction=0.0)
    assert ds.kind == "image" and ds.image_shape == (8, 8)
    assert ds.class_names == [str(k) for k in range(11)]
    np.testing.assert_array_equal(ds.y_train, labels)
    low, high = pixels.min(), pixels.max()  # one scale for every pixel of an image
    np.testing.assert_allclose(ds.X_train, (pixels - low) / (high - low))


def test_a_csv_label_column_can_be_last_and_semicolon_separated():
    text = "".join(f"0.{i % 9};0.5;{i % 3}\n" for i in range(12))
    ds = load_user_dataset(csv_bytes(text), label_column=-1, test_fraction=0.0)
    assert ds.class_names == ["0", "1", "2"] and ds.X_train[:, 1].tolist() == [0.5] * 12


@pytest.mark.parametrize("text, message", [
    ("label,a,b\n1,0.5,0.5\n0,0.2,oops\n", r"line 3, column 3: 'oops' is not a number"),
    ("1,0.5,0.5\n0,0.2\n", r"line 2: 2 columns, expected 3"),
    ("1,0.5,0.5\n\n ,0.2,0.3\n", r"line 3, column 1: the label is empty"),
    ("1,0.5,0.5\n0,inf,0.3\n", r"line 2, column 2: 'inf' is not a finite number"),
    ("1,0.5,0.5\n1,0.2,0.3\n", r"need at least 2 classes"),
    ("label\n1\n0\n", r"need a label column and at least one feature column"),
    ("", r"no data lines"),
])
def test_csv_errors_name_the_line_and_column(text, message):
    with pytest.raises(ValueError, match=message):
        load_user_dataset(csv_bytes(text))


def test_a_label_column_name_missing_from_the_header_is_reported():
    with pytest.raises(ValueError, match=r"label_column 'digit' not found: the header has"):
        load_user_dataset(csv_bytes("label,a\n1,0\n0,1\n"), label_column="digit")


def test_user_data_over_the_limits_is_refused_before_parsing():
    limits = UserDataLimits(max_bytes=1000, max_rows=5, max_columns=4)
    with pytest.raises(ValueError, match="bytes; the limit is 1000"):
        load_user_dataset(b"1,2\n" * 300, limits=limits)
    with pytest.raises(ValueError, match="6 rows; the limit is 5"):
        load_user_dataset(b"1,2\n0,3\n" * 3, limits=limits)
    with pytest.raises(ValueError, match="5 columns; the limit is 4"):
        load_user_dataset(b"1,2,3,4,5\n0,3,3,4,5\n", limits=limits)


def test_a_csv_file_path_works_like_its_bytes(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("".join(f"{i % 2},{i / 20},{1 - i / 20}\n" for i in range(20)))
    from_path = load_user_dataset(path, test_fraction=0.5, random_state=2)
    from_bytes = load_user_dataset(path.read_bytes(), test_fraction=0.5, random_state=2)
    np.testing.assert_array_equal(from_path.X_test, from_bytes.X_test)


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_an_npz_with_its_own_split_and_image_arrays_loads():
    rng = np.random.default_rng(1)
    raw = npz_bytes(X_train=rng.random((20, 4, 4)), y_train=np.arange(20) % 2,
                    X_test=rng.random((6, 4, 4)), y_test=np.arange(6) % 2)
    ds = load_user_dataset(raw, image_shape=(4, 4))
    assert ds.X_train.shape == (20, 16) and ds.X_test.shape == (6, 16)
    assert ds.kind == "image" and ds.image_shape == (4, 4)


@pytest.mark.parametrize("arrays, message", [
    ({"X": np.ones((4, 3))}, r"needs arrays X and y"),
    ({"X": np.ones((4, 3)), "y": np.arange(3)}, r"X must be \(n, n_features\) with y \(n,\)"),
    ({"X": np.array([[0.1, np.nan], [0.2, 0.3]]), "y": np.array([0, 1])},
     r"X row 0, column 1: nan is not a finite number"),
    ({"X": np.array([["a", "b"], ["c", "d"]]), "y": np.array([0, 1])},
     r"X must be real numbers, got dtype <U1"),
])
def test_npz_errors_say_what_is_wrong(arrays, message):
    with pytest.raises(ValueError, match=message):
        load_user_dataset(npz_bytes(**arrays))


def test_an_npz_that_inflates_past_the_limit_is_refused_before_inflating():
    raw = npz_bytes(X=np.zeros((2000, 100)), y=np.arange(2000) % 2)  # 1.6 MB unpacked
    assert len(raw) < 20_000
    with pytest.raises(ValueError, match=r"\.npz arrays take \d+ bytes; the limit is 100000"):
        load_user_dataset(raw, limits=UserDataLimits(max_bytes=100_000))

"""make_toy's parameters, refusals and record, and a toy's catalogue entry, checked
directly on small sets (server/datasources/toys.py)."""

from __future__ import annotations

import numpy as np
import pytest

from server.datasources import toys


def _message(**kw):
    with pytest.raises(ValueError) as info:
        toys.make_toy(kw.pop("name", "spiral"), **kw)
    return str(info.value)


def test_each_parameter_is_refused_by_name_with_its_range():
    assert _message(name="moons") == (
        "toy: unknown id 'moons'; allowed: xor, circles, spiral, gaussians, sine")
    assert _message(n_points=9) == "n_points must be an integer in [10, 100000], got 9"
    assert _message(n_points=100_001) == "n_points must be an integer in [10, 100000], got 100001"
    assert _message(n_points=20.0) == "n_points must be an integer in [10, 100000], got 20.0"
    assert _message(n_points=True) == "n_points must be an integer in [10, 100000], got True"
    assert _message(n_test=-1) == "n_test must be an integer in [0, 100000], got -1"
    assert _message(n_test=100_001) == "n_test must be an integer in [0, 100000], got 100001"
    assert _message(noise=1.5) == "noise must be a number in [0.0, 1.0], got 1.5"
    assert _message(noise=-0.1) == "noise must be a number in [0.0, 1.0], got -0.1"
    assert _message(noise="0.1") == "noise must be a number in [0.0, 1.0], got '0.1'"
    assert _message(noise=False) == "noise must be a number in [0.0, 1.0], got False"
    assert _message(data_seed=-1) == "data_seed must be an integer in [0, 4294967295], got -1"
    assert _message(data_seed=2**32) == (
        "data_seed must be an integer in [0, 4294967295], got 4294967296")
    assert _message(n_classes=1) == "n_classes must be an integer in [2, 8], got 1"
    assert _message(n_classes=9) == "n_classes must be an integer in [2, 8], got 9"
    assert _message(name="xor", n_classes=3) == "n_classes: xor has exactly 2 classes, got 3"


def test_every_bound_is_accepted():
    for kw in (dict(n_points=10), dict(n_points=100_000, n_test=0), dict(n_test=100_000),
               dict(noise=0.0), dict(noise=1), dict(data_seed=0), dict(data_seed=2**32 - 1),
               dict(n_classes=2), dict(n_classes=8), dict(n_points=np.int64(12)),
               dict(noise=np.float32(0.5))):
        ds = toys.make_toy("gaussians", **{"n_points": 10, **kw})
        assert len(ds.y_train) == ds.params["n_points"]
    assert toys.make_toy("xor", n_points=10, n_classes=2).params["n_classes"] == 2


def test_a_toy_records_its_parameters_and_their_defaults():
    ds = toys.make_toy("gaussians")
    assert ds.params == {"n_points": 400, "n_test": 100, "noise": 0.15, "data_seed": 0,
                         "n_classes": 3}
    assert type(ds.params["noise"]) is float and type(ds.params["n_points"]) is int
    assert (ds.id, ds.name, ds.kind, ds.image_shape) == (
        "gaussians", "Gaussian blobs (2-D)", "points", None)
    assert ds.class_names == ["0", "1", "2"]
    assert ds.description == toys.TOYS["gaussians"].description
    assert ds.source == "generated (seeded) by server.datasets"
    assert ds.X_train.shape == (400, 2) and ds.X_test.shape == (100, 2)
    assert ds.y_train.dtype == np.int64 and ds.X_train.dtype == np.float64
    assert np.bincount(ds.y_train).tolist() == [134, 133, 133]
    small = toys.make_toy("spiral", n_points=13, n_test=5, n_classes=4, data_seed=9, noise=0.0)
    assert small.params == {"n_points": 13, "n_test": 5, "noise": 0.0, "data_seed": 9,
                            "n_classes": 4}
    assert len(small.y_test) == 5 and small.class_names == ["0", "1", "2", "3"]


def test_points_are_the_pattern_mapped_to_the_unit_square_plus_seeded_noise():
    clean = toys.make_toy("gaussians", noise=0.0, n_points=30)
    # blob centres at 0.6 (cos, sin) of 45 + 120 k degrees, mapped by (v + 1.5) / 3
    angles = np.pi / 4 + 2 * np.pi * clean.y_train / 3
    np.testing.assert_allclose(clean.X_train, (0.6 * np.c_[np.cos(angles), np.sin(angles)]
                                               + 1.5) / 3, atol=1e-12)
    noisy = toys.make_toy("gaussians", noise=0.2, n_points=30)
    shift = noisy.X_train * 3 - 1.5 - 0.6 * np.c_[np.cos(np.pi / 4 + 2 * np.pi * noisy.y_train
                                                         / 3), np.sin(np.pi / 4 + 2 * np.pi
                                                                      * noisy.y_train / 3)]
    assert 0.1 < shift.std() < 0.3  # noise of std 0.2 in drawing units
    loud = toys.make_toy("gaussians", noise=1.0, n_points=200)
    assert loud.X_train.min() == 0.0 and loud.X_train.max() == 1.0  # clipped to the square
    again = toys.make_toy("gaussians", noise=0.2, n_points=30)
    np.testing.assert_array_equal(noisy.X_train, again.X_train)
    other = toys.make_toy("gaussians", noise=0.2, n_points=30, data_seed=1)
    assert not np.array_equal(noisy.X_train, other.X_train)


def test_train_and_test_come_shuffled_from_one_stream():
    ds = toys.make_toy("circles", n_points=40, n_test=40, noise=0.0)
    assert not np.array_equal(ds.X_train, ds.X_test)  # the test set is drawn after
    assert ds.y_train[:8].tolist() != [0, 1] * 4  # shuffled, not in drawing order
    radius = np.hypot(*(ds.X_train * 3 - 1.5).T)
    np.testing.assert_allclose(radius, np.where(ds.y_train == 0, 1.0, 0.5), atol=1e-12)


def test_a_toys_catalogue_entry_lists_its_defaults():
    toy = toys.TOYS["spiral"]
    assert toy.data_params() == {"noise": 0.05, "n_points": 400, "data_seed": 0}
    entry = toys.toy_summary(toy)
    assert entry == {"id": "spiral", "name": "Spiral (2-D)", "description": toy.description,
                     "image_shape": None, "n_features": 2, "class_names": ["0", "1"],
                     "n_train": 400, "n_test": 100, "kind": "points",
                     "recommended": toy.recommended, "data_params": toy.data_params()}
    entry["recommended"]["max_iter"] = 1  # a copy
    assert toy.recommended["max_iter"] == 150
    assert toys.toy_summary(toys.TOYS["gaussians"])["class_names"] == ["0", "1", "2"]
    assert type(entry["n_test"]) is int


def test_xor_points_sit_in_their_quadrants_past_the_margin():
    ds = toys.make_toy("xor", n_points=200, noise=0.0)
    assert ds.X_train.shape == (200, 2)
    v = ds.X_train * 3 - 1.5
    same_sign = np.sign(v[:, 0]) == np.sign(v[:, 1])
    np.testing.assert_array_equal(same_sign, ds.y_train == 0)
    assert np.abs(v).min() >= toys.MARGIN and np.abs(v).max() <= 1.0
    assert (v[:, 0] > 0).any() and (v[:, 0] < 0).any()


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_a_toy_is_its_pattern_then_its_noise_then_a_shuffle_from_one_seeded_stream(noise):
    rng = np.random.default_rng(5)  # the documented recipe, step by step
    want = []
    for n in (12, 3):
        X, y = toys.TOYS["circles"].make(n, 2, rng)
        if noise > 0:  # no noise draws no numbers
            X = X + rng.normal(0.0, noise, X.shape)
        order = rng.permutation(n)
        want += [np.clip((X[order] + 1.5) / 3.0, 0.0, 1.0), y[order]]
    ds = toys.make_toy("circles", n_points=12, n_test=3, noise=noise, data_seed=5)
    for got, expected in zip((ds.X_train, ds.y_train, ds.X_test, ds.y_test), want):
        np.testing.assert_array_equal(got, expected)

"""Each data set's recommended settings: the toys learn with them, watchably."""

from __future__ import annotations

import time

import pytest

from server import protocol
from server.datasets import POST_SETTINGS, list_datasets, load_dataset
from server.network import NeuralNetwork
from server.protocol import Limits, settings

# Test accuracy each toy reaches with its recommended settings (issue 10; sine: ours,
# measured 99% for seeds 0-9 while the true boundary scores 96-99% on the noisy sets).
TARGETS = {"xor": 0.98, "circles": 0.97, "gaussians": 0.95, "spiral": 0.90, "sine": 0.95}
LISTED = {d["id"]: d for d in list_datasets()}
KEYS = ["hidden_layers", "regularization_parameter", "optimizer", "max_iter", "activation",
        "delay_ms"]


def fit_recommended(name, seed):
    rec = LISTED[name]["recommended"]
    ds = load_dataset(name)  # the toy's own fixed data seed
    model = NeuralNetwork(tuple(rec["hidden_layers"]), rec["regularization_parameter"],
                          max_iter=rec["max_iter"], optimizer=rec["optimizer"],
                          activation=rec["activation"], random_state=seed, n_threads=1)
    start = time.perf_counter()
    model.fit(ds.X_train, ds.y_train)  # the whole training set: validation_fraction 0
    return model, ds, time.perf_counter() - start


def test_every_toy_has_a_target():
    assert set(TARGETS) == {d["id"] for d in LISTED.values() if d["kind"] == "points"}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_recommended_settings_reach_the_target_for_seeds_0_to_2(name):
    rec = LISTED[name]["recommended"]
    for seed in range(3):
        model, ds, elapsed = fit_recommended(name, seed)
        accuracy = model.score(ds.X_test, ds.y_test)
        assert accuracy >= TARGETS[name], (seed, accuracy)
        watch = model.n_iter_ * rec["delay_ms"] / 1000
        assert 10 <= watch <= 30, f"seed {seed}: {model.n_iter_} iterations take {watch} s"
        assert elapsed < 10  # under 2 s on an idle machine; generous for a loaded one


def test_every_data_set_recommends_valid_train_settings():
    for entry in LISTED.values():
        rec = entry["recommended"]
        assert list(rec) == KEYS, entry["id"]
        train = protocol.validate_train({"type": "train", "dataset": entry["id"], **rec},
                                        Limits())
        assert {k: train[k] for k in KEYS} == rec


def test_image_sets_keep_the_posts_settings_which_are_the_table_defaults():
    defaults = {k: settings.SETTING[k].default_for() for k in KEYS}
    assert POST_SETTINGS == defaults
    assert all(d["recommended"] == POST_SETTINGS for d in LISTED.values() if d["kind"] == "image")

"""The numeric core: cost, backpropagation, optimizers, persistence, input checks."""

import io
import threading
import time
import zipfile

import numpy as np
import pytest
from test_activations import loop_cost_and_gradient as loop_with_activation

from server.network import (
    OPTIMIZERS,
    NeuralNetwork,
    check_gradients,
    layer_table,
    loss_and_grad,
    pack,
)


def toy_problem(m=300, n=12, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(m, n))
    y = ((X[:, 0] + X[:, 1] > 1).astype(int) + 2 * (X[:, 2] > 0.5)) % classes
    return X, y


def loop_cost_and_gradient(thetas, X, y, lam):
    """The course's per-sample backpropagation (tests/test_activations.py), logistic units."""
    return loop_with_activation(thetas, X, y, lam, "logistic")


# -- the maths ------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(), (5,), (4, 3, 5)], ids=["0-hidden", "1-hidden", "3-hidden"])
@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_backprop_matches_central_differences(hidden, lam):
    assert check_gradients(hidden_layers=hidden, regularization_parameter=lam) < 1e-7


@pytest.mark.parametrize("hidden", [(), (6,), (5, 4, 3)])
@pytest.mark.parametrize("lam", [0.0, 2.5])
def test_vectorised_backprop_matches_per_sample_loop(hidden, lam):
    X, y = toy_problem(m=40, n=7, classes=4, seed=3)
    model = NeuralNetwork(hidden, lam, max_iter=1, random_state=4).fit(X, y)
    cost, grads = model.cost_gradient(X, y)
    ref_cost, ref_grads = loop_cost_and_gradient(model.thetas, X, y, lam)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-13)


def test_hand_worked_2_2_1_network():
    # x = (1, 0), y = 1, lambda = 1, m = 1.
    # Theta1 = [[0, 0], [1, -1], [0.5, 0.5]] (row 0 bias) -> z1 = (1, -1)
    # a1 = (s(1), s(-1)) = (0.7310586, 0.2689414), and s(1) + s(-1) = 1
    # Theta2 = [[0], [1], [1]] -> z2 = 1, a2 = s(1) = 0.7310586
    # data cost = -log(s(1)) = log(1 + e^-1) = 0.3132617
    # reg = 1/2 * (1 + 1 + 0.25 + 0.25 + 1 + 1) = 2.25 (bias rows left out)
    # cost = 2.5632617
    # d2 = a2 - y = -0.2689414
    # dTheta2 = [d2, a1_1 d2 + 1, a1_2 d2 + 1] = [-0.2689414, 0.8033882, 0.9276705]
    # d1 = d2 * (1, 1) * a1 (1 - a1) = -0.2689414 * 0.1966119 = -0.0528771 (both units)
    # dTheta1 = [[d1, d1], [1 * d1 + 1, 1 * d1 - 1], [0 * d1 + 0.5, 0 * d1 + 0.5]]
    #         = [[-0.0528771, -0.0528771], [0.9471229, -1.0528771], [0.5, 0.5]]
    theta1 = np.array([[0.0, 0.0], [1.0, -1.0], [0.5, 0.5]])
    theta2 = np.array([[0.0], [1.0], [1.0]])
    X = np.array([[1.0, 0.0]])
    Y = np.array([[1.0]])
    table = layer_table((2, 2, 1))
    cost, grad, out = loss_and_grad(pack([theta1, theta2]), table, X, Y, 1.0)
    assert cost == pytest.approx(2.5632617, abs=1e-7)
    assert out[0, 0] == pytest.approx(0.7310586, abs=1e-7)
    np.testing.assert_allclose(
        grad[:6].reshape(3, 2),
        [[-0.0528771, -0.0528771], [0.9471229, -1.0528771], [0.5, 0.5]],
        atol=1e-7,
    )
    np.testing.assert_allclose(grad[6:], [-0.2689414, 0.8033882, 0.9276705], atol=1e-7)


def test_bias_row_is_not_regularised():
    X, y = toy_problem(m=50, n=5)
    model = NeuralNetwork((4,), 0.0, max_iter=2, random_state=1).fit(X, y)
    cost0, grads0 = model.cost_gradient(X, y)
    model.regularization_parameter = 10.0
    cost10, grads10 = model.cost_gradient(X, y)
    expected_reg = 10.0 / (2 * 50) * sum(np.sum(t[1:] ** 2) for t in model.thetas)
    assert cost10 - cost0 == pytest.approx(expected_reg, rel=1e-12)
    for t, g0, g10 in zip(model.thetas, grads0, grads10):
        np.testing.assert_allclose(g10[0], g0[0], rtol=0, atol=1e-15)  # bias row unchanged
        np.testing.assert_allclose(g10[1:] - g0[1:], 10.0 / 50 * t[1:], rtol=1e-10)
    # Large biases cost nothing under regularization.
    model.thetas[0][0] += 100.0
    cost_big_bias, _ = model.cost_gradient(X, y)
    model.regularization_parameter = 0.0
    assert cost_big_bias - model.cost_gradient(X, y)[0] == pytest.approx(expected_reg, rel=1e-12)


def test_cost_is_finite_for_saturated_units():
    X, y = toy_problem(m=20, n=4)
    thetas = [np.full((5, 3), 400.0), np.full((4, 3), -400.0)]
    thetas[1][:, 1] = 400.0
    model = NeuralNetwork.from_thetas(thetas)
    cost, grads = model.cost_gradient(X, y)  # warnings are errors: no overflow, no log(0)
    assert np.isfinite(cost) and cost > 100
    assert all(np.isfinite(g).all() for g in grads)


def test_initial_weights_are_uniform_in_the_glorot_range_and_seeded():
    X, y = toy_problem(m=30, n=400, classes=3)
    a = NeuralNetwork((25,), max_iter=1, random_state=7)
    b = NeuralNetwork((25,), max_iter=1, random_state=7)
    table = layer_table((400, 25, 3))
    x0a = a._initial_flat((400, 25, 3), np.random.default_rng(7))
    x0b = b._initial_flat((400, 25, 3), np.random.default_rng(7))
    np.testing.assert_array_equal(x0a, x0b)
    first, second = [x0a[s:e] for s, e, _ in table]
    bound1, bound2 = np.sqrt(6 / 425), np.sqrt(6 / 28)
    assert np.abs(first).max() <= bound1 and np.abs(first).max() > 0.95 * bound1
    assert np.abs(second).max() <= bound2
    # Not saturated: hidden activations of [0, 1] inputs stay well inside (0, 1).
    hidden = NeuralNetwork.from_thetas([first.reshape(401, 25), second.reshape(26, 3)])
    act = hidden.activations(np.random.default_rng(0).uniform(size=(100, 400)))[1]
    assert 0.05 < act.min() and act.max() < 0.95


def test_same_seed_gives_same_thetas_and_cost_curve():
    X, y = toy_problem()
    fits = [NeuralNetwork((8,), 1.0, max_iter=15, random_state=42).fit(X, y) for _ in range(2)]
    other = NeuralNetwork((8,), 1.0, max_iter=15, random_state=43).fit(X, y)
    assert fits[0].cost_history_ == fits[1].cost_history_
    for a, b in zip(fits[0].thetas, fits[1].thetas):
        np.testing.assert_array_equal(a, b)
    assert other.cost_history_ != fits[0].cost_history_


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_max_iter_counts_iterations_for_every_optimizer(optimizer):
    X, y = toy_problem()
    seen = []
    model = NeuralNetwork((8,), 0.5, max_iter=12, optimizer=optimizer, random_state=0,
                          learning_rate=0.05 if optimizer == "adam" else None)
    model.fit(X, y, callback=lambda info: seen.append(info))
    assert model.n_iter_ == 12 == len(model.cost_history_) == len(seen)
    assert [i.iteration for i in seen] == list(range(1, 13))
    assert model.stop_reason_ == "max_iter"
    assert model.n_fev_ >= 12 and seen[-1].n_fev == model.n_fev_
    assert model.cost_history_[-1] < model.cost_history_[0]
    assert all(b.elapsed >= a.elapsed for a, b in zip(seen, seen[1:]))


def test_tnc_makes_many_evaluations_per_iteration_and_reports_each():
    X, y = toy_problem()
    evaluations = []
    model = NeuralNetwork((8,), max_iter=5, random_state=0)
    model.fit(X, y, on_evaluation=lambda n_fev, cost: evaluations.append((n_fev, cost)))
    assert [n for n, _ in evaluations] == list(range(1, model.n_fev_ + 1))
    assert model.n_fev_ > model.n_iter_


def test_callback_sees_the_iterations_weights_and_can_stop():
    X, y = toy_problem()
    snapshots = []

    def callback(info):
        snapshots.append([t.copy() for t in info.thetas])
        assert not info.thetas[0].flags.writeable
        assert 0.0 <= info.train_accuracy <= 1.0 and info.grad_norm > 0
        return info.iteration == 4

    model = NeuralNetwork((8,), max_iter=100, random_state=0).fit(X, y, callback=callback)
    assert model.n_iter_ == 4 and model.stop_reason_ == "callback"
    for kept, seen in zip(model.thetas, snapshots[-1]):
        np.testing.assert_array_equal(kept, seen)


def test_callback_reports_the_cost_of_its_own_thetas():
    X, y = toy_problem()
    infos = []
    model = NeuralNetwork((6,), 1.0, max_iter=6, random_state=0)
    model.fit(X, y, callback=lambda i: infos.append((i.cost, [t.copy() for t in i.thetas])))
    for cost, thetas in infos:
        probe = NeuralNetwork.from_thetas(thetas, regularization_parameter=1.0,
                                          classes=model.classes_)
        assert probe.cost_gradient(X, y)[0] == pytest.approx(cost, rel=1e-12)


def test_validation_metrics_are_recorded_each_iteration():
    X, y = toy_problem(m=400)
    infos = []
    model = NeuralNetwork((8,), max_iter=8, random_state=0)
    model.fit(X[:300], y[:300], callback=infos.append, X_val=X[300:], y_val=y[300:])
    assert len(model.val_cost_history_) == 8
    assert all(i.val_cost is not None and 0 <= i.val_accuracy <= 1 for i in infos)
    assert model.val_cost_history_[-1] < model.val_cost_history_[0]


def test_stop_from_another_thread_ends_the_fit_within_one_evaluation():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(3000, 100))
    y = rng.integers(0, 10, size=3000)
    model = NeuralNetwork((50,), max_iter=10_000, random_state=0)
    first_iteration = threading.Event()
    stopped_at = {}
    after_stop = []

    def on_evaluation(n_fev, cost):
        if "n_fev" in stopped_at:
            after_stop.append(n_fev)

    def callback(info):
        first_iteration.set()

    worker = threading.Thread(target=model.fit, args=(X, y),
                              kwargs={"callback": callback, "on_evaluation": on_evaluation})
    worker.start()
    assert first_iteration.wait(30)
    stopped_at["n_fev"] = model.n_fev_
    t0 = time.perf_counter()
    model.stop()
    worker.join(10)
    assert not worker.is_alive()
    assert time.perf_counter() - t0 < 5
    assert len(after_stop) <= 1  # the evaluation in flight may finish, no more
    assert model.stop_reason_ == "stopped" and model.thetas is not None
    assert model.n_iter_ >= 1 and len(model.cost_history_) == model.n_iter_
    model.predict(X[:5])  # still usable


def test_float32_computes_close_to_float64_and_trains():
    X, y = toy_problem()
    first = {}

    def record(dtype):
        def on_evaluation(n_fev, cost):
            first.setdefault(dtype, cost)

        return on_evaluation

    m64 = NeuralNetwork((8,), 1.0, max_iter=20, random_state=0)
    m64.fit(X, y, on_evaluation=record("64"))
    m32 = NeuralNetwork((8,), 1.0, max_iter=20, random_state=0, dtype="float32")
    m32.fit(X, y, on_evaluation=record("32"))
    # The same starting weights: the first evaluation agrees to float32 precision.
    assert first["32"] == pytest.approx(first["64"], rel=1e-6)
    assert first["32"] != first["64"]  # and it really was computed in float32
    assert m32.score(X, y) > 0.7 and m64.score(X, y) > 0.7


def test_adam_learns_a_nonlinear_problem():
    X, y = toy_problem(m=600)
    model = NeuralNetwork((16,), 0.0, max_iter=60, optimizer="adam", learning_rate=0.05,
                          batch_size=32, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.9


def test_warm_start_continues_from_the_current_weights():
    X, y = toy_problem()
    model = NeuralNetwork((8,), max_iter=5, random_state=0, warm_start=True).fit(X, y)
    first = model.cost_history_[-1]
    model.fit(X, y)
    assert model.n_iter_ == 10 and len(model.cost_history_) == 10
    assert model.cost_history_[5] <= first + 1e-12


def test_one_hot_targets_and_predictions():
    X, y = toy_problem()
    labels = np.array([3, 7, 9])[y]
    model = NeuralNetwork((8,), max_iter=30, random_state=0).fit(X, labels)
    assert set(model.predict(X)) <= {3, 7, 9}
    assert model.predict_proba(X).shape == (300, 3)
    onehot = np.eye(3)[y]
    model2 = NeuralNetwork((8,), max_iter=30, random_state=0).fit(X, onehot)
    np.testing.assert_array_equal(model2.classes_, [0, 1, 2])
    np.testing.assert_allclose(model2.predict_proba(X), model.predict_proba(X))
    acts = model.activations(X[:4])
    assert [a.shape for a in acts] == [(4, 12), (4, 8), (4, 3)]
    cost, grads = model.cost_gradient(X, labels)
    assert [g.shape for g in grads] == [t.shape for t in model.thetas]


def test_blas_thread_limits_are_restored_after_fit():
    from threadpoolctl import threadpool_info

    before = [d["num_threads"] for d in threadpool_info()]
    X, y = toy_problem()
    NeuralNetwork((8,), max_iter=2, n_threads=1, random_state=0).fit(X, y)
    assert [d["num_threads"] for d in threadpool_info()] == before


# -- persistence ----------------------------------------------------------


def test_save_load_round_trip(tmp_path):
    X, y = toy_problem()
    model = NeuralNetwork((8, 5), 0.3, max_iter=10, random_state=2, class_names=["a", "b", "c"],
                          image_shape=(3, 4)).fit(X, np.array([2, 4, 6])[y])
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = NeuralNetwork.load(path)
    for a, b in zip(model.thetas, loaded.thetas):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.class_names == ["a", "b", "c"] and loaded.image_shape == (3, 4)
    assert loaded.hidden_layers == (8, 5) and loaded.regularization_parameter == 0.3
    assert loaded.cost_history_ == model.cost_history_
    np.testing.assert_array_equal(loaded.classes_, [2, 4, 6])


def test_save_load_through_file_objects(tmp_path):
    """A model saved into and loaded from open files (a notebook's BytesIO, an upload)
    reads back whole, also from the middle of a stream, and leaves the stream usable."""
    X, y = toy_problem()
    model = NeuralNetwork((6,), 0.1, max_iter=5, random_state=1).fit(X, y)
    buffer = io.BytesIO()
    buffer.write(b"header bytes that are not the model")
    start = buffer.tell()
    model.save(buffer)
    buffer.seek(start)
    loaded = NeuralNetwork.load(buffer)
    for a, b in zip(model.thetas, loaded.thetas):
        np.testing.assert_array_equal(a, b)
    path = tmp_path / "m.npz"
    model.save(path)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(NeuralNetwork.load(f).predict(X), model.predict(X))
    with pytest.raises(ValueError, match="at most"), open(path, "rb") as f:
        NeuralNetwork.load(_Huge(f))


class _Huge:
    """A file object that claims to be bigger than any model file may be."""

    def __init__(self, f):
        self.f = f

    def tell(self):
        return self.f.tell()

    def seek(self, offset, whence=0):
        position = self.f.seek(offset, whence)
        return position + (10**12 if whence == 2 else 0)

    def read(self, n=-1):
        return self.f.read(n)


def _write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.fixture
def saved(tmp_path):
    X, y = toy_problem(m=60)
    model = NeuralNetwork((4,), max_iter=3, random_state=0).fit(X, y)
    path = tmp_path / "good.npz"
    model.save(path)
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def test_load_refuses_pickled_objects(tmp_path, saved):
    path = tmp_path / "evil.npz"
    _write_npz(path, **{**saved, "theta_0": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(ValueError, match="2-D float"):
        NeuralNetwork.load(path)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("metadata"), "metadata"),
        (lambda d: d.update(theta_1=np.full((5, 3), np.nan)), "NaN"),
        (lambda d: d.update(theta_1=np.zeros((7, 3))), "rows"),
        (lambda d: d.update(extra=np.zeros(2)), "theta"),
        (lambda d: d.update(metadata=np.array("{not json")), "not a Backprop Lab"),
        (lambda d: d.update(metadata=np.array('{"format": "x"}')), "format"),
        (lambda d: d.update(metadata=np.array(str(d["metadata"]).replace(
            '"format_version": 2', '"format_version": 99'))), "format_version"),
        (lambda d: d.update(metadata=np.array(str(d["metadata"]).replace(
            '"params": {', '"params": {"evil": 1, '))), "unknown parameters"),
    ],
    ids=["no-metadata", "nan", "shape-chain", "extra-array", "bad-json", "wrong-format",
         "future-version", "unknown-param"],
)
def test_load_refuses_malformed_files(tmp_path, saved, mutate, message):
    data = dict(saved)
    mutate(data)
    path = tmp_path / "bad.npz"
    _write_npz(path, **data)
    with pytest.raises(ValueError, match=message):
        NeuralNetwork.load(path)


def test_load_refuses_a_huge_declared_shape_without_reading_it(tmp_path, saved):
    import io
    import zipfile

    path = tmp_path / "huge.npz"
    _write_npz(path, **saved)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (100_000, 100_000)})
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("theta_2.npy", header.getvalue())
    with pytest.raises(ValueError, match="max_params"):
        NeuralNetwork.load(path)


@pytest.mark.parametrize("total, refused", [(10_000_000, False), (10_000_001, True)])
def test_load_takes_at_most_ten_million_parameters_by_default(tmp_path, saved, total, refused):
    """The default limit at its edge, from the declared shapes alone: a (rows, 1) theta
    declared on top of the saved model's own parameters brings them to ``total``."""
    path = tmp_path / "edge.npz"
    rows = total - sum(v.size for k, v in saved.items() if k.startswith("theta_"))
    _write_npz(path, **saved)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (rows, 1)})
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("theta_2.npy", header.getvalue())
    with pytest.raises(ValueError) as caught:
        NeuralNetwork.load(path)
    assert ("more than max_params=10,000,000" in str(caught.value)) is refused


def test_load_refuses_non_zip(tmp_path):
    path = tmp_path / "x.npz"
    path.write_bytes(b"\x80\x04not a zip at all")
    with pytest.raises(ValueError, match="not an .npz"):
        NeuralNetwork.load(path)


# -- bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hidden_layers": (25, 0)}, r"hidden_layers\[1\] must be >= 1"),
        ({"hidden_layers": (2.5,)}, r"hidden_layers\[0\] must be an integer"),
        ({"hidden_layers": (-3,)}, r"hidden_layers\[0\] must be >= 1"),
        ({"hidden_layers": "abc"}, r"hidden_layers\[0\] must be an integer"),
        ({"hidden_layers": None}, "hidden_layers must be a tuple"),
        ({"hidden_layers": (10_000, 10_000)}, "max_params allows at most"),
        ({"max_iter": 0}, "max_iter must be >= 1"),
        ({"max_iter": -5}, "max_iter must be >= 1"),
        ({"regularization_parameter": -1}, "regularization_parameter must be a finite number >= 0"),
        ({"regularization_parameter": float("nan")}, "regularization_parameter"),
        ({"optimizer": "sgd"}, "optimizer must be one of"),
        ({"dtype": "float16"}, "dtype must be one of"),
        ({"learning_rate": 0}, "learning_rate must be a finite number > 0"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"random_state": -1}, "random_state must be in"),
    ],
)
def test_bad_parameters_are_refused_with_the_name_and_allowed_values(params, message):
    X, y = toy_problem(m=20, n=400)
    with pytest.raises(ValueError, match=message):
        NeuralNetwork(**params).fit(X, y)


def test_max_params_is_configurable():
    X, y = toy_problem(m=20, n=10)
    with pytest.raises(ValueError, match="at most 50"):
        NeuralNetwork((8,), max_params=50).fit(X, y)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros(10), np.zeros(10, int), "X must be a 2-D array"),
        (np.zeros((10, 3, 1)), np.zeros(10, int), "X must be a 2-D array"),
        (np.full((4, 2), np.nan), np.array([0, 1, 0, 1]), "NaN or infinite"),
        (np.full((4, 2), np.inf), np.array([0, 1, 0, 1]), "NaN or infinite"),
        (np.zeros((4, 2)), np.array([0, 1, 0]), "y has 3 labels but X has 4"),
        (np.zeros((4, 2)), np.array([0, 0, 0, 0]), "at least 2 classes"),
        (np.zeros((4, 2)), np.array([0.5, 1, 0, 1]), "integer class labels"),
        (np.array([["a", "b"]] * 2), np.array([0, 1]), "real numbers"),
    ],
)
def test_bad_training_data_is_refused(X, y, message):
    with pytest.raises(ValueError, match=message):
        NeuralNetwork((3,), max_iter=1).fit(X, y)


def test_prediction_input_is_checked():
    X, y = toy_problem()
    model = NeuralNetwork((4,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="12 features"):
        model.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        model.predict(np.full((2, 12), np.nan))
    with pytest.raises(ValueError, match=r"labels the model does not know: \[7\]"):
        model.score(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="not fitted"):
        NeuralNetwork().predict(X)


def test_from_thetas_checks_shapes():
    with pytest.raises(ValueError, match="expected 6 rows"):
        NeuralNetwork.from_thetas([np.zeros((4, 5)), np.zeros((4, 2))])
    with pytest.raises(ValueError, match="non-empty list"):
        NeuralNetwork.from_thetas(np.zeros((4, 5)))
    model = NeuralNetwork.from_thetas([np.zeros((4, 5)), np.zeros((6, 2))])
    assert model.layer_sizes == (3, 5, 2) and model.hidden_layers == (5,)


def test_load_refuses_a_damaged_archive(tmp_path, saved):
    import zipfile

    path = tmp_path / "damaged.npz"
    _write_npz(path, **saved)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("theta_0.npy")
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged|not a Backprop Lab"):
        NeuralNetwork.load(path)


def test_a_file_objects_size_is_what_is_left_of_it_from_where_it_stands(monkeypatch):
    """The size limit counts a stream's bytes from its position to its end: a model at
    exactly the limit loads after any prefix, one byte over is refused."""
    from server.core import modelfile

    X, y = toy_problem(m=40)
    model = NeuralNetwork((3,), max_iter=2, random_state=0).fit(X, y)
    raw = io.BytesIO()
    model.save(raw)
    size = len(raw.getvalue())
    stream = io.BytesIO(b"x" * 1000 + raw.getvalue())
    monkeypatch.setattr(modelfile, "MAX_MODEL_FILE_BYTES", size)
    stream.seek(1000)
    assert NeuralNetwork.load(stream).n_iter_ == model.n_iter_
    monkeypatch.setattr(modelfile, "MAX_MODEL_FILE_BYTES", size - 1)
    stream.seek(1000)
    with pytest.raises(ValueError, match=f"model file is {size} bytes; at most {size - 1}"):
        NeuralNetwork.load(stream)

"""Bugs that once got through every test (issue 16), each pinned by a test that fails on it.

docs/testing.md ("Known gaps, closed") lists each planted bug and the test here, or in
the module's own test file, that catches it.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_activations import loop_cost_and_gradient
from test_training import FakeClient, make_lab, train

from server import datasets
from server.core import maths
from server.core.maths import backprop_trace, layer_table, loss_and_grad, one_hot, pack, unpack
from server.core.optimizers import OPTIMIZER_REGISTRY
from server.datasources import digits20
from server.network import NeuralNetwork
from server.training import Session

MINIBATCH = [o.name for o in OPTIMIZER_REGISTRY.values() if o.family == "minibatch"]


def _problem(m, sizes=(3, 4, 2, 3), seed=0):
    """Random thetas for ``sizes`` and ``m`` rows of inputs with labels (m,) and one-hot Y."""
    rng = np.random.default_rng(seed)
    thetas = [rng.uniform(-1, 1, size=(a + 1, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    X = rng.uniform(-1, 1, size=(m, sizes[0]))
    y = rng.integers(0, sizes[-1], size=m)
    return thetas, X, y, one_hot(y, sizes[-1])


# --------------------------------------------------------------------------- row blocks

def test_row_blocks_add_up_to_the_per_sample_gradient(monkeypatch):
    # Three full blocks and a short one: every block after the first must add to the
    # gradient, weights and bias rows alike, not overwrite what the others wrote.
    block = 7
    monkeypatch.setattr(maths, "BLOCK_ROWS", block)
    thetas, X, y, Y = _problem(3 * block + 2)
    table = layer_table([3, 4, 2, 3])
    cost, grad, output = loss_and_grad(pack(thetas), table, X, Y, 0.5)
    ref_cost, ref_grads = loop_cost_and_gradient(thetas, X, y, 0.5, "logistic")
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for g, r in zip(unpack(grad, table), ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(output, maths.forward(thetas, X)[0][-1], rtol=1e-12)


def test_the_real_block_size_blocks_and_matches_one_unblocked_pass():
    # One row past the module's BLOCK_ROWS (whatever it is now) takes the blocked path;
    # the gradient of the rows is the one an unblocked pass over all of them gives.
    m = maths.BLOCK_ROWS + 3
    thetas, X, _, Y = _problem(m, sizes=(2, 3, 2), seed=1)
    table = layer_table([2, 3, 2])
    cost, grad, _ = loss_and_grad(pack(thetas), table, X, Y, 0.0)
    whole = backprop_trace(thetas, X, Y)  # one block of all m rows
    assert cost == pytest.approx(whole.cost / m, rel=1e-12)
    for g, r in zip(unpack(grad, table), whole.grads):
        np.testing.assert_allclose(g, r / m, rtol=1e-9, atol=1e-15)


# --------------------------------------------------------------------------- mini-batches

def test_a_mini_batch_is_regularised_by_the_training_set_size():
    # lam / (2 m) * sum(w^2) over the whole set is, per sample, lam / m * w in the
    # gradient whatever the batch: a batch of b rows is not regularised by lam / b.
    thetas, X, y, Y = _problem(40)
    table = layer_table([3, 4, 2, 3])
    flat, lam = pack(thetas), 3.0
    _, with_reg, _ = loss_and_grad(flat, table, X[:10], Y[:10], lam, n_total=40)
    _, without, _ = loss_and_grad(flat, table, X[:10], Y[:10], 0.0, n_total=40)
    for theta, a, b in zip(thetas, unpack(with_reg, table), unpack(without, table)):
        np.testing.assert_allclose(a[1:] - b[1:], lam / 40 * theta[1:], rtol=1e-10)
        np.testing.assert_array_equal(a[0], b[0])  # the bias row is not regularised


@pytest.mark.parametrize("optimizer", MINIBATCH)
def test_mini_batch_optimizers_follow_the_full_regularised_gradient(optimizer):
    # With a step too small to move the weights, the mean of an epoch's mini-batch
    # gradients (the norms each iteration reports) is the full-batch gradient, whose
    # regularisation is lam / m: a regularisation of lam / batch is 4x too strong here.
    thetas, X, y, Y = _problem(40)
    lam = 20.0
    model = NeuralNetwork.from_thetas([t.copy() for t in thetas], optimizer=optimizer,
                                      regularization_parameter=lam, learning_rate=1e-12,
                                      batch_size=10, max_iter=1, warm_start=True,
                                      random_state=0)
    seen = []
    model.fit(X, y, callback=seen.append)
    table = layer_table([3, 4, 2, 3])
    _, full, _ = loss_and_grad(pack(thetas), table, X, Y, lam)
    expected = [np.linalg.norm(g) for g in unpack(full, table)]
    np.testing.assert_allclose(seen[0].grad_norms, expected, rtol=1e-6)


# --------------------------------------------------------------------------- done

@pytest.fixture
def lab_session(tmp_path):
    client = FakeClient()
    session = Session(client, make_lab(tmp_path), name="gaps")
    yield session, client
    session.close()


def test_the_done_confusion_matrix_has_the_true_class_in_its_rows(lab_session):
    # A barely trained 3-class network errs unevenly, so the matrix is not symmetric
    # and its transpose would not pass.
    session, client = lab_session
    train(session, dataset="gaussians", hidden_layers=[2], max_iter=1, random_state=3)
    done = client.wait_for("done")
    run = session.run()
    ds = run.dataset
    predicted = run.model.predict(ds.X_test)
    expected = np.zeros((3, 3), dtype=int)
    for true, said in zip(np.asarray(ds.y_test), predicted):
        expected[true, said] += 1
    assert (expected != expected.T).any(), "a symmetric case cannot tell rows from columns"
    assert done["confusion_matrix"] == expected.tolist()


# --------------------------------------------------------------------------- digits20 cache

@pytest.fixture
def tiny_mnist(monkeypatch):
    """Replace MNIST by 40 training and 10 test frames (4 and 1 of each digit); count reads."""
    reads = []

    def read_mnist(data_dir, split):
        reads.append(split)
        n = 40 if split == "train" else 10
        rng = np.random.default_rng(n)
        return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), np.arange(n) % 10

    monkeypatch.setattr(digits20, "read_mnist", read_mnist)
    return reads


def test_the_digits20_cache_name_follows_the_build_parameters_and_code(tmp_path, monkeypatch):
    name = datasets.digits20_cache_path(cache_dir=tmp_path).name
    monkeypatch.setattr(digits20, "DIGITS20_PER_CLASS", digits20.DIGITS20_PER_CLASS + 1)
    assert datasets.digits20_cache_path(cache_dir=tmp_path).name != name
    monkeypatch.undo()
    assert datasets.digits20_cache_path(cache_dir=tmp_path).name == name

    def to_digits20(images):  # another build: the centre crop instead of area averages
        return images[:, 4:24, 4:24].reshape(len(images), 400) / 255.0

    monkeypatch.setattr(digits20, "to_digits20", to_digits20)
    assert datasets.digits20_cache_path(cache_dir=tmp_path).name != name


def test_a_digits20_cache_of_another_build_is_not_reused(tmp_path, monkeypatch, tiny_mnist):
    def load():
        path = datasets.digits20_cache_path(cache_dir=tmp_path)
        return path, digits20.arrays(path, datasets.DATA_DIR)[0]

    monkeypatch.setattr(digits20, "DIGITS20_PER_CLASS", 2)
    old_path, old = load()
    assert old.shape == (20, 400) and tiny_mnist == ["train", "test"]
    monkeypatch.setattr(digits20, "DIGITS20_PER_CLASS", 3)
    new_path, new = load()  # rebuilt, not read from the older build's cache
    assert new.shape == (30, 400) and len(tiny_mnist) == 4
    assert new_path != old_path and old_path.is_file() and new_path.is_file()
    monkeypatch.setattr(digits20, "DIGITS20_PER_CLASS", 2)
    _, again = load()  # that build's cache is still good: read, not rebuilt
    np.testing.assert_array_equal(again, old)
    assert len(tiny_mnist) == 4

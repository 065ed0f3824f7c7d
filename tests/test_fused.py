"""The compiled logistic kernels (server/core/fused.py) against numpy's passes they replace."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from server.core import activations, fused, maths

DTYPES = (np.float64, np.float32)
LAYOUTS = ("C", "F")  # row-major, unit-major (the engine's float64 hidden layers)


def array(rng, low, high, shape, dtype, order):
    return np.asarray(rng.uniform(low, high, shape), dtype=dtype, order=order)


def ulps(got, want, dtype):
    """The largest difference in units of ``want``'s last place."""
    return float(np.max(np.abs(got - want) / np.spacing(np.abs(want).astype(dtype))))


@pytest.mark.parametrize("order", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_sigmoid_kernel_equals_numpys_passes_with_the_bias(dtype, order):
    rng = np.random.default_rng(0)
    zn = array(rng, -12, 12, (300, 7), dtype, order)
    zn[:5] = 800.0   # saturated: outputs exp(-bound), not subnormal
    zn[5:10] = -800.0  # outputs exactly 1
    b = rng.uniform(-1, 1, 7).astype(dtype)
    want = activations.sigmoid_of_negated(zn - b)
    got = fused.sigmoid_of_negated(zn.copy(order="K"), b)
    assert got.dtype == dtype and got.flags.f_contiguous == (order == "F")
    assert ulps(got, want, dtype) <= 1.0
    tiny = np.finfo(dtype).tiny
    assert np.all(got[:5] >= tiny) and np.all(got[:5] < 1e-18)  # clipped, normal numbers
    assert np.all(got[5:10] == 1.0)


@pytest.mark.parametrize("order", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_slope_kernel_multiplies_by_a_1_minus_a_and_sums_the_units(dtype, order):
    rng = np.random.default_rng(1)
    a = array(rng, 0, 1, (400, 9), dtype, order)
    a[0] = [0.0, 1.0, 0.5, 1e-154 if dtype == np.float64 else 1e-19, 1, 1, 0, 0, 0.25]
    delta = array(rng, -1, 1, (400, 9), dtype, order)
    want = delta * (a * (1 - a))
    got, sums = delta.copy(order="K"), np.full(9, np.nan, dtype=dtype)
    fused.logistic_slope(a, got, sums)
    assert np.array_equal(got, want)
    np.testing.assert_allclose(sums, want.astype(np.float64).sum(axis=0),
                               rtol=0, atol=50 * np.finfo(dtype).eps)
    fused.logistic_slope(a, delta.copy(order="K"), sums, accumulate=True)
    np.testing.assert_allclose(sums, 2 * want.astype(np.float64).sum(axis=0),
                               rtol=0, atol=100 * np.finfo(dtype).eps)


def numpy_output_layer(zn, b, Y, scale):
    """The numpy passes of the engine's output layer: (cost, output, delta)."""
    zn = zn - b
    output = activations.sigmoid_of_negated(zn, out=np.empty_like(zn))
    cost = maths.cost_of_negated(zn, output, Y)
    return cost, output, (output - Y) * scale


@pytest.mark.parametrize("order", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_output_kernels_give_numpys_cost_outputs_deltas_and_bias_gradient(dtype, order):
    rng = np.random.default_rng(2)
    zn = array(rng, -30, 30, (500, 10), dtype, order)
    zn[0], zn[1] = 800.0, -800.0  # saturated both ways, right and wrong
    Y = np.asarray(maths.one_hot(rng.integers(0, 10, 500), 10), dtype=dtype, order=order)
    b = rng.uniform(-1, 1, 10).astype(dtype)
    cost, output, delta = numpy_output_layer(zn, b, Y, dtype(1 / 500))
    sums = np.full(10, np.nan, dtype=dtype)
    got_cost, got_output, got_delta = fused.output_layer(zn.copy(order="K"), b, Y, 1 / 500,
                                                         sums)
    assert np.isfinite(got_cost) and got_cost > 800  # the wrong saturated units cost 800 each
    assert got_cost == pytest.approx(cost, rel=10 * float(np.finfo(dtype).eps))
    assert np.array_equal(got_output, output) and np.array_equal(got_delta, delta)
    assert got_output.flags.f_contiguous == (order == "F")
    np.testing.assert_allclose(sums, delta.astype(np.float64).sum(axis=0), rtol=0,
                               atol=50 * np.finfo(dtype).eps)


def test_a_strided_array_is_refused_with_its_strides():
    with pytest.raises(ValueError, match="contiguous array"):
        fused.storage(np.zeros((6, 8))[::2, ::2])


def test_arrays_of_two_layouts_are_refused():
    a, delta = np.full((6, 8), 0.5), np.ones((6, 8), order="F")
    with pytest.raises(ValueError, match="unit-major against row-major"):
        fused.logistic_slope(a, delta, np.empty(8))


@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_and_grad_with_the_kernels_matches_the_numpy_passes(dtype, monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (200, 30)).astype(dtype)
    Y = maths.output_layout(maths.one_hot(rng.integers(0, 4, 200), 4), dtype=dtype)
    table = maths.layer_table((30, 8, 6, 4))
    flat = rng.uniform(-1, 1, table[-1][1]).astype(dtype)
    cost, grad, output = maths.loss_and_grad(flat, table, X, Y, 0.5)
    monkeypatch.setattr(fused, "DTYPES", ())  # every layer on numpy's passes
    want_cost, want_grad, want_output = maths.loss_and_grad(flat, table, X, Y, 0.5)
    eps = np.finfo(dtype).eps
    assert cost == pytest.approx(want_cost, rel=20 * float(eps))
    np.testing.assert_allclose(grad, want_grad, rtol=0, atol=20 * eps * np.abs(want_grad).max())
    np.testing.assert_allclose(output, want_output, rtol=4 * eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_regularization_kernel_adds_scale_w_and_returns_the_sum_of_squares(dtype):
    rng = np.random.default_rng(4)
    w = rng.uniform(-1, 1, (40, 7)).astype(dtype)
    g = rng.uniform(-1, 1, (40, 7)).astype(dtype)
    want = g + dtype(0.3) * w
    total = fused.regularize(w, g, 0.3)
    assert np.array_equal(g, want)
    assert total == pytest.approx(float(np.sum(w.astype(np.float64) ** 2)), rel=1e-12)


def test_the_kernels_are_cached_in_the_users_cache_not_beside_the_package(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_"))}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    code = ("import numpy as np; from server.core import fused; "
            "fused.sigmoid_of_negated(np.zeros((3, 2)), np.zeros(2))")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300,
                   cwd=Path(__file__).resolve().parent.parent)
    cached = list((tmp_path / "backprop-lab" / "numba").rglob("*.nbi"))
    assert any("_bias_clip" in p.name for p in cached), cached
    assert not list(Path(fused.__file__).parent.rglob("*.nb[ic]"))  # nothing beside the code


def test_numba_cache_dir_wins_and_a_relative_xdg_path_is_ignored(tmp_path):
    assert fused.cache_dir({"NUMBA_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert fused.cache_dir({"XDG_CACHE_HOME": "rel"}) == (Path.home() / ".cache" /
                                                          "backprop-lab" / "numba")
    assert fused.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == (tmp_path / "backprop-lab" /
                                                                  "numba")


def test_the_kernel_decorator_compiles_without_the_gil_cached_in_the_cache_dir(tmp_path,
                                                                              monkeypatch):
    """What every kernel is compiled with: no GIL (server/core/rowsplit.py runs the row
    blocks' kernels at once on the cores), numpy's error model (a division by zero is
    inf, not an exception in the middle of a training), and numba's on-disk cache in
    ``cache_dir()``, which the decorator sets only while it compiles."""
    import numba

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    before = numba.config.CACHE_DIR

    def halve_reciprocal(x):
        return 0.5 / x

    kernel = fused._kernel(fastmath={"reassoc"})(halve_reciprocal)
    assert numba.config.CACHE_DIR == before
    assert kernel.targetoptions["nogil"] is True
    assert kernel.targetoptions["error_model"] == "numpy"
    assert kernel.targetoptions["fastmath"] == {"reassoc"}
    assert kernel(0.0) == np.inf and kernel(4.0) == 0.125
    assert type(kernel._cache).__name__ == "FunctionCache"
    assert Path(kernel._cache._cache_path).is_relative_to(tmp_path)
    assert list(tmp_path.rglob("*halve_reciprocal*.nbi"))

"""Contracts of server/core/activations.py that `make mutate` found untested."""

import numpy as np
import pytest

from server.core import activations
from server.core.activations import ACTIVATIONS


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_hidden_function_works_in_place_when_given_out(name):
    """The training pass overwrites each layer's product with its activation
    (``function(z, out=z)``): no (m, s) temporary per layer and evaluation."""
    z = np.linspace(-3.0, 3.0, 12).reshape(4, 3)
    want = ACTIVATIONS[name].function(z.copy())
    got = ACTIVATIONS[name].function(z, out=z)
    assert got is z
    np.testing.assert_array_equal(z, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_exp_bound_is_the_largest_whose_square_stays_a_normal_number(dtype):
    """``exp(-bound)``, the smallest logistic output, squared in the slope ``a (1 - a)``
    and the cost, stays at or above the dtype's smallest normal number; 1% further
    it would not. The table the sigmoid reads is this function's values."""
    tiny = np.finfo(dtype).tiny
    bound = activations._exp_bound(dtype)
    assert np.exp(np.float64(-bound)) ** 2 == pytest.approx(tiny, rel=1e-9)
    assert np.exp(np.float64(-1.01 * bound)) ** 2 < tiny
    assert activations._EXP_BOUND[np.dtype(dtype)] == bound

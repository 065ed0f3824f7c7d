"""Small exact facts of the drawing pipeline and the initial weights (survivors of
`make mutate` in server/preprocess.py and server/core/initializers.py)."""

from __future__ import annotations

import numpy as np
import pytest

from server.core.initializers import INITIALIZERS
from server.core.maths import layer_table
from server.preprocess import centre_of_mass, fit_into_box


@pytest.mark.parametrize("shape, out", [((4, 2), (20, 20)), ((2, 6), (20, 16)), ((3, 3), (9, 13))])
def test_a_fitted_crop_is_centred_in_the_output_and_keeps_its_ink(shape, out):
    crop = np.ones(shape)
    box = 8.0
    img = fit_into_box(crop, box, out)
    assert img.shape == out
    centre = centre_of_mass(img)
    assert centre == pytest.approx(((out[0] - 1) / 2, (out[1] - 1) / 2))
    scale = box / max(shape)
    assert img.sum() == pytest.approx(crop.sum() * scale * scale)  # area-average: ink scales


def test_a_stretch_fills_the_box_on_both_axes_up_to_its_limit():
    tall = np.ones((8, 2))
    filled = fit_into_box(tall, 8.0, (10, 10), keep_aspect=False)
    assert (filled > 0.99).sum() == 64  # an 8x8 block: both sides span the box
    limited = fit_into_box(tall, 8.0, (10, 10), keep_aspect=False, max_stretch=2.0)
    # rows scale 1, columns at most 2x that: the 2 columns become 4 pixels wide
    assert (limited > 0.99).sum() == 8 * 4
    assert centre_of_mass(limited) == pytest.approx((4.5, 4.5))


@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_an_initializer_draws_one_number_per_weight_bias_rows_included(name):
    sizes = (3, 4, 2)
    flat = INITIALIZERS[name].function(sizes, np.random.default_rng(0))
    assert flat.shape == (layer_table(sizes)[-1][1],) == ((3 + 1) * 4 + (4 + 1) * 2,)
    assert flat.dtype == np.float64

"""The toys' geometry before noise: where each class lies (survivors of `make mutate`).

The data set tests check that toys are seeded, balanced and inside the unit square;
these check the shapes themselves, on the generators in drawing units [-1, 1]^2, so a
sine drawn on the wrong side of its wave or a ring of the wrong radius is caught.
"""

from __future__ import annotations

import numpy as np
import pytest

from server.datasources.toys import MARGIN, TOYS, sine_boundary

N = 4000


def draw(name, k=2, seed=0):
    return TOYS[name].make(N, k, np.random.default_rng(seed))  # X (N, 2), y (N,)


def test_the_sine_boundary_is_half_a_sine_of_one_and_a_half_pi_u():
    np.testing.assert_allclose(sine_boundary(np.array([-1 / 3, 0.0, 1 / 3, 1.0])),
                               [-0.5, 0.0, 0.5, -0.5], atol=1e-12)


def test_sine_classes_fill_each_side_of_the_wave_up_to_the_margin():
    X, y = draw("sine")
    np.testing.assert_array_equal(y, np.arange(N) % 2)
    u, v = X[:, 0], X[:, 1]
    assert -1 <= u.min() < -0.99 and 0.99 < u.max() <= 1  # across the whole width
    gap = v - sine_boundary(u)
    below, above = y == 0, y == 1
    assert gap[below].max() <= -MARGIN and gap[above].min() >= MARGIN
    # uniform over each side: reaching both the square's edge and the margin
    assert v[below].min() < -0.99 and gap[below].max() > -MARGIN - 0.01
    assert v[above].max() > 0.99 and gap[above].min() < MARGIN + 0.01
    assert v.min() >= -1 and v.max() <= 1


def test_circles_are_a_ring_of_radius_1_around_a_ring_of_radius_half():
    X, y = draw("circles")
    np.testing.assert_array_equal(y, np.arange(N) % 2)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)
    angle = np.arctan2(X[:, 1], X[:, 0]) % (2 * np.pi)  # evenly all the way round
    counts = np.histogram(angle, bins=8, range=(0, 2 * np.pi))[0]
    assert counts.min() > 0.8 * N / 8 and counts.max() < 1.2 * N / 8


@pytest.mark.parametrize("k", [2, 3, 5])
def test_gaussian_centres_sit_on_a_circle_of_0_6_a_turn_over_k_apart(k):
    X, y = draw("gaussians", k)
    np.testing.assert_array_equal(y, np.arange(N) % k)
    angle = 2 * np.pi * np.arange(k) / k + np.pi / 4
    centres = 0.6 * np.c_[np.cos(angle), np.sin(angle)]
    np.testing.assert_allclose(X, centres[y], atol=1e-12)


def test_xor_classes_hold_opposite_quadrants_clear_of_the_axes():
    X, y = draw("xor")
    sign = np.sign(X[:, 0] * X[:, 1])
    assert (sign[y == 0] == 1).all() and (sign[y == 1] == -1).all()
    assert np.abs(X).min() >= MARGIN and np.abs(X).max() <= 1
    assert (X[y == 0, 0] < 0).any() and (X[y == 0, 0] > 0).any()  # both of its quadrants


@pytest.mark.parametrize("k", [2, 3])
def test_spiral_arms_turn_one_and_three_quarter_times_a_turn_over_k_apart(k):
    X, y = draw("spiral", k)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() >= 0.05 and r.max() <= 1.0
    assert r.min() < 0.06 and r.max() > 0.99
    angle = 1.75 * 2 * np.pi * r + 2 * np.pi * y / k
    np.testing.assert_allclose(X, np.c_[r * np.cos(angle), r * np.sin(angle)], atol=1e-12)

"""The drawing pipeline's small facts, on canvases of a few pixels: its refusals word
for word and at their limits, the luma weights, the border, the ink threshold, the
stroke measure and the recipe chosen per shape (server/preprocess.py)."""

from __future__ import annotations

import numpy as np
import pytest

from server import preprocess as pp


def _message(call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


def test_ink_map_names_a_bad_shape_or_side():
    assert _message(lambda: pp.ink_map(np.zeros((4, 4, 2)))) == (
        "image must be (H, W) gray or (H, W, 3|4) RGB(A), got shape (4, 4, 2)")
    assert _message(lambda: pp.ink_map(np.zeros(4))) == (
        "image must be (H, W) gray or (H, W, 3|4) RGB(A), got shape (4,)")
    assert _message(lambda: pp.ink_map(np.zeros((0, 3)))) == (
        "image sides must be in [1, 4096], got (0, 3)")
    assert _message(lambda: pp.ink_map(np.zeros((2, 4097), np.uint8))) == (
        "image sides must be in [1, 4096], got (2, 4097)")
    assert pp.ink_map(np.zeros((1, 4096), np.uint8)).shape == (1, 4096)
    assert pp.ink_map(np.zeros((4096, 1), np.uint8)).shape == (4096, 1)
    one_channel = np.zeros((5, 5, 1), np.uint8)
    one_channel[2, 2, 0] = 255
    assert pp.ink_map(one_channel)[2, 2] == 1.0


def test_pixel_values_are_read_by_type_and_refused_out_of_range():
    assert pp._to_unit_float(np.array([[True, False]])).tolist() == [[1.0, 0.0]]
    assert pp._to_unit_float(np.array([[0, 51, 255]], np.uint8)).tolist() == [[0.0, 0.2, 1.0]]
    assert pp._to_unit_float(np.array([[0, 255]], np.int16)).tolist() == [[0.0, 1.0]]
    assert pp._to_unit_float(np.zeros((0, 2), np.int32)).shape == (0, 2)
    assert pp._to_unit_float(np.array([[0.0, 1.0]], np.float32)).dtype == np.float64
    assert _message(lambda: pp._to_unit_float(np.array([[-1, 3]]))) == (
        "integer image values must be in [0, 255], got [-1, 3]")
    assert _message(lambda: pp._to_unit_float(np.array([[0, 256]]))) == (
        "integer image values must be in [0, 255], got [0, 256]")
    assert _message(lambda: pp._to_unit_float(np.array([[0.5, np.nan]]))) == (
        "float image values must be finite and in [0, 1], got NaN or inf")
    assert _message(lambda: pp._to_unit_float(np.array([[-0.5, 0.5]]))) == (
        "float image values must be finite and in [0, 1], got [-0.5, 0.5]")
    assert _message(lambda: pp._to_unit_float(np.array([[0.5, 1.5]]))) == (
        "float image values must be finite and in [0, 1], got [0.5, 1.5]")
    assert _message(lambda: pp._to_unit_float(np.array([["a"]]))) == (
        "image dtype must be uint8, bool or float, got <U1")


def test_rgb_ink_is_the_luma_of_each_channel():
    for channel, weight in enumerate((0.299, 0.587, 0.114)):
        rgb = np.zeros((9, 9, 3))
        rgb[4, 4, channel] = 1.0
        ink = pp.ink_map(rgb)
        assert ink[4, 4] == pytest.approx(weight, abs=1e-12)
        assert ink.sum() == pytest.approx(weight, abs=1e-12)


def test_rgba_takes_ink_from_alpha_on_a_transparent_canvas():
    rgba = np.zeros((9, 9, 4))
    rgba[4, 4] = [0.2, 0.2, 0.2, 0.75]  # a grey stroke, three quarters opaque
    np.testing.assert_array_equal(pp.ink_map(rgba), rgba[:, :, 3])
    rgba[:, :, 3] = 0.5  # a half-opaque border is not transparent: the colours count
    rgba[4, 4] = [1.0, 1.0, 1.0, 1.0]
    ink = pp.ink_map(rgba)
    assert ink[4, 4] == pytest.approx(1.0) and ink[0, 0] == 0.0


def test_rgba_on_an_opaque_canvas_blends_with_the_borders_colour():
    rgba = np.ones((9, 9, 4))  # opaque white
    rgba[2, 2] = [0.0, 0.0, 0.0, 1.0]  # black ink
    rgba[6, 6] = [0.0, 0.0, 0.0, 0.0]  # a transparent hole: the backdrop shows
    rgba[4, 4] = [0.0, 0.0, 0.0, 0.5]  # half-opaque black: half the ink
    ink = pp.ink_map(rgba)
    assert ink[2, 2] == 1.0 and ink[6, 6] == 0.0
    assert ink[4, 4] == pytest.approx(0.5)
    assert ink.sum() == pytest.approx(1.5)


def test_the_border_is_two_percent_of_the_short_side_and_at_least_one_pixel():
    a = np.arange(100 * 120).reshape(100, 120)
    assert pp._border(a).size == 100 * 120 - 96 * 116  # k = 2
    assert sorted(pp._border(a)) == sorted(set(a.ravel()) - set(a[2:-2, 2:-2].ravel()))
    b = np.arange(9).reshape(3, 3)
    assert sorted(pp._border(b).tolist()) == [0, 1, 2, 3, 5, 6, 7, 8]  # k = 1: all but the middle
    c = np.arange(10).reshape(2, 5)
    assert sorted(pp._border(c).tolist()) == list(range(10))  # all frame


def test_contrast_is_measured_from_the_border_level_either_way():
    light = np.full((10, 10), 0.8)
    light[5, 5] = 0.2
    assert pp._contrast_with_border(light)[5, 5] == pytest.approx(0.75)  # (0.8 - 0.2) / 0.8
    assert pp._contrast_with_border(light)[0, 0] == 0.0
    dark = np.full((10, 10), 0.2)
    dark[5, 5] = 0.6
    assert pp._contrast_with_border(dark)[5, 5] == pytest.approx(0.5)  # (0.6 - 0.2) / 0.8
    mid = np.zeros((10, 10))  # a mid-grey border over a black page: the page decides
    mid[0, :] = mid[-1, :] = mid[:, 0] = mid[:, -1] = 0.55
    mid[5, 5] = 1.0
    ink = pp._contrast_with_border(mid)
    assert ink[5, 5] == 1.0 and ink[4, 4] == 0.0 and ink[0, 0] == pytest.approx(0.55)


def test_the_ink_box_holds_every_pixel_at_the_threshold():
    ink = np.zeros((8, 9))
    ink[2, 3] = 0.1  # exactly INK_THRESHOLD: ink
    ink[5, 7] = 0.5
    ink[6, 1] = 0.0999  # below: not ink
    assert pp.ink_box(ink) == (slice(2, 6), slice(3, 8))
    assert _message(lambda: pp.ink_box(np.full((3, 3), 0.05))) == (
        "no ink: the drawing is empty (nothing differs from the background)")


def test_stroke_width_is_twice_the_mass_over_the_outline():
    frame = np.zeros((12, 16))
    frame[2:6, 3:13] = 1.0  # 4 x 10: 40 pixels, 24 of them on the outline
    assert pp.stroke_width(frame) == pytest.approx(2 * 40 / 24)
    dot = np.zeros((5, 5))
    dot[2, 2] = 0.5  # solid (>= 0.5), its own outline
    assert pp.stroke_width(dot) == 1.0
    assert pp.stroke_width(np.zeros((5, 5))) == 0.0


def test_change_stroke_width_steps_by_two_pixels_and_blends_a_fraction():
    frame = np.zeros((9, 9))
    frame[4, 4] = 1.0
    grown = pp.change_stroke_width(frame, 2.0)  # one dilation with the cross
    assert grown.sum() == 5.0 and grown[3, 4] == 1.0 and grown[3, 3] == 0.0
    half = pp.change_stroke_width(frame, 1.0)
    assert half[4, 4] == 1.0 and half[3, 4] == 0.5
    assert pp.change_stroke_width(frame, 3.0)[2, 4] == 0.5  # one whole step, half the next
    np.testing.assert_array_equal(pp.change_stroke_width(grown, -2.0), frame)
    assert pp.change_stroke_width(grown, -1.0)[3, 4] == 0.5


@pytest.mark.parametrize("shape, style", [((8, 8), "optdigits"), ((16, 16), "semeion"),
                                          ((20, 20), "mnist"), ((16, 8), "mnist"),
                                          ((8, 16), "mnist")])
def test_the_recipe_follows_the_shape(shape, style):
    assert pp._style_for(shape) == style
    assert pp._style_for(list(shape)) == style


def _bar():
    canvas = np.zeros((40, 40), np.uint8)
    canvas[8:32, 18:22] = 255
    return canvas


def test_preprocess_names_a_bad_shape_or_style_and_takes_a_style_override():
    assert _message(lambda: pp.preprocess_drawing(_bar(), (257, 20))) == (
        "image_shape must be (height, width) with sides in [1, 256], got (257, 20)")
    assert _message(lambda: pp.preprocess_drawing(_bar(), (0, 20))).startswith(
        "image_shape must be (height, width) with sides in [1, 256], got")
    assert pp.preprocess_drawing(_bar(), (1, 1)).shape == (1, 1)
    assert pp.preprocess_drawing(_bar(), np.array([2, 256])).shape == (2, 256)
    assert _message(lambda: pp.preprocess_drawing(_bar(), (20, 20), style="emnist")) == (
        "style must be 'mnist', 'optdigits' or 'semeion', got 'emnist'")
    out, steps = pp.preprocess_drawing(_bar(), (20, 20), True, style="semeion")
    assert list(steps) == ["ink", "cropped", "boxed", "output"] and steps["boxed"].shape == (20, 20)
    assert set(np.unique(out)) == {0.0, 1.0} and steps["output"] is out
    # a 24 x 4 bar stretched: rows fill 20, columns scale 5, limited to 2 * 20/24: 6.7 wide
    assert out.any(axis=0).sum() >= 6 and out.any(axis=1).sum() == 20


def test_the_optdigits_recipe_counts_thresholded_ink_in_4x4_blocks():
    out, steps = pp.preprocess_drawing(_bar(), (8, 8), return_steps=True)
    boxed = steps["boxed"]
    assert boxed.shape == (32, 32)
    bits = (boxed >= 0.5).astype(float)
    np.testing.assert_array_equal(out, bits.reshape(8, 4, 8, 4).mean(axis=(1, 3)))
    assert out.max() == 0.75 and np.all(out * 16 == np.round(out * 16))  # 3 of 4 columns
    rows = np.flatnonzero(bits.any(axis=1))
    assert rows[0] == 0 and rows[-1] == 31  # the longer side fills the 32-pixel box


def test_a_28x28_mnist_frame_is_returned_as_it_is_placed():
    noisy = np.zeros((60, 60), np.uint8)  # grey levels everywhere: a resample would round them
    noisy[10:50, 15:45] = np.random.default_rng(0).integers(30, 256, (40, 30))
    out, steps = pp.preprocess_drawing(noisy, (28, 28), return_steps=True)
    np.testing.assert_array_equal(out, np.clip(steps["centred"], 0.0, 1.0))  # bit for bit
    out, steps = pp.preprocess_drawing(_bar(), (28, 28), return_steps=True)
    small = pp.preprocess_drawing(_bar(), (14, 14))
    np.testing.assert_allclose(small, pp.area_resize(steps["centred"], (14, 14)), atol=1e-12)


@pytest.mark.parametrize("n_in, n_out, scale, offset", [
    (4, 2, 0.5, 0.0), (5, 7, 1.4, 0.0), (6, 4, 0.5, 0.75), (3, 5, 2.0, -1.5), (7, 3, 0.25, 2.2)])
def test_the_running_integral_is_the_area_weights_product(n_in, n_out, scale, offset):
    a = np.random.default_rng(n_in).random((n_in, 3))  # the last pixels differ
    want = pp.area_weights(n_in, n_out, scale, offset) @ a
    np.testing.assert_allclose(pp._area_axis0(a, n_out, scale, offset), want, atol=1e-12)


@pytest.mark.parametrize("shape", [(30, 12), (12, 30)])
def test_the_mnist_frame_puts_the_centre_of_mass_at_14_and_the_long_side_at_20(shape):
    crop = np.zeros(shape)
    crop[:, :3] = 1.0
    crop[-3:, :] = 0.5  # an L of two inks, off-centre on purpose
    out = pp._mnist_frame(crop, normalize_stroke=False)
    assert out.shape == (28, 28)
    assert pp.centre_of_mass(out) == pytest.approx((14.0, 14.0), abs=1e-9)
    scale = 20 / max(shape)  # area averaging keeps the ink: it scales with the area
    assert out.sum() == pytest.approx(crop.sum() * scale**2, rel=1e-9)


@pytest.mark.parametrize("shape, width_before, width_after", [
    ((40, 1), 0.5, 1.896),  # thickened up to about the range's low end (1.96)
    ((40, 2), 1.0, 2.008),
    ((10, 4), 8.0, 3.905),  # thinned down to about its high end (3.72)
    ((40, 20), 10.0, 3.924),
])
def test_the_mnist_frame_brings_a_stroke_into_mnists_width_range(shape, width_before, width_after):
    """Width here is ink over length (a bar 20 pixels long); the figures are the pipeline's
    own for these bars, pinned: the loop re-measures up to three times, so every part of
    it (tolerance, bound, step) shows in the result."""
    crop = np.ones(shape)
    length = 20.0  # the long side spans MNIST's 20-pixel box
    assert pp._mnist_frame(crop, False).sum() / length == pytest.approx(width_before)
    assert pp._mnist_frame(crop, True).sum() / length == pytest.approx(width_after, abs=0.002)


def test_a_stroke_inside_the_range_is_left_alone():
    crop = np.ones((30, 4))  # 4 * 20/30 = 2.7 pixels wide
    np.testing.assert_array_equal(pp._mnist_frame(crop, True), pp._mnist_frame(crop, False))


def test_a_batch_is_resized_like_each_of_its_images():
    images = np.random.default_rng(1).integers(0, 256, (2, 6, 4)).astype(np.uint8)  # (n, h, w)
    rows, cols = pp.area_weights(6, 3, 0.5), pp.area_weights(4, 2, 0.5)
    batch = pp.area_resize(images, (3, 2))
    assert batch.shape == (2, 3, 2) and batch.dtype == np.float64
    for image, got in zip(images, batch):
        np.testing.assert_allclose(got, rows @ image @ cols.T, atol=1e-9)
        np.testing.assert_allclose(pp.area_resize(image, (3, 2)), got, atol=1e-9)
    assert pp.area_weights(3, 3, 1.0).tolist() == np.eye(3).tolist()  # offset 0 by default


def test_the_border_decides_the_background_unless_it_is_mid_grey():
    page = np.zeros((10, 10))  # a dark drawing that fills the page, on a white frame
    page[0, :] = page[-1, :] = page[:, 0] = page[:, -1] = 1.0
    assert pp._contrast_with_border(page)[5, 5] == 1.0  # dark on light: the frame says so
    grey = np.full((10, 10), 0.5)  # a mid-grey page and frame: light ink on it
    grey[5, 5] = 1.0
    grey[2, 2] = 0.0
    ink = pp._contrast_with_border(grey)
    assert ink[5, 5] == 1.0 and ink[2, 2] == 0.0
    light = np.full((10, 10), 0.8)
    light[5, 5] = 1.0  # lighter than the paper: no ink, not negative ink
    assert pp._contrast_with_border(light)[5, 5] == 0.0


def test_a_stretch_is_limited_relative_to_the_other_axis():
    box = pp.fit_into_box(np.ones((4, 1)), 8.0, (10, 10), keep_aspect=False, max_stretch=2.0)
    # rows scale 2 (fills the box); columns would scale 8, limited to 2 * 2 = 4
    assert (box > 0.99).sum() == 8 * 4 and box.sum() == pytest.approx(32.0)


def test_a_colour_image_with_a_bad_side_names_its_height_and_width():
    assert _message(lambda: pp.ink_map(np.zeros((0, 3, 3)))) == (
        "image sides must be in [1, 4096], got (0, 3)")


def test_the_optdigits_box_is_four_pixels_a_cell_on_each_axis():
    out, steps = pp.preprocess_drawing(_bar(), (8, 4), True, style="optdigits")
    assert out.shape == (8, 4) and steps["boxed"].shape == (32, 16)
    crop = steps["cropped"]  # 24 x 4: the long side becomes the box's 16 = 4 * min(shape)
    assert steps["boxed"].sum() == pytest.approx(crop.sum() * (16 / 24) ** 2)


def test_strokes_are_normalised_by_default():
    thin = np.zeros((60, 60), np.uint8)
    thin[10:50, 30] = 255  # 1 pixel wide, 40 long: half a pixel in MNIST's box
    default = pp.preprocess_drawing(thin, (20, 20))
    np.testing.assert_array_equal(default, pp.preprocess_drawing(thin, (20, 20),
                                                                 normalize_stroke=True))
    assert default.sum() > 2 * pp.preprocess_drawing(thin, (20, 20), normalize_stroke=False).sum()

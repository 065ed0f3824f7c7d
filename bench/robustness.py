"""How well does the drawing pipeline hold up against the way people draw?

Takes MNIST test digits, pastes each onto a 280x280 canvas at a random scale
(0.5x-1.5x of a nominal 160-pixel-tall digit) and a random position, randomly
thickens or thins the strokes, stores it the way a page might send it (gray
light-on-dark, gray dark-on-light, or RGBA with the ink in alpha, all uint8),
runs ``preprocess_drawing`` and feeds a network trained on the data set.  The
figure of merit is the accuracy on these canvases minus the accuracy on the
same digits untouched (straight from the data set's test split).

    python bench/robustness.py                 # 1,000 digits, seeds 0-2, ~3 min
    python bench/robustness.py --n 300 --datasets digits20 mnist
    python bench/robustness.py --quick         # a smoke run in seconds
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.ndimage as ndi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.datasets import load_dataset, read_mnist  # noqa: E402
from server.network import NeuralNetwork  # noqa: E402
from server.preprocess import preprocess_drawing  # noqa: E402

CANVAS = 280
NOMINAL_HEIGHT = 160  # canvas pixels spanned by the longer side of a 1x digit
SCALE_RANGE = (0.5, 1.5)
STROKE_CHANGES = ("none", "thicken", "thin")
FORMATS = ("gray_light_on_dark", "gray_dark_on_light", "rgba_alpha")
STROKE_CHANGE = 0.5  # MNIST pixels added to (or taken from) each side of a stroke

# The model each data set is measured with: small, and quick on two shared cores.
MODEL = dict(hidden_layers=(25,), regularization_parameter=1.0, optimizer="TNC",
             max_iter=100, max_fun=600, random_state=0)


def render_canvas(digit: np.ndarray, rng: np.random.Generator, stroke: str | None = None,
                  fmt: str | None = None):
    """Draw one 28x28 digit (floats in [0, 1], ink = 1) on a canvas as a user might.

    Returns
    -------
    canvas : ndarray of uint8, shape (280, 280) or (280, 280, 4)
    meta : dict
        ``scale``, ``stroke``, ``format`` and ``box`` (top, left, height, width).
    """
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    crop = digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]  # (h, w)
    scale = rng.uniform(*SCALE_RANGE)
    zoom = scale * NOMINAL_HEIGHT / max(crop.shape)  # canvas pixels per MNIST pixel
    big = np.clip(ndi.zoom(crop, zoom, order=1, grid_mode=True, mode="grid-constant"), 0, 1)
    stroke = stroke or STROKE_CHANGES[rng.integers(len(STROKE_CHANGES))]
    if stroke != "none":
        radius = max(1, round(STROKE_CHANGE * zoom))
        disk = np.hypot(*np.mgrid[-radius:radius + 1, -radius:radius + 1]) <= radius
        big = np.pad(big, radius)  # room for the thickened ink
        big = (ndi.grey_dilation if stroke == "thicken" else ndi.grey_erosion)(
            big, footprint=disk)
        r = np.flatnonzero(big.max(axis=1) > 0.05)
        c = np.flatnonzero(big.max(axis=0) > 0.05)
        big = big[r[0]:r[-1] + 1, c[0]:c[-1] + 1] if r.size else big
    h, w = min(big.shape[0], CANVAS), min(big.shape[1], CANVAS)
    top, left = rng.integers(0, CANVAS - h + 1), rng.integers(0, CANVAS - w + 1)
    ink = np.zeros((CANVAS, CANVAS))
    ink[top:top + h, left:left + w] = big[:h, :w]
    ink = np.rint(ink * 255).astype(np.uint8)
    fmt = fmt or FORMATS[rng.integers(len(FORMATS))]
    if fmt == "gray_light_on_dark":
        canvas = ink
    elif fmt == "gray_dark_on_light":
        canvas = 255 - ink
    else:  # a transparent canvas with black strokes: only alpha holds the drawing
        canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
        canvas[:, :, 3] = ink
    return canvas, {"scale": scale, "stroke": stroke, "format": fmt,
                    "box": (int(top), int(left), int(h), int(w))}


def train_model(dataset, **overrides) -> NeuralNetwork:
    """Fit the benchmark's network on the data set's training split."""
    params = {**MODEL, **overrides}
    return NeuralNetwork(**params).fit(dataset.X_train, dataset.y_train)


def measure(model, dataset, n: int = 1000, seed: int = 0) -> dict:
    """Compare accuracy on ``n`` test digits untouched and drawn on canvases.

    The digits are a seeded sample of MNIST's test set; the data set's test split
    must be MNIST's test set in order (``digits20`` and ``mnist`` are).

    Returns
    -------
    dict
        ``n, clean_accuracy, canvas_accuracy, drop_pp`` (percentage points),
        ``by_stroke`` and ``by_format`` accuracies, ``ms_per_drawing``.
    """
    images, labels = read_mnist(split="test")
    if len(dataset.y_test) != len(labels) or not np.array_equal(dataset.y_test, labels):
        raise ValueError(f"{dataset.id}'s test split is not MNIST's test set")
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(len(labels), size=n, replace=False))
    X_canvas = np.empty((n, dataset.X_test.shape[1]))
    metas, elapsed = [], 0.0
    for row, i in enumerate(picks):
        canvas, meta = render_canvas(images[i] / 255.0, rng)
        t0 = time.perf_counter()
        X_canvas[row] = preprocess_drawing(canvas, dataset.image_shape).ravel()
        elapsed += time.perf_counter() - t0
        metas.append(meta)
    y = labels[picks]
    clean_ok = model.predict(dataset.X_test[picks]) == y
    canvas_ok = model.predict(X_canvas) == y
    group = lambda key, value: float(canvas_ok[[m[key] == value for m in metas]].mean())  # noqa: E731
    return {"n": n, "clean_accuracy": float(clean_ok.mean()),
            "canvas_accuracy": float(canvas_ok.mean()),
            "drop_pp": 100.0 * float(clean_ok.mean() - canvas_ok.mean()),
            "by_stroke": {s: group("stroke", s) for s in STROKE_CHANGES},
            "by_format": {f: group("format", f) for f in FORMATS},
            "ms_per_drawing": 1000.0 * elapsed / n}


def measure_transfer(model, dataset, n: int = 1000, seed: int = 0) -> dict:
    """Score a model of another digit set (optdigits, semeion) on drawn MNIST digits.

    There are no untouched versions of MNIST digits in those formats, so this
    compares with the model's accuracy on its own test split: the gap mixes the
    pipeline's error with the difference between the writers of the two sets.
    """
    images, labels = read_mnist(split="test")
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(len(labels), size=n, replace=False))
    X = np.array([preprocess_drawing(render_canvas(images[i] / 255.0, rng)[0],
                                     dataset.image_shape).ravel() for i in picks])
    return {"n": n, "own_test_accuracy": float(model.score(dataset.X_test, dataset.y_test)),
            "canvas_accuracy": float(np.mean(model.predict(X) == labels[picks]))}


class ColumnMajor:
    """The course's ex4 network, which reads 20x20 images column-major."""

    def __init__(self, model):
        self.model = model

    def predict(self, X):
        return self.model.predict(X.reshape(-1, 20, 20).transpose(0, 2, 1).reshape(-1, 400))


def course_network():
    """The course's trained network (tests/fixtures/ex4weights.mat) for digits20."""
    import scipy.io
    w = scipy.io.loadmat(Path(__file__).resolve().parent.parent / "tests/fixtures/ex4weights.mat")
    return ColumnMajor(NeuralNetwork.from_thetas([w["Theta1"].T, w["Theta2"].T],
                                                 classes=[1, 2, 3, 4, 5, 6, 7, 8, 9, 0]))


def time_preprocess(image_shape=(20, 20), repeats: int = 200) -> dict:
    """Median milliseconds of ``preprocess_drawing`` on a 280x280 canvas, per format."""
    images, _ = read_mnist(split="test")
    rng = np.random.default_rng(1)
    out = {}
    for fmt in FORMATS:
        canvas, _ = render_canvas(images[0] / 255.0, rng, stroke="none", fmt=fmt)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            preprocess_drawing(canvas, image_shape)
            times.append(time.perf_counter() - t0)
        out[fmt] = 1000.0 * float(np.median(times))
    return out


def _pct(x):
    return f"{100 * x:.1f}%"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="digits to draw (default 1000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="one row per seed; seed 0 is the headline figure")
    parser.add_argument("--datasets", nargs="+", default=["digits20"],
                        choices=["digits20", "mnist"])
    parser.add_argument("--no-transfer", action="store_true",
                        help="skip the optdigits/semeion rows")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 100 digits, seed 0, barely trained models")
    args = parser.parse_args(argv)
    overrides, repeats = {}, 200
    if args.quick:
        args.n, args.seeds, overrides, repeats = 100, args.seeds[:1], {"max_fun": 40}, 10
    print(f"Robustness of `preprocess_drawing`: {args.n} MNIST test digits per seed, each "
          f"pasted at {SCALE_RANGE[0]}x-{SCALE_RANGE[1]}x of a {NOMINAL_HEIGHT}-px digit at a "
          f"random place on a {CANVAS}x{CANVAS} canvas, strokes thickened or thinned by "
          f"{STROKE_CHANGE} MNIST pixel a side or left alone, stored as gray light-on-dark, "
          f"gray dark-on-light or RGBA ink-in-alpha (uint8), then preprocessed and classified. "
          f"'untouched' is the same model on the same digits from the data set's test split.\n")
    print("| data set | model | seed | untouched | on canvas | drop (pp) | thickened | thinned "
          "| strokes as-is | ms/drawing |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.datasets:
        ds = load_dataset(name)
        t0 = time.perf_counter()
        model = train_model(ds, **overrides)
        label = (f"trained here: {model.layer_sizes}, lambda 1, TNC, {model.n_iter_} it "
                 f"({time.perf_counter() - t0:.0f} s)")
        models = [(label, model)]
        if name == "digits20":
            models.append(("the course's ex4weights.mat (column-major input)", course_network()))
        for label, m in models:
            drops = []
            for seed in args.seeds:
                r = measure(m, ds, n=args.n, seed=seed)
                drops.append(r["drop_pp"])
                s = r["by_stroke"]
                print(f"| {name} | {label} | {seed} | {_pct(r['clean_accuracy'])} "
                      f"| {_pct(r['canvas_accuracy'])} | {r['drop_pp']:+.1f} "
                      f"| {_pct(s['thicken'])} | {_pct(s['thin'])} | {_pct(s['none'])} "
                      f"| {r['ms_per_drawing']:.2f} |", flush=True)
            print(f"| {name} | {label} | mean | | | {np.mean(drops):+.1f} | | | | |", flush=True)
    if not args.no_transfer:
        print("\nOther geometries (no untouched MNIST digits exist in these formats, so the "
              "comparison is with the model's own test split; the gap includes the change of "
              "writers):\n")
        print("| data set | model | own test split | MNIST digits drawn on canvas (seed 0) |")
        print("| --- | --- | ---: | ---: |")
        for name in ("optdigits", "semeion"):
            ds = load_dataset(name)
            model = train_model(ds, **overrides)
            r = measure_transfer(model, ds, n=args.n, seed=args.seeds[0])
            print(f"| {name} {ds.image_shape} | {model.layer_sizes}, lambda 1, TNC, "
                  f"{model.n_iter_} it | {_pct(r['own_test_accuracy'])} "
                  f"| {_pct(r['canvas_accuracy'])} |", flush=True)
    print("\nMedian `preprocess_drawing` time for one 280x280 canvas, by shape and format:\n")
    print("| image_shape | " + " | ".join(FORMATS) + " |")
    print("| --- |" + " ---: |" * len(FORMATS))
    for shape in ((20, 20), (28, 28), (16, 16), (8, 8)):
        timing = time_preprocess(shape, repeats)
        print(f"| {shape} | " + " | ".join(f"{timing[f]:.2f} ms" for f in FORMATS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

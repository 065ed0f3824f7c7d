"""Data sets for the trainer: shipped digits, 2-D toys and a user's own file.

Every data set is a :class:`Dataset` whose ``X_*`` arrays are float64 in [0, 1]
with one example per row (images flattened in row-major order: row 0 of the
image first) and whose ``y_*`` arrays are int64 class indices into
``class_names``.  The image sets are read-only arrays shared between callers
(``load_dataset`` memoises them per process); copy before writing to them.

Everything works offline from the files in ``data/`` (see ``data/README.md``).
``digits20`` is built from MNIST on first use and cached (in ``data/cache/`` in a
checkout, the user's cache directory when installed: see ``server/paths.py``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import os
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from server import paths
from server.preprocess import area_resize

DATA_DIR = paths.DATA_DIR
CACHE_FORMAT_VERSION = 1  # bump when the digits20 recipe changes

# sha256 of the shipped source files (relative to DATA_DIR); data/README.md lists
# the same values and tests/test_datasets.py checks the files against both.
SOURCE_SHA256 = {
    "mnist/train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "mnist/train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "mnist/t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "mnist/t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    "optdigits.npz": "fb2f2b0cb05cbed646623988f0c1a93fe909fc0bee52f5aa14d2f4424930eedb",
    "semeion.npz": "0c159d839ca6d9561bae73b9fd5537e53012e9dd2e47faabf10ff6bb112a6996",
}
MNIST_FILES = {
    "train": ("mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"),
    "test": ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"),
}
DIGITS = [str(d) for d in range(10)]
DIGITS20_PER_CLASS = 500
SEMEION_TEST_FRACTION = 0.25  # Semeion has no official split; ours is stratified, seed 0

MNIST_SOURCE = ("MNIST, Y. LeCun, C. Cortes and C.J.C. Burges (derived from NIST SD-3/SD-1); "
                "CC BY-SA 3.0. Original IDX files in data/mnist/.")


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled data set ready for the network.

    Attributes
    ----------
    id : str
        The key ``load_dataset`` takes (``"digits20"``, ``"spiral"``, ``"user"``...).
    name : str
        A short human-readable title.
    X_train, X_test : ndarray of float64, shape (n_train, n_features), (n_test, n_features)
        Values in [0, 1]; images are flattened row-major.
    y_train, y_test : ndarray of int64, shape (n_train,), (n_test,)
        Indices into ``class_names``.
    image_shape : tuple of int or None
        ``(height, width)`` of an image, ``None`` when rows are not images.
    class_names : list of str
    description, source : str
    kind : str
        ``"image"`` (rows are images), ``"points"`` (2-D toys) or ``"table"``
        (a user's non-image features).
    params : dict
        The generation parameters of a toy or user set (empty for fixed sets).
    """

    id: str
    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int] | None
    class_names: list[str]
    description: str
    source: str
    kind: str
    params: dict = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    def info(self) -> dict:
        """Return the JSON-friendly summary ``list_datasets`` gives the page."""
        return {"id": self.id, "name": self.name, "description": self.description,
                "image_shape": list(self.image_shape) if self.image_shape else None,
                "n_features": self.n_features, "class_names": list(self.class_names),
                "n_train": len(self.y_train), "n_test": len(self.y_test), "kind": self.kind}


# --------------------------------------------------------------------------- registry

TOY_DEFAULTS = {  # noise: Gaussian std in the toy's [-1, 1] drawing units
    "xor": {"noise": 0.05, "n_classes": 2},
    "circles": {"noise": 0.05, "n_classes": 2},
    "spiral": {"noise": 0.05, "n_classes": 2},
    "gaussians": {"noise": 0.15, "n_classes": 3},
}
TOY_N_SAMPLES = 400  # training points; the test set has n_samples // 4 more

_CATALOG = {
    "digits20": dict(
        name="Digits 20x20 (MNIST)", image_shape=(20, 20), kind="image",
        n_train=10 * DIGITS20_PER_CLASS, n_test=10_000, class_names=DIGITS,
        description="5,000 training digits, 500 per class (the first of each class in "
                    "MNIST's training file), each whole 28x28 MNIST frame area-averaged "
                    "to 20x20 like the course's ex4 data; test: all 10,000 MNIST test "
                    "digits resized the same way.",
        source=MNIST_SOURCE + " Resized here; this is not Andrew Ng's ex4data1 file."),
    "mnist": dict(
        name="MNIST 28x28", image_shape=(28, 28), kind="image", n_train=60_000,
        n_test=10_000, class_names=DIGITS,
        description="The full MNIST set: 60,000 training and 10,000 test digits, 28x28.",
        source=MNIST_SOURCE),
    "optdigits": dict(
        name="UCI optdigits 8x8", image_shape=(8, 8), kind="image", n_train=3823,
        n_test=1797, class_names=DIGITS,
        description="Optical digits: counts of ink in 4x4 blocks of a 32x32 bitmap "
                    "(0..16, scaled to [0, 1]); the UCI train/test split.",
        source="UCI Machine Learning Repository, E. Alpaydin and C. Kaynak (1998); "
               "CC BY 4.0. data/optdigits.npz."),
    "semeion": dict(
        name="UCI Semeion 16x16", image_shape=(16, 16), kind="image", n_train=1195,
        n_test=398, class_names=DIGITS,
        description="1,593 binary 16x16 handwritten digits, each stretched to fill its "
                    "box; a stratified 75/25 split with seed 0 (no official split).",
        source="Semeion Research Center of Sciences of Communication, Rome, via the UCI "
               "Machine Learning Repository; CC BY 4.0. data/semeion.npz."),
}
_TOY_NAMES = {"xor": "XOR (2-D)", "circles": "Circles (2-D)", "spiral": "Spiral (2-D)",
              "gaussians": "Gaussian blobs (2-D)"}
_TOY_TEXT = {
    "xor": "Four quadrants, opposite ones share a class: no single line separates them.",
    "circles": "A disc inside a ring: needs a closed boundary.",
    "spiral": "Interleaved spiral arms: needs several hidden units.",
    "gaussians": "Gaussian blobs around a circle, one per class.",
}
DATASET_IDS = tuple(_CATALOG) + tuple(TOY_DEFAULTS)
DEFAULT_DATASET = "digits20"


def list_datasets() -> list[dict]:
    """Return a summary of every built-in data set, without loading any of them.

    Returns
    -------
    list of dict
        Keys ``id, name, description, image_shape, n_features, class_names,
        n_train, n_test, kind``; toys are described with their default parameters.
    """
    out = []
    for key, meta in _CATALOG.items():
        h, w = meta["image_shape"]
        out.append({"id": key, "name": meta["name"], "description": meta["description"],
                    "image_shape": [h, w], "n_features": h * w,
                    "class_names": list(meta["class_names"]), "n_train": meta["n_train"],
                    "n_test": meta["n_test"], "kind": meta["kind"]})
    for key, defaults in TOY_DEFAULTS.items():
        k = defaults["n_classes"]
        out.append({"id": key, "name": _TOY_NAMES[key],
                    "description": _TOY_TEXT[key], "image_shape": None, "n_features": 2,
                    "class_names": [str(c) for c in range(k)], "n_train": TOY_N_SAMPLES,
                    "n_test": TOY_N_SAMPLES // 4, "kind": "points"})
    return out


def load_dataset(name: str = DEFAULT_DATASET, *, data_dir: str | os.PathLike | None = None,
                 cache_dir: str | os.PathLike | None = None, **params) -> Dataset:
    """Load a built-in data set by id.

    Parameters
    ----------
    name : str
        One of ``DATASET_IDS``.
    data_dir : path, optional
        Where the shipped files live (default: ``DATA_DIR``, the bundled ``data/``).
    cache_dir : path, optional
        Where ``digits20`` is cached (default: ``paths.default_cache_dir()``).
    **params
        Toys only: ``n_samples`` (training points, 10..100000, default 400),
        ``n_test`` (default ``n_samples // 4``), ``noise`` (0..1), ``random_state``
        (int, default 0) and ``n_classes`` (2..8, ``spiral`` and ``gaussians``).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an unknown name (the message lists the allowed ids), a parameter the
        data set does not take, or a shipped file whose checksum is wrong.
    """
    if name not in DATASET_IDS:
        raise ValueError(f"dataset: unknown id {name!r}; allowed: {', '.join(DATASET_IDS)}")
    if name in TOY_DEFAULTS:
        return make_toy(name, **params)
    if params:
        raise ValueError(f"dataset {name!r} takes no parameters, got {sorted(params)}")
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    cache_dir = Path(cache_dir) if cache_dir is not None else paths.default_cache_dir()
    key = (name, str(data_dir.resolve()), str(cache_dir.resolve()))
    with _MEMO_LOCK:
        if key not in _MEMO:
            _MEMO[key] = _build_image_dataset(name, data_dir, cache_dir)
        return _MEMO[key]


_MEMO: dict[tuple, Dataset] = {}
_MEMO_LOCK = threading.Lock()


def clear_memory_cache() -> None:
    """Forget the data sets memoised in this process (the disk cache stays)."""
    with _MEMO_LOCK:
        _MEMO.clear()


def _image_dataset(name, X_train, y_train, X_test, y_test) -> Dataset:
    meta = _CATALOG[name]
    arrays = []
    for a, dtype in ((X_train, np.float64), (y_train, np.int64),
                     (X_test, np.float64), (y_test, np.int64)):
        a = np.ascontiguousarray(a, dtype=dtype)
        a.flags.writeable = False  # shared between every caller in the process
        arrays.append(a)
    return Dataset(name, meta["name"], *arrays, image_shape=meta["image_shape"],
                   class_names=list(meta["class_names"]), description=meta["description"],
                   source=meta["source"], kind=meta["kind"])


def _build_image_dataset(name: str, data_dir: Path, cache_dir: Path) -> Dataset:
    if name == "digits20":
        return _image_dataset(name, *_digits20_arrays(data_dir, cache_dir))
    if name == "mnist":
        Xtr, ytr = read_mnist(data_dir, "train")
        Xte, yte = read_mnist(data_dir, "test")
        return _image_dataset(name, _to_unit(Xtr), ytr, _to_unit(Xte), yte)
    if name == "optdigits":
        with np.load(_checked(data_dir, "optdigits.npz"), allow_pickle=False) as z:
            return _image_dataset(name, z["X_train"] / 16.0, z["y_train"],
                                  z["X_test"] / 16.0, z["y_test"])
    with np.load(_checked(data_dir, "semeion.npz"), allow_pickle=False) as z:
        X, y = z["X"].astype(np.float64), z["y"].astype(np.int64)
    Xtr, ytr, Xte, yte = train_validation_split(X, y, SEMEION_TEST_FRACTION, random_state=0)
    return _image_dataset(name, Xtr, ytr, Xte, yte)


# --------------------------------------------------------------------------- files

_DIGEST_MEMO: dict[tuple, str] = {}


def file_sha256(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file (memoised on path, size and mtime)."""
    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGEST_MEMO:
        h = hashlib.sha256()
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _DIGEST_MEMO[key] = h.hexdigest()
    return _DIGEST_MEMO[key]


def _checked(data_dir: Path, rel: str) -> Path:
    """Return ``data_dir / rel`` after checking it is the shipped file."""
    path = data_dir / rel
    if not path.is_file():
        raise FileNotFoundError(f"missing data file {path} (see data/README.md)")
    digest = file_sha256(path)
    if digest != SOURCE_SHA256[rel]:
        raise ValueError(f"data file {path} has sha256 {digest}, expected "
                         f"{SOURCE_SHA256[rel]}: restore it from the repository")
    return path


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a gzip'd IDX file (MNIST's format) into a uint8 array.

    Returns
    -------
    ndarray of uint8, shape (n,) for labels or (n, rows, cols) for images
    """
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte data
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic:#010x})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(raw) != offset + math.prod(dims):
        raise ValueError(f"{path}: {len(raw) - offset} data bytes for dimensions {dims}")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(dims)


def read_mnist(data_dir: str | os.PathLike | None = None, split: str = "train"):
    """Return MNIST ``(images, labels)``: uint8 (n, 28, 28) and int64 (n,)."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    images_rel, labels_rel = MNIST_FILES[split]
    images = read_idx(_checked(data_dir, images_rel))
    labels = read_idx(_checked(data_dir, labels_rel)).astype(np.int64)
    return images, labels


def _to_unit(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1) / 255.0  # (n, h*w) float64


# --------------------------------------------------------------------------- digits20

def digits20_cache_path(data_dir: Path | None = None, cache_dir: Path | None = None) -> Path:
    """Return the cache file for ``digits20``; its name changes with the recipe or sources."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    cache_dir = Path(cache_dir) if cache_dir is not None else paths.default_cache_dir()
    digests = [file_sha256(_checked(data_dir, rel))
               for pair in MNIST_FILES.values() for rel in pair]
    key = hashlib.sha256(f"v{CACHE_FORMAT_VERSION}:{':'.join(digests)}".encode()).hexdigest()
    return cache_dir / f"digits20-v{CACHE_FORMAT_VERSION}-{key[:16]}.npz"


def select_digits20(labels: np.ndarray, per_class: int = DIGITS20_PER_CLASS) -> np.ndarray:
    """Return the indices of the first ``per_class`` examples of each class, in file order."""
    picks = [np.flatnonzero(labels == c)[:per_class] for c in range(10)]
    return np.sort(np.concatenate(picks))


def to_digits20(images: np.ndarray) -> np.ndarray:
    """Area-average whole 28x28 MNIST frames to 20x20.

    Parameters
    ----------
    images : ndarray of uint8, shape (n, 28, 28)

    Returns
    -------
    ndarray of float64, shape (n, 400), values in [0, 1], rows row-major
    """
    small = area_resize(images / 255.0, (20, 20))  # (n, 20, 20)
    return np.clip(small, 0.0, 1.0).reshape(len(images), 400)


def _digits20_arrays(data_dir: Path, cache_dir: Path):
    path = digits20_cache_path(data_dir, cache_dir)
    if path.is_file():
        try:
            with path.open("rb") as f, np.load(f, allow_pickle=False) as z:
                return z["X_train"], z["y_train"], z["X_test"], z["y_test"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a torn or foreign file: rebuild it
    train_images, train_labels = read_mnist(data_dir, "train")
    test_images, test_labels = read_mnist(data_dir, "test")
    keep = select_digits20(train_labels)
    arrays = dict(X_train=to_digits20(train_images[keep]), y_train=train_labels[keep],
                  X_test=to_digits20(test_images), y_test=test_labels)
    try:  # write-then-rename so a concurrent reader never sees half a file
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with tmp.open("wb") as f:
            np.savez(f, **arrays)
        tmp.replace(path)
    except OSError:
        pass  # a read-only checkout still works, it just rebuilds each process
    return arrays["X_train"], arrays["y_train"], arrays["X_test"], arrays["y_test"]


# --------------------------------------------------------------------------- toys

def _check_range(field_name, value, low, high, kind=float):
    ok_type = isinstance(value, (int, np.integer)) if kind is int else (
        isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool))
    if isinstance(value, bool) or not ok_type or not (low <= value <= high):
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{field_name} must be {what} in [{low}, {high}], got {value!r}")
    return kind(value)


def make_toy(name: str, *, n_samples: int = TOY_N_SAMPLES, n_test: int | None = None,
             noise: float | None = None, random_state: int = 0,
             n_classes: int | None = None) -> Dataset:
    """Generate a seeded 2-D toy data set with features in [0, 1].

    The pattern is drawn in [-1, 1]^2, Gaussian noise of std ``noise`` is added to
    the coordinates (labels stay those of the clean point), and the plane is mapped
    to [0, 1]^2 by ``u = (v + 1.5) / 3`` then clipped, so the clean pattern fills
    [1/6, 5/6] and the map is the same at every noise level.

    Returns
    -------
    Dataset
        ``X_*`` shape (n, 2) float64, classes balanced to within one example.
    """
    if name not in TOY_DEFAULTS:
        raise ValueError(f"toy: unknown id {name!r}; allowed: {', '.join(TOY_DEFAULTS)}")
    defaults = TOY_DEFAULTS[name]
    n_samples = _check_range("n_samples", n_samples, 10, 100_000, int)
    n_test = n_samples // 4 if n_test is None else _check_range("n_test", n_test, 0, 100_000, int)
    noise = defaults["noise"] if noise is None else _check_range("noise", noise, 0.0, 1.0)
    random_state = _check_range("random_state", random_state, 0, 2**32 - 1, int)
    if n_classes is None:
        n_classes = defaults["n_classes"]
    elif name in ("xor", "circles"):
        if n_classes != 2:
            raise ValueError(f"n_classes: {name} has exactly 2 classes, got {n_classes!r}")
    else:
        n_classes = _check_range("n_classes", n_classes, 2, 8, int)
    rng = np.random.default_rng(random_state)
    parts = []
    for n in (n_samples, n_test):  # train, then test, from one stream
        X, y = _TOY_MAKERS[name](n, n_classes, rng)  # (n, 2) in [-1, 1], (n,)
        X = X + rng.normal(0.0, noise, X.shape) if noise > 0 else X
        order = rng.permutation(n)
        parts += [np.clip((X[order] + 1.5) / 3.0, 0.0, 1.0), y[order].astype(np.int64)]
    params = {"n_samples": n_samples, "n_test": n_test, "noise": noise,
              "random_state": random_state, "n_classes": n_classes}
    return Dataset(name, _TOY_NAMES[name], *parts, image_shape=None,
                   class_names=[str(c) for c in range(n_classes)],
                   description=_TOY_TEXT[name], source="generated (seeded) by server.datasets",
                   kind="points", params=params)


def _balanced_labels(n, k):
    return np.arange(n) % k  # (n,) classes 0..k-1, counts differ by at most one


def _xor(n, k, rng):
    y = _balanced_labels(n, 2)
    X = rng.uniform(0, 1, (n, 2)) * rng.choice([-1, 1], (n, 1))  # quadrant I or III
    X[y == 1, 0] *= -1  # class 1: quadrant II or IV
    return X, y


def _circles(n, k, rng):
    y = _balanced_labels(n, 2)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 0, 1.0, 0.5)
    return np.c_[radius * np.cos(angle), radius * np.sin(angle)], y


def _spiral(n, k, rng):
    y = _balanced_labels(n, k)
    r = rng.uniform(0.05, 1.0, n)
    angle = 1.75 * 2 * np.pi * r + 2 * np.pi * y / k  # 1.75 turns per arm
    return np.c_[r * np.cos(angle), r * np.sin(angle)], y


def _gaussians(n, k, rng):
    y = _balanced_labels(n, k)
    centre_angle = 2 * np.pi * y / k + np.pi / 4
    return 0.6 * np.c_[np.cos(centre_angle), np.sin(centre_angle)], y  # noise makes the blobs


_TOY_MAKERS = {"xor": _xor, "circles": _circles, "spiral": _spiral, "gaussians": _gaussians}


# --------------------------------------------------------------------------- splits

def train_validation_split(X, y, fraction: float, random_state: int | None = 0):
    """Split off a stratified validation set, deterministically for a given seed.

    Each class contributes its share of the ``round(fraction * n)`` validation rows
    (largest-remainder rounding); both parts keep the original row order.

    Parameters
    ----------
    X : array_like, shape (n, n_features)
    y : array_like, shape (n,)
    fraction : float in [0, 1)
    random_state : int or None

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarrays
        Shapes (n - n_val, n_features), (n - n_val,), (n_val, n_features), (n_val,).
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, n_features) and y (n,), got {X.shape} and {y.shape}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)) \
            or not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be a number in [0, 1), got {fraction!r}")
    rng = np.random.default_rng(random_state)
    classes, y_idx = np.unique(y, return_inverse=True)
    counts = np.bincount(y_idx, minlength=len(classes))
    share = fraction * counts
    n_val = np.floor(share).astype(int)
    short = int(round(fraction * len(y))) - n_val.sum()
    if short > 0:  # hand the remaining rows to the largest remainders
        n_val[np.argsort(-(share - n_val), kind="stable")[:short]] += 1
    is_val = np.zeros(len(y), dtype=bool)
    for c, k in enumerate(n_val):
        members = np.flatnonzero(y_idx == c)
        is_val[rng.permutation(members)[:k]] = True
    return X[~is_val], y[~is_val], X[is_val], y[is_val]


# --------------------------------------------------------------------------- user data

@dataclass(frozen=True)
class UserDataLimits:
    """Caps on an uploaded data set (the defaults fit MNIST-sized images)."""

    max_bytes: int = 64 * 1024 * 1024  # file size, and uncompressed arrays for .npz
    max_rows: int = 100_000
    max_columns: int = 4097  # label + 64x64 pixels
    max_classes: int = 100


def load_user_dataset(source, *, name: str = "user", label_column: int | str = 0,
                      image_shape: tuple[int, int] | None = None,
                      test_fraction: float = 0.2, random_state: int = 0,
                      limits: UserDataLimits = UserDataLimits()) -> Dataset:
    """Parse a user's CSV or ``.npz`` file into a :class:`Dataset`.

    CSV: one example per line, a label column (``label_column``: index, or name
    when the first line is a header) and numeric feature columns; a first line
    with a non-numeric feature is taken as a header; ``,``, ``;`` or tab
    separated.  ``.npz``: arrays ``X`` and ``y``, or ``X_train, y_train, X_test,
    y_test``.  Features already in [0, 1] are kept; otherwise an image set
    (``image_shape`` given or a square feature count of at least 64) is scaled by
    its global minimum and maximum, and other data column by column.

    Parameters
    ----------
    source : str, PathLike or bytes
        A path, or the file's content.

    Returns
    -------
    Dataset
        ``kind`` is ``"image"``, ``"points"`` (2 features) or ``"table"``.

    Raises
    ------
    ValueError
        Naming the line and column of a bad value, or the limit exceeded.
    """
    raw, is_npz = _read_source(source, limits)
    if is_npz:
        X_train, y_train, X_test, y_test = _parse_npz(raw, limits)
    else:
        X, y = _parse_csv(raw, label_column, limits)
        X_train, y_train, X_test, y_test = X, y, None, None
    labels = np.concatenate([y_train, y_test]) if y_test is not None else y_train
    class_names, y_all = _encode_labels(labels, limits)
    n = len(y_train)
    X_all = np.vstack([X_train, X_test]) if X_test is not None else X_train
    n_features = X_all.shape[1]
    if image_shape is None:
        side = math.isqrt(n_features)
        image_shape = (side, side) if side * side == n_features and side >= 8 else None
    elif math.prod(image_shape) != n_features:
        raise ValueError(f"image_shape {tuple(image_shape)} does not match {n_features} features")
    X_all = _scale_to_unit(X_all, per_column=image_shape is None)
    if X_test is None:
        X_train, y_train, X_test, y_test = train_validation_split(
            X_all, y_all, test_fraction, random_state)
    else:
        X_train, y_train, X_test, y_test = X_all[:n], y_all[:n], X_all[n:], y_all[n:]
    kind = "image" if image_shape else ("points" if n_features == 2 else "table")
    return Dataset("user", name, X_train, y_train, X_test, y_test,
                   image_shape=tuple(image_shape) if image_shape else None,
                   class_names=class_names, description=f"Uploaded data: {len(y_all)} rows, "
                   f"{n_features} features, {len(class_names)} classes.",
                   source="uploaded by the user", kind=kind,
                   params={"test_fraction": test_fraction, "random_state": random_state})


def _read_source(source, limits: UserDataLimits) -> tuple[bytes, bool]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    else:
        size = Path(source).stat().st_size
        if size > limits.max_bytes:
            raise ValueError(f"file is {size} bytes; the limit is {limits.max_bytes}")
        raw = Path(source).read_bytes()
    if len(raw) > limits.max_bytes:
        raise ValueError(f"file is {len(raw)} bytes; the limit is {limits.max_bytes}")
    return raw, raw[:4] == b"PK\x03\x04"  # .npz files are zip archives


def _parse_npz(raw: bytes, limits: UserDataLimits):
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not a readable .npz file: {exc}") from None
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.max_bytes:  # checked before inflating anything
        raise ValueError(f".npz arrays take {unpacked} bytes; the limit is {limits.max_bytes}")
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        keys = set(z.files)
        if {"X", "y"} <= keys:
            parts = [z["X"], z["y"], None, None]
        elif {"X_train", "y_train", "X_test", "y_test"} <= keys:
            parts = [z["X_train"], z["y_train"], z["X_test"], z["y_test"]]
        else:
            raise ValueError(f".npz needs arrays X and y (or X_train, y_train, X_test, "
                             f"y_test); found {sorted(keys)}")
    for i in (0, 2):
        if parts[i] is None:
            continue
        X, y, which = parts[i], parts[i + 1], ("X", "X_test")[i // 2]
        if X.ndim == 3:  # (n, h, w) images
            X = X.reshape(len(X), -1)
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(f"{which} must be (n, n_features) with y (n,), "
                             f"got {parts[i].shape} and {y.shape}")
        if X.dtype.kind not in "biuf":  # bool, integers, floats
            raise ValueError(f"{which} must be real numbers, got dtype {X.dtype}")
        X = X.astype(np.float64)
        bad = np.argwhere(~np.isfinite(X))
        if len(bad):
            raise ValueError(f"{which} row {bad[0][0]}, column {bad[0][1]}: "
                             f"{X[tuple(bad[0])]} is not a finite number")
        parts[i] = X
    _check_shape(len(parts[1]) + (len(parts[3]) if parts[3] is not None else 0),
                 parts[0].shape[1] + 1, limits)
    if parts[2] is not None and parts[2].shape[1] != parts[0].shape[1]:
        raise ValueError(f"X_test has {parts[2].shape[1]} features, X_train {parts[0].shape[1]}")
    return parts


def _check_shape(n_rows, n_columns, limits: UserDataLimits):
    if n_rows > limits.max_rows:
        raise ValueError(f"{n_rows} rows; the limit is {limits.max_rows}")
    if n_columns > limits.max_columns:
        raise ValueError(f"{n_columns} columns; the limit is {limits.max_columns}")


def _parse_csv(raw: bytes, label_column, limits: UserDataLimits):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValueError(f"line {line}: not UTF-8 text ({exc.reason})") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    rows = [(i, r) for i, r in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter),
                                          start=1) if any(cell.strip() for cell in r)]
    if not rows:
        raise ValueError("the file has no data lines")
    header = None
    if not _all_numbers(rows[0][1], label_column):
        header = [cell.strip() for cell in rows[0][1]]
        rows = rows[1:]
    if not rows:
        raise ValueError("the file has a header but no data lines")
    n_columns = len(rows[0][1])
    _check_shape(len(rows), n_columns, limits)
    if n_columns < 2:
        raise ValueError(f"line {rows[0][0]}: need a label column and at least one feature "
                         f"column, found {n_columns} column")
    label_at = _label_index(label_column, header, n_columns)
    X = np.empty((len(rows), n_columns - 1))  # (n, n_features)
    y = []
    for r, (line, cells) in enumerate(rows):
        if len(cells) != n_columns:
            raise ValueError(f"line {line}: {len(cells)} columns, expected {n_columns} "
                             f"(like line {rows[0][0]})")
        y.append(cells[label_at].strip())
        if not y[-1]:
            raise ValueError(f"line {line}, column {label_at + 1}: the label is empty")
        features = cells[:label_at] + cells[label_at + 1:]
        try:
            X[r] = np.array(features, dtype=np.float64)
        except ValueError:
            X[r] = [_cell_number(c, line, j + (j >= label_at) + 1) for j, c in enumerate(features)]
        if not np.isfinite(X[r]).all():
            j = int(np.flatnonzero(~np.isfinite(X[r]))[0])
            raise ValueError(f"line {line}, column {j + (j >= label_at) + 1}: "
                             f"{features[j].strip()!r} is not a finite number")
    return X, np.array(y)


def _all_numbers(cells, label_column) -> bool:
    skip = label_column if isinstance(label_column, int) else -1
    for j, cell in enumerate(cells):
        if j == skip:
            continue
        try:
            float(cell)
        except ValueError:
            return False
    return True


def _label_index(label_column, header, n_columns) -> int:
    if isinstance(label_column, str):
        if header is None or label_column not in header:
            found = f"the header has {header}" if header else "the file has no header line"
            raise ValueError(f"label_column {label_column!r} not found: {found}")
        return header.index(label_column)
    if not -n_columns <= label_column < n_columns:
        raise ValueError(f"label_column must be in [{-n_columns}, {n_columns - 1}], "
                         f"got {label_column}")
    return label_column % n_columns


def _cell_number(cell: str, line: int, column: int) -> float:
    try:
        return float(cell)
    except ValueError:
        raise ValueError(f"line {line}, column {column}: {cell.strip()!r} is not a number") \
            from None


def _encode_labels(labels: np.ndarray, limits: UserDataLimits):
    """Return ``(class_names, y)``; numeric labels sort numerically ("2" before "10")."""
    text = [str(v).strip() for v in labels]
    try:
        numbers = np.array([float(s) for s in text])
    except ValueError:
        numbers = None  # text labels sort as text
    if numbers is not None and np.isfinite(numbers).all() \
            and np.array_equal(numbers, np.round(numbers)):
        text = [str(int(v)) for v in numbers]  # "1" and "1.0" are one class
    names = sorted(set(text), key=(lambda s: float(s)) if numbers is not None else None)
    if len(names) > limits.max_classes:
        raise ValueError(f"{len(names)} classes; the limit is {limits.max_classes}")
    if len(names) < 2:
        raise ValueError(f"need at least 2 classes, found {len(names)}: {names}")
    lookup = {s: i for i, s in enumerate(names)}
    return names, np.array([lookup[s] for s in text], dtype=np.int64)


def _scale_to_unit(X: np.ndarray, per_column: bool) -> np.ndarray:
    """Map features into [0, 1] unless they already are (constant columns become 0)."""
    if X.size == 0 or (X.min() >= 0.0 and X.max() <= 1.0):
        return X.astype(np.float64)
    low = X.min(axis=0) if per_column else X.min()
    span = (X.max(axis=0) if per_column else X.max()) - low
    return (X - low) / np.where(span > 0, span, 1.0)

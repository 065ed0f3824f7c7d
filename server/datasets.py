"""Data sets for the trainer: shipped digits, 2-D toys and a user's own file.

Every data set is a :class:`Dataset` whose ``X_*`` arrays are float64 in [0, 1]
with one example per row (images flattened in row-major order: row 0 of the
image first) and whose ``y_*`` arrays are int64 class indices into
``class_names``.  The image sets are read-only arrays shared between callers
(``load_dataset`` memoises them per process); copy before writing to them.

The parts live in :mod:`server.datasources` (the Dataset record, the shipped
files, digits20, the toys, user uploads, splits); this module is the catalog and
the loader, and keeps every public name.

Everything works offline from the files in ``data/`` (see ``data/README.md``).
``digits20`` is built from MNIST on first use and cached (in ``data/cache/`` in a
checkout, the user's cache directory when installed: see ``server/paths.py``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from server import paths
from server.datasources import digits20
from server.datasources.dataset import Dataset
from server.datasources.digits20 import DIGITS20_PER_CLASS, select_digits20, to_digits20
from server.datasources.files import (
    MNIST_FILES,
    SOURCE_SHA256,
    checked,
    file_sha256,
    read_idx,
    to_unit,
)
from server.datasources.files import read_mnist as _read_mnist_from
from server.datasources.splits import train_validation_split
from server.datasources.toys import TOYS, make_toy, toy_summary
from server.datasources.user import UserDataLimits, load_user_dataset

__all__ = [
    "CACHE_FORMAT_VERSION", "DATASET_IDS", "DATA_DIR", "DEFAULT_DATASET", "DIGITS20_PER_CLASS",
    "MNIST_FILES", "POST_SETTINGS", "SOURCE_SHA256", "TOYS", "Dataset", "UserDataLimits",
    "clear_memory_cache", "digits20_cache_path", "file_sha256", "list_datasets",
    "load_dataset", "load_user_dataset", "make_toy", "read_idx", "read_mnist",
    "select_digits20", "to_digits20", "train_validation_split",
]

DATA_DIR = paths.DATA_DIR
CACHE_FORMAT_VERSION = 1  # bump when the cache file's layout changes (the build is in its key)

DIGITS = [str(d) for d in range(10)]
SEMEION_TEST_FRACTION = 0.25  # Semeion has no official split; ours is stratified, seed 0

MNIST_SOURCE = ("MNIST, Y. LeCun, C. Cortes and C.J.C. Burges (derived from NIST SD-3/SD-1); "
                "CC BY-SA 3.0. Original IDX files in data/mnist/.")


# The post's experiment: what the image sets recommend (tests/test_settings.py checks
# that it is the train-settings table's default).
POST_SETTINGS = {"hidden_layers": [25], "regularization_parameter": 1.0, "optimizer": "TNC",
                 "max_iter": 50, "activation": "logistic", "delay_ms": 0}

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
DATASET_IDS = tuple(_CATALOG) + tuple(TOYS)
DEFAULT_DATASET = "digits20"


def list_datasets() -> list[dict]:
    """Return a summary of every built-in data set, without loading any of them.

    Returns
    -------
    list of dict
        Keys ``id, name, description, image_shape, n_features, class_names,
        n_train, n_test, kind, recommended`` (train settings that work for the set);
        toys are described with their default parameters, also listed as
        ``data_params`` (``noise``, ``n_points``, ``data_seed``).
    """
    out = []
    for key, meta in _CATALOG.items():
        h, w = meta["image_shape"]
        out.append({"id": key, "name": meta["name"], "description": meta["description"],
                    "image_shape": [h, w], "n_features": h * w,
                    "class_names": list(meta["class_names"]), "n_train": meta["n_train"],
                    "n_test": meta["n_test"], "kind": meta["kind"],
                    "recommended": dict(POST_SETTINGS)})
    return out + [toy_summary(toy) for toy in TOYS.values()]


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
        Toys only: ``n_points`` (training points, 10..100000, default 400),
        ``n_test`` (default ``n_points // 4``), ``noise`` (0..1, default the toy's),
        ``data_seed`` (int, default 0) and ``n_classes`` (2..8, ``spiral`` and
        ``gaussians``).

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
    if name in TOYS:
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
        path = digits20_cache_path(data_dir, cache_dir)
        return _image_dataset(name, *digits20.arrays(path, data_dir))
    if name == "mnist":
        Xtr, ytr = read_mnist(data_dir, "train")
        Xte, yte = read_mnist(data_dir, "test")
        return _image_dataset(name, to_unit(Xtr), ytr, to_unit(Xte), yte)
    if name == "optdigits":
        with np.load(checked(data_dir, "optdigits.npz"), allow_pickle=False) as z:
            return _image_dataset(name, z["X_train"] / 16.0, z["y_train"],
                                  z["X_test"] / 16.0, z["y_test"])
    with np.load(checked(data_dir, "semeion.npz"), allow_pickle=False) as z:
        X, y = z["X"].astype(np.float64), z["y"].astype(np.int64)
    Xtr, ytr, Xte, yte = train_validation_split(X, y, SEMEION_TEST_FRACTION, random_state=0)
    return _image_dataset(name, Xtr, ytr, Xte, yte)


def read_mnist(data_dir: str | os.PathLike | None = None, split: str = "train"):
    """Return MNIST ``(images, labels)``: uint8 (n, 28, 28) and int64 (n,)."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    return _read_mnist_from(data_dir, split)


def digits20_cache_path(data_dir: Path | None = None, cache_dir: Path | None = None) -> Path:
    """Return the cache file for ``digits20``; its name changes with how it is built."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    cache_dir = Path(cache_dir) if cache_dir is not None else paths.default_cache_dir()
    return digits20.cache_path(data_dir, cache_dir, CACHE_FORMAT_VERSION)

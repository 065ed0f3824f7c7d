"""``digits20``: MNIST area-averaged to 20x20, 500 training digits per class, cached."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import threading
import zipfile
from pathlib import Path

import numpy as np

from .. import preprocess
from ..preprocess import area_resize
from .files import MNIST_FILES, checked, file_sha256, read_mnist

DIGITS20_PER_CLASS = 500  # read when building and when naming the cache


def cache_path(data_dir: Path, cache_dir: Path, version: int) -> Path:
    """Return the cache file for ``digits20``; its name changes with how it is built.

    The key covers the format ``version``, the MNIST source files, the build
    parameters and the source code of the functions that build it (:func:`recipe`),
    so a cache written by an older build is never read as this one's.
    """
    digests = [file_sha256(checked(data_dir, rel))
               for pair in MNIST_FILES.values() for rel in pair]
    key = hashlib.sha256(f"v{version}:{':'.join(digests)}:{recipe()}".encode()).hexdigest()
    return cache_dir / f"digits20-v{version}-{key[:16]}.npz"


def recipe() -> str:
    """Return a digest of how ``digits20`` is built: its parameters and its code."""
    code = (build, select_digits20, to_digits20, area_resize, preprocess.area_weights,
            read_mnist)
    parts = [f"per_class={DIGITS20_PER_CLASS}", *(_source_digest(f) for f in code)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@functools.cache
def _source_digest(function) -> str:
    """Return the sha256 of a function's source (its name alone when no source is shipped)."""
    try:
        text = inspect.getsource(function)
    except (OSError, TypeError):
        text = f"{function.__module__}.{function.__qualname__}"
    return hashlib.sha256(text.encode()).hexdigest()


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


def build(data_dir: Path) -> dict:
    """Build ``digits20`` from the MNIST files: ``X_train``, ``y_train``, ``X_test``, ``y_test``."""
    train_images, train_labels = read_mnist(data_dir, "train")
    test_images, test_labels = read_mnist(data_dir, "test")
    keep = select_digits20(train_labels, DIGITS20_PER_CLASS)
    return dict(X_train=to_digits20(train_images[keep]), y_train=train_labels[keep],
                X_test=to_digits20(test_images), y_test=test_labels)


def arrays(path: Path, data_dir: Path):
    """``(X_train, y_train, X_test, y_test)`` from the cache ``path``, built there if need be."""
    cache_dir = path.parent
    if path.is_file():
        try:
            with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
                return z["X_train"], z["y_train"], z["X_test"], z["y_test"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a torn or foreign file: rebuild it
    arrays = build(data_dir)
    try:  # write-then-rename so a concurrent reader never sees half a file
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only checkout still works, it just rebuilds each process
    return arrays["X_train"], arrays["y_train"], arrays["X_test"], arrays["y_test"]

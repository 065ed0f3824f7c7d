"""The shipped data files: checksums, and MNIST's IDX format."""

from __future__ import annotations

import gzip
import hashlib
import math
import os
from pathlib import Path

import numpy as np

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


_DIGEST_MEMO: dict[tuple, str] = {}


def file_sha256(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file (memoised on path, size and mtime)."""
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGEST_MEMO:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _DIGEST_MEMO[key] = h.hexdigest()
    return _DIGEST_MEMO[key]


def checked(data_dir: Path, rel: str) -> Path:
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


def read_mnist(data_dir: Path, split: str = "train"):
    """Return MNIST ``(images, labels)``: uint8 (n, 28, 28) and int64 (n,)."""
    images_rel, labels_rel = MNIST_FILES[split]
    images = read_idx(checked(data_dir, images_rel))
    labels = read_idx(checked(data_dir, labels_rel)).astype(np.int64)
    return images, labels


def to_unit(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1) / 255.0  # (n, h*w) float64

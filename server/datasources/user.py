"""A user's own data set: a CSV or ``.npz`` file, checked line by line."""

from __future__ import annotations

import csv
import io
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .splits import train_validation_split


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
        size = os.stat(source).st_size
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
        if X.shape[1] == 0:
            raise ValueError(f"{which} has no feature columns; need at least 1")
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
    skip = label_column if isinstance(label_column, (int, np.integer)) else -1
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

"""The :class:`Dataset` every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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

"""What a trained network is measured by: its size and its confusion matrix."""

from __future__ import annotations

import numpy as np


def count_parameters(layer_sizes) -> int:
    """Weights and biases of a network with these layer sizes."""
    return sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def confusion_matrix(classes, y_true, y_pred):
    """Return ``(matrix, pred_index)``: counts[true class, predicted class] and indices.

    ``classes`` are the model's labels (``model.classes_``); a true label the model
    does not know is left out of the matrix. ``pred_index`` (n,) gives each
    prediction's index into ``classes``.
    """
    index = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(index), len(index)), dtype=np.int64)
    true_i = np.array([index.get(v.item(), -1) for v in np.asarray(y_true)])
    pred_i = np.array([index[v.item()] for v in np.asarray(y_pred)])
    known = true_i >= 0
    np.add.at(matrix, (true_i[known], pred_i[known]), 1)
    return matrix, pred_i

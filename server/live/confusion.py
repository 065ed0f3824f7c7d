"""`confusion`: a run's confusion matrix on one split at any kept iteration.

The page's timeline rewinds the confusion matrix and the per-class accuracy strip
with it: the matrix is computed here from the weights the timeline kept for that
iteration (:mod:`.history`: the float32 numbers of its `weights` frame, computed
with in float64), on the run's training part, its validation part or the test set.
Dragging the slider back and forth asks for the same few iterations again, so the
newest answers are kept in a small :class:`Confusions` cache shared by the lab.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np

from .. import protocol
from ..core.maths import forward
from ..core.metrics import confusion_matrix

CACHED = 64            # (run, iteration, split) answers kept; a 10-class one is ~1 KB
ROWS_PER_BLOCK = 8192  # forward passes in blocks: MNIST's 48,000 training rows at 128
                       # hidden units would otherwise hold ~50 MB of activations at once


def split_of(run, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a run's ``split``: ``train`` and ``validation`` as it trained, or ``test``."""
    if split == "test":
        return run.dataset.X_test, run.dataset.y_test
    if split == "train":
        return run.train_set
    p = run.params
    if p["validation_fraction"] == 0:
        raise protocol.invalid("split", f"run {run.id} has no validation set "
                               "(validation_fraction 0): choose 'train' or 'test'")
    # The run's own split: the lab draws it from the run's seed (and caches it).
    _, _, X_val, y_val = run.lab.split(p["dataset"], p["validation_fraction"],
                                       p["random_state"], protocol.settings.data_params(p))
    return X_val, y_val


def predicted_index(thetas, X, activation) -> np.ndarray:
    """Each row's predicted class index (n,): the largest output of the network ``thetas``."""
    thetas = [np.asarray(t, dtype=np.float64) for t in thetas]
    out = np.empty(X.shape[0], dtype=np.int64)
    for start in range(0, X.shape[0], ROWS_PER_BLOCK):
        block = np.asarray(X[start:start + ROWS_PER_BLOCK], dtype=np.float64)
        z_out = forward(thetas, block, activation)[1]  # (rows, classes); argmax as the sigmoid's
        out[start:start + block.shape[0]] = np.argmax(z_out, axis=1)
    return out


def confusion_fields(run, thetas, split: str) -> dict:
    """The numbers of a `confusion` answer for ``thetas`` of ``run`` on ``split``.

    ``matrix[i][j]`` counts the samples of true class ``i`` predicted as ``j`` (rows
    are the true class, as in `done`); ``class_accuracy[i]`` is row ``i``'s diagonal
    share (None for a class with no sample in the split).
    """
    X, y = split_of(run, split)
    classes = np.asarray(run.classes)
    predicted = classes[predicted_index(thetas, X, run.params["activation"])]
    matrix, _ = confusion_matrix(classes, np.asarray(y), predicted)
    totals = matrix.sum(axis=1)
    right = np.diagonal(matrix)
    return {"matrix": matrix.tolist(), "n_samples": int(totals.sum()),
            "accuracy": float(right.sum() / totals.sum()) if totals.sum() else None,
            "class_accuracy": [round(float(r / t), 6) if t else None
                               for r, t in zip(right, totals)]}


class Confusions:
    """The newest ``size`` answers, by (run id, kept iteration, split).

    An answer counts only for the very weight arrays it was computed from (held
    weakly: the cache keeps no dropped run's weights alive): another connection's
    run of the same id, or a last iteration the run's final weights replaced, is
    computed afresh.
    """

    def __init__(self, size: int = CACHED):
        self.size = size
        self._items: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # answers computed rather than found (for the tests)

    def fields(self, run, iteration: int, thetas, split: str) -> dict:
        key = (run.id, iteration, split)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and all(ref() is t for ref, t in zip(hit[0], thetas)):
                self._items.move_to_end(key)
                return hit[1]
        fields = confusion_fields(run, thetas, split)
        with self._lock:
            self.computed += 1
            self._items.pop(key, None)
            self._items[key] = ([weakref.ref(t) for t in thetas], fields)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return fields

    def answer(self, run, request: dict) -> dict:
        """The `confusion` message answering ``request`` (its iteration, else the newest)."""
        kept = run.kept(request["iteration"])  # invalid_field iteration, naming the kept range
        if run.classes is None:
            raise protocol.ProtocolError("no_model", f"run {run.id} has no weights yet",
                                         "run_id")
        fields = self.fields(run, kept.iteration, kept.thetas, request["split"])
        return protocol.confusion(request["request_id"], run.id, kept.iteration,
                                  request["split"], **fields)

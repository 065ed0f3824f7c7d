"""A run's `done` message: the scores of a finished model, or the nulls of a failed run.

Kept apart from :mod:`.run` (the worker and its controls): these only read a run
that has stopped training, and build the message the run then publishes.
"""

from __future__ import annotations

import numpy as np

from .. import protocol
from ..core.metrics import confusion_matrix
from .start import scores


def done_of_model(run, X, y, X_val, y_val) -> dict:
    """The `done` message of ``run``, whose model has finished its fit on ``(X, y)``.

    The test split is scored here: its accuracy, cost (null when it holds a class the
    model never saw), confusion matrix (rows the true class) and the first
    ``max_misclassified`` wrong samples with what the model took them for.
    """
    model, ds, lab = run.model, run.dataset, run.lab
    reason = {"callback": "stopped"}.get(model.stop_reason_, model.stop_reason_)
    if reason not in protocol.DONE_REASONS:
        reason = "failed"
    y_test = np.asarray(ds.y_test)
    predicted = model.predict(ds.X_test)
    known = y_test.size and np.isin(y_test, model.classes_).all()  # else no cost to take
    test_cost = scores(model, ds.X_test, y_test)[0] if known else None
    confusion, pred_i = confusion_matrix(model.classes_, y_test, predicted)
    wrong = np.flatnonzero(predicted != y_test)
    shown = wrong[:lab.max_misclassified]
    last = run.history[-1] if run.history else {}
    message = model.message_
    if run.timed_out:
        message = (f"stopped at the server's limit of {lab.max_run_seconds:g} s of "
                   "training per run (MAX_RUN_SECONDS)")
    return protocol.done(
        run.id, reason, message,
        n_iter=int(model.n_iter_), n_fev=int(model.n_fev_),
        elapsed=round(float(model.fit_time_), 4),
        streaming_time=round(run.streaming_time, 4), **run.counts(model.n_fev_),
        cost=last.get("cost"), val_cost=last.get("val_cost"),
        train_accuracy=float(model.score(X, y)),
        val_accuracy=None if X_val is None else float(model.score(X_val, y_val)),
        test_cost=protocol.messages.num(test_cost),
        test_accuracy=float(np.mean(predicted == y_test)),
        confusion_matrix=confusion.tolist(),
        misclassified=shown.tolist(),
        misclassified_predicted=pred_i[shown].tolist(),
        n_misclassified=int(wrong.size))


def done_of_failure(run, exc) -> dict:
    """The `done` message of a run that failed (``exc``) or was stopped in the queue (None).

    There is no model to measure: every score is null; ``n_iter`` counts the
    iterations streamed before the failure (iteration 0 is the start, not one).
    """
    if exc is None:
        reason, message = "stopped", "stopped while waiting for a training slot"
    elif isinstance(exc, ValueError):
        reason, message = "error", str(exc)
    else:
        reason, message = "error", f"internal error: {exc!r}"
    nothing = dict.fromkeys(protocol.DONE_FIELDS)
    return protocol.done(run.id, reason, message, **nothing | {
        "n_iter": sum(m["iteration"] > 0 for m in run.history),
        "streaming_time": round(run.streaming_time, 4)})

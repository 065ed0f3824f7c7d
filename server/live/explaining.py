"""`explain` and `gradient_check` for a run: the engine's numbers, shaped for the wire.

Both read a run's weights from its timeline (:mod:`.history`: the float32 numbers of
the iteration's `weights` frame, computed with in float64) and its training set
(the full gradient cached per iteration by :mod:`.kept`); the numbers come from the
core (:mod:`server.core.explain`, :mod:`server.core.gradcheck`).
"""

from __future__ import annotations

import numpy as np

from .. import protocol
from ..core.explain import contributions, explain_sample, full_gradient
from ..core.gradcheck import (
    COURSE_LAMBDA,
    FAIL_THRESHOLD,
    PASS_TOLERANCE,
    check_at,
    check_course,
    sample_coordinates,
)
from ..core.maths import one_hot
from ..core.variants import VARIANTS
from .prediction import prepare_input

CHECK_SAMPLES = 20
CHECK_COORDINATES = 40


def _training_set(run):
    """The run's training set (validation rows excluded) as ``(X, Y one-hot)``."""
    X, y = run.train_set
    classes = np.asarray(run.classes)
    return X, one_hot(np.searchsorted(classes, np.asarray(y)), classes.size)


def _target(run, request):
    """``(target index or None, the sample's label or None)``."""
    if "sample" not in request:
        return None, None
    s = request["sample"]
    labels = run.dataset.y_test if s["split"] == "test" else run.dataset.y_train
    label = np.asarray(labels)[s["index"]].item()
    return int(np.searchsorted(np.asarray(run.classes), label)), label


def _float64(thetas) -> list:
    return [np.asarray(t, dtype=np.float64) for t in thetas]


def explain(run, request) -> list:
    """The `explanation` of ``request``'s input and its binary frames, in sending order."""
    kept = run.kept(request["iteration"])
    iteration, thetas, ds = kept.iteration, _float64(kept.thetas), run.dataset
    activation = run.params["activation"]
    x = prepare_input(request, thetas[0].shape[0] - 1, ds.image_shape, ds)
    target_index, label = _target(run, request)
    e = explain_sample(thetas, x, target_index, activation)
    full = run.full_gradients.get(  # the same for every input at this iteration
        iteration, kept.thetas, lambda: full_gradient(
            thetas, *_training_set(run), run.params["regularization_parameter"], activation))
    layers = [{"a": e.a[0]}] + [{"z": z, "a": a, "delta": d}
                                for z, a, d in zip(e.z, e.a[1:], e.delta)]
    bias, terms = contributions(e.a[-2], thetas[-1], e.predicted)
    previous = kept.previous
    names = list(ds.class_names)
    frames = [("grad_sample", e.grads, {}), ("grad_full", full.grads, {}),
              ("weights", thetas, {})]
    if previous is not None:
        update = [now - before for now, before in zip(thetas, _float64(kept.previous_thetas))]
        frames.append(("update", update, {"from_iteration": previous}))
    rid = request["request_id"]
    message = protocol.explanation(
        rid, run.id, iteration, layers,
        cost={"sample": e.cost, "units": e.unit_costs, "J_data": full.J_data,
              "J_reg": full.J_reg, "lambda": full.lam, "m": full.m, "J": full.J},
        activation=activation,
        layer_sizes=[int(thetas[0].shape[0] - 1)] + [int(t.shape[1]) for t in thetas],
        target=e.target.tolist(), target_class=e.target_index,
        target_source="prediction" if target_index is None else "label",
        predicted_class=e.predicted,
        class_name=names[e.predicted] if e.predicted < len(names) else str(e.predicted),
        true_label=label,
        why={"class": e.predicted, "bias": bias,
             "contributions": [{"unit": j, "contribution": c} for j, c in terms]},
        frames=[kind for kind, _, _ in frames],
        update_from=previous)
    return [message] + [protocol.encode_gradients(kind, run.id, rid, iteration, arrays, **extra)
                        for kind, arrays, extra in frames]


def verdict(relative_difference: float) -> str:
    if relative_difference <= PASS_TOLERANCE:
        return "pass"
    return "fail" if relative_difference >= FAIL_THRESHOLD else "unclear"


def _check_json(network, result, layer_sizes, n_samples, lam, hidden, **extra) -> dict:
    return {"network": network, "layer_sizes": list(layer_sizes), "n_samples": n_samples,
            "lambda": lam, **extra,
            "coordinates": [list(c) for c in result.coordinates],
            "numeric": result.numeric.tolist(), "analytic": result.analytic.tolist(),
            "relative_difference": result.relative_difference,
            "verdict": verdict(result.relative_difference), "hidden": hidden}


def gradient_check(run, variant: str) -> dict:
    """The `gradient_check_result`: the course's check and the run's network, for ``variant``."""
    kept = run.kept()
    iteration, thetas, activation = kept.iteration, _float64(kept.thetas), run.params["activation"]
    lam = float(run.params["regularization_parameter"])
    layer_sizes = [thetas[0].shape[0] - 1] + [t.shape[1] for t in thetas]
    course = check_course(variant, COURSE_LAMBDA, activation)
    X, Y = _training_set(run)
    rng = np.random.default_rng(0)
    rows = rng.choice(X.shape[0], size=min(CHECK_SAMPLES, X.shape[0]), replace=False)
    coords = sample_coordinates(layer_sizes, CHECK_COORDINATES, rng)
    mine = check_at(thetas, np.asarray(X)[rows], Y[rows], lam, coords, variant, activation)
    hidden = VARIANTS[variant].hidden_at(lam)
    checks = [
        _check_json("course", course, (3, 5, 3), 5, COURSE_LAMBDA,
                    VARIANTS[variant].hidden_at(COURSE_LAMBDA)),
        _check_json("run", mine, layer_sizes, int(rows.size), lam, hidden, iteration=iteration),
    ]
    verdicts = {c["verdict"] for c in checks}
    overall = "fail" if "fail" in verdicts else "unclear" if "unclear" in verdicts else "pass"
    message = (f"{VARIANTS[variant].label}: course check {checks[0]['verdict']} "
               f"({course.relative_difference:.2g}), run's network {checks[1]['verdict']} "
               f"({mine.relative_difference:.2g})")
    if hidden:
        message += f"; on the run's network {hidden}, the course's check (λ = 3) is the test"
    return protocol.gradient_check_result(
        run.id, mine.relative_difference, len(coords), variant=variant, verdict=overall,
        tolerance=PASS_TOLERANCE, fail_threshold=FAIL_THRESHOLD, checks=checks,
        message=message)

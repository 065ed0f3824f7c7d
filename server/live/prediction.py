"""Prediction: one function, used by /ws (a run's model) and /api/predict (a saved one).

It goes through the model (``NeuralNetwork.activations``), and the probabilities
are the output activations normalised to sum to 1, here and only here.
"""

from __future__ import annotations

import numpy as np

from .. import protocol


def prepare_input(request: dict, n_features: int, image_shape, dataset=None):
    """The input vector of a predict request: a bitmap, a vector or a data set sample."""
    if "image" in request:
        if image_shape is None:
            raise protocol.invalid("image", "this data set has no images; send 'vector'")
        from ..preprocess import preprocess_drawing
        try:
            x = preprocess_drawing(request["image"], tuple(image_shape))
        except ValueError as exc:
            raise protocol.invalid("image", str(exc)) from None
        return np.asarray(x, dtype=np.float64).ravel()
    if "vector" in request:
        x = request["vector"]
        if x.size != n_features:
            raise protocol.invalid("vector", f"has {x.size} values; the model takes "
                                   f"{n_features}")
        return x
    sample = request["sample"]
    if dataset is None:
        raise protocol.invalid("sample", "needs a run's data set")
    X = dataset.X_test if sample["split"] == "test" else dataset.X_train
    if sample["index"] >= X.shape[0]:
        raise protocol.invalid("sample.index", f"{sample['index']} is out of range "
                               f"[0, {X.shape[0] - 1}]")
    return np.asarray(X[sample["index"]], dtype=np.float64).ravel()


def predict(model, request: dict, dataset=None) -> dict:
    """The fields of a `prediction` message for ``request``'s input, from ``model``.

    ``model`` is a fitted ``NeuralNetwork``; ``dataset`` (a run's) serves ``sample``
    inputs and the true label. Labels are indices into ``model.class_names``
    (server.datasets' convention).
    """
    image_shape = model.image_shape
    x = prepare_input(request, model.thetas[0].shape[0] - 1, image_shape, dataset)
    activations = [a[0] for a in model.activations(x.reshape(1, -1))]
    out = activations[-1]
    index = int(np.argmax(out))
    label = model.classes_[index]
    label = label.item() if hasattr(label, "item") else label
    names = list(model.class_names) if model.class_names is not None else []
    name = names[label] if isinstance(label, int) and 0 <= label < len(names) else str(label)
    total = float(out.sum())
    fields = {
        "label": label, "class_name": name,
        "probabilities": out / total if total > 0 else out,
        "outputs": protocol.rounded(out, 6),
        "activations": activations,
        "image": np.asarray(x).ravel(),
        "image_shape": None if image_shape is None else list(image_shape),
    }
    if "sample" in request and dataset is not None:
        s = request["sample"]
        labels = dataset.y_test if s["split"] == "test" else dataset.y_train
        fields["true_label"] = np.asarray(labels)[s["index"]].item()
    return fields

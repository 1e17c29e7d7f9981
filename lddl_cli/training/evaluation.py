"""A trained model's metrics on a split: outputs turned back into the target's units (regression)
or class probabilities (classification), then ``metrics.scores``."""

from __future__ import annotations

import numpy as np

from . import metrics
from .inference import predict


def decoded(outputs: np.ndarray, task: str, loss_type: str, y_scaler) -> np.ndarray:
    """Predictions in the target's units (regression) or probabilities (N, classes)."""
    if task == "classification":
        return metrics.probabilities(outputs, loss_type)
    return y_scaler.invert(np.asarray(outputs, dtype=np.float64))


def split_scores(model, x, y, names, task: str, loss_type: str, y_scaler) -> dict[str, float]:
    """``{name: value}`` of the model on (x, y) in model units (x scaled, y scaled or class indices)."""
    if x is None or not names:
        return {}
    with np.errstate(all="ignore"):
        outputs = predict(model, x)
    values = decoded(outputs, task, loss_type, y_scaler)
    if task == "classification":
        labels = np.asarray(y).reshape(len(y)).astype(np.int64)
        kept = labels >= 0  # rows labelled with a negative ignore_index count in no metric
        return metrics.scores(names, task, values[kept], labels[kept])
    return metrics.scores(names, task, values, y_scaler.invert(np.asarray(y, dtype=np.float64)))

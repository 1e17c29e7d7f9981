"""``lddl predict`` on arrays (``--x`` values or an ``--input`` array file): outputs and their lines."""

from __future__ import annotations

import numpy as np

from ..training.inference import check_finite_predictions
from ..training.inference import predict as run_predict
from . import table_io


def predict_arrays(model, metadata: dict, inputs: np.ndarray, weights: str) -> np.ndarray:
    """The model's outputs for raw ``inputs``: a table model scales them as in training and a
    classifier answers with class labels. A non-finite output is an error naming its row."""
    if not table_io.is_table_model(metadata):
        y = run_predict(model, inputs)
        check_finite_predictions(y, inputs, weights)
        return y
    y = table_io.model_outputs(model, metadata, inputs)
    check_finite_predictions(y, inputs, weights)
    if metadata.get("task") == "classification":
        y = np.array(metadata["classes"])[y.argmax(axis=1)].reshape(-1, 1)
    return y


def _shown(value) -> str:
    return f"{value:.6g}" if isinstance(value, int | float | np.number) else str(value)


def prediction_lines(inputs: np.ndarray, y: np.ndarray) -> list[str]:
    """One ``x1 x2 -> y1 y2`` line per input row."""
    rows = y.reshape(len(y), -1)
    return [
        " ".join(_shown(v) for v in xi) + " -> " + " ".join(_shown(v) for v in yi)
        for xi, yi in zip(inputs.reshape(len(inputs), -1), rows, strict=True)
    ]

"""``lddl evaluate --plot``: the confusion matrix of a classifier, predicted-vs-true of a regressor."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..plotting import save_png
from ..plotting.tables import confusion_figure, confusion_matrix, pred_vs_true_figure


def evaluation_figure(metadata: dict, values: np.ndarray, targets: np.ndarray, title: str):
    if metadata.get("task") == "classification":
        classes = metadata.get("classes") or list(range(values.shape[1]))
        matrix = confusion_matrix(targets, values.argmax(axis=1), len(classes))
        return confusion_figure(matrix, classes, f"{title}: confusion matrix")
    names = metadata.get("targets") or ["y"]
    return pred_vs_true_figure(targets, values, names, f"{title}: predicted vs true")


def write_evaluation_plot(path: Path, metadata: dict, values: np.ndarray, targets: np.ndarray) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise UsageError(f"--plot: expected a .png file name; got {str(path)!r}")
    if not path.parent.is_dir():
        raise UsageError(f"--plot: folder {str(path.parent)!r} does not exist")
    name = (metadata.get("config") or {}).get("name", "model")
    return save_png(evaluation_figure(metadata, values, targets, name), path)

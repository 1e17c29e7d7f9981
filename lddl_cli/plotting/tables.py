"""A table model's figures: the confusion matrix of a classifier, predicted against true values of
a regressor. Arrays in, ``Figure`` out (see ``figures``)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .figures import fit_margins, new_figure


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) counts: row = true class, column = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return matrix


def confusion_figure(matrix: np.ndarray, names: list, title: str = "confusion matrix") -> Figure:
    """Counts per (true, predicted) class, each cell labelled with its count."""
    fig, ax = new_figure()
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, [str(n) for n in names])
    ax.set_yticks(ticks, [str(n) for n in names])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = matrix.max() if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", color="white" if count > top / 2 else "black")
    ax.set_title(title)
    fit_margins(fig, ax)
    return fig


def pred_vs_true_figure(
    y: np.ndarray, pred: np.ndarray, names: list, title: str = "predicted vs true"
) -> Figure:
    """One point per row and output, with the line y = x."""
    fig, ax = new_figure()
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    pred = np.asarray(pred, dtype=float).reshape(len(y), -1)
    for j in range(y.shape[1]):
        ax.scatter(y[:, j], pred[:, j], s=10, alpha=0.7, label=str(names[j]) if j < len(names) else None)
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=1.0, linestyle="--")
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    if y.shape[1] > 1:
        ax.legend()
    ax.set_title(title)
    fit_margins(fig, ax)
    return fig

"""The fit figure: training points, the validation set and the prediction curve of a 1-D input.

Drawn bottom to top: training points, the prediction (thick), then the validation set on top of
it, so that a good fit does not hide the validation curve: a dashed line for a grid of points
(``val_x``/``val_y`` files), markers for rows held out of the data (``val_fraction``), which a line
would join across the gaps between them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .figures import fit_margins, new_figure


def fit_figure(
    grid_x: np.ndarray,
    grid_pred: np.ndarray,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    val_x: np.ndarray | None = None,
    val_y: np.ndarray | None = None,
    title: str = "fit",
    val_points: bool = False,
) -> Figure:
    """Prediction curve over a dense grid of a 1-D input, with training points and validation set.

    Shapes: grid_x (G,) or (G, 1); grid_pred (G, out); x, val_x (N, 1); y, val_y (N, out).
    ``val_points``: draw the validation set as markers (held-out rows) instead of a line (a grid).
    """
    fig, ax = new_figure()
    grid_x = np.asarray(grid_x).reshape(-1)
    grid_pred = np.asarray(grid_pred).reshape(len(grid_x), -1)
    if x is not None and y is not None:
        y = np.asarray(y).reshape(len(x), -1)
        for j in range(y.shape[1]):
            label = "training data" if j == 0 else None
            ax.scatter(np.asarray(x).reshape(-1), y[:, j], s=10, color="tab:blue", label=label, zorder=2)
    for j in range(grid_pred.shape[1]):
        label = "prediction" if j == 0 else None
        ax.plot(grid_x, grid_pred[:, j], color="tab:red", linewidth=2.5, alpha=0.8, label=label, zorder=3)
    if val_x is not None and val_y is not None:
        _validation(ax, np.asarray(val_x).reshape(-1), np.asarray(val_y), val_points)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    fit_margins(fig, ax)
    return fig


def _validation(ax, val_x: np.ndarray, val_y: np.ndarray, points: bool) -> None:
    order = np.argsort(val_x)
    val_y = val_y.reshape(len(order), -1)
    for j in range(val_y.shape[1]):
        label = ("validation (held out)" if points else "validation") if j == 0 else None
        if points:
            ax.scatter(
                val_x, val_y[:, j], s=28, marker="D", facecolors="none", edgecolors="tab:green",
                linewidths=1.2, label=label, zorder=4,
            )  # fmt: skip
        else:
            ax.plot(
                val_x[order], val_y[order, j], color="darkgreen", linewidth=1.3, linestyle="--",
                label=label, zorder=4,
            )  # fmt: skip

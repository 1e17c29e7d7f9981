"""The two figures: the fit (data, prediction curve, validation set) and the loss curves.

Figures are ``matplotlib.figure.Figure`` objects drawn on an Agg canvas (never pyplot, so no
GUI backend and no global state) and written as PNG through ``atomic_write``. Every PNG is
WIDTH x HEIGHT pixels.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..nn.state import atomic_write

WIDTH, HEIGHT, DPI = 800, 500, 100


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    # Fixed margins: tight_layout() measures every text extent and costs more than the drawing.
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.1, top=0.93)
    return fig, fig.add_subplot(1, 1, 1)


def fit_figure(
    grid_x: np.ndarray,
    grid_pred: np.ndarray,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    val_x: np.ndarray | None = None,
    val_y: np.ndarray | None = None,
    title: str = "fit",
) -> Figure:
    """Prediction curve over a dense grid of a 1-D input, with training points and validation set.

    Shapes: grid_x (G,) or (G, 1); grid_pred (G, out); x, val_x (N, 1); y, val_y (N, out).
    """
    fig, ax = _figure()
    grid_x = np.asarray(grid_x).reshape(-1)
    grid_pred = np.asarray(grid_pred).reshape(len(grid_x), -1)
    if val_x is not None and val_y is not None:
        order = np.argsort(np.asarray(val_x).reshape(-1))
        val_y = np.asarray(val_y).reshape(len(order), -1)
        for j in range(val_y.shape[1]):
            ax.plot(
                np.asarray(val_x).reshape(-1)[order],
                val_y[order, j],
                color="tab:green",
                linewidth=1.0,
                linestyle="--",
                label="validation" if j == 0 else None,
            )
    if x is not None and y is not None:
        y = np.asarray(y).reshape(len(x), -1)
        for j in range(y.shape[1]):
            ax.scatter(
                np.asarray(x).reshape(-1),
                y[:, j],
                s=10,
                color="tab:blue",
                label="training data" if j == 0 else None,
            )
    for j in range(grid_pred.shape[1]):
        ax.plot(
            grid_x, grid_pred[:, j], color="tab:red", linewidth=2.0, label="prediction" if j == 0 else None
        )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return fig


def loss_figure(
    epochs: np.ndarray, train_loss: np.ndarray, val_loss: np.ndarray | None = None, title: str = "loss"
) -> Figure:
    """Training (and validation) loss per epoch, on a log scale when every value is positive."""
    fig, ax = _figure()
    epochs = np.asarray(epochs)
    train_loss = np.asarray(train_loss, dtype=float)
    ax.plot(epochs, train_loss, color="tab:blue", label="train")
    values = [train_loss]
    if val_loss is not None:
        val_loss = np.asarray(val_loss, dtype=float)
        if np.isfinite(val_loss).any():
            ax.plot(epochs, val_loss, color="tab:orange", label="validation")
            values.append(val_loss[np.isfinite(val_loss)])
    stacked = np.concatenate(values) if values else np.array([])
    if stacked.size and np.all(stacked[np.isfinite(stacked)] > 0):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure rendered as PNG (exactly WIDTH x HEIGHT pixels: no tight bounding box)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` atomically; return the path."""
    data = png_bytes(fig)
    atomic_write(Path(path), lambda fh: fh.write(data))
    return Path(path)

"""The loss figure: training (and validation) loss per epoch.

A noisy curve stays readable: from ``SMOOTH_FROM`` epochs on, each curve is drawn light as
recorded with a centred moving average over it (on the log scale when the axis is logarithmic).
The y axis names the loss; the epoch that early stopping restored is marked and named.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .figures import fit_margins, new_figure

SMOOTH_FROM = 30  # epochs: below that a moving average only blurs the curve
SMOOTH_SHARE = 0.02  # the moving average spans about 2% of the epochs (at least 3)


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of ``values`` over ``window`` points (fewer at the ends)."""
    values = np.asarray(values, dtype=float)
    half = window // 2
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(len(values))
    lo = np.clip(index - half, 0, len(values))
    hi = np.clip(index + half + 1, 0, len(values))
    return (cumulative[hi] - cumulative[lo]) / (hi - lo)


def _curve(ax, epochs: np.ndarray, values: np.ndarray, color: str, label: str, log: bool) -> None:
    finite = np.isfinite(values)
    if len(values) < SMOOTH_FROM or not finite.all():
        ax.plot(epochs, values, color=color, label=label, linewidth=1.5)
        return
    ax.plot(epochs, values, color=color, alpha=0.25, linewidth=0.8)
    window = max(3, int(len(values) * SMOOTH_SHARE) | 1)
    if log:
        smooth = np.exp(moving_average(np.log(values), window))
    else:
        smooth = moving_average(values, window)
    ax.plot(epochs, smooth, color=color, linewidth=1.8, label=f"{label} (moving average of {window})")


def loss_figure(
    epochs: np.ndarray,
    train_loss: np.ndarray,
    val_loss: np.ndarray | None = None,
    title: str = "loss",
    loss_name: str = "loss",
    best_epoch: int | None = None,
) -> Figure:
    """Training (and validation) loss per epoch, on a log scale when every value is positive.

    ``loss_name`` labels the y axis; ``best_epoch`` (the epoch early stopping restored) is marked.
    """
    fig, ax = new_figure()
    epochs = np.asarray(epochs)
    train_loss = np.asarray(train_loss, dtype=float)
    curves = [("train", train_loss, "tab:blue")]
    if val_loss is not None:
        val_loss = np.asarray(val_loss, dtype=float)
        if np.isfinite(val_loss).any():
            curves.append(("validation", val_loss, "tab:orange"))
    finite = np.concatenate([values[np.isfinite(values)] for _, values, _ in curves])
    log = bool(finite.size) and bool(np.all(finite > 0))
    if log:
        ax.set_yscale("log")
    for label, values, color in curves:
        _curve(ax, epochs, values, color, label, log)
    if best_epoch is not None and best_epoch in set(epochs.tolist()):
        _mark_best(ax, epochs, curves[-1][1], best_epoch)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ({loss_name})" if loss_name != "loss" else "loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    fit_margins(fig, ax)
    return fig


def _mark_best(ax, epochs: np.ndarray, monitored: np.ndarray, best_epoch: int) -> None:
    """A vertical line and a dot at the restored epoch, on the monitored curve (validation if any)."""
    ax.axvline(best_epoch, color="0.3", linestyle=":", linewidth=1.2)
    value = monitored[int(np.flatnonzero(epochs == best_epoch)[0])]
    ax.scatter(
        [best_epoch], [value], s=40, color="black", zorder=5, label=f"best epoch {best_epoch} (restored)"
    )

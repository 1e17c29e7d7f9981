"""A sweep's two figures, from plain lists: the metric per trial with the best so far
(``history_figure``), and each searched parameter against the metric (``parameters_figure``)."""

from __future__ import annotations

import json
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .figures import DPI, HEIGHT, WIDTH


def _positive(values) -> bool:
    return len(values) > 0 and min(values) > 0


def history_figure(numbers: list[int], values: list[float], goal: str, metric: str, title: str) -> Figure:
    """Shapes: numbers, values (T,): the complete trials' numbers and metric values."""
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.1, top=0.93)
    ax = fig.add_subplot(1, 1, 1)
    best = np.minimum.accumulate(values) if goal == "minimize" else np.maximum.accumulate(values)
    ax.scatter(numbers, values, s=18, color="tab:blue", label=metric)
    ax.step(numbers, best, where="post", color="tab:red", linewidth=2.0, label="best so far")
    if _positive(values) and max(values) / min(values) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return fig


def parameters_figure(
    columns: dict[str, list], values: list[float], logs: list[bool], metric: str, title: str
) -> Figure:
    """One panel per parameter: its drawn values (x; categories spread on ticks) against the metric."""
    count = max(len(columns), 1)
    cols = min(count, 3)
    rows = math.ceil(count / cols)
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.9, wspace=0.3, hspace=0.6)
    fig.suptitle(title)
    log_metric = _positive(values) and max(values) / min(values) > 100
    for index, (key, drawn) in enumerate(columns.items()):
        ax = fig.add_subplot(rows, cols, index + 1)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in drawn):
            ax.scatter(drawn, values, s=14, color="tab:blue")
            if logs[index]:
                ax.set_xscale("log")
        else:
            labels = list(dict.fromkeys(json.dumps(v) for v in drawn))
            ax.scatter([labels.index(json.dumps(v)) for v in drawn], values, s=14, color="tab:blue")
            ax.set_xticks(range(len(labels)), labels, fontsize=7)
        if log_metric:
            ax.set_yscale("log")
        ax.set_xlabel(key, fontsize=8)
        ax.set_ylabel(metric, fontsize=8)
        ax.grid(True, alpha=0.3)
    return fig

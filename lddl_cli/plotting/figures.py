"""The canvas every figure is drawn on, and writing it: WIDTH x HEIGHT pixels, PNG, atomically.

Figures are ``matplotlib.figure.Figure`` objects drawn on an Agg canvas (never pyplot, so no
GUI backend and no global state) and written as PNG through ``atomic_write``. The layout is
matplotlib's constrained layout: the margins grow to fit the tick labels (``1e+06``, ``10^-3``)
and the axis labels, so nothing is clipped at the canvas edge.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..nn.state import atomic_write

WIDTH, HEIGHT, DPI = 800, 500, 100


def new_figure() -> tuple[Figure, object]:
    """(figure, its one axes) on an Agg canvas of WIDTH x HEIGHT pixels."""
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


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

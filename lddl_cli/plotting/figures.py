"""The canvas every figure is drawn on, and writing it: WIDTH x HEIGHT pixels, PNG, atomically.

Figures are ``matplotlib.figure.Figure`` objects drawn on an Agg canvas (never pyplot, so no
GUI backend and no global state) and written as PNG through ``atomic_write``. The left margin is
measured from the y tick labels the axis will draw (``1e+06``, ``10^-3``) and the y label
(``fit_margins``), so nothing is clipped at the canvas edge; it costs a few text measurements,
where matplotlib's constrained layout draws every figure twice.
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
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def fit_margins(fig: Figure, ax) -> None:
    """Margins that hold the y tick labels in view and the y label; call once the data is drawn."""
    renderer = fig.canvas.get_renderer()
    axis = ax.yaxis
    lo, hi = sorted(axis.get_view_interval())
    locs = [loc for loc in axis.get_majorticklocs() if lo <= loc <= hi]
    labels = axis.get_major_formatter().format_ticks(locs) if locs else []
    tick = axis.get_major_ticks()[0].label1 if axis.get_major_ticks() else None
    prop = tick.get_fontproperties() if tick is not None else axis.label.get_fontproperties()
    widest = max(
        (renderer.get_text_width_height_descent(t, prop, ismath="$" in t)[0] for t in labels if t),
        default=0.0,
    )
    label_height = renderer.get_text_width_height_descent("Ay", axis.label.get_fontproperties(), False)[1]
    points = DPI / 72
    left = 6 + label_height + axis.labelpad * points + widest + 2 * 3.5 * points + 6
    fig.subplots_adjust(left=left / WIDTH, right=0.97, bottom=0.1, top=0.93)


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

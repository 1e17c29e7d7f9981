"""The layout of the figures: every text (ticks, axis labels, title, legend) lies inside the canvas
for small, large and log-scale values; the loss axis names the loss; the restored epoch is marked;
held-out validation rows are markers, a validation grid a line drawn above the prediction."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from lddl_cli import plotting as plots
from lddl_cli.plotting.figures import new_figure


def texts_outside_the_canvas(fig) -> list[str]:
    """The drawn texts of ``fig`` (tick labels in view, axis labels, title, legend) whose extent
    leaves the canvas."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    drawn = [fig.axes[0].title, fig.axes[0].xaxis.label, fig.axes[0].yaxis.label]
    for axis in (fig.axes[0].xaxis, fig.axes[0].yaxis):
        lo, hi = sorted(axis.get_view_interval())
        drawn += [t.label1 for t in axis.get_major_ticks() if lo <= t.get_loc() <= hi]
        drawn.append(axis.get_offset_text())
    legend = fig.axes[0].get_legend()
    drawn += list(legend.get_texts()) if legend is not None else []
    outside = []
    for text in drawn:
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < 0 or box.y0 < 0 or box.x1 > plots.WIDTH or box.y1 > plots.HEIGHT:
            outside.append(text.get_text())
    return outside


def test_the_checker_catches_a_clipped_label():
    fig, ax = new_figure()
    fig.set_layout_engine(None)
    fig.subplots_adjust(left=0.02)  # planted: no room for the tick labels and the y label
    ax.plot([0, 1], [0, 1e9])
    ax.set_ylabel("loss")
    assert "loss" in texts_outside_the_canvas(fig)


EPOCHS = np.arange(1, 2001)
NOISE = np.random.default_rng(0).lognormal(0, 0.5, EPOCHS.size)
LOSSES = {
    "small, log": (1.0 / EPOCHS * NOISE, 2.0 / EPOCHS * NOISE),
    "large, linear": (np.linspace(1.23456789e9, 0.0, EPOCHS.size), np.linspace(2e9, 1.0, EPOCHS.size)),
    "tiny, log": (1e-12 * NOISE, 3e-13 * NOISE),
}


@pytest.mark.parametrize("case", LOSSES)
def test_loss_figure_keeps_every_text_inside_and_names_the_loss(case):
    train, val = LOSSES[case]
    fig = plots.loss_figure(EPOCHS, train, val, title="big: loss", loss_name="mse", best_epoch=1500)
    assert texts_outside_the_canvas(fig) == []
    ax = fig.axes[0]
    assert ax.get_ylabel() == "loss (mse)"
    labels = ax.get_legend_handles_labels()[1]
    assert "best epoch 1500 (restored)" in labels
    assert any(line.get_alpha() == 0.25 for line in ax.get_lines())  # the raw curve, light, under the smooth


def test_fit_figure_keeps_every_text_inside_and_draws_validation_above_the_prediction():
    grid = np.linspace(-3e6, 3e6, 500)
    fig = plots.fit_figure(grid, 1e7 * np.sin(grid / 1e6), val_x=grid, val_y=1e7 * np.sin(grid / 1e6))
    assert texts_outside_the_canvas(fig) == []
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert lines["validation"].get_zorder() > lines["prediction"].get_zorder()
    assert lines["validation"].get_linestyle() == "--"


def test_held_out_validation_rows_are_markers_not_a_line(rng):
    x = rng.uniform(-3, 3, (30, 1))
    grid = np.linspace(-3, 3, 100)
    fig = plots.fit_figure(grid, np.sin(grid), x, np.sin(x), x[:8], np.sin(x[:8]), val_points=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["prediction"]
    markers = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert "validation (held out)" in [c.get_label() for c in markers]

"""Plots: real PNGs of the fixed size, written atomically, drawn without pyplot."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from runs_helpers import png_size

from lddl_cli import plotting as plots


@pytest.fixture
def curve(rng):
    x = np.sort(rng.uniform(-3, 3, size=(40, 1)), axis=0)
    grid = np.linspace(-3, 3, 100).reshape(-1, 1)
    return x, 2 * np.sin(x) + rng.normal(0, 0.1, x.shape), grid, 2 * np.sin(grid)


@pytest.mark.parametrize("with_val", [False, True])
def test_fit_png_has_the_fixed_size(tmp_path, curve, with_val):
    x, y, grid, pred = curve
    val = (grid, pred) if with_val else (None, None)
    path = plots.save_png(plots.fit_figure(grid, pred, x, y, *val), tmp_path / "fit.png")
    assert png_size(path) == (plots.WIDTH, plots.HEIGHT)


@pytest.mark.parametrize("val", [None, "finite", "nan"])
def test_loss_png_has_the_fixed_size(tmp_path, val):
    epochs = np.arange(1, 21)
    train = 1.0 / epochs
    val_loss = {None: None, "finite": 2.0 / epochs, "nan": np.full(20, np.nan)}[val]
    path = plots.save_png(plots.loss_figure(epochs, train, val_loss), tmp_path / "loss.png")
    assert png_size(path) == (plots.WIDTH, plots.HEIGHT)


def test_loss_scale_is_linear_with_nonpositive_values():
    fig = plots.loss_figure([1, 2, 3], [1.0, 0.0, -1.0])
    assert fig.axes[0].get_yscale() == "linear"
    assert plots.loss_figure([1, 2], [1.0, 0.5]).axes[0].get_yscale() == "log"


def test_save_png_replaces_atomically(tmp_path, curve):
    target = tmp_path / "fit.png"
    target.write_bytes(b"old")
    x, y, grid, pred = curve
    plots.save_png(plots.fit_figure(grid, pred, x, y), target)
    assert png_size(target) == (plots.WIDTH, plots.HEIGHT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.png"]


def test_png_size_helper_rejects_a_non_png(tmp_path):
    bogus = tmp_path / "fake.png"
    bogus.write_bytes(b"GIF89a" + bytes(30))
    with pytest.raises(AssertionError):
        png_size(bogus)


def test_plots_never_import_pyplot():
    code = (
        "import sys, numpy as np; from lddl_cli import plotting as plots;"
        "plots.png_bytes(plots.fit_figure(np.zeros(3), np.zeros(3)));"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

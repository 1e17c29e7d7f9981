"""``lddl plot``: redraw a run directory's figures, or the fit of a weights file alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import load_config
from ..errors import UsageError
from ..files.datafiles import load_array
from ..files.metrics import read_metrics_csv
from ..files.weights import load_model
from ..plotting import fit_figure, loss_figure, save_png
from ..training.data import prepare
from ..training.inference import input_width, predict
from ..training.rundir import GRID_POINTS, fit_figure_arguments, loss_figure_arguments, loss_name


def plot_run(run_dir: str | Path, out: str | Path | None = None) -> list[Path]:
    """Redraw loss.png (from metrics.csv) and fit.png (model.npz + the run's data) of a run directory."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"RUN_DIR: {str(run_dir)!r} is not a directory")
    for name in ("model.npz", "config.yaml", "metrics.csv"):
        if not (run_dir / name).is_file():
            raise UsageError(f"RUN_DIR: {str(run_dir / name)!r} is missing; is this a run directory?")
    config = load_config(run_dir / "config.yaml")
    model, metadata = load_model(run_dir / "model.npz")
    metrics = read_metrics_csv(run_dir / "metrics.csv")
    # Re-derive the exact training subset and split: the same rng steps as the run (init, subset, split).
    _, _, _, data = prepare(config)
    # Every input is read and checked before anything is written: a bad one leaves the run as it was.
    run_metrics = metadata.get("metrics") or {}
    best = run_metrics.get("best_epoch") if run_metrics.get("restored_best") else None
    best = best if isinstance(best, int) and not isinstance(best, bool) else None
    loss = loss_figure(**loss_figure_arguments(metrics, f"{config.name}: loss", loss_name(config), best))
    fit = fit_figure_arguments(model, data, f"{config.name}: fit")
    written = [save_png(loss, run_dir / "loss.png")]
    if fit is not None:
        written.append(save_png(fit_figure(**fit), Path(out) if out is not None else run_dir / "fit.png"))
    return written


def plot_weights(
    weights: str | Path, x_path: str | Path | None, y_path: str | Path | None, out: str | Path | None
) -> list[Path]:
    """The fit of a weights file over [min x, max x] of ``--x`` (or of its training data), with the points."""
    model, metadata = load_model(weights)
    if (x_path is None) != (y_path is None):
        raise UsageError("give --x and --y together")
    x = y = None
    if x_path is not None:
        x = load_array(x_path, "--x")
        y = load_array(y_path, "--y")
        if len(x) != len(y):
            raise UsageError(f"--x has {len(x)} rows but --y has {len(y)}")
        if x.ndim != 2 or x.shape[1] != 1:
            raise UsageError(f"--x: the fit plot needs a 1-column input; got shape {x.shape}")
        lo, hi = float(x.min()), float(x.max())
    else:
        data = (metadata.get("config") or {}).get("data") or {}
        source = data.get("val_x") or data.get("x")
        try:
            grid_source = load_array(source, "data.x")
        except Exception as error:
            raise UsageError(
                f"give --x and --y: the training data of this model is not readable ({error})"
            ) from None
        lo, hi = float(grid_source.min()), float(grid_source.max())
    if input_width(model) != 1:
        raise UsageError("the fit plot needs a model with a 1-D input")
    grid = np.linspace(lo, hi, GRID_POINTS).reshape(-1, 1)
    figure = fit_figure(grid, predict(model, grid), x, y, title=f"{Path(weights).name}: fit")
    target = Path(out) if out is not None else Path(weights).with_name("fit.png")
    return [save_png(figure, target)]

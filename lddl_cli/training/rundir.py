"""The run directory: ``model.npz`` (weights + ``__lddl__`` metadata), ``config.yaml``,
``metrics.csv``, ``loss.png`` and, for a 1-D input, ``fit.png``; each file written atomically.

The figures' arguments are made here, from the trained model and the run's data, as plain arrays
and titles: ``plotting`` draws them and knows nothing of runs.
"""

from __future__ import annotations

import math
import platform
from pathlib import Path

import numpy as np
import yaml

from .. import __version__, nn
from ..files.atomic import write_text
from ..files.metrics import metrics_csv
from ..files.weights import FORMAT_VERSION
from .data import TrainData
from .inference import predict
from .table_figures import write_table_figures
from .table_metadata import table_metadata

GRID_POINTS = 500


def metadata(trainer, history) -> dict:
    """The ``__lddl__`` JSON of model.npz."""
    config = trainer.config
    return {
        "format": FORMAT_VERSION,
        "lddl_version": __version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "dtype": config.dtype,
        "seed": config.seed,
        "model": {"layers": trainer.layers},
        "config": trainer.resolved,
        "metrics": {
            "epochs": trainer.epoch,
            "steps": history.steps,
            "seconds": history.seconds,
            "final_train_loss": _finite_or_none(history.final_train_loss),
            "final_val_loss": _finite_or_none(history.final_val_loss),
            "best_epoch": history.best_epoch,
            "stopped_early": history.stopped_early,
            "restored_best": history.restored_best,
            **{
                f"{split}_{name}": value
                for split, values in history.scores.items()
                for name, value in values.items()
            },
        },
        **table_metadata(trainer),
    }


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def fit_figure_arguments(model, data: TrainData, title: str) -> dict | None:
    """``plotting.fit_figure`` arguments for a model with a 1-D input and a real-valued output, else None."""
    if data.x.shape[1] != 1 or not np.issubdtype(data.y.dtype, np.floating):
        return None
    xs = [data.x] + ([data.val_x] if data.val_x is not None else [])
    lo = min(float(a.min()) for a in xs)
    hi = max(float(a.max()) for a in xs)
    grid = np.linspace(lo, hi, GRID_POINTS).reshape(-1, 1)
    with np.errstate(all="ignore"):  # huge (finite) weights may overflow between the data points
        pred = predict(model, grid)
    return dict(
        grid_x=grid, grid_pred=pred, x=data.x, y=data.y, val_x=data.val_x, val_y=data.val_y, title=title
    )


def loss_figure_arguments(records_or_columns, title: str) -> dict:
    """``plotting.loss_figure`` arguments from EpochRecords or from metrics.csv columns."""
    if isinstance(records_or_columns, dict):
        c = records_or_columns
        return dict(epochs=c["epoch"], train_loss=c["train_loss"], val_loss=c.get("val_loss"), title=title)
    records = records_or_columns
    val = [math.nan if r.val_loss is None else r.val_loss for r in records]
    return dict(
        epochs=[r.epoch for r in records],
        train_loss=[r.train_loss for r in records],
        val_loss=val,
        title=title,
    )


def write_run(trainer, history, out_dir: Path) -> dict[str, Path]:
    """Write model.npz, config.yaml, metrics.csv, loss.png and (1-D input) fit.png, each atomically."""
    from ..plotting import fit_figure, loss_figure, save_png  # matplotlib: only once training is over

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "model": out_dir / "model.npz",
        "config": out_dir / "config.yaml",
        "metrics": out_dir / "metrics.csv",
    }
    nn.save_state(paths["model"], trainer.model.state_dict(), metadata(trainer, history))
    write_text(paths["config"], yaml.safe_dump(trainer.resolved, sort_keys=False))
    write_text(paths["metrics"], metrics_csv(history.records))
    name = trainer.config.name
    if history.records:
        paths["loss"] = save_png(
            loss_figure(**loss_figure_arguments(history.records, f"{name}: loss")), out_dir / "loss.png"
        )
    fit = fit_figure_arguments(trainer.model, trainer.data, f"{name}: fit")
    if fit is not None:
        paths["fit"] = save_png(fit_figure(**fit), out_dir / "fit.png")
    paths.update(write_table_figures(trainer, out_dir))
    return paths

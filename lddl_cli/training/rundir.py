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
    """The ``__lddl__`` JSON of model.npz. Its losses are those of the epoch whose weights it holds
    (``model_epoch``: the restored best epoch with early stopping, else the last one)."""
    config = trainer.config
    record = history.model_record
    val_loss = (
        history.final_val_loss if history.final_val_loss is not None or record is None else record.val_loss
    )
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
            "epochs": history.records[-1].epoch if history.records else 0,
            "steps": history.steps,
            "seconds": history.seconds,
            "model_epoch": history.model_epoch,
            "final_train_loss": _finite_or_none(history.final_train_loss),
            "final_val_loss": _finite_or_none(val_loss),
            "best_epoch": history.best_epoch,
            "stopped_early": history.stopped_early,
            "restored_best": history.restored_best,
            **{
                f"{split}_{name}": value
                for split, values in history.scores.items()
                for name, value in values.items()
            },
            "interrupted": history.interrupted,
        },
        **table_metadata(trainer),
    }


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def outputs_finite(model, data: TrainData) -> bool:
    """Whether every parameter and buffer is finite and so is the output on the training inputs:
    the condition for writing a weights file."""
    state = model.state_dict()
    if not all(np.isfinite(array).all() for array in state.values() if array.dtype.kind == "f"):
        return False
    with np.errstate(all="ignore"):
        return bool(np.isfinite(predict(model, data.x)).all())


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
        grid_x=grid,
        grid_pred=pred,
        x=data.x,
        y=data.y,
        val_x=data.val_x,
        val_y=data.val_y,
        val_points=data.val_held_out,
        title=title,
    )


def loss_figure_arguments(
    records_or_columns, title: str, loss_name: str = "loss", best_epoch: int | None = None
) -> dict:
    """``plotting.loss_figure`` arguments from EpochRecords or from metrics.csv columns;
    ``best_epoch``: the epoch early stopping restored (marked on the figure)."""
    extra = dict(title=title, loss_name=loss_name, best_epoch=best_epoch)
    if isinstance(records_or_columns, dict):
        c = records_or_columns
        return dict(epochs=c["epoch"], train_loss=c["train_loss"], val_loss=c.get("val_loss"), **extra)
    records = records_or_columns
    val = [math.nan if r.val_loss is None else r.val_loss for r in records]
    return dict(
        epochs=[r.epoch for r in records], train_loss=[r.train_loss for r in records], val_loss=val, **extra
    )


def loss_name(config) -> str:
    """The loss as its axis names it: ``mse``, ``cross_entropy (sum)``."""
    reduction = getattr(config.loss, "reduction", "mean")
    return config.loss.type + ("" if reduction == "mean" else f" ({reduction})")


def write_run(trainer, history, out_dir: Path) -> dict[str, Path]:
    """Write model.npz, config.yaml, metrics.csv, loss.png and (1-D input) fit.png, each atomically.

    model.npz and fit.png only when the weights are finite and give finite outputs on the training
    data (``outputs_finite``); the caller reports their absence."""
    from ..plotting import fit_figure, loss_figure, save_png  # matplotlib: only once training is over

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    usable = outputs_finite(trainer.model, trainer.data)
    if usable:
        paths["model"] = out_dir / "model.npz"
        nn.save_state(paths["model"], trainer.model.state_dict(), metadata(trainer, history))
    paths["config"] = write_text(out_dir / "config.yaml", yaml.safe_dump(trainer.resolved, sort_keys=False))
    paths["metrics"] = write_text(out_dir / "metrics.csv", metrics_csv(history.records))
    name = trainer.config.name
    best = history.best_epoch if history.restored_best else None
    if history.records:
        arguments = loss_figure_arguments(history.records, f"{name}: loss", loss_name(trainer.config), best)
        paths["loss"] = save_png(loss_figure(**arguments), out_dir / "loss.png")
    fit = fit_figure_arguments(trainer.model, trainer.data, f"{name}: fit") if usable else None
    if fit is not None:
        paths["fit"] = save_png(fit_figure(**fit), out_dir / "fit.png")
    paths.update(write_table_figures(trainer, out_dir))
    return paths

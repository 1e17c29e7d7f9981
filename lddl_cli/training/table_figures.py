"""A table run's figures in its run directory: ``confusion.png`` for a classifier,
``pred_vs_true.png`` for a regressor with more than one input, drawn on the test split (else the
validation split, else the training split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .evaluation import decoded
from .inference import predict


def write_table_figures(trainer, out_dir: Path) -> dict[str, Path]:
    from ..plotting import save_png
    from ..plotting.tables import confusion_figure, confusion_matrix, pred_vs_true_figure

    data, config = trainer.data, trainer.config
    if config.data.path is None:
        return {}
    split = next(p for p in ("test_", "val_", "") if getattr(data, f"{p}x") is not None)
    x, y = getattr(data, f"{split}x"), getattr(data, f"{split}y")
    with np.errstate(all="ignore"):
        values = decoded(predict(trainer.model, x), config.task, config.loss.type, data.y_scaler)
    title = f"{config.name} ({split.rstrip('_') or 'train'} split)"
    if config.task == "classification":
        matrix = confusion_matrix(np.asarray(y).reshape(len(y)), values.argmax(axis=1), len(data.classes))
        figure = confusion_figure(matrix, data.classes, f"{title}: confusion matrix")
        return {"confusion": save_png(figure, out_dir / "confusion.png")}
    if x.shape[1] < 2:
        return {}
    figure = pred_vs_true_figure(data.y_scaler.invert(y), values, data.targets, f"{title}: predicted vs true")
    return {"pred_vs_true": save_png(figure, out_dir / "pred_vs_true.png")}

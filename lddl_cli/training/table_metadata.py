"""What model.npz carries so that the weights file alone predicts from raw rows: the task, the
feature and target names, the class list and the scaler statistics (``__lddl__`` JSON)."""

from __future__ import annotations

from .preprocess import Scaler


def table_metadata(trainer) -> dict:
    data, config = trainer.data, trainer.config
    return {
        "task": config.task,
        "loss_type": config.loss.type,
        "features": list(data.features),
        "targets": list(data.targets),
        "classes": data.classes,
        "preprocess": {"x": data.x_scaler.to_json(), "y": data.y_scaler.to_json()},
    }


def scalers(metadata: dict) -> tuple[Scaler, Scaler]:
    """The (x, y) scalers stored by ``table_metadata`` (none for a model written before them)."""
    stored = metadata.get("preprocess") or {}
    return Scaler.from_json(stored.get("x")), Scaler.from_json(stored.get("y"))

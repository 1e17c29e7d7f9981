"""The metric a sweep optimizes, looked up by name in what a run records: ``val_loss`` (a field
of every epoch record) or any ``val_<name>`` an epoch record carries (as a field, or in a
``metrics`` mapping)."""

from __future__ import annotations

import math
from dataclasses import fields

from ..errors import ConfigError
from ..training.records import EpochRecord


def recorded_metrics(config) -> list[str]:
    """The validation metrics a run of ``config`` records per epoch."""
    names = [f.name for f in fields(EpochRecord) if f.name.startswith("val_")]
    names += [f"val_{name}" for name in getattr(config, "metrics", None) or [] if isinstance(name, str)]
    return list(dict.fromkeys(names))


def has_validation(config) -> bool:
    data = config.data
    return getattr(data, "val_x", None) is not None or (getattr(data, "val_fraction", 0) or 0) > 0


def check_metric(config) -> None:
    """ConfigError at ``sweep.metric`` if a run of ``config`` does not record it."""
    metric = config.sweep.metric
    allowed = recorded_metrics(config)
    if metric not in allowed:
        message = f"unknown metric {metric!r}; a run of this config records: {', '.join(allowed)}"
        raise ConfigError([config.problem(("sweep", "metric"), message)])
    if not has_validation(config):
        message = f"{metric} needs a validation set: set data.val_fraction, or data.val_x and data.val_y"
        raise ConfigError([config.problem(("sweep", "metric"), message)])


def epoch_metric(record, name: str) -> float | None:
    """``name`` in one epoch record (None if the record does not carry it or it is not finite)."""
    value = getattr(record, name, None)
    if value is None:
        value = (getattr(record, "metrics", None) or {}).get(name)
    return float(value) if value is not None and math.isfinite(value) else None


def final_metric(history, name: str) -> float | None:
    """``name`` for the model a run ends with (the restored best epoch's, with early stopping)."""
    if name == "val_loss":
        value = history.final_val_loss
        return float(value) if value is not None and math.isfinite(value) else None
    records = history.records
    if history.restored_best and history.best_epoch is not None:
        records = [r for r in records if r.epoch == history.best_epoch]
    return epoch_metric(records[-1], name) if records else None

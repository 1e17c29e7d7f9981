"""The value early stopping watches (``train.early_stopping.monitor`` / ``mode``), as a number
to minimize: a value to maximize (accuracy, r2) is negated."""

from __future__ import annotations

from ..config.tables import monitor_mode


def monitored_value(config, record) -> float:
    monitor, mode = monitor_mode(config)
    if monitor == "val_loss" and record.val_loss is None:
        monitor = "train_loss"  # no validation set: the training loss, as before
    if monitor in ("train_loss", "val_loss"):
        value = getattr(record, monitor)
    else:
        value = record.metrics[monitor.removeprefix("val_")]
    return -value if mode == "max" else value

"""The keys of a table run: ``task``, ``preprocess``, ``metrics``, ``model.widths`` entries
``auto`` and ``train.early_stopping.monitor`` / ``mode``; their defaults and their checks.

Defaults (filled before validation, so the resolved config states them):
- ``task``: ``classification`` for the cross_entropy and bce_with_logits losses, else
  ``regression``; a classification without a ``loss`` trains with ``cross_entropy``.
- ``preprocess``: ``{x: standardize, y: none}`` for a table (``data.path``); the ``.npy`` form
  (``data.x``/``data.y``) keeps ``{x: none, y: none}``, so runs written before tables existed
  give the same numbers.
- ``metrics``: for a table, regression ``[rmse, mae, r2]`` and classification
  ``[accuracy, f1_macro, log_loss]``; none for the ``.npy`` form.
"""

from __future__ import annotations

import difflib

from ..errors import Problem

REGRESSION_METRICS = ("mse", "rmse", "mae", "r2")
CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "log_loss", "roc_auc")
LOWER_IS_BETTER = frozenset({"mse", "rmse", "mae", "log_loss", "loss"})
DEFAULT_METRICS = {
    "regression": ["rmse", "mae", "r2"],
    "classification": ["accuracy", "f1_macro", "log_loss"],
}
CLASSIFICATION_LOSSES = ("cross_entropy", "bce_with_logits")


def fill_defaults(data):
    """``data`` (the raw config mapping) with task, loss, preprocess and metrics defaults filled."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    loss = data.get("loss")
    loss_type = loss.get("type") if isinstance(loss, dict) else loss
    if "task" not in data:
        data["task"] = "classification" if loss_type in CLASSIFICATION_LOSSES else "regression"
    if "loss" not in data and data["task"] == "classification":
        data["loss"] = {"type": "cross_entropy"}
    source = data.get("data")
    table = isinstance(source, dict) and "path" in source
    if "preprocess" not in data:
        data["preprocess"] = {"x": "standardize" if table else "none", "y": "none"}
    if "metrics" not in data:
        data["metrics"] = list(DEFAULT_METRICS.get(data["task"], [])) if table else []
    return data


def table_problems(config, locator) -> list[Problem]:
    """The task against the loss, metric names against the task, the monitored value against
    the metrics, ``auto`` widths in place."""
    problems = []
    classifier = config.loss.type in CLASSIFICATION_LOSSES
    if (config.task == "classification") != classifier:
        wanted = (
            "cross_entropy or bce_with_logits" if config.task == "classification" else "a regression loss"
        )
        message = f"task {config.task} needs {wanted}; the loss is {config.loss.type}"
        problems.append(locator.problem(("task",), message))
    allowed = CLASSIFICATION_METRICS if config.task == "classification" else REGRESSION_METRICS
    for index, name in enumerate(config.metrics):
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown {config.task} metric {name!r}; allowed: {', '.join(allowed)}{hint}"
            problems.append(locator.problem(("metrics", index), message))
    problems += _monitor_problems(config, locator)
    problems += _auto_problems(config, locator)
    if config.preprocess.y != "none" and config.task == "classification":
        message = "standardize is for regression targets; a classifier's labels are not scaled"
        problems.append(locator.problem(("preprocess", "y"), message))
    return problems


def monitored_names(config) -> list[str]:
    return ["train_loss", "val_loss"] + [f"val_{name}" for name in config.metrics]


def _monitor_problems(config, locator) -> list[Problem]:
    stopping = config.train.early_stopping
    if stopping is None or stopping.monitor is None:
        return []
    names = monitored_names(config)
    validation = config.data.val_fraction > 0 or config.data.val_x is not None
    if stopping.monitor in names[2:] and not validation:
        message = f"{stopping.monitor!r} needs a validation set: set data.val_fraction"
        return [locator.problem(("train", "early_stopping", "monitor"), message)]
    if stopping.monitor in names:
        return []
    close = difflib.get_close_matches(stopping.monitor, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    message = (
        f"{stopping.monitor!r} is not recorded; allowed: {', '.join(names)} "
        f"(val_<name> for each name in metrics){hint}"
    )
    return [locator.problem(("train", "early_stopping", "monitor"), message)]


def _auto_problems(config, locator) -> list[Problem]:
    widths = config.model.widths or []
    if "auto" in widths and config.data.path is None:
        message = "auto is inferred from a table (data.path); with data.x/data.y give the width"
        return [locator.problem(("model", "widths", widths.index("auto")), message)]
    return [
        locator.problem(
            ("model", "widths", index),
            "auto can stand only first (the number of features) or last (the number of outputs)",
        )
        for index, width in enumerate(widths)
        if width == "auto" and 0 < index < len(widths) - 1
    ]


def monitor_mode(config) -> tuple[str, str]:
    """(the value early stopping watches, min | max)."""
    stopping = config.train.early_stopping
    monitor = stopping.monitor if stopping is not None and stopping.monitor else "val_loss"
    if stopping is not None and stopping.mode is not None:
        return monitor, stopping.mode
    return monitor, "min" if monitor.split("_", 1)[1] in LOWER_IS_BETTER else "max"


def with_widths(config, inputs: int, outputs: int):
    """``config`` with ``model.widths`` entries ``auto`` replaced by the data's widths."""
    widths = config.model.widths
    if widths is None or "auto" not in widths:
        return config
    widths = list(widths)
    if widths[0] == "auto":
        widths[0] = inputs
    if widths[-1] == "auto":
        widths[-1] = outputs
    return config.model_copy(update={"model": config.model.model_copy(update={"widths": widths})})

"""``lddl predict --input table.csv`` and ``lddl evaluate``: a weights file alone, applied to raw
rows. Columns are picked by name (any order; extra columns ignored), scaled as in training; the
outputs are in the target's units, or class labels (and their probabilities with ``--proba``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from ..errors import DataError, UsageError
from ..files.atomic import write_text
from ..files.datafiles import load_array
from ..files.tables import Table, read_table
from ..training import metrics
from ..training.evaluation import decoded
from ..training.inference import predict
from ..training.table_metadata import scalers

TABLE_SUFFIXES = (".csv", ".tsv")


def is_table_model(metadata: dict) -> bool:
    return bool(metadata.get("features"))


def model_outputs(model, metadata: dict, x: np.ndarray) -> np.ndarray:
    """Predictions in the target's units (regression) or probabilities (classification) for raw x."""
    x_scaler, y_scaler = scalers(metadata)
    dtype = model.parameters()[0].dtype
    x = np.asarray(x, dtype=dtype)
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    outputs = predict(model, x_scaler.apply(x))
    task = metadata.get("task", "regression")
    return decoded(outputs, task, metadata.get("loss_type", "mse"), y_scaler)


def table_features(metadata: dict, table: Table, what: str) -> np.ndarray:
    features = metadata["features"]
    missing = table.missing(features)
    if missing:
        raise DataError(
            *[f"{what}: {message} (the model takes {', '.join(features)})" for message in missing]
        )
    return np.column_stack([table.numbers(name, "a feature") for name in features])


def predict_table(model, metadata: dict, path: Path, proba: bool) -> str:
    """The input table's columns plus ``<target>`` (and ``<target>_proba_<class>``) as CSV text."""
    table = read_table(path, "--input")
    values = model_outputs(model, metadata, table_features(metadata, table, "--input"))
    targets = [
        f"{name}_predicted" if name in table.columns else name for name in metadata.get("targets") or []
    ]
    added: dict[str, list] = {}
    if metadata.get("task") == "classification":
        classes = metadata["classes"]
        added[targets[0]] = [classes[i] for i in values.argmax(axis=1)]
        if proba:
            for index, name in enumerate(classes):
                added[f"{targets[0]}_proba_{name}"] = [repr(float(p)) for p in values[:, index]]
    else:
        if proba:
            raise UsageError("--proba: this model is a regressor; it has no class probabilities")
        for index, name in enumerate(targets):
            added[name] = [repr(float(v)) for v in values[:, index]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns + list(added))
    columns = [_cells(table.values[name]) for name in table.columns] + list(added.values())
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def _cells(column: np.ndarray) -> list[str]:
    if column.dtype.kind == "f":
        return [repr(float(v)) for v in column]
    return column.tolist()


def write_table(path: Path, text: str) -> None:
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise UsageError(f"--output: a table's predictions are written as .csv; got {str(path)!r}")
    if not path.parent.is_dir():
        raise UsageError(f"--output: folder {str(path.parent)!r} does not exist")
    write_text(path, text)


def metric_names(metadata: dict) -> list[str]:
    task = metadata.get("task", "regression")
    stored = (metadata.get("config") or {}).get("metrics") or []
    if stored:
        return list(stored)
    if task == "classification":
        return ["accuracy", "balanced_accuracy", "f1_macro", "log_loss"]
    return ["mse", "rmse", "mae", "r2"]


def evaluation_data(metadata: dict, data: Path | None, x_path: Path | None, y_path: Path | None):
    """(raw x, y: targets (N, outputs) or class indices) from --data or --x/--y."""
    if (data is None) == (x_path is None and y_path is None) or (data is None and None in (x_path, y_path)):
        raise UsageError("give either --data TABLE or both --x X and --y Y")
    task = metadata.get("task", "regression")
    if data is not None:
        if not is_table_model(metadata):
            raise UsageError("--data: this model was trained on arrays; give --x and --y")
        table = read_table(data, "--data")
        x = table_features(metadata, table, "--data")
        targets = metadata["targets"]
        missing = table.missing(targets)
        if missing:
            raise DataError(*[f"--data: {message}" for message in missing])
        if task == "classification":
            return x, _class_indices(metadata["classes"], table.values[targets[0]], data)
        return x, np.column_stack([table.numbers(name, "a target") for name in targets])
    x, y = load_array(x_path, "--x"), load_array(y_path, "--y")
    if len(x) != len(y):
        raise UsageError(f"--x has {len(x)} rows but --y has {len(y)}")
    if task == "classification":
        return x, np.asarray(y).reshape(len(y)).astype(np.int64)
    return x, np.asarray(y, dtype=np.float64).reshape(len(y), -1)


def _class_indices(classes: list, labels: np.ndarray, path: Path) -> np.ndarray:
    if labels.dtype.kind == "f":
        labels = labels.astype(np.int64)
    lookup = {str(name): index for index, name in enumerate(classes)}
    unknown = [label for label in labels.tolist() if str(label) not in lookup]
    if unknown:
        raise DataError(
            f"{path}: --data: class {unknown[0]!r} is not one the model knows "
            f"({', '.join(map(repr, classes))})"
        )
    return np.array([lookup[str(label)] for label in labels.tolist()], dtype=np.int64)


def evaluate(model, metadata: dict, x: np.ndarray, y: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """({metric: value}, the predictions or probabilities)."""
    values = model_outputs(model, metadata, x)
    names = metric_names(metadata)
    if metadata.get("task") == "classification" and values.shape[1] != 2:
        names = [name for name in names if name != "roc_auc"]
    return metrics.scores(names, metadata.get("task", "regression"), values, y), values


def scores_text(scores: dict[str, float], as_json: bool) -> str:
    if as_json:
        return json.dumps(scores, indent=2)
    width = max(len(name) for name in scores) if scores else 0
    return "\n".join(f"{name:<{width}}  {value:.6g}" for name, value in scores.items())

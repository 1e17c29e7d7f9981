"""A config's table (``data.path``, ``data.target``, ``data.features``, ``data.test_path``) as arrays.

Features are the named columns (default: every column but the targets), each a number in every
row. A classifier's target holds class labels (strings or integers); the class list is the
sorted labels of ``data.path``, and the target becomes class indices (int64, or one float column
of 0/1 for bce_with_logits). A regression's targets are numbers, one model output each. Every
problem is one located line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from .datafiles import Dataset
from .tables import Table, read_table


@dataclass
class TableDataset(Dataset):
    """A Dataset from a table: the column names, the class list, and the optional test table."""

    features: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    classes: list | None = None
    test_x: np.ndarray | None = None
    test_y: np.ndarray | None = None


def load_table_dataset(config) -> TableDataset:
    """The table of ``config.data.path`` (and ``test_path``), checked against the config."""
    from ..config.paths import missing_data_file

    data = config.data
    missing = [missing_data_file(config, key) for key in ("path", "test_path") if getattr(data, key)]
    if any(missing):  # located at the config's key, with where the file may be
        raise DataError(*[line for line in missing if line is not None])
    table = read_table(data.path, "data.path")
    features = _columns(config, table)
    targets = data.targets
    classes = None
    if config.task == "classification":
        classes = class_list(table, targets[0])
    x, y = table_arrays(config, table, features, classes)
    dataset = TableDataset(x, y, features=features, targets=targets, classes=classes)
    if data.test_path is not None:
        test = read_table(data.test_path, "data.test_path")
        missing = test.missing(features + targets)
        if missing:
            raise DataError(*[str(config.problem(("data", "test_path"), m)) for m in missing])
        if classes is not None:
            unseen = sorted(set(_labels(test, targets[0]).tolist()) - set(classes), key=str)
            if unseen:
                message = (
                    f"class {unseen[0]!r} is in the test table only; the model learns the classes of "
                    f"{data.path}: {', '.join(map(repr, classes))}"
                )
                raise DataError(str(config.problem(("data", "test_path"), message)))
        dataset.test_x, dataset.test_y = table_arrays(config, test, features, classes)
    return dataset


def _columns(config, table: Table) -> list[str]:
    """The feature names, after checking that every named column exists."""
    data = config.data
    problems = []
    targets = data.targets
    for index, message in _missing(table, targets):
        path = ("data", "target") if isinstance(data.target, str) else ("data", "target", index)
        problems.append(str(config.problem(path, message)))
    for index, message in _missing(table, data.features or []):
        problems.append(str(config.problem(("data", "features", index), message)))
    if problems:
        raise DataError(*problems)
    if config.task == "classification" and len(targets) != 1:
        raise DataError(str(config.problem(("data", "target"), "a classifier predicts one column")))
    features = data.features or [name for name in table.columns if name not in targets]
    both = [name for name in features if name in targets]
    if both or not features:
        message = f"column {both[0]!r} is the target" if both else "no column is left for the features"
        raise DataError(str(config.problem(("data", "features"), message)))
    return list(features)


def _missing(table: Table, names: list[str]):
    for index, name in enumerate(names):
        messages = table.missing([name])
        if messages:
            yield index, messages[0]


def _labels(table: Table, name: str) -> np.ndarray:
    """The label column: whole numbers as int64, anything else as text."""
    column = table.values[name]
    if column.dtype.kind == "f":
        if not np.all(np.isfinite(column)) or not np.array_equal(column, np.floor(column)):
            row = int(np.argmax(~np.isfinite(column) | (column != np.floor(column))))
            raise DataError(
                f"{table.path}: line {table.line(row)}: column {name!r} (the target): class labels "
                f"are whole numbers or names; got {column[row]}"
            )
        return column.astype(np.int64)
    empty = np.flatnonzero(column == "")
    if empty.size:
        raise DataError(
            f"{table.path}: line {table.line(int(empty[0]))}: column {name!r} (the target): is empty"
        )
    return column


def class_list(table: Table, name: str) -> list:
    """The sorted distinct labels (ints or strings, JSON-ready)."""
    return [item.item() if hasattr(item, "item") else item for item in np.unique(_labels(table, name))]


def table_arrays(config, table: Table, features: list[str], classes: list | None):
    """(x (N, features) in the config dtype, y): class indices, or targets (N, outputs)."""
    dtype = np.dtype(config.dtype)
    x = np.column_stack([table.numbers(name, "a feature") for name in features]).astype(dtype)
    targets = config.data.targets
    if classes is None:
        y = np.column_stack([table.numbers(name, "a target") for name in targets]).astype(dtype)
        return x, y
    labels = _labels(table, targets[0])
    index = np.searchsorted(np.array(classes), labels)
    if config.loss.type == "bce_with_logits":
        if len(classes) != 2:
            message = f"bce_with_logits needs 2 classes; column {targets[0]!r} has {len(classes)}"
            raise DataError(str(config.problem(("loss",), message)))
        return x, index.astype(dtype).reshape(-1, 1)
    return x, index.astype(np.int64)

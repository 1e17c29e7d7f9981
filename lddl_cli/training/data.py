"""The run's data and model, drawn from the one seeded rng in a fixed order.

Randomness: ONE ``np.random.Generator`` from ``np.random.default_rng(config.seed)`` is drawn from,
in this order: (1) parameter initialization (``build_model``), (2) the ``data.train_size``
subset, (3) the ``data.test_fraction`` split (tables), (4) the ``data.val_fraction`` split (both
stratified for a classifier's table), (5) the DataLoader's shuffling (a new permutation per
epoch), (6) dropout masks (dropout layers hold the same generator). Same config and seed, same
run; ``lddl plot`` re-derives the same split by taking steps 1 to 4 again.

A table's widths ``auto`` are resolved from it before the model is built, and its scalers
(``preprocess``) are fitted on the training split only, then applied to every split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..config import build_model, resolve_layers
from ..config.tables import with_widths
from ..errors import DataError
from ..files.datafiles import load_dataset
from ..files.table_data import load_table_dataset
from .preprocess import Scaler, fit_scaler
from .splits import hold_out


@dataclass
class TrainData:
    x: np.ndarray
    y: np.ndarray
    val_x: np.ndarray | None
    val_y: np.ndarray | None
    test_x: np.ndarray | None = None
    test_y: np.ndarray | None = None
    x_scaler: Scaler = field(default_factory=lambda: Scaler("none"))
    y_scaler: Scaler = field(default_factory=lambda: Scaler("none"))
    features: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    classes: list | None = None
    val_held_out: bool = False  # the validation rows are a held-out fraction of the data, not a grid


def split_data(dataset, config, rng: np.random.Generator) -> TrainData:
    """Apply the ``train_size`` subset, then the test and ``val_fraction`` splits (rng steps 2 to 4)."""
    x, y = dataset.x, dataset.y
    if config.data.train_size is not None:
        index = nn.random_subset(len(x), config.data.train_size, rng)
        x, y = x[index], y[index]
    test_x, test_y = getattr(dataset, "test_x", None), getattr(dataset, "test_y", None)
    table = getattr(dataset, "features", None) is not None and config.data.path is not None
    stratified = table and config.task == "classification"
    names = getattr(dataset, "classes", None)
    if test_x is None and config.data.test_fraction > 0:
        where = _locator(config, "test_fraction")
        keep, held = hold_out(y, config.data.test_fraction, rng, stratified, where, names)
        x, y, test_x, test_y = x[keep], y[keep], x[held], y[held]
    val_x, val_y = dataset.val_x, dataset.val_y
    if val_x is None and config.data.val_fraction > 0:
        if table:
            where = _locator(config, "val_fraction")
            train_index, val_index = hold_out(y, config.data.val_fraction, rng, stratified, where, names)
        else:
            train_index, val_index = nn.train_val_split(len(x), config.data.val_fraction, rng)
        x, y, val_x, val_y = x[train_index], y[train_index], x[val_index], y[val_index]
    held_out = dataset.val_x is None and val_x is not None
    return TrainData(x, y, val_x, val_y, test_x, test_y, val_held_out=held_out)


def _locator(config, key: str):
    return lambda message: str(config.problem(("data", key), message))


def scale(data: TrainData, config, dataset) -> TrainData:
    """Fit the scalers on the training split; apply them to every split."""
    features = getattr(dataset, "features", None) or []
    x_where = lambda message: str(config.problem(("preprocess", "x"), message))  # noqa: E731
    y_where = lambda message: str(config.problem(("preprocess", "y"), message))  # noqa: E731
    data.x_scaler = fit_scaler(config.preprocess.x, data.x, features, x_where)
    if config.task == "regression":
        data.y_scaler = fit_scaler(config.preprocess.y, data.y, getattr(dataset, "targets", None), y_where)
    for name, scaler in (("x", data.x_scaler), ("y", data.y_scaler)):
        for prefix in ("", "val_", "test_"):
            setattr(data, prefix + name, scaler.apply(getattr(data, prefix + name)))
    data.features = list(features)
    data.targets = list(getattr(dataset, "targets", None) or [])
    data.classes = getattr(dataset, "classes", None)
    if config.data.path is not None and config.train.batch_size > len(data.x):
        message = f"{config.train.batch_size} is more than the {len(data.x)} training rows (after the splits)"
        raise DataError(str(config.problem(("train", "batch_size"), message)))
    return data


def load_data(config, read_table=load_table_dataset):
    """(the config with its ``auto`` widths resolved, the dataset): a table or the .npy arrays."""
    if config.data.path is None:
        return config, None
    dataset = read_table(config)
    outputs = len(dataset.classes) if dataset.classes is not None else dataset.y.shape[1]
    if config.loss.type == "bce_with_logits":
        outputs = 1
    return with_widths(config, dataset.x.shape[1], outputs), dataset


def prepare(config, load=None):
    """(rng, resolved layers, model, data): steps 1 to 4 of the rng order. ``data.config`` is the
    config with its ``auto`` widths resolved. ``load(config)`` reads a .npy data set (default
    ``load_dataset``; a sweep passes a ``DatasetCache``: no rng is drawn there); a table is read by
    ``load_data``, through ``load.read_table`` when ``load`` has one (the cache's)."""
    rng = np.random.default_rng(config.seed)
    config, dataset = load_data(config, getattr(load, "read_table", load_table_dataset))
    layers = resolve_layers(config)
    model = build_model(layers, config.dtype, rng)
    if dataset is None:
        dataset = (load or load_dataset)(config)
    data = scale(split_data(dataset, config, rng), config, dataset)
    data.config = config
    return rng, layers, model, data

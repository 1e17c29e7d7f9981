"""The run's data and model, drawn from the one seeded rng in a fixed order.

Randomness: ONE ``np.random.Generator`` from ``np.random.default_rng(config.seed)`` is drawn from,
in this order: (1) parameter initialization (``build_model``), (2) the ``data.train_size``
subset, (3) the ``data.val_fraction`` split, (4) the DataLoader's shuffling (a new permutation
per epoch), (5) dropout masks (dropout layers hold the same generator). Same config and seed,
same run; ``lddl plot`` re-derives the same split by taking steps 1 to 3 again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..config import build_model, resolve_layers
from ..files.datafiles import load_dataset


@dataclass
class TrainData:
    x: np.ndarray
    y: np.ndarray
    val_x: np.ndarray | None
    val_y: np.ndarray | None


def split_data(dataset, config, rng: np.random.Generator) -> TrainData:
    """Apply the ``train_size`` subset, then the ``val_fraction`` split (rng steps 2 and 3)."""
    x, y = dataset.x, dataset.y
    if config.data.train_size is not None:
        index = nn.random_subset(len(x), config.data.train_size, rng)
        x, y = x[index], y[index]
    val_x, val_y = dataset.val_x, dataset.val_y
    if val_x is None and config.data.val_fraction > 0:
        train_index, val_index = nn.train_val_split(len(x), config.data.val_fraction, rng)
        x, y, val_x, val_y = x[train_index], y[train_index], x[val_index], y[val_index]
    return TrainData(x, y, val_x, val_y)


def prepare(config, load=None):
    """(rng, resolved layers, model, data): steps 1 to 3 of the rng order. ``load(config)`` reads
    the data set (default ``load_dataset``; a sweep passes a ``DatasetCache``: no rng is drawn there)."""
    rng = np.random.default_rng(config.seed)
    layers = resolve_layers(config)
    model = build_model(layers, config.dtype, rng)
    data = split_data((load or load_dataset)(config), config, rng)
    return rng, layers, model, data

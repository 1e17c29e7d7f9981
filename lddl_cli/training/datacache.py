"""``DatasetCache``: the data set read once and shared by runs that read it the same way (the
trials of a sweep). It draws no randomness, so a run gives the same result with it or without."""

from __future__ import annotations

import json

from ..config import model_widths
from ..files.datafiles import Dataset, load_dataset

# Sections that load_dataset never reads (the model counts through its input and output widths).
UNREAD_SECTIONS = ("name", "seed", "model", "optimizer", "scheduler", "train", "sweep")


def data_key(config) -> str:
    """What ``load_dataset(config)`` depends on, as a string: every section it may read (a section
    added later is read by default), the batch size (checked against the rows) and the widths."""
    resolved = config.resolved()
    read = {key: value for key, value in resolved.items() if key not in UNREAD_SECTIONS}
    (inputs, _), (outputs, _) = model_widths(config)
    read["train.batch_size"] = config.train.batch_size
    read["model.widths"] = [inputs, outputs]
    return json.dumps(read, sort_keys=True, default=str)


class DatasetCache:
    """``cache(config)`` is ``load_dataset(config)``, read from the files the first time only."""

    def __init__(self) -> None:
        self.datasets: dict[str, Dataset] = {}
        self.reads = 0

    def __call__(self, config) -> Dataset:
        key = data_key(config)
        if key not in self.datasets:
            self.datasets[key] = load_dataset(config)
            self.reads += 1
        return self.datasets[key]

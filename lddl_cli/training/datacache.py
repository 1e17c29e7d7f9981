"""``DatasetCache``: the data set read once and shared by runs that read it the same way (the
trials of a sweep). It draws no randomness, so a run gives the same result with it or without.

A table (``data.path``) is read and parsed once per (file, its mtime and size, the columns and
the task); the splits and scalers that follow are still made per run, from the run's config."""

from __future__ import annotations

import json
import os

from ..config import model_widths
from ..files.datafiles import Dataset, load_dataset
from ..files.table_data import TableDataset, load_table_dataset

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


def table_key(config) -> str:
    """What ``load_table_dataset(config)`` depends on: the files (path, mtime, size), the columns,
    the task and the loss (bce_with_logits reads a classifier's labels as one 0/1 column)."""
    data = config.data
    files = []
    for path in (data.path, data.test_path):
        try:
            stat = os.stat(path) if path is not None else None
        except OSError:
            stat = None
        files.append([str(path), stat and stat.st_mtime_ns, stat and stat.st_size])
    read = [files, data.target, data.features, config.task, config.loss.type]
    return json.dumps(read, sort_keys=True, default=str)


class DatasetCache:
    """``cache(config)`` is ``load_dataset(config)``, read from the files the first time only."""

    def __init__(self) -> None:
        self.datasets: dict[str, Dataset] = {}
        self.tables: dict[str, TableDataset] = {}
        self.reads = 0

    def __call__(self, config) -> Dataset:
        key = data_key(config)
        if key not in self.datasets:
            self.datasets[key] = load_dataset(config)
            self.reads += 1
        return self.datasets[key]

    def read_table(self, config) -> TableDataset:
        """``load_table_dataset(config)``, read and parsed the first time only (a missing or
        changed file is read again, so its error or its new rows come through)."""
        key = table_key(config)
        if key not in self.tables:
            self.tables[key] = load_table_dataset(config)
            self.reads += 1
        return self.tables[key]

"""One trial, in the worker's own process: draw the values, make the trial's config, train it on
the data the worker read once, and return the metric of the model the run ends with.

With a pruner, the metric is reported at epoch ends (every epoch up to ``MAX_REPORTS`` epochs,
then evenly spaced: each report is a write to the study's storage) and a trial the pruner stops
raises ``TrialPruned``.
"""

from __future__ import annotations

import time

from ..errors import LddlError
from ..training.callbacks import Callback
from ..training.datacache import DatasetCache
from ..training.trainer import Trainer
from . import space
from .metric import epoch_metric, final_metric
from .study import ERROR_ATTR

MAX_REPORTS = 100


class TrialFailed(Exception):
    """A trial that ran and failed on its own (its reason is the trial's ``error`` attribute)."""


class PruningReporter(Callback):
    """Reports the metric to the trial at epoch ends and stops a trial the pruner gives up on."""

    def __init__(self, optuna, trial, metric: str, epochs: int) -> None:
        self.optuna = optuna
        self.trial = trial
        self.metric = metric
        self.every = max(1, -(-epochs // MAX_REPORTS))

    def on_epoch_end(self, record) -> None:
        if record.epoch % self.every:
            return
        value = epoch_metric(record, self.metric)
        if value is None:
            return
        self.trial.report(value, record.epoch)
        if self.trial.should_prune():
            raise self.optuna.TrialPruned(f"pruned at epoch {record.epoch}")


class Objective:
    """``objective(trial) -> metric``, for ``study.optimize``; the data set is read once."""

    def __init__(self, optuna, source, worker: str) -> None:
        self.optuna = optuna
        self.source = source
        self.worker = worker
        self.cache = DatasetCache()
        self.train_seconds = 0.0  # the training loop of the last trial, for the overhead figure

    def __call__(self, trial) -> float:
        sweep = self.source.sweep
        trial.set_user_attr("worker", self.worker)
        self.train_seconds = 0.0
        try:
            values = {key: space.suggest(trial, key, p) for key, p in sweep.parameters.items()}
            config = self.source.trial_config(values)
            callbacks = []
            if sweep.pruner != "none":
                callbacks.append(PruningReporter(self.optuna, trial, sweep.metric, config.train.epochs))
            trainer = Trainer(config, callbacks, load=self.cache)
            start = time.perf_counter()
            try:
                history = trainer.fit()
            finally:
                self.train_seconds = time.perf_counter() - start
        except LddlError as error:
            trial.set_user_attr(ERROR_ATTR, error.lines()[0])
            raise TrialFailed(error.lines()[0]) from None
        value = final_metric(history, sweep.metric)
        if value is None:
            trial.set_user_attr(ERROR_ATTR, f"{sweep.metric} was not finite at the end of the run")
            raise TrialFailed(sweep.metric)
        return value

"""Early stopping: with ``restore_best: true`` the weights written are those of the best epoch,
whether patience ran out (the run stops early) or not (the run reaches train.epochs); with
``restore_best: false`` they are the last epoch's. The same holds across a checkpoint + resume.

The training is real; only the validation losses are scripted (``Trainer.validate`` replaced), so
that the best epoch and the moment patience runs out are known in advance:
best at epoch 3, then worse every epoch.
"""

from __future__ import annotations

import numpy as np
import pytest
from training_helpers import arrays, make_project, metadata

from lddl_cli.config import load_config
from lddl_cli.training.progress import Callback
from lddl_cli.training.run import fit_and_write
from lddl_cli.training.trainer import Trainer

VAL_LOSSES = [5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1, 4.2, 4.3]
BEST = 3

# name: (epochs, patience, epochs trained, stopped early)
SCENARIOS = {"patience ran out": (12, 3, BEST + 3, True), "patience left": (6, 100, 6, False)}


class EpochWeights(Callback):
    """The model's weights after every epoch."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.weights: list[dict[str, np.ndarray]] = []

    def on_epoch_end(self, record) -> None:
        self.weights.append(self.trainer.model.state_dict())


def scripted_trainer(epochs: int, patience: int, restore_best: bool) -> Trainer:
    flag = "true" if restore_best else "false"
    config = load_config(
        "config.yaml",
        [f"train.epochs={epochs}", f"train.early_stopping={{patience: {patience}, restore_best: {flag}}}"],
    )
    trainer = Trainer(config)
    trainer.validate = lambda: VAL_LOSSES[min(trainer.epoch, len(VAL_LOSSES) - 1)]
    return trainer


@pytest.mark.parametrize("restore_best", [True, False])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_restore_best_whether_or_not_patience_ran_out(tmp_path, monkeypatch, scenario, restore_best):
    epochs, patience, trained, stopped = SCENARIOS[scenario]
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    trainer = scripted_trainer(epochs, patience, restore_best)
    recorder = EpochWeights(trainer)
    trainer.callbacks.append(recorder)
    history = fit_and_write(trainer, tmp_path / "run")
    assert len(history.records) == len(recorder.weights) == trained
    assert history.stopped_early is stopped and history.best_epoch == BEST
    assert history.restored_best is restore_best
    expected = recorder.weights[BEST - 1] if restore_best else recorder.weights[-1]
    saved = arrays(tmp_path / "run" / "model.npz")
    assert saved.keys() == expected.keys()
    assert all(np.array_equal(saved[k], expected[k]) for k in saved)
    assert not all(np.array_equal(saved[k], recorder.weights[-2][k]) for k in saved)  # weights do move
    metrics = metadata(tmp_path / "run" / "model.npz")["metrics"]
    assert (metrics["best_epoch"], metrics["stopped_early"], metrics["restored_best"]) == (
        BEST,
        stopped,
        restore_best,
    )


@pytest.mark.parametrize("split", [2, 4, 5])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_early_stopping_state_survives_a_resume(tmp_path, monkeypatch, scenario, split):
    """Split before, at and after the best epoch: best weights, best loss and bad epochs carry over."""
    epochs, patience, trained, _ = SCENARIOS[scenario]
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    straight = fit_and_write(scripted_trainer(epochs, patience, True), tmp_path / "straight")
    fit_and_write(scripted_trainer(split, patience, True), tmp_path / "part")  # epochs: not in the hash
    second = scripted_trainer(epochs, patience, True)
    second.resume(tmp_path / "part" / "checkpoint.npz")
    resumed = fit_and_write(second, tmp_path / "part")
    assert len(resumed.records) == len(straight.records) == trained
    assert (resumed.best_epoch, resumed.stopped_early) == (straight.best_epoch, straight.stopped_early)
    a, b = arrays(tmp_path / "straight" / "model.npz"), arrays(tmp_path / "part" / "model.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a)

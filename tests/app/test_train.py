"""train(): the run directory, reproducibility, early stopping, schedulers, the finite guard, and
the shipped configs/sin.yaml reaching the validation error the README states."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from runs_helpers import make_project, png_size

from lddl_cli.config import load_config
from lddl_cli.errors import TrainingError, WeightsError
from lddl_cli.files.metrics import read_metrics_csv
from lddl_cli.files.weights import load_model
from lddl_cli.training.inference import predict
from lddl_cli.training.progress import Callback
from lddl_cli.training.run import fit_and_write, train
from lddl_cli.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def small(*overrides: str):
    return load_config("small.yaml", list(overrides))


def weights(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files if not k.startswith("__")}


class Recorder(Callback):
    """Counts the callback calls and keeps a copy of the weights after every epoch."""

    def __init__(self, trainer=None) -> None:
        self.trainer = trainer
        self.begin, self.epochs, self.end, self.snapshots = [], [], [], []

    def on_train_begin(self, info):
        self.begin.append(info)

    def on_epoch_end(self, record):
        self.epochs.append(record)
        if self.trainer is not None:
            self.snapshots.append(self.trainer.model.state_dict())

    def on_train_end(self, history):
        self.end.append(history)


def test_run_directory_contents(project):
    history = train(small(), project / "run")
    run = project / "run"
    assert set(history.paths) == {"model", "config", "metrics", "loss", "fit", "checkpoint"}
    assert png_size(run / "fit.png") == png_size(run / "loss.png") == (800, 500)
    columns = read_metrics_csv(run / "metrics.csv")
    assert list(columns) == ["epoch", "train_loss", "val_loss", "lr", "seconds"]
    assert np.array_equal(columns["epoch"], np.arange(1, 7))
    assert np.array_equal(columns["train_loss"], [r.train_loss for r in history.records])
    assert np.all(np.diff(columns["seconds"]) >= 0)
    with np.load(run / "model.npz", allow_pickle=False) as archive:
        assert "__lddl__" in archive.files
    _, metadata = load_model(run / "model.npz")
    assert metadata["format"] == 1 and metadata["dtype"] == "float32" and metadata["seed"] == 3
    assert metadata["config"] == small().resolved()
    assert metadata["model"]["layers"][0]["type"] == "linear"
    assert metadata["metrics"]["final_val_loss"] == history.final_val_loss
    assert not list(run.glob(".*tmp"))


def test_config_yaml_is_resolved_and_reloads_equal(project):
    config = small("train.epochs=2", "optimizer.lr=0.05")
    train(config, project / "run")
    assert yaml.safe_load((project / "run" / "config.yaml").read_text()) == config.resolved()
    assert load_config(project / "run" / "config.yaml").resolved() == config.resolved()


def test_same_seed_same_weights_other_seed_different(project):
    train(small(), project / "a")
    train(small(), project / "b")
    train(small("seed=4"), project / "c")
    a, b, c = (weights(project / name / "model.npz") for name in "abc")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)


def test_callbacks_run_once_per_epoch(project):
    recorder = Recorder()
    history = train(small(), project / "run", callbacks=[recorder])
    assert len(recorder.begin) == 1 and len(recorder.end) == 1 and recorder.end[0] is history
    assert [r.epoch for r in recorder.epochs] == list(range(1, 7))
    info = recorder.begin[0]
    assert (info.epochs, info.steps_per_epoch, info.train_rows, info.val_rows) == (6, 15, 60, 500)
    assert history.steps == 6 * 15


def test_train_size_is_a_subset_without_replacement(project):
    trainer = Trainer(small())
    x_all = np.load("data/x.npy").astype(np.float32)
    assert len(trainer.data.x) == 60
    assert len(np.unique(trainer.data.x)) == 60 and np.isin(trainer.data.x, x_all).all()


def test_val_fraction_split(project):
    config = small("data.val_x=null", "data.val_y=null", "data.train_size=null", "data.val_fraction=0.25")
    trainer = Trainer(config)
    assert (len(trainer.data.x), len(trainer.data.val_x)) == (150, 50)
    together = np.concatenate([trainer.data.x, trainer.data.val_x])
    assert np.array_equal(np.sort(together, axis=0), np.load("data/x.npy").astype(np.float32))


def test_without_validation_val_loss_is_empty(project):
    history = train(small("data.val_x=null", "data.val_y=null"), project / "run")
    assert all(r.val_loss is None for r in history.records) and history.final_val_loss is None
    assert np.isnan(read_metrics_csv(project / "run" / "metrics.csv")["val_loss"]).all()


def test_step_scheduler_is_stepped_once_per_epoch(project):
    history = train(small("scheduler={type: step, step_size: 2, gamma: 0.5}"), project / "run")
    assert [r.lr for r in history.records] == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025])


def test_plateau_scheduler_watches_the_validation_loss(project, monkeypatch):
    trainer = Trainer(small("scheduler={type: reduce_on_plateau, patience: 0, factor: 0.5}"))
    monkeypatch.setattr(trainer, "validate", lambda: 1.0)  # a validation loss that never improves
    history = fit_and_write(trainer, project / "run")
    assert [r.lr for r in history.records] == pytest.approx([0.01, 0.01, 0.005, 0.0025, 0.00125, 0.000625])


@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping(project, restore_best):
    flag = "true" if restore_best else "false"
    config = small(
        "optimizer.lr=0.2", "train.epochs=40", f"train.early_stopping={{patience: 3, restore_best: {flag}}}"
    )
    trainer = Trainer(config)
    recorder = Recorder(trainer)
    trainer.callbacks.append(recorder)
    history = fit_and_write(trainer, project / "run")
    val = [r.val_loss for r in history.records]
    best = int(np.argmin(val)) + 1
    assert history.best_epoch == best and best < len(val)  # the last epoch is not the best one
    assert history.stopped_early == (len(val) < 40)
    if history.stopped_early:
        assert len(val) == best + 3
    saved = weights(project / "run" / "model.npz")
    expected = recorder.snapshots[best - 1] if restore_best else recorder.snapshots[-1]
    assert all(np.array_equal(saved[k], expected[k]) for k in saved)
    assert history.restored_best == restore_best


def test_restore_best_without_running_out_of_patience(project):
    config = small("optimizer.lr=0.2", "train.epochs=12", "train.early_stopping={patience: 100}")
    trainer = Trainer(config)
    recorder = Recorder(trainer)
    trainer.callbacks.append(recorder)
    history = fit_and_write(trainer, project / "run")
    assert not history.stopped_early and len(history.records) == 12
    assert history.best_epoch < 12  # so restoring changes the weights
    saved = weights(project / "run" / "model.npz")
    best = recorder.snapshots[history.best_epoch - 1]
    assert all(np.array_equal(saved[k], best[k]) for k in saved)
    assert history.final_val_loss == min(r.val_loss for r in history.records)


# --- the finite guard ----------------------------------------------------------------------
def test_huge_lr_stops_before_the_update_and_keeps_finite_weights(project):
    with pytest.raises(TrainingError) as info:
        train(small("optimizer.lr=1e6"), project / "run")
    message = info.value.lines()
    assert len(message) == 1 and info.value.exit_code == 1
    assert "epoch 1, batch" in message[0] and "layer" in message[0]
    assert "optimizer.lr" in message[0] and "train.grad_clip" in message[0]
    saved = weights(project / "run" / "model.npz")
    assert all(np.isfinite(a).all() for a in saved.values())


def test_non_finite_target_is_named(project):
    trainer = Trainer(small())
    trainer.loader.dataset.arrays[1][5, 0] = np.inf  # planted: an infinite target in the training set
    with pytest.raises(TrainingError, match="the target batch"):
        fit_and_write(trainer, project / "run")
    saved = weights(project / "run" / "model.npz")
    assert all(np.isfinite(a).all() for a in saved.values())


class PlantInfinity(Recorder):
    """After epoch ``at``, overwrite one weight with inf: a planted overflow of the last update."""

    def __init__(self, trainer, at: int) -> None:
        super().__init__(trainer)
        self.at = at

    def on_epoch_end(self, record):
        super().on_epoch_end(record)
        if record.epoch == self.at:
            self.trainer.flat.data[0] = np.inf


def test_overflowed_weights_are_rolled_back_to_the_last_epoch(project):
    trainer = Trainer(small())
    planter = PlantInfinity(trainer, at=2)
    trainer.callbacks.append(planter)
    with pytest.raises(TrainingError, match="epoch 3, batch 1: .*already non-finite"):
        fit_and_write(trainer, project / "run")
    saved = weights(project / "run" / "model.npz")
    assert all(np.array_equal(saved[k], planter.snapshots[1][k]) for k in saved)


def test_grad_clip_keeps_a_large_lr_finite(project):
    history = train(small("optimizer.lr=0.5", "train.grad_clip=0.01"), project / "run")
    assert all(np.isfinite(r.train_loss) for r in history.records)


# --- checkpoints and resume --------------------------------------------------------------------
RESUMABLE = [
    "train.early_stopping={patience: 50}",
    "scheduler={type: reduce_on_plateau, patience: 1, factor: 0.5}",
    "optimizer={type: adam, lr: 0.01}",
    "model={layers: [{type: linear, in_features: 1, out_features: 8}, relu, {type: dropout, p: 0.2},"
    " {type: linear, in_features: 8, out_features: 1}]}",
]


def metrics_without_time(path: Path) -> dict[str, np.ndarray]:
    columns = read_metrics_csv(path)
    del columns["seconds"]
    return columns


@pytest.mark.parametrize("split", [1, 3, 5])
def test_resume_is_bit_exact(project, split):
    """6 epochs straight == `split` epochs, then resume to 6 (Adam state, plateau scheduler,
    early-stopping state, and the rng that shuffles and drops out all carried over)."""
    train(small(*RESUMABLE), project / "straight")
    train(small(*RESUMABLE, f"train.epochs={split}"), project / "part")
    trainer = Trainer(small(*RESUMABLE))
    trainer.resume(project / "part" / "checkpoint.npz")
    assert trainer.epoch == split
    fit_and_write(trainer, project / "part")
    straight, resumed = weights(project / "straight" / "model.npz"), weights(project / "part" / "model.npz")
    assert straight.keys() == resumed.keys()
    assert all(np.array_equal(straight[k], resumed[k]) for k in straight)
    a, b = (metrics_without_time(project / run / "metrics.csv") for run in ("straight", "part"))
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
    ca, cb = (weights(project / run / "checkpoint.npz") for run in ("straight", "part"))
    assert ca.keys() == cb.keys() and all(np.array_equal(ca[k], cb[k]) for k in ca)


def test_checkpoint_every_writes_during_the_run(project):
    seen = []

    class Watch(Callback):
        def on_epoch_end(self, record):
            path = project / "run" / "checkpoint.npz"
            seen.append(path.is_file() and np.load(path, allow_pickle=False)["__lddl__"].item())

    train(small("train.checkpoint_every=2"), project / "run", callbacks=[Watch()])
    # The checkpointer runs before the other callbacks: after epochs 2, 4, 6 the file holds that epoch.
    epochs = [json.loads(s)["epoch"] if s else None for s in seen]
    assert epochs == [None, 2, 2, 4, 4, 6]


@pytest.mark.parametrize(
    ("override", "changed"),
    [("optimizer.lr=0.02", "optimizer.lr"), ("seed=9", "seed"), ("model.widths=[1, 8, 1]", "model.layers")],
)
def test_resume_under_another_config_is_refused(project, override, changed):
    train(small("train.epochs=2"), project / "run")
    trainer = Trainer(small(override))
    with pytest.raises(WeightsError, match=f"different config.*{changed}") as info:
        trainer.resume(project / "run" / "checkpoint.npz")
    assert info.value.exit_code == 2


@pytest.mark.parametrize("what", ["model", "garbage"])
def test_resume_refuses_a_file_that_is_not_a_checkpoint(project, what):
    train(small("train.epochs=1"), project / "run")
    path = project / "run" / "model.npz"
    if what == "garbage":
        path.write_bytes(b"garbage")
    with pytest.raises(WeightsError, match="model.npz"):
        Trainer(small()).resume(path)


# --- the shipped config ----------------------------------------------------------------------
def test_sin_yaml_reaches_the_spec_validation_error(tmp_path, monkeypatch):
    """configs/sin.yaml, all 1000 epochs: validation MSE on the 500-point noise-free grid <= 5e-3."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    config = load_config(ROOT / "configs" / "sin.yaml")
    assert config.train.epochs == 1000
    history = train(config, tmp_path / "run")
    model, _ = load_model(tmp_path / "run" / "model.npz")
    val_x, val_y = np.load("data/val_x.npy"), np.load("data/val_y.npy")
    mse = float(np.mean((predict(model, val_x).astype(np.float64) - val_y) ** 2))
    assert mse <= 5e-3
    assert mse == pytest.approx(history.final_val_loss, rel=1e-4)

"""The finite guard: the first non-finite loss or gradient stops training before its update is
applied, with one stderr line naming the epoch, the batch, the first non-finite layer output or
gradient and a hint; exit 1; the last good weights are written and no file ever holds a NaN.

Infinity in y: data validation refuses NaN/Inf in data files (tests/robustness/test_bad_inputs.py),
so an infinite target cannot come from a file. These tests put in a huge FINITE target instead:
1e38 in a float32 run (finite in float32, whose maximum is 3.4e38) and 1e300 in a float64 run.
The squared error of that target overflows to Inf inside the loss, which is the way an Inf in y
reaches training in practice; the guard then names the loss. A true Inf planted in the training
arrays after validation is covered in-process by tests/app/test_train.py
(test_non_finite_target_is_named).

Failures found at an epoch end (the epoch's last update overflowed the weights with a finite loss
and gradient, or the validation loss is not finite) roll back to the previous epoch end.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from training_helpers import SMALL, arrays, lddl, loss_history, make_project, non_finite_keys

from lddl_cli.config import load_config
from lddl_cli.errors import TrainingError
from lddl_cli.training.inference import predict
from lddl_cli.training.progress import Callback
from lddl_cli.training.run import fit_and_write
from lddl_cli.training.trainer import Trainer

HINT = "Hint: lower optimizer.lr or set train.grad_clip (e.g. --set train.grad_clip=1.0)"
LAYER = r"(output|gradient of \w+|input gradient) of layer \d+ \(\w+\)"
KEPT_INSTEAD = (
    r"(; model\.npz holds the (initial weights|weights of epoch \d+): "
    r"those before the failing update give non-finite outputs)?"
)
NOT_APPLIED = r"; the update was not applied" + KEPT_INSTEAD + r"\. "
IN_THE_LOSS = r"epoch 1, batch \d+: loss inf; first non-finite value: the loss \(MSELoss\)" + NOT_APPLIED
ONE_STEP_PER_EPOCH = ["train.batch_size=60"]  # 60 training rows: the first update is the epoch's last
BATCH_NORM = (
    "model={layers: [{type: linear, in_features: 1, out_features: 8}, {type: batch_norm1d, num_features: 8},"
    " relu, {type: linear, in_features: 8, out_features: 1}]}"
)

# name: (--set overrides, huge target planted in y or None, the line expected on stderr)
CASES = {
    "lr=1e6": (
        ["optimizer.lr=1e6"],
        None,
        rf"epoch 1, batch \d+: loss \S+; first non-finite value: {LAYER}" + NOT_APPLIED,
    ),
    "lr=1e6 batch norm": (
        ["optimizer.lr=1e6", BATCH_NORM],
        None,
        rf"epoch 1, batch \d+: loss \S+; first non-finite value: {LAYER}" + NOT_APPLIED,
    ),
    "inf in y (float32)": (
        ["data.train_size=null"],
        1e38,
        IN_THE_LOSS,
    ),
    "inf in y (float64)": (
        ["data.train_size=null", "dtype=float64"],
        1e300,
        IN_THE_LOSS,
    ),
    "update overflows the weights": (
        ["optimizer.lr=1e39", *ONE_STEP_PER_EPOCH],
        None,
        r"epoch 1, batch 1 \(the last\): loss \S+; first non-finite value: the update made weight of "
        r"layer \d \(Linear\) non-finite; the initial weights were kept\. ",
    ),
    "validation loss": (
        ["optimizer.lr=1e38", *ONE_STEP_PER_EPOCH],
        None,
        rf"epoch 1: validation loss nan; first non-finite value: {LAYER} on the validation set; "
        r"the initial weights were kept\. ",
    ),
}


def plant_target(project: Path, value: float, row: int = 7) -> None:
    y = np.load(project / "data" / "y.npy")
    y[row, 0] = value
    np.save(project / "data" / "y.npy", y)


@pytest.mark.parametrize("case", CASES)
def test_a_diverging_run_prints_one_line_exits_1_and_writes_no_nan(tmp_path, case):
    overrides, target, expected = CASES[case]
    make_project(tmp_path)
    if target is not None:
        plant_target(tmp_path, target)
    sets = [part for value in [*overrides, "train.checkpoint_every=1"] for part in ("--set", value)]
    result = lddl("train", "config.yaml", "--out", "run", "-q", *sets, cwd=tmp_path, check_code=1)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # also: no NumPy RuntimeWarning, no traceback
    assert re.fullmatch("training diverged at " + expected + re.escape(HINT), lines[0]), lines[0]
    run = tmp_path / "run"
    written = sorted(p.name for p in run.iterdir())
    assert "model.npz" in written and "metrics.csv" in written
    assert not [name for name in written if name.endswith(".tmp")]
    for name in written:
        if name.endswith(".npz"):
            assert non_finite_keys(arrays(run / name)) == [], name
    if "the initial weights were kept" in lines[0]:
        initial = Trainer(load_config(tmp_path / "config.yaml", overrides)).model.state_dict()
        assert all(np.array_equal(v, initial[k]) for k, v in arrays(run / "model.npz").items())


class StepRecorder:
    """Wraps the update (``optimizer.step``, or the compiled step's ``update``): a copy of the flat
    weights after every update that was applied."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        owner = trainer.optimizer if trainer.train_step is None else trainer.train_step
        name = "step" if trainer.train_step is None else "update"
        self.step = getattr(owner, name)
        self.after: list[np.ndarray] = []
        setattr(owner, name, self)

    def __call__(self) -> None:
        self.step()
        self.after.append(self.trainer.flat.data.copy())


@pytest.mark.parametrize("compile_", ["true", "false"])
@pytest.mark.parametrize(
    ("overrides", "target"), [(["optimizer.lr=1e6"], None), (["data.train_size=null"], 1e38)]
)
def test_the_failing_update_is_not_applied_and_the_weights_before_it_are_written(
    tmp_path, monkeypatch, overrides, target, compile_
):
    make_project(tmp_path)
    if target is not None:
        plant_target(tmp_path, target)
    monkeypatch.chdir(tmp_path)
    trainer = Trainer(load_config("config.yaml", [*overrides, f"train.compile={compile_}"]))
    assert (trainer.train_step is not None) == (compile_ == "true")
    recorder = StepRecorder(trainer)
    with pytest.raises(TrainingError) as info:
        fit_and_write(trainer, tmp_path / "run")
    epoch, batch = map(int, re.search(r"epoch (\d+), batch (\d+)", info.value.lines()[0]).groups())
    assert len(recorder.after) == (epoch - 1) * len(trainer.loader) + batch - 1  # not the failing one
    saved = arrays(tmp_path / "run" / "model.npz")
    assert non_finite_keys(saved) == []
    flat = np.concatenate([saved[k].ravel() for k in saved])
    trainer.flat.data[...] = recorder.after[-1]
    with np.errstate(all="ignore"):
        before_gives_finite = np.isfinite(predict(trainer.model, trainer.data.x)).all()
    if before_gives_finite:
        assert np.array_equal(flat, recorder.after[-1])
    else:  # huge weights whose outputs overflow: those of the last epoch end, and the error says so
        epoch_end = recorder.after[(epoch - 1) * len(trainer.loader) - 1] if epoch > 1 else None
        assert epoch_end is None or np.array_equal(flat, epoch_end)
        assert "those before the failing update give non-finite outputs" in info.value.lines()[0]
    trainer.flat.data[...] = flat
    assert np.isfinite(predict(trainer.model, trainer.data.x)).all()  # a usable weights file


class RaiseLearningRate(Callback):
    """Planted: after epoch ``at`` the learning rate jumps to ``lr``. Keeps the weights of every epoch."""

    def __init__(self, trainer: Trainer, at: int, lr: float) -> None:
        self.trainer, self.at, self.lr = trainer, at, lr
        self.weights: list[dict[str, np.ndarray]] = []

    def on_epoch_end(self, record) -> None:
        self.weights.append(self.trainer.model.state_dict())
        if record.epoch == self.at:
            self.trainer.optimizer.param_groups[0]["lr"] = self.lr


@pytest.mark.parametrize(
    ("lr", "failure"),
    [(1e30, "epoch 3: validation loss"), (1e39, "epoch 3, batch 1 (the last): loss")],
)
@pytest.mark.parametrize("model", ["widths", "batch norm"])
def test_a_failure_at_an_epoch_end_keeps_the_previous_epoch(tmp_path, monkeypatch, lr, failure, model):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    overrides = ONE_STEP_PER_EPOCH + ([BATCH_NORM] if model == "batch norm" else [])
    trainer = Trainer(load_config("config.yaml", overrides))
    planter = RaiseLearningRate(trainer, at=2, lr=lr)
    trainer.callbacks.append(planter)
    with pytest.raises(TrainingError) as info:
        fit_and_write(trainer, tmp_path / "run")
    message = info.value.lines()[0]
    assert message.startswith(f"training diverged at {failure}")
    assert "the weights of epoch 2 were kept" in message
    saved = arrays(tmp_path / "run" / "model.npz")
    assert saved.keys() == planter.weights[1].keys()
    assert all(np.array_equal(saved[k], planter.weights[1][k]) for k in saved)
    assert list(loss_history(tmp_path / "run" / "metrics.csv")["epoch"]) == [1, 2]


def test_the_small_config_trains_without_the_planted_failures(tmp_path):
    """The control: the same runs without the huge lr or target finish with exit 0."""
    make_project(tmp_path, SMALL)
    lddl("train", "config.yaml", "--out", "run", "-q", cwd=tmp_path, check_code=0)
    for overrides in (ONE_STEP_PER_EPOCH, [*ONE_STEP_PER_EPOCH, BATCH_NORM]):
        sets = [part for value in overrides for part in ("--set", value)]
        lddl("train", "config.yaml", "--out", "run", "--overwrite", "-q", *sets, cwd=tmp_path, check_code=0)


class PlantGradient:
    """Planted: from its ``at``-th call on, ``layer.backward`` leaves an Inf in the weight gradient
    (a gradient that goes non-finite while the loss stays finite)."""

    def __init__(self, layer, at: int) -> None:
        self.layer, self.at, self.calls = layer, at, 0
        self.backward = layer.backward
        layer.backward = self

    def __call__(self, grad: np.ndarray) -> np.ndarray:
        result = self.backward(grad)
        self.calls += 1
        if self.calls >= self.at:
            self.layer.weight.grad[0, 0] = np.inf
        return result


@pytest.mark.parametrize("layer", [0, 2, 4])
def test_a_non_finite_gradient_with_a_finite_loss_names_its_layer(tmp_path, monkeypatch, layer):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    trainer = Trainer(load_config("config.yaml", ["train.compile=false"]))  # plants into layer.backward
    recorder = StepRecorder(trainer)
    PlantGradient(trainer.model[layer], at=20)  # epoch 2 (15 steps an epoch), batch 5
    with pytest.raises(TrainingError) as info:
        fit_and_write(trainer, tmp_path / "run")
    message = info.value.lines()[0]
    assert re.match(r"training diverged at epoch 2, batch 5: loss \d", message), message  # a finite loss
    assert f"first non-finite value: gradient of weight of layer {layer} (Linear); " in message
    assert len(recorder.after) == 19
    saved = arrays(tmp_path / "run" / "model.npz")
    assert np.array_equal(np.concatenate([saved[k].ravel() for k in saved]), recorder.after[-1])

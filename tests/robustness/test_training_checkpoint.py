"""checkpoint.npz holds the parameters (and buffers), the optimizer and scheduler state, the epoch
and batch position, the rng state, the early-stopping state, the history so far and a hash of
the resolved config; as plain arrays plus JSON in a 0-d unicode array (no pickle).

The hash covers every resolved key except ``train.epochs`` and ``train.checkpoint_every``, so a
run may be resumed to train longer (or checkpoint at another interval); resuming under any other
change, or from a checkpoint that is damaged or incomplete, is refused: one stderr line naming
the file, exit 2, nothing written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from training_helpers import arrays, lddl, loss_history, make_project, metadata

from lddl_cli.config import load_config
from lddl_cli.config.fingerprint import config_hash
from lddl_cli.files import checkpoint
from lddl_cli.nn.state import load_state, save_state
from lddl_cli.training.progress import Callback
from lddl_cli.training.run import fit_and_write
from lddl_cli.training.trainer import Trainer

FULL_STATE = [
    "model={layers: [{type: linear, in_features: 1, out_features: 8}, {type: batch_norm1d, num_features: 8},"
    " relu, {type: linear, in_features: 8, out_features: 1}]}",
    "optimizer={type: adam, lr: 0.01}",
    "scheduler={type: step, step_size: 2, gamma: 0.5}",
    "train.early_stopping={patience: 10, restore_best: true}",
    "train.epochs=5",
]


HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class EpochState(Callback):
    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.states: list[dict[str, np.ndarray]] = []

    def on_epoch_end(self, record) -> None:
        self.states.append(self.trainer.model.state_dict())


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory) -> Path:
    """A project whose run/ holds 2 trained epochs of config.yaml (6 epochs), trained once."""
    folder = tmp_path_factory.mktemp("two_epochs")
    make_project(folder)
    lddl("train", "config.yaml", "--out", "run", "-q", "--set", "train.epochs=2", cwd=folder, check_code=0)
    return folder


@pytest.fixture
def trained(two_epochs, tmp_path) -> Path:
    """A fresh copy of ``two_epochs`` for one test."""
    shutil.copytree(two_epochs, tmp_path / "project")
    return tmp_path / "project"


def test_checkpoint_holds_the_whole_run_state(project):
    config = load_config("config.yaml", FULL_STATE)
    trainer = Trainer(config)
    recorder = EpochState(trainer)
    trainer.callbacks.append(recorder)
    history = fit_and_write(trainer, project / "run")
    saved, meta = load_state(project / "run" / "checkpoint.npz")

    # parameters and buffers as of the last epoch (model.npz holds the restored best ones)
    last = recorder.states[-1]
    assert {k for k in saved if k.startswith("model.")} == {f"model.{k}" for k in last}
    assert "model.1.running_mean" in saved and "model.1.running_var" in saved
    assert all(np.array_equal(saved[f"model.{k}"], v) for k, v in last.items())
    best = recorder.states[history.best_epoch - 1]
    assert all(np.array_equal(saved[f"best.{k}"], best[k]) for k in best)

    # optimizer: Adam's moments as arrays, its step count and hyperparameters in the JSON
    optimizer = trainer.optimizer.state_dict()
    for index, entry in optimizer["state"].items():
        for name in ("exp_avg", "exp_avg_sq"):
            assert np.array_equal(saved[f"optimizer.{index}.{name}"], entry[name])
        assert meta["optimizer"]["scalars"][str(index)]["step"] == entry["step"] == 5 * 15
    assert checkpoint.decode(meta["optimizer"]["param_groups"]) == checkpoint.decode(
        json.loads(json.dumps(checkpoint.encode(optimizer["param_groups"])))
    )
    # scheduler, epoch and batch position, rng
    assert meta["scheduler"]["last_epoch"] == 5 and meta["scheduler"]["_last_lr"] == [0.0025]
    assert (meta["epoch"], meta["batch"], meta["steps"]) == (5, 0, 5 * 15)
    generator = np.random.default_rng()
    generator.bit_generator.state = checkpoint.decode(meta["rng"])
    assert generator.bit_generator.state == trainer.rng.bit_generator.state
    assert np.array_equal(generator.permutation(60), trainer.rng.permutation(60))  # the next shuffle
    # config and its hash, early stopping, history
    assert meta["config"] == config.resolved() and meta["config_hash"] == config_hash(config.resolved())
    assert (meta["best_epoch"], meta["bad_epochs"]) == (history.best_epoch, 5 - history.best_epoch)
    assert meta["best_loss"] == min(r.val_loss for r in history.records)
    columns = loss_history(project / "run" / "metrics.csv")
    for name, column in columns.items():
        assert np.array_equal([r[name] for r in meta["history"]], column), name


def test_checkpoint_is_plain_arrays_and_strict_json(project):
    fit_and_write(Trainer(load_config("config.yaml", FULL_STATE)), project / "run")
    path = project / "run" / "checkpoint.npz"
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            assert name.endswith(".npy")
            with archive.open(name) as member:
                read_header = HEADER_READERS[np.lib.format.read_magic(member)]
                _, _, dtype = read_header(member)
            assert not dtype.hasobject and dtype.kind in ("f", "i", "u", "U"), name
    with np.load(path, allow_pickle=False) as archive:
        text = archive["__lddl__"]
        assert text.shape == () and text.dtype.kind == "U"
    json.loads(text.item(), parse_constant=lambda name: pytest.fail(f"non-standard JSON constant {name}"))


@pytest.mark.parametrize(
    ("override", "hashed"),
    [
        ("optimizer.lr=0.02", True),
        ("seed=4", True),
        ("dtype=float64", True),
        ("loss=mae", True),
        ("train.batch_size=5", True),
        ("train.shuffle=false", True),
        ("train.grad_clip=1.0", True),
        ("data.train_size=50", True),
        ("model.widths=[1, 8, 1]", True),
        ("train.epochs=99", False),
        ("train.checkpoint_every=3", False),
    ],
)
def test_the_config_hash_covers_everything_but_epochs_and_checkpoint_every(project, override, hashed):
    base = config_hash(load_config("config.yaml").resolved())
    assert (config_hash(load_config("config.yaml", [override]).resolved()) != base) is hashed


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def tamper(path: Path, target: Path, change) -> None:
    state, meta = load_state(path)
    change(state, meta)
    save_state(target, state, meta)


TAMPERED = {
    "a mid-epoch batch position": lambda s, m: m.update(batch=5),
    "no rng state": lambda s, m: m.pop("rng"),
    "no epoch": lambda s, m: m.pop("epoch"),
    "a missing weight": lambda s, m: s.pop("model.0.weight"),
    "a transposed weight": lambda s, m: s.update({"model.0.weight": s["model.0.weight"].T.copy()}),
    "a momentum buffer of another shape": lambda s, m: s.update({"optimizer.0.momentum_buffer": np.zeros(3)}),
    "another config hash": lambda s, m: m.update(config_hash="0" * 64),
    "not a checkpoint": lambda s, m: m.update(kind="weights"),
}


@pytest.mark.parametrize("damage", TAMPERED)
def test_a_damaged_checkpoint_is_refused_with_one_line_and_nothing_written(trained, damage):
    tamper(trained / "run" / "checkpoint.npz", trained / "bad.npz", TAMPERED[damage])
    before = folder_digest(trained / "run")
    result = lddl(
        "train", "config.yaml", "--out", "run", "-q", "--resume", "bad.npz", cwd=trained, check_code=2
    )
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("bad.npz: --resume: ")
    assert folder_digest(trained / "run") == before


def test_the_undamaged_checkpoint_resumes(trained):
    """The control for the tampering above: the same checkpoint, rewritten unchanged, resumes."""
    tamper(trained / "run" / "checkpoint.npz", trained / "same.npz", lambda s, m: None)
    lddl(
        "train",
        "config.yaml",
        "--out",
        "run",
        "--overwrite",
        "-q",
        "--resume",
        "same.npz",
        cwd=trained,
        check_code=0,
    )
    assert metadata(trained / "run" / "checkpoint.npz")["epoch"] == 6
    assert arrays(trained / "run" / "model.npz")


def test_resuming_under_a_changed_config_names_the_key(trained):
    before = folder_digest(trained / "run")
    result = lddl(
        "train",
        *("config.yaml", "--out", "run", "-q", "--set", "optimizer.momentum=0.5"),
        *("--resume", "run/checkpoint.npz"),
        cwd=trained,
        check_code=2,
    )
    assert len(result.stderr.splitlines()) == 1
    assert "different config (changed: optimizer.momentum)" in result.stderr
    assert folder_digest(trained / "run") == before


def test_resuming_with_fewer_epochs_than_the_checkpoint_trained_is_refused(trained):
    before = folder_digest(trained / "run")
    result = lddl(
        *("train", "config.yaml", "--out", "run", "-q", "--set", "train.epochs=1"),
        *("--resume", "run/checkpoint.npz"),
        cwd=trained,
        check_code=2,
    )
    assert result.stderr == (
        "run/checkpoint.npz: --resume: the checkpoint has trained 2 epochs, more than train.epochs (1); "
        "resume with --set train.epochs=2 or more\n"
    )
    assert folder_digest(trained / "run") == before
    lddl(
        *(
            "train",
            "config.yaml",
            "--out",
            "run",
            "-q",
            "--set",
            "train.epochs=2",
            "--resume",
            "run/checkpoint.npz",
        ),
        cwd=trained,
        check_code=0,
    )

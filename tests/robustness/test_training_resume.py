"""Bit-exact resume after a real SIGKILL: 6 epochs straight, and 3 epochs + SIGKILL + ``--resume``
for the rest, give np.array_equal weights, optimizer state (read from checkpoint.npz) and loss
history (metrics.csv). Promised on the same machine and NumPy build.

Each run is a subprocess of the installed ``lddl`` with ``train.checkpoint_every: 1``. The test
polls checkpoint.npz; as soon as it holds epoch 3 or later (epochs take a few hundred ms: 20,000
rows in batches of 4) the process gets SIGKILL, which nothing can catch or clean up after. It
must have died mid-run (no model.npz yet), and the resume continues from whatever epoch the
checkpoint holds (3 unless the machine stalled the poller for a whole epoch).

The configs carry every kind of state a resume must restore: Adam's moments and step count, SGD's
momentum buffers, a step and a plateau scheduler, dropout masks and per-epoch shuffles drawn from
the run's one rng, batch-norm running statistics, early stopping with its best weights, and both
ways of drawing a validation set (a seeded split, a separate file plus a seeded training subset).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from training_helpers import LDDL, arrays, differing_keys, lddl, loss_history, make_project, metadata

ROWS = 20_000
KILL_AT_EPOCH = 3

COMMON = """\
seed: 11
loss: mse
train:
  epochs: 6
  batch_size: 4
  checkpoint_every: 1
"""

VARIANTS = {
    "adam, dropout, step scheduler, early stopping": COMMON
    + """\
  early_stopping: {patience: 100, restore_best: true}
name: adam
data: {x: data/x.npy, y: data/y.npy, val_fraction: 0.25}
model:
  layers:
    - {type: linear, in_features: 1, out_features: 16}
    - relu
    - {type: dropout, p: 0.1}
    - {type: linear, in_features: 16, out_features: 1}
optimizer: {type: adam, lr: 0.01}
scheduler: {type: step, step_size: 2, gamma: 0.5}
""",
    "sgd nesterov, batch norm, plateau scheduler, clipping": COMMON
    + """\
  grad_clip: 1.0
name: sgd
data: {x: data/x.npy, y: data/y.npy, train_size: 15000, val_x: data/val_x.npy, val_y: data/val_y.npy}
model:
  layers:
    - {type: linear, in_features: 1, out_features: 16}
    - {type: batch_norm1d, num_features: 16}
    - tanh
    - {type: linear, in_features: 16, out_features: 1}
optimizer: {type: sgd, lr: 0.01, momentum: 0.9, nesterov: true, weight_decay: 0.0001}
scheduler: {type: reduce_on_plateau, patience: 0, factor: 0.5}
""",
}

# Checkpoint metadata that must match exactly; "elapsed" (wall time) is the only other entry.
EXACT = ("epoch", "batch", "steps", "rng", "optimizer", "scheduler", "best_loss", "best_epoch", "bad_epochs")
TIMING = ("seconds", "steps_per_second")


def checkpoint_epoch_when_ready(
    path: Path, process: subprocess.Popen, epoch: int, timeout: float = 600
) -> int:
    """Poll ``path`` (re-read only when replaced) until it holds ``epoch`` or later; return that epoch."""
    seen = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"training ended (exit {process.returncode}) before epoch {epoch}"
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            stat = None
        if stat is not None and (stat.st_ino, stat.st_mtime_ns) != seen:
            seen = (stat.st_ino, stat.st_mtime_ns)
            held = metadata(path)["epoch"]  # os.replace: always a complete file
            if held >= epoch:
                return held
        time.sleep(0.002)
    pytest.fail(f"no checkpoint of epoch {epoch} within {timeout} s")


def without_timing(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in records]


@pytest.mark.parametrize("variant", VARIANTS)
def test_sigkill_after_epoch_3_then_resume_is_bit_exact(tmp_path, variant):
    make_project(tmp_path, VARIANTS[variant], n=ROWS)
    lddl("train", "config.yaml", "--out", "straight", "-q", cwd=tmp_path, check_code=0)

    process = subprocess.Popen(
        [LDDL, "train", "config.yaml", "--out", "killed", "-q"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        held = checkpoint_epoch_when_ready(tmp_path / "killed" / "checkpoint.npz", process, KILL_AT_EPOCH)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    killed = tmp_path / "killed"
    assert not (killed / "model.npz").exists()  # it really died mid-run
    epoch = metadata(killed / "checkpoint.npz")["epoch"]
    assert KILL_AT_EPOCH <= held <= epoch < 6

    resumed = lddl(
        "train", "config.yaml", "--out", "killed", "-q", "--resume", "killed/checkpoint.npz", cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split(":")[1].startswith(" 6 epochs"), resumed.stdout  # "trained NAME: 6 epochs"

    straight = tmp_path / "straight"
    assert differing_keys(arrays(straight / "model.npz"), arrays(killed / "model.npz")) == []
    # checkpoint.npz at the end: last weights, buffers, optimizer moments/momentum, best weights.
    a, b = arrays(straight / "checkpoint.npz"), arrays(killed / "checkpoint.npz")
    assert any(k.startswith("optimizer.") for k in a)
    assert differing_keys(a, b) == []
    meta_a, meta_b = metadata(straight / "checkpoint.npz"), metadata(killed / "checkpoint.npz")
    for key in EXACT:
        assert meta_a[key] == meta_b[key], key
    assert without_timing(meta_a["history"]) == without_timing(meta_b["history"])
    history_a, history_b = loss_history(straight / "metrics.csv"), loss_history(killed / "metrics.csv")
    assert list(history_a["epoch"]) == list(range(1, 7))
    for column in history_a:
        assert np.array_equal(history_a[column], history_b[column], equal_nan=True), column
    final = ("final_train_loss", "final_val_loss", "best_epoch", "steps")
    model_a, model_b = metadata(straight / "model.npz")["metrics"], metadata(killed / "model.npz")["metrics"]
    assert {k: model_a[k] for k in final} == {k: model_b[k] for k in final}

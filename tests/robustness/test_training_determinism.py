"""Determinism: the same config and seed, trained twice in separate processes, give bit-identical
model.npz arrays (and checkpoint.npz arrays and loss history); another seed gives different ones.

The config draws from every consumer of the run's one rng: initialization, the ``train_size``
subset, the ``val_fraction`` split, the per-epoch shuffle and the dropout masks. The two
same-seed processes run under different PYTHONHASHSEED values, so nothing may depend on the
order of a set or on str hashes.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
from training_helpers import LDDL, arrays, differing_keys, loss_history, make_project

CONFIG = """\
name: determinism
seed: 21
data: {x: data/x.npy, y: data/y.npy, train_size: 150, val_fraction: 0.2}
model:
  layers:
    - {type: linear, in_features: 1, out_features: 12, weight_init: kaiming_uniform}
    - relu
    - {type: dropout, p: 0.2}
    - {type: linear, in_features: 12, out_features: 1}
loss: mse
optimizer: {type: adam, lr: 0.01}
train: {epochs: 8, batch_size: 8, shuffle: true, drop_last: false}
"""


def train(project, out: str, hash_seed: str, *sets: str) -> None:
    overrides = [part for value in sets for part in ("--set", value)]
    result = subprocess.run(
        [LDDL, "train", "config.yaml", "--out", out, "-q", *overrides],
        cwd=project,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_bit_identical_other_seed_different(tmp_path, dtype):
    make_project(tmp_path, CONFIG)
    train(tmp_path, "a", "1", f"dtype={dtype}")
    train(tmp_path, "b", "2", f"dtype={dtype}")
    train(tmp_path, "c", "1", f"dtype={dtype}", "seed=22")
    a, b, c = (arrays(tmp_path / run / "model.npz") for run in "abc")
    assert sorted(a) == ["0.bias", "0.weight", "3.bias", "3.weight"]
    assert all(v.dtype == np.dtype(dtype) for v in a.values())
    assert differing_keys(a, b) == []
    assert differing_keys(*(arrays(tmp_path / run / "checkpoint.npz") for run in "ab")) == []
    history_a, history_b = (loss_history(tmp_path / run / "metrics.csv") for run in "ab")
    assert all(np.array_equal(history_a[k], history_b[k]) for k in history_a)
    assert differing_keys(a, c) == sorted(a)  # every array differs under another seed

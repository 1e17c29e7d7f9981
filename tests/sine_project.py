"""The small sine project the app and robustness tests train: sine data files and a config.

Importable from every test folder: pytest puts ``tests/`` (the folder of the root conftest.py)
on ``sys.path``.
"""

from __future__ import annotations

from pathlib import Path

from lddl_cli.files.datasets import write_sine

# A small run: 60 of the 200 sine points, 15 steps an epoch, a 500-point validation grid.
SMALL = """\
name: small
seed: 3
data:
  x: data/x.npy
  y: data/y.npy
  train_size: 60
  val_x: data/val_x.npy
  val_y: data/val_y.npy
model:
  widths: [1, 8, 8, 1]
  activation: relu
loss: mse
optimizer: {type: sgd, lr: 0.01, momentum: 0.9}
train:
  epochs: 6
  batch_size: 4
  shuffle: true
  drop_last: true
"""


def make_project(folder: Path, config_text: str = SMALL, name: str = "config.yaml", n: int = 200) -> Path:
    """data/x.npy, y.npy (``n`` noisy sine points), val_x.npy, val_y.npy (a 500-point noise-free
    grid) and the config ``name`` in ``folder``; returns the config's path."""
    write_sine(folder / "data", n, 0.05, seed=0)
    write_sine(folder / "data", 500, 0.0, grid=True)
    config = folder / name
    config.write_text(config_text, encoding="utf-8")
    return config

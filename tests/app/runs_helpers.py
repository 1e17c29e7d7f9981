"""Shared helpers for the CLI / training tests: a small project folder with sine data and a config."""

from __future__ import annotations

import struct
from pathlib import Path

from lddl_cli.datasets import write_sine

SMALL_CONFIG = """\
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


def make_project(folder: Path, config_text: str = SMALL_CONFIG, name: str = "small.yaml") -> Path:
    """Write data/x.npy, y.npy, val_x.npy, val_y.npy and a config into ``folder``; return the config path."""
    write_sine(folder / "data", 200, 0.05, seed=0)
    write_sine(folder / "data", 500, 0.0, grid=True)
    config = folder / name
    config.write_text(config_text, encoding="utf-8")
    return config


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails unless the file really is a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])

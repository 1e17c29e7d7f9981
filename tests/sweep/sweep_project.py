"""The small sine project with a ``sweep:`` section, for the sweep tests."""

from __future__ import annotations

from pathlib import Path

from sine_project import SMALL, make_project

SWEEP = """\
sweep:
  metric: val_loss
  goal: minimize
  trials: 3
  sampler: tpe
  pruner: none
  seed: 0
  parameters:
    optimizer.lr: {space: loguniform, lower: 1.0e-3, upper: 3.0e-2}
    train.batch_size: {space: choice, categories: [4, 8]}
    model.widths: {space: choice, categories: [[1, 8, 1], [1, 8, 8, 1]]}
    train.epochs: {space: int, lower: 2, upper: 4, step: 2}
"""


def make_sweep_project(folder: Path, sweep: str = SWEEP, name: str = "sweep.yaml") -> Path:
    """data/ and ``name`` (the small config plus ``sweep``) in ``folder``; the config's path."""
    return make_project(folder, SMALL + sweep, name)

"""The callback that writes ``checkpoint.npz`` every ``train.checkpoint_every`` epochs."""

from __future__ import annotations

from pathlib import Path

from ..files.checkpoint import write_checkpoint
from .progress import Callback


class Checkpointer(Callback):
    """Writes the trainer's ``state_dict()`` to ``path`` every ``every`` epochs (0 = never here; the
    run writes one at its end and on Ctrl-C)."""

    def __init__(self, trainer, path: Path) -> None:
        self.trainer = trainer
        self.path = path
        self.every = trainer.config.train.checkpoint_every

    def on_epoch_end(self, record) -> None:
        if self.every and record.epoch % self.every == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_checkpoint(self.path, self.trainer.state_dict())

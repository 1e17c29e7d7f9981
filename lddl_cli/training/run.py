"""A whole run: train, write the run directory and the checkpoint, and keep both on a failure.

``train(config, out_dir)`` is the library's one-call entry; ``fit_and_write(trainer, out_dir)`` runs
a trainer the caller has set up (callbacks, a resumed checkpoint), as ``lddl train`` does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

import numpy as np

from .. import nn
from ..errors import TrainingError
from ..files.checkpoint import write_checkpoint
from .checkpointer import Checkpointer
from .records import History
from .rundir import write_run
from .trainer import Trainer


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training, after the resumable checkpoint of the last whole epoch was written."""

    def __init__(self, checkpoint: Path | None, epoch: int) -> None:
        super().__init__(str(checkpoint))
        self.checkpoint = checkpoint
        self.epoch = epoch


@contextlib.contextmanager
def sigint_ignored():
    """SIGINT is ignored inside (in the main thread; elsewhere signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def fit_and_write(trainer: Trainer, out_dir: str | Path) -> History:
    """Run ``trainer`` to the end and write the run directory; see ``train``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)  # fail before training, not after it
    checkpoint_path = out_dir / "checkpoint.npz"
    trainer.callbacks.insert(0, Checkpointer(trainer, checkpoint_path))
    try:
        history = trainer.fit()
        for callback in trainer.callbacks:
            if hasattr(callback, "on_fit_end"):
                callback.on_fit_end(history)
        history.paths = write_run(trainer, history, out_dir)
        history.paths["checkpoint"] = write_checkpoint(checkpoint_path, trainer.state_dict())
    except KeyboardInterrupt:
        # The state is the one of the last epoch end, consistent even if Ctrl-C struck mid-step
        # (or while the run directory was being written). A second Ctrl-C does not abort this write.
        with sigint_ignored():
            write_checkpoint(checkpoint_path, trainer.state_dict())
        raise TrainingInterrupted(checkpoint_path, trainer.snapshot["epoch"]) from None
    except TrainingError:
        trainer.history.seconds = trainer.elapsed
        trainer.restore_last_good()
        try:
            with np.errstate(all="ignore"):  # plots of huge-but-finite weights may overflow
                write_run(trainer, trainer.history, out_dir)
        except nn.state.StateError:  # e.g. non-finite running statistics: keep nothing rather than NaN
            pass
        raise
    for callback in trainer.callbacks:
        callback.on_train_end(history)
    return history


def train(config, out_dir: str | Path, callbacks=()) -> History:
    """Train ``config`` and write the run directory ``out_dir``; return the History.

    On a non-finite loss or gradient the run stops before the update, the last good weights
    and the metrics so far are written, and TrainingError is raised. Weights overflowed by an
    update, or a non-finite validation loss, found at an epoch end, roll back to the previous one.
    """
    return fit_and_write(Trainer(config, callbacks), out_dir)

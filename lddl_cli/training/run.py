"""A whole run: train, write the run directory and the checkpoint, and keep both on a failure.

``train(config, out_dir)`` is the library's one-call entry; ``fit_and_write(trainer, out_dir)`` runs
a trainer the caller has set up (callbacks, a resumed checkpoint), as ``lddl train`` does.

The files of a run are written into a hidden staging folder and swapped in whole (``staging``):
when training ends, when it is interrupted (Ctrl-C: the last whole epoch) and when it diverged
(the last finite state). Only the periodic checkpoints (``train.checkpoint_every``) go straight
into the run directory, so that a run killed outright can still be resumed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

from ..errors import TrainingError
from ..files.checkpoint import write_checkpoint
from .checkpointer import Checkpointer
from .records import History
from .rundir import outputs_finite, write_run
from .staging import discard, staging_dir, swap_in
from .trainer import Trainer


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training, after the run directory of the last whole epoch was written."""

    def __init__(self, checkpoint: Path | None, epoch: int, paths: dict[str, Path] | None = None) -> None:
        super().__init__(str(checkpoint))
        self.checkpoint = checkpoint
        self.epoch = epoch
        self.paths = dict(paths or {})


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
    trainer.callbacks.insert(0, Checkpointer(trainer, out_dir / "checkpoint.npz"))
    staging = staging_dir(out_dir)
    try:
        return _fit(trainer, out_dir, staging)
    finally:
        discard(staging)  # gone already once swapped in


def _fit(trainer: Trainer, out_dir: Path, staging: Path) -> History:
    try:
        history = trainer.fit()
        for callback in trainer.callbacks:
            if hasattr(callback, "on_fit_end"):
                callback.on_fit_end(history)
        paths = write_run(trainer, history, staging)
        paths["checkpoint"] = write_checkpoint(staging / "checkpoint.npz", trainer.state_dict())
        history.paths = swap_in(staging, out_dir, paths)
    except KeyboardInterrupt:
        # The state is the one of the last epoch end, consistent even if Ctrl-C struck mid-step
        # (or while the run directory was being written). A second Ctrl-C does not abort this write.
        with sigint_ignored():
            history = trainer.restore_snapshot()
            paths = write_run(trainer, history, staging)
            paths["checkpoint"] = write_checkpoint(staging / "checkpoint.npz", trainer.state_dict())
            paths = swap_in(staging, out_dir, paths)
        raise TrainingInterrupted(paths["checkpoint"], trainer.snapshot["epoch"], paths) from None
    except TrainingError as error:
        trainer.history.seconds = trainer.elapsed
        trainer.restore_last_good()
        note = ""
        if not trainer.rollback and not outputs_finite(trainer.model, trainer.data):
            # Finite but huge weights whose outputs overflow: take those of the last epoch end.
            trainer.rollback = True
            trainer.restore_last_good()
            kept = f"the weights of epoch {trainer.epoch}" if trainer.epoch else "the initial weights"
            note = f"; model.npz holds {kept}: those before the failing update give non-finite outputs"
        paths = swap_in(staging, out_dir, write_run(trainer, trainer.history, staging))
        if "model" not in paths:
            raise TrainingError(f"{error}\n{NOT_WRITTEN}") from None
        if note:
            raise TrainingError(str(error).replace(". Hint:", f"{note}. Hint:", 1)) from None
        raise
    if "model" not in history.paths:
        raise TrainingError(f"training ended with weights whose outputs are not finite; {NOT_WRITTEN}")
    for callback in trainer.callbacks:
        callback.on_train_end(history)
    return history


NOT_WRITTEN = (
    "model.npz and fit.png were not written: the weights give non-finite outputs on the training data"
)


def train(config, out_dir: str | Path, callbacks=()) -> History:
    """Train ``config`` and write the run directory ``out_dir``; return the History.

    On a non-finite loss or gradient the run stops before the update, the last good weights
    and the metrics so far are written, and TrainingError is raised. Weights overflowed by an
    update, or a non-finite validation loss, found at an epoch end, roll back to the previous one.
    """
    return fit_and_write(Trainer(config, callbacks), out_dir)

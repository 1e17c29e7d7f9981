"""Training progress as callbacks: a Rich progress bar on a terminal, plain lines elsewhere.

The trainer calls ``on_train_begin(info)``, ``on_epoch_end(record)`` once per epoch,
``on_fit_end(history)`` after the last epoch and ``on_train_end(history)`` once the run directory
is written; never anything per step, so the display costs nothing in the hot loop.
The Rich bar redraws at most ``REFRESH_HZ`` times per second; the plain reporter writes about
ten lines per run (the first epoch, every tenth of the run, the last) and never escape codes.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from .callbacks import Callback

# A redraw of the bar's nine columns costs about 1.7 ms of CPU: at 4 per second (rich.live's
# default) the display costs under 1% of a run, at 10 it cost 2-3% of the sine example.
REFRESH_HZ = 4
PLAIN_LINES = 10


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def epoch_line(record: Any, epochs: int) -> str:
    """One plain line: ``epoch 10/100  train_loss 0.0123  val_loss 0.0101  lr 0.01  5321 steps/s``."""
    return (
        f"epoch {record.epoch}/{epochs}  train_loss {_fmt(record.train_loss)}"
        f"  val_loss {_fmt(record.val_loss)}  lr {record.lr:.4g}  {record.steps_per_second:.0f} steps/s"
    )


class PlainProgress(Callback):
    """About ``PLAIN_LINES`` lines of text per run: for logs, CI and pipes."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.epochs = 0
        self.every = 1

    def on_train_begin(self, info: Any) -> None:
        self.epochs = info.epochs
        self.every = max(1, -(-info.epochs // PLAIN_LINES))  # ceil: at most PLAIN_LINES multiples

    def on_epoch_end(self, record: Any) -> None:
        if record.epoch == 1 or record.epoch % self.every == 0 or record.epoch == self.epochs:
            stream = self.stream or sys.stdout
            stream.write(epoch_line(record, self.epochs) + "\n")
            stream.flush()


class RichProgress(Callback):
    """A live bar: epoch x/y, train loss, val loss, lr, steps/s, ETA."""

    def __init__(self, console) -> None:
        self.console = console
        self.progress = None
        self.task = None
        self.epochs = 0
        self.last_draw = 0.0
        self.last = None

    def on_train_begin(self, info: Any) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("epoch {task.completed:>.0f}/{task.total:.0f}"),
            BarColumn(),
            TextColumn("loss {task.fields[train]}"),
            TextColumn("val {task.fields[val]}"),
            TextColumn("lr {task.fields[lr]}"),
            TextColumn("{task.fields[speed]} steps/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            refresh_per_second=REFRESH_HZ,
            transient=False,
        )
        self.epochs = info.epochs
        self.progress.start()
        self.task = self.progress.add_task(
            "train", total=info.epochs, completed=info.start_epoch, train="-", val="-", lr="-", speed="-"
        )

    def on_epoch_end(self, record: Any) -> None:
        self.last = record
        now = time.perf_counter()
        if now - self.last_draw < 1.0 / REFRESH_HZ and record.epoch < self.epochs:
            return
        self.last_draw = now
        self._draw(record)

    def _draw(self, record: Any) -> None:
        self.progress.update(
            self.task,
            completed=record.epoch,
            train=_fmt(record.train_loss),
            val=_fmt(record.val_loss),
            lr=f"{record.lr:.4g}",
            speed=f"{record.steps_per_second:.0f}",
        )

    def on_fit_end(self, history: Any) -> None:
        # Show the true last epoch (an early stop may have been throttled away), then stop the
        # live display so that its refresh thread does not run while the plots are drawn.
        if self.progress is not None and self.last is not None:
            self._draw(self.last)
        self.close()

    def on_train_end(self, history: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop the live display (also on errors and Ctrl-C, so the terminal is left clean)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def make_progress(console, quiet: bool) -> Callback | None:
    """The right reporter for ``console``: None when quiet, Rich on a terminal, plain lines otherwise."""
    if quiet:
        return None
    if console.is_terminal and not console.is_dumb_terminal:
        return RichProgress(console)
    return PlainProgress(console.file)

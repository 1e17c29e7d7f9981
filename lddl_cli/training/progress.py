"""Training progress as callbacks: a Rich progress bar on a terminal, plain lines elsewhere.

The trainer calls ``on_train_begin(info)``, ``on_epoch_end(record)`` once per epoch,
``on_fit_end(history)`` after the last epoch and ``on_train_end(history)`` once the run directory
is written; never anything per step, so the display costs nothing in the hot loop.
The Rich bar redraws at most ``REFRESH_HZ`` times per second and lays its fields out for the
terminal's width (``progress_layout``); the plain reporter writes the first epoch, then a line every
tenth of the run or every ``PLAIN_SECONDS`` seconds, whichever comes first, and the last; never
escape codes.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from .callbacks import Callback
from .progress_layout import NUMBER, TIME, field_widths, progress_layout

# A redraw of the bar's nine columns costs about 1.7 ms of CPU: at 4 per second (rich.live's
# default) the display costs under 1% of a run, at 10 it cost 2-3% of the sine example.
REFRESH_HZ = 4
PLAIN_LINES = 10
PLAIN_SECONDS = 10.0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def epoch_line(record: Any, epochs: int) -> str:
    """One plain line: ``epoch 10/100  train_loss 0.0123  val_loss 0.0101  lr 0.01  5321 steps/s``."""
    return (
        f"epoch {record.epoch}/{epochs}  train_loss {_fmt(record.train_loss)}"
        f"  val_loss {_fmt(record.val_loss)}  lr {record.lr:.4g}  {record.steps_per_second:.0f} steps/s"
    )


class PlainProgress(Callback):
    """Lines of text for logs, CI and pipes: every tenth of the run or every PLAIN_SECONDS seconds."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.epochs = 0
        self.every = 1
        self.last_line = 0.0

    def on_train_begin(self, info: Any) -> None:
        self.epochs = info.epochs
        self.every = max(1, -(-info.epochs // PLAIN_LINES))  # ceil: at most PLAIN_LINES multiples
        self.last_line = time.monotonic()

    def on_epoch_end(self, record: Any) -> None:
        now = time.monotonic()
        due = record.epoch == 1 or record.epoch % self.every == 0 or record.epoch == self.epochs
        if due or now - self.last_line >= PLAIN_SECONDS:
            self.last_line = now
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
        from rich.progress import Progress

        fields, bar_width = progress_layout(self.console.width, info.epochs, getattr(info, "val_rows", 1) > 0)
        self.progress = Progress(
            *rich_columns(fields, bar_width, info.epochs),
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
            speed=f"{min(record.steps_per_second, 9_999_999):.0f}",
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


def rich_columns(fields: list[str], bar_width: int, epochs: int) -> list:
    """Rich progress columns for the fields of ``progress_layout``, each of a fixed width."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column

    widths = field_widths(epochs)
    digits = len(str(epochs))

    def text(template: str, name: str, justify: str = "left") -> TextColumn:
        return TextColumn(template, table_column=Column(width=widths[name], no_wrap=True, justify=justify))

    makers = {
        "epoch": lambda: text(f"epoch {{task.completed:>{digits}.0f}}/{{task.total:.0f}}", "epoch"),
        "bar": lambda: BarColumn(bar_width=bar_width),
        "loss": lambda: text(f"loss {{task.fields[train]:<{NUMBER}}}", "loss"),
        "val": lambda: text(f"val {{task.fields[val]:<{NUMBER}}}", "val"),
        "lr": lambda: text(f"lr {{task.fields[lr]:<{NUMBER}}}", "lr"),
        "speed": lambda: text("{task.fields[speed]:>7} steps/s", "speed"),
        "elapsed": lambda: TimeElapsedColumn(table_column=Column(width=TIME, no_wrap=True, justify="right")),
        "eta": lambda: _EtaColumn(table_column=Column(width=widths["eta"], no_wrap=True, justify="right")),
    }
    return [makers[name]() for name in fields]


def _eta_column_class():
    from rich.progress import TimeRemainingColumn
    from rich.text import Text

    class EtaColumn(TimeRemainingColumn):
        """``ETA 0:01:23``: the label and the time in one column, so neither is dropped alone."""

        def render(self, task) -> Text:
            return Text("ETA ") + super().render(task)

    return EtaColumn


def _EtaColumn(**kwargs):  # noqa: N802 (a class made on first use: Rich is imported lazily)
    return _eta_column_class()(**kwargs)


def make_progress(console, quiet: bool) -> Callback | None:
    """The right reporter for ``console``: None when quiet, Rich on a terminal, plain lines otherwise."""
    if quiet:
        return None
    if console.is_terminal and not console.is_dumb_terminal:
        return RichProgress(console)
    return PlainProgress(console.file)

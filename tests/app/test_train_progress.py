"""Progress display: plain lines without escape codes off a terminal, a Rich bar on one, nothing
when quiet; NO_COLOR honoured; the display is driven once per epoch."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from rich.console import Console

from lddl_cli.training.progress import PLAIN_LINES, PlainProgress, RichProgress, epoch_line, make_progress

ESC = "\x1b"


@dataclass
class Info:
    epochs: int
    start_epoch: int = 0


@dataclass
class Record:
    epoch: int
    train_loss: float = 0.5
    val_loss: float | None = 0.25
    lr: float = 0.01
    steps_per_second: float = 1234.0


def drive(callback, epochs: int, stop_at: int | None = None) -> None:
    callback.on_train_begin(Info(epochs))
    for epoch in range(1, (stop_at or epochs) + 1):
        callback.on_epoch_end(Record(epoch))
    callback.on_fit_end(None)
    callback.on_train_end(None)


@pytest.mark.parametrize("epochs", [1, 3, 10, 37, 1000])
def test_plain_progress_writes_about_ten_plain_lines(epochs):
    stream = io.StringIO()
    drive(PlainProgress(stream), epochs)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("epoch 1/") and lines[-1].startswith(f"epoch {epochs}/{epochs}")
    assert len(lines) <= min(epochs, PLAIN_LINES + 2)
    assert ESC not in stream.getvalue()


def test_epoch_line_format():
    line = epoch_line(Record(7, train_loss=0.123456, val_loss=None, lr=0.001), 10)
    assert line == "epoch 7/10  train_loss 0.1235  val_loss -  lr 0.001  1234 steps/s"


def test_make_progress_chooses_by_terminal():
    assert make_progress(Console(file=io.StringIO()), quiet=True) is None
    assert isinstance(make_progress(Console(file=io.StringIO()), quiet=False), PlainProgress)
    assert isinstance(
        make_progress(Console(file=io.StringIO(), force_terminal=True), quiet=False), RichProgress
    )
    dumb = Console(file=io.StringIO(), force_terminal=True, _environ={"TERM": "dumb"})
    assert isinstance(make_progress(dumb, quiet=False), PlainProgress)


def test_rich_progress_draws_a_bar_and_closes():
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=120)
    progress = RichProgress(console)
    drive(progress, 50)
    assert progress.progress is None  # stopped by on_train_end
    out = stream.getvalue()
    assert "epoch 50/50" in out and "steps/s" in out and "ETA" in out


def test_rich_progress_shows_the_last_epoch_of_an_early_stop():
    stream = io.StringIO()
    progress = RichProgress(Console(file=stream, force_terminal=True, width=120))
    drive(progress, 1000, stop_at=437)  # epochs come faster than the refresh limit: most are not drawn
    assert progress.progress is None and "epoch  437/1000" in stream.getvalue()  # padded to 4 digits


def test_rich_progress_close_is_idempotent():
    progress = RichProgress(Console(file=io.StringIO(), force_terminal=True))
    progress.on_train_begin(Info(5))
    progress.close()
    progress.close()
    assert progress.progress is None


def test_no_color_is_honoured(monkeypatch):
    from lddl_cli import cli

    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._console().no_color
    monkeypatch.delenv("NO_COLOR")
    assert not cli._console().no_color


def test_rich_progress_with_no_color_has_no_color_codes():
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, no_color=True, width=120)
    drive(RichProgress(console), 5)
    assert "\x1b[3" not in stream.getvalue()  # no foreground colour escapes (cursor control is fine)


def test_plain_progress_also_prints_every_few_seconds_through_the_real_command(tmp_path, monkeypatch):
    """A long run without a terminal prints a line every PLAIN_SECONDS even between tenths of it
    (planted: the interval set to 0 s, so every epoch of a short run is due); the control keeps ~10 lines."""
    from runs_helpers import make_project
    from typer.testing import CliRunner

    from lddl_cli import cli
    from lddl_cli.training import progress

    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["train", "small.yaml", "--set", "train.epochs=300"]
    control = CliRunner().invoke(cli.app, [*args, "--out", "control"])
    assert control.exit_code == 0, control.output
    assert len([x for x in control.stdout.splitlines() if x.startswith("epoch ")]) == PLAIN_LINES + 1
    monkeypatch.setattr(progress, "PLAIN_SECONDS", 0.0)
    timed = CliRunner().invoke(cli.app, [*args, "--out", "timed"])
    assert timed.exit_code == 0, timed.output
    assert len([x for x in timed.stdout.splitlines() if x.startswith("epoch ")]) == 300

"""Ctrl-C: a real SIGINT to a training subprocess closes the progress display cleanly, writes a
resumable checkpoint, prints the command that resumes it, and exits 130.

Two displays: plain lines (stdout is a pipe: no escape code at all) and the Rich live bar (stdout
is a pseudo-terminal: the bar hides the cursor while it runs; closing it cleanly means the cursor
is shown again at the very end, the last line is finished, and no escape sequence is cut short).
The printed resume command is then run (with a smaller ``train.epochs`` appended, since the
interrupted run asked for 100,000) and must give exactly the weights of an uninterrupted run.
"""

from __future__ import annotations

import os
import pty
import re
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from training_helpers import LDDL, arrays, differing_keys, lddl, loss_history, make_project, non_finite_keys

from lddl_cli.config import load_config
from lddl_cli.nn.state import load_state
from lddl_cli.training.progress import Callback
from lddl_cli.training.run import TrainingInterrupted, fit_and_write, sigint_ignored
from lddl_cli.training.trainer import Trainer

EPOCHS = 100_000
COMMAND = ["train", "config.yaml", "--out", "run", "--set", f"train.epochs={EPOCHS}"]
TRAINING = re.compile(rb"epoch [1-9]\d*/" + str(EPOCHS).encode())  # an epoch finished (plain or Rich)
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # a complete control sequence
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"


class Output:
    """Collects a subprocess's stdout (a pipe or a pty master) on a thread, so it never blocks."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = bytearray()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: the pty's other side closed
                return
            if not chunk:
                return
            self.data.extend(chunk)

    def wait_for(self, pattern: re.Pattern, process: subprocess.Popen, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not pattern.search(bytes(self.data)):
            assert process.poll() is None, f"exited {process.returncode}: {bytes(self.data)[-500:]!r}"
            assert time.monotonic() < deadline, f"no {pattern.pattern!r} in {timeout} s"
            time.sleep(0.01)

    def text(self) -> str:
        self.thread.join(timeout=60)
        return bytes(self.data).decode("utf-8")


def interrupt_training(project: Path, terminal: bool) -> tuple[subprocess.Popen, str, str]:
    """Start ``lddl train`` (stdout a pipe or a pty), SIGINT it once an epoch has finished;
    return (process, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    if terminal:
        master, slave = pty.openpty()
        env.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        stdout = slave
    else:
        master = slave = None
        stdout = subprocess.PIPE
    process = subprocess.Popen(
        [LDDL, *COMMAND],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    if terminal:
        os.close(slave)
    output = Output(master if terminal else process.stdout.fileno())
    try:
        output.wait_for(TRAINING, process)
        process.send_signal(signal.SIGINT)
        stderr = process.stderr.read().decode("utf-8")
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = output.text()
    if terminal:
        os.close(master)
    return process, text, stderr


@pytest.mark.parametrize("terminal", [False, True], ids=["plain", "rich"])
def test_ctrl_c_closes_the_display_writes_a_checkpoint_prints_the_resume_command(tmp_path, terminal):
    make_project(tmp_path)
    process, stdout, stderr = interrupt_training(tmp_path, terminal)
    assert process.returncode == 130, stderr

    lines = stderr.splitlines()
    assert len(lines) == 2, stderr  # no traceback, no warning
    epoch = int(
        re.fullmatch(
            r"interrupted: the run of epoch (\d+) \(the last whole one\) written to run: model\.npz, "
            r"config\.yaml, metrics\.csv, loss\.png, fit\.png and checkpoint\.npz",
            lines[0],
        )[1]
    )
    expected = f"lddl train config.yaml --set train.epochs={EPOCHS} --out run --resume run/checkpoint.npz"
    assert lines[1] == f"resume with: {expected}"

    if terminal:
        assert HIDE_CURSOR in stdout  # the live display really ran on the terminal
        assert stdout.endswith("\r\n" + SHOW_CURSOR)  # last line finished, cursor shown again
        assert "\x1b" not in CSI.sub("", stdout)  # every escape sequence complete
    else:
        assert "\x1b" not in stdout
        assert "epoch 1/100000" in stdout

    checkpoint = tmp_path / "run" / "checkpoint.npz"
    state, meta = load_state(checkpoint)  # complete, finite, no pickle
    assert meta["kind"] == "checkpoint" and meta["epoch"] == epoch >= 1 and meta["batch"] == 0
    assert non_finite_keys(state) == []
    assert not list((tmp_path / "run").glob(".*.tmp"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no staging left
    # The interrupted run is a whole run of its last epoch: every command that reads one takes it.
    assert metadata_of(tmp_path / "run" / "model.npz")["metrics"]["epochs"] == epoch
    assert len(loss_history(tmp_path / "run" / "metrics.csv")["train_loss"]) == epoch
    lddl("predict", "--weights", "run/model.npz", "--x", "0.5", cwd=tmp_path, check_code=0)
    lddl("summary", "run/model.npz", cwd=tmp_path, check_code=0)
    lddl("plot", "run", cwd=tmp_path, check_code=0)

    # The printed command, as a user would paste it, finishing 2 epochs after the interruption.
    again = shlex.split(lines[1].removeprefix("resume with: "))
    assert again[0] == "lddl"
    finish = [*again[1:], "--set", f"train.epochs={epoch + 2}", "-q"]
    lddl(*finish, cwd=tmp_path, check_code=0)
    lddl(*COMMAND[:3], "straight", "-q", "--set", f"train.epochs={epoch + 2}", cwd=tmp_path, check_code=0)
    assert (
        differing_keys(arrays(tmp_path / "run" / "model.npz"), arrays(tmp_path / "straight" / "model.npz"))
        == []
    )
    resumed, straight = (
        loss_history(tmp_path / "run" / "metrics.csv"),
        loss_history(tmp_path / "straight" / "metrics.csv"),
    )
    assert all(np.array_equal(resumed[k], straight[k]) for k in straight)


def metadata_of(path: Path) -> dict:
    return load_state(path)[1]


class InterruptAfterTraining(Callback):
    """Planted: Ctrl-C arrives after the last epoch, while the run directory is being written."""

    def on_fit_end(self, history) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_while_the_run_directory_is_written_still_checkpoints(tmp_path, monkeypatch):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    trainer = Trainer(load_config("config.yaml"))
    trainer.callbacks.append(InterruptAfterTraining())
    with pytest.raises(TrainingInterrupted) as info:
        fit_and_write(trainer, tmp_path / "run")
    assert info.value.epoch == 6 and info.value.checkpoint == tmp_path / "run" / "checkpoint.npz"
    resumed = Trainer(load_config("config.yaml"))
    resumed.resume(tmp_path / "run" / "checkpoint.npz")
    history = fit_and_write(resumed, tmp_path / "run")  # no epoch left: only writes the run directory
    assert len(history.records) == 6
    fit_and_write(Trainer(load_config("config.yaml")), tmp_path / "straight")
    assert (
        differing_keys(arrays(tmp_path / "run" / "model.npz"), arrays(tmp_path / "straight" / "model.npz"))
        == []
    )


def test_sigint_is_ignored_only_inside_sigint_ignored():
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        with sigint_ignored():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
        assert received == []
        os.kill(os.getpid(), signal.SIGINT)  # the handler is back: the planted signal is seen
        time.sleep(0.01)
        assert received == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)

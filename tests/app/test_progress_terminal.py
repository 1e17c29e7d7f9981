"""The live progress line on a real pseudo-terminal of 60, 80 and 120 columns: every redraw fits
the width, no field is cut short (no ``…``), the ETA is whole, and wider terminals show more."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from runs_helpers import make_project

from lddl_cli.training.progress_layout import progress_layout

LDDL = str(Path(sys.executable).with_name("lddl"))
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_terminal(project: Path, columns: int, *args: str) -> list[str]:
    """The text frames (one per redraw) that ``lddl train`` drew on a pty of ``columns`` columns."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(
        [LDDL, "train", "small.yaml", *args], cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=slave,
        stderr=slave,
    )  # fmt: skip
    os.close(slave)
    data = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        data.extend(chunk)
    os.close(master)
    assert process.wait(timeout=600) == 0, data.decode(errors="replace")[-2000:]
    text = CSI.sub("", data.decode())
    return [frame for line in text.split("\n") for frame in line.split("\r") if frame.strip()]


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_progress_line_fits_the_terminal_with_no_field_cut(tmp_path, columns):
    make_project(tmp_path)
    frames = run_on_terminal(tmp_path, columns, "--out", "run", "--set", "train.epochs=1000")
    bars = [frame for frame in frames if frame.startswith("epoch ") and "ETA" in frame]
    assert bars, frames[-5:]
    for frame in bars:
        assert len(frame) < columns, frame
        assert "…" not in frame, frame
        assert re.search(r"ETA (\d+:\d\d:\d\d|-:--:--)$", frame.rstrip()), frame
        assert re.match(r"epoch +\d+/1000 ", frame) and " loss " in frame and " val " in frame, frame
    last = bars[-1]
    assert "epoch 1000/1000" in last
    assert ("━" in last) == (columns >= 80)
    assert ("steps/s" in last) == (columns >= 120)


def test_the_layout_drops_the_least_useful_fields_first():
    assert progress_layout(200, 1000, True)[0] == [
        "epoch",
        "bar",
        "loss",
        "val",
        "lr",
        "speed",
        "elapsed",
        "eta",
    ]
    assert progress_layout(80, 1000, True)[0] == ["epoch", "bar", "loss", "val", "elapsed", "eta"]
    assert progress_layout(72, 1000, True)[0] == ["epoch", "bar", "loss", "val", "eta"]
    assert progress_layout(60, 1000, True)[0] == ["epoch", "loss", "val", "eta"]
    assert progress_layout(40, 1000, True)[0] == ["epoch", "loss", "eta"]
    fields, bar = progress_layout(80, 1000, False)
    assert "val" not in fields and bar >= 10

"""`lddl gradcheck` as a user runs it: the real command on shipped configs, a log-file table that
fits 80 columns, exit 1 with one stderr line naming a planted wrong layer, bad arguments exit 2."""

from __future__ import annotations

import pytest
from learn_helpers import ROOT
from learn_helpers import lddl_log as _lddl
from typer.testing import CliRunner

from lddl_cli import nn
from lddl_cli.cli import app


def test_the_sine_config_passes_in_a_log_file_within_80_columns():
    done = _lddl("gradcheck", "configs/sin.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[1].split() == ["layer", "tensor", "max", "abs", "err", "max", "rel", "err", "result"]
    assert all(len(line) <= 80 for line in lines), lines
    rows = [line for line in lines if line.startswith(("0 ", "1 ", "loss "))]
    assert rows and all(line.endswith("pass") for line in rows)
    assert any("dL/dweight" in line for line in rows) and any("dL/dpred" in line for line in rows)
    assert "\x1b" not in done.stdout


def test_a_planted_wrong_backward_exits_1_naming_that_layer(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(nn.ReLU, "backward", lambda self, grad: grad.copy())  # forgets the mask
    result = CliRunner().invoke(app, ["gradcheck", "configs/sin.yaml", "--batch", "8"])
    assert result.exit_code == 1
    failure = result.stderr.strip().splitlines()
    assert len(failure) == 1 and failure[0].startswith("gradcheck failed at 1 ReLU(): dL/dx")
    assert "FAIL" in result.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["gradcheck", "configs/sin.yaml", "--batch", "0"], "--batch: expected a positive number"),
        (["gradcheck", "configs/missing.yaml"], "missing.yaml"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args, words):
    done = _lddl(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and words in done.stderr


def test_the_readme_transcript_is_what_the_command_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "$ lddl gradcheck configs/sin.yaml --batch 4\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0].splitlines()
    printed = _lddl(*command.split()[2:]).stdout.splitlines()
    assert shown[:2] == printed[:2] and shown[-1] == printed[-1]
    words = {tuple(line.split()[:-3]) + (line.split()[-1],) for line in printed[2:-1]}
    for line in shown[2:-1]:
        if line != "...":  # a row: its layer, tensor and verdict as printed (the errors are rounding)
            assert tuple(line.split()[:-3]) + (line.split()[-1],) in words, line

"""Every planted mistake in a sweep is one located stderr line, exit 2, and nothing written."""

from __future__ import annotations

import pytest
from sweep_project import SWEEP, make_sweep_project
from typer.testing import CliRunner

from lddl_cli.cli import app


def run_bad(tmp_path, monkeypatch, sweep_text: str, *args: str):
    config = make_sweep_project(tmp_path, sweep_text)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(app, ["sweep", str(config.name), "--out", "out", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "something was written"
    return lines[0]


MOMENTUM_AFTER = "upper: 3.0e-2}\n"
MOMENTUM = "    optimizer.momentum: {space: uniform, lower: -1.0, upper: 0.5}\n"


@pytest.mark.parametrize(
    ("old", "new", "where", "expected"),
    [
        ("optimizer.lr:", "optimizer.lrr:", "sweep.yaml:27:", "unknown key; did you mean 'lr'?"),
        ("lower: 2, upper: 4", "lower: 4, upper: 2", "sweep.yaml:30:", "lower must be <= upper"),
        ("lower: 1.0e-3", "lower: 0.0", "sweep.yaml:27:", "loguniform needs lower > 0"),
        ("categories: [4, 8]", "categories: []", "sweep.yaml:28:", "needs at least 1 item"),
        ("categories: [4, 8]", "categories: [0, 8]", "sweep.yaml:28:", "may draw 0 (an integer)"),
        (
            MOMENTUM_AFTER,
            MOMENTUM_AFTER + MOMENTUM,
            "sweep.yaml:28:",
            "may draw -1.0 (a number), which the config",
        ),
        ("metric: val_loss", "metric: val_rsme", "sweep.yaml:20:", "unknown metric 'val_rsme'"),
        ("sampler: tpe", "sampler: grid", "sweep.yaml:", "sampler grid needs choice or int spaces"),
        ("space: int", "space: normal", "sweep.yaml:30:", "space"),
    ],
)
def test_a_planted_mistake_is_one_located_line(tmp_path, monkeypatch, old, new, where, expected):
    assert old in SWEEP
    line = run_bad(tmp_path, monkeypatch, SWEEP.replace(old, new))
    assert line.startswith(where), line
    assert expected in line, line


def test_a_config_without_a_sweep_section_is_refused(tmp_path, monkeypatch):
    line = run_bad(tmp_path, monkeypatch, "")
    assert line == "sweep.yaml: sweep: no sweep: section to search; add one"


def test_a_metric_needs_a_validation_set(tmp_path, monkeypatch):
    config = make_sweep_project(tmp_path)
    config.write_text(config.read_text().replace("  val_x: data/val_x.npy\n  val_y: data/val_y.npy\n", ""))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sweep", "sweep.yaml", "--out", "out"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("sweep.yaml:18:11: sweep.metric: val_loss needs a validation set"), (
        result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_an_unreachable_storage_is_one_line(tmp_path, monkeypatch):
    line = run_bad(tmp_path, monkeypatch, SWEEP, "--storage", "postgresql://lddl@127.0.0.1:9/nowhere")
    assert line.startswith(
        "--storage postgresql://lddl@127.0.0.1:9/nowhere: cannot open the study storage:"
    ), line


def test_workers_must_be_positive(tmp_path, monkeypatch):
    line = run_bad(tmp_path, monkeypatch, SWEEP, "--workers", "0")
    assert line == "--workers: must be >= 1; got 0"


def test_show_without_a_study_is_one_line(tmp_path, monkeypatch):
    line = run_bad(tmp_path, monkeypatch, SWEEP, "--show")
    assert "no study here yet" in line, line


def test_lddl_check_reports_a_broken_sweep_too(tmp_path, monkeypatch):
    make_sweep_project(tmp_path, SWEEP.replace("categories: [4, 8]", "categories: [4, 0]"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "sweep.yaml"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "sweep.yaml:28:23: sweep.parameters.train.batch_size: a trial may draw 0"
    ), result.stderr

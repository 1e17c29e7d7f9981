"""A real sweep on the small sine project: the outputs, continuing a study, --show, another goal."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import yaml
from sweep_project import SWEEP, make_sweep_project
from typer.testing import CliRunner

from lddl_cli.cli import app


@pytest.fixture
def swept(tmp_path, monkeypatch):
    make_sweep_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sweep", "sweep.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output
    return tmp_path / "out", result


def read_trials(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_sweep_writes_its_outputs(swept):
    out, result = swept
    rows = read_trials(out / "trials.csv")
    assert [r["number"] for r in rows] == ["0", "1", "2"]
    assert list(rows[0]) == [
        "number",
        "state",
        "optimizer.lr",
        "train.batch_size",
        "model.widths",
        "train.epochs",
        "val_loss",
        "seconds",
    ]
    assert {r["state"] for r in rows} == {"complete"}
    assert all(1e-3 <= float(r["optimizer.lr"]) <= 3e-2 for r in rows)
    best = min(rows, key=lambda r: float(r["val_loss"]))
    config = yaml.safe_load((out / "best.yaml").read_text())
    assert "sweep" not in config
    assert config["optimizer"]["lr"] == float(best["optimizer.lr"])
    assert config["train"]["batch_size"] == int(best["train.batch_size"])
    for name in ("model.npz", "config.yaml", "metrics.csv", "loss.png", "fit.png"):
        assert (out / "best" / name).is_file(), name
    metrics = read_trials(out / "best" / "metrics.csv")
    assert float(metrics[-1]["val_loss"]) == pytest.approx(float(best["val_loss"]), rel=1e-6)
    assert (out / "history.png").is_file() and (out / "parameters.png").is_file()
    assert (out / "study.db").is_file()
    assert "trial 2 complete" in result.output


def test_best_yaml_trains_as_it_is(swept):
    out, _ = swept
    result = CliRunner().invoke(app, ["train", str(out / "best.yaml"), "--out", "again", "--quiet"])
    assert result.exit_code == 0, result.output
    again = np.load("again/model.npz")
    best = np.load(out / "best" / "model.npz")
    assert all(np.array_equal(again[k], best[k]) for k in best.files if not k.startswith("__"))


def test_running_again_continues_the_study(swept):
    out, _ = swept
    result = CliRunner().invoke(app, ["sweep", "sweep.yaml", "--out", "out", "--trials", "5"])
    assert result.exit_code == 0, result.output
    rows = read_trials(out / "trials.csv")
    assert [r["number"] for r in rows] == ["0", "1", "2", "3", "4"]
    first = read_trials(out / "trials.csv")[:3]
    assert first == rows[:3]


def test_show_prints_the_study(swept):
    result = CliRunner().invoke(app, ["sweep", "sweep.yaml", "--out", "out", "--show"])
    assert result.exit_code == 0, result.output
    assert "study small" in result.output
    assert result.output.count("complete") == 3


def test_a_study_of_another_goal_or_metric_is_refused(swept, tmp_path):
    out, _ = swept
    before = sorted(p.name for p in out.iterdir())
    config = tmp_path / "sweep.yaml"
    text = config.read_text()
    for old, new, key in (("goal: minimize", "goal: maximize", "sweep.goal"),):
        config.write_text(text.replace(old, new))
        result = CliRunner().invoke(app, ["sweep", "sweep.yaml", "--out", "out"])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"sweep.yaml:21:9: {key}: study 'small' exists with goal minimize"), (
            result.stderr
        )
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_diverged_trial_fails_and_counts(tmp_path, monkeypatch):
    sweep = SWEEP.replace("lower: 1.0e-3, upper: 3.0e-2", "lower: 1.0e+3, upper: 1.0e+4")
    make_sweep_project(tmp_path, sweep)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sweep", "sweep.yaml", "--out", "out", "--trials", "2"])
    assert result.exit_code == 0, result.output
    rows = read_trials(tmp_path / "out" / "trials.csv")
    assert [r["state"] for r in rows] == ["fail", "fail"]
    assert "training diverged" in result.output
    assert not (tmp_path / "out" / "best.yaml").exists()


def test_grid_covers_the_grid_once(tmp_path, monkeypatch):
    sweep = SWEEP.replace("sampler: tpe", "sampler: grid").replace(
        "    optimizer.lr: {space: loguniform, lower: 1.0e-3, upper: 3.0e-2}\n", ""
    )
    make_sweep_project(tmp_path, sweep)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sweep", "sweep.yaml", "--out", "out", "--trials", "50"])
    assert result.exit_code == 0, result.output
    rows = read_trials(tmp_path / "out" / "trials.csv")
    drawn = {(r["train.batch_size"], r["model.widths"], r["train.epochs"]) for r in rows}
    assert len(rows) == len(drawn) == 8

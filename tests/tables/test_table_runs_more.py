"""More table runs through the CLI: evaluate --plot, a regression end to end, a separate test table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lddl_cli.cli import app

ROOT = Path(__file__).resolve().parents[2]
IRIS = """name: iris
seed: 0
data: {path: iris.csv, target: species, val_fraction: 0.1}
task: classification
model: {widths: [auto, 8, auto]}
optimizer: {type: adam, lr: 0.01}
train: {epochs: 20, batch_size: 16}
"""
DIABETES = """name: diabetes
seed: 0
data: {path: diabetes.csv, target: progression, test_fraction: 0.2, val_fraction: 0.1}
task: regression
preprocess: {x: standardize, y: standardize}
model: {widths: [auto, 16, auto]}
optimizer: {type: adam, lr: 0.01}
train: {epochs: 40, batch_size: 16}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name in ("iris.csv", "diabetes.csv"):
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args):
    return CliRunner().invoke(app, list(args))


def png_is_valid(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_evaluate_plot_writes_a_confusion_matrix_and_refuses_a_bad_name(project):
    (project / "c.yaml").write_text(IRIS)
    assert run("train", "c.yaml", "--quiet", "--out", "run").exit_code == 0
    result = run("evaluate", "-w", "run/model.npz", "--data", "iris.csv", "--plot", "cm.png")
    assert result.exit_code == 0, result.output
    assert "wrote cm.png" in result.output and png_is_valid(project / "cm.png")
    result = run("evaluate", "-w", "run/model.npz", "--data", "iris.csv", "--plot", "cm.jpg")
    assert result.exit_code == 2 and "expected a .png file name" in result.output
    assert not (project / "cm.jpg").exists()


def test_a_regression_table_end_to_end(project):
    (project / "c.yaml").write_text(DIABETES)
    result = run("train", "c.yaml", "--quiet", "--out", "run")
    assert result.exit_code == 0, result.output
    assert png_is_valid(project / "run" / "pred_vs_true.png")
    meta = json.loads(str(np.load(project / "run" / "model.npz")["__lddl__"]))
    assert {"test_rmse", "test_mae", "test_r2"} <= set(meta["metrics"])
    # predict from raw rows (columns reordered, the target column absent): outputs in raw units
    rows = (project / "diabetes.csv").read_text().splitlines()
    names = rows[0].split(",")
    order = list(reversed(names[:-1]))
    body = [",".join(dict(zip(names, r.split(","), strict=True))[n] for n in order) for r in rows[1:]]
    (project / "in.csv").write_text("\n".join([",".join(order), *body]) + "\n")
    result = run("predict", "-w", "run/model.npz", "--input", "in.csv", "--output", "out.csv")
    assert result.exit_code == 0, result.output
    out = (project / "out.csv").read_text().splitlines()
    assert out[0] == ",".join(order + ["progression"]) and len(out) == len(rows)
    predicted = np.array([float(line.split(",")[-1]) for line in out[1:]])
    true = np.array([float(r.split(",")[-1]) for r in rows[1:]])
    assert 50 < predicted.mean() < 250  # raw units (the target's mean is about 152), not standardized
    result = run("evaluate", "-w", "run/model.npz", "--data", "diabetes.csv", "--json", "--plot", "pvt.png")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.split("\nwrote")[0])
    r2 = 1 - np.sum((true - predicted) ** 2) / np.sum((true - true.mean()) ** 2)
    assert scores["r2"] == pytest.approx(r2, abs=1e-3)  # evaluate agrees with predict's own outputs
    assert scores["r2"] > 0.3 and png_is_valid(project / "pvt.png")


def test_a_separate_test_table_is_reported_at_the_end(project):
    rows = (project / "iris.csv").read_text().splitlines()
    held = rows[1::5]  # every fifth row: all three classes
    (project / "test.csv").write_text("\n".join([rows[0], *held]) + "\n")
    (project / "train.csv").write_text("\n".join([rows[0], *(r for r in rows[1:] if r not in held)]) + "\n")
    config = IRIS.replace("path: iris.csv", "path: train.csv, test_path: test.csv")
    (project / "c.yaml").write_text(config)
    result = run("check", "c.yaml")
    assert result.exit_code == 0, result.output
    result = run("train", "c.yaml", "--out", "run")
    assert result.exit_code == 0, result.output
    assert "test" in result.output
    meta = json.loads(str(np.load(project / "run" / "model.npz")["__lddl__"]))
    result = run("evaluate", "-w", "run/model.npz", "--data", "test.csv", "--json")
    assert result.exit_code == 0, result.output
    assert meta["metrics"]["test_accuracy"] == pytest.approx(json.loads(result.output)["accuracy"])

"""A table end to end through the CLI: train, predict by column name, evaluate; planted mistakes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lddl_cli.cli import app

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """name: iris
seed: 0
data: {path: iris.csv, target: species, test_fraction: 0.2, val_fraction: 0.1}
task: classification
model: {widths: [auto, 8, auto]}
optimizer: {type: adam, lr: 0.01}
train: {epochs: 30, batch_size: 16, early_stopping: {monitor: val_accuracy, patience: 50}}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copy(ROOT / "data" / "iris.csv", tmp_path / "iris.csv")
    (tmp_path / "c.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_train_predict_evaluate(project):
    result = run("train", "c.yaml", "--quiet", "--out", "run")
    assert result.exit_code == 0, result.output
    assert "metric" in result.output and "test" in result.output
    header = (project / "run" / "metrics.csv").read_text().splitlines()[0]
    assert header.endswith("val_accuracy,val_f1_macro,val_log_loss")
    assert (project / "run" / "confusion.png").is_file()
    meta = json.loads(str(np.load(project / "run" / "model.npz")["__lddl__"]))
    assert meta["classes"] == ["setosa", "versicolor", "virginica"] and "test_accuracy" in meta["metrics"]
    # columns by name, any order, extra ones ignored
    (project / "in.csv").write_text(
        "petal_width,extra,sepal_length,petal_length,sepal_width\n0.2,x,5.1,1.4,3.5\n"
    )
    result = run("predict", "-w", "run/model.npz", "--input", "in.csv", "--proba")
    assert result.exit_code == 0, result.output
    head, row = result.output.splitlines()
    assert head.endswith("species,species_proba_setosa,species_proba_versicolor,species_proba_virginica")
    assert row.split(",")[5] == "setosa"
    result = run("evaluate", "-w", "run/model.npz", "--data", "iris.csv", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["accuracy"] > 0.6  # 3 classes: chance is 1/3


def test_a_missing_column_is_exit_2_naming_it(project):
    assert run("train", "c.yaml", "--quiet", "--out", "run").exit_code == 0
    (project / "in.csv").write_text("sepal_length,petal_length,petal_width\n5.1,1.4,0.2\n")
    result = run("predict", "-w", "run/model.npz", "--input", "in.csv")
    assert result.exit_code == 2 and "no column 'sepal_width'" in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("target: species", "target: specis"), "did you mean 'species'?"),
        (("target: species", "target: species, x: a.npy"), "not both"),
        (("widths: [auto, 8, auto]", "widths: [4, auto, 3]"), "auto can stand only first"),
        (("monitor: val_accuracy", "monitor: val_acc"), "did you mean 'val_accuracy'?"),
        (
            ("task: classification", "task: classification\nmetrics: [accuracy, r2]"),
            "unknown classification metric 'r2'",
        ),
        (("task: classification", "task: classification\npreprocess: {x: minmax}\n"), None),
    ],
)
def test_planted_config_mistakes(project, change, message):
    (project / "c.yaml").write_text(CONFIG.replace(*change))
    result = run("check", "c.yaml")
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_constant_column_under_minmax_and_a_tiny_stratified_split(project):
    (project / "t.csv").write_text("a,b,y\n" + "".join(f"{i},1,{'p' if i % 2 else 'q'}\n" for i in range(20)))
    base = CONFIG.replace("iris.csv", "t.csv").replace("target: species", "target: y")
    (project / "c.yaml").write_text(
        base.replace("task: classification", "task: classification\npreprocess: {x: minmax}")
    )
    result = run("check", "c.yaml")
    assert result.exit_code == 2 and "column 'b' is constant on the training split" in result.output
    (project / "t.csv").write_text("a,y\n1,p\n2,p\n3,p\n4,q\n")
    (project / "c.yaml").write_text(base.replace("batch_size: 16", "batch_size: 1"))
    result = run("check", "c.yaml")
    assert result.exit_code == 2 and "class 'q' (1 row) cannot be split" in result.output


def test_a_class_only_in_the_test_table(project):
    (project / "test.csv").write_text(
        "sepal_length,sepal_width,petal_length,petal_width,species\n1,2,3,4,rose\n"
    )
    (project / "c.yaml").write_text(CONFIG.replace("test_fraction: 0.2", "test_path: test.csv"))
    result = run("check", "c.yaml")
    assert result.exit_code == 2 and "class 'rose' is in the test table only" in result.output

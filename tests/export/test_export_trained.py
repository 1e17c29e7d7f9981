"""Trained models (every registered layer in one network, a table of each task, both dtypes):
exported ONNX equals lddl's prediction on 1,000 random raw rows; the README's Python runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lddl_cli.cli import app

from .export_models import compare_with_lddl

ROOT = Path(__file__).resolve().parents[2]
LAYERS = """
    - {type: linear, in_features: N_IN, out_features: 8}
    - {type: batch_norm1d, num_features: 8}
    - relu
    - {type: linear, in_features: 8, out_features: 8}
    - {type: layer_norm, normalized_shape: 8}
    - leaky_relu
    - {type: dropout, p: 0.1}
    - {type: linear, in_features: 8, out_features: 8}
    - {type: gelu, approximate: tanh}
    - elu
    - silu
    - softplus
    - sigmoid
    - tanh
    - identity
    - {type: linear, in_features: 8, out_features: N_OUT}
"""
PROJECTS = {
    "regression": ("diabetes.csv", "progression", "preprocess: {x: minmax, y: standardize}", 10, 1),
    "classification": ("iris.csv", "species", "task: classification", 4, 3),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("task", sorted(PROJECTS))
def test_a_trained_model_exports_equal(tmp_path, monkeypatch, rng, task, dtype):
    table, target, extra, n_in, n_out = PROJECTS[task]
    layers = LAYERS.replace("N_IN", str(n_in)).replace("N_OUT", str(n_out))
    train = "optimizer: {type: adam, lr: 0.01}\ntrain: {epochs: 5, batch_size: 16}\n"
    shutil.copy(ROOT / "data" / table, tmp_path / table)
    config = (
        f"name: t\nseed: 0\ndtype: {dtype}\ndata: {{path: {table}, target: {target}}}\n{extra}\n"
        f"model:\n  layers:{layers}{train}"
    )
    (tmp_path / "c.yaml").write_text(config)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["train", "c.yaml", "--quiet", "--out", "run"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["export", "--weights", "run/model.npz", "--format", "onnx"])
    assert result.exit_code == 0, result.output
    columns = np.loadtxt(table, delimiter=",", skiprows=1, usecols=range(n_in))
    low, high = columns.min(axis=0), columns.max(axis=0)
    x = low + (high - low) * rng.uniform(-0.2, 1.2, (1000, len(low)))
    compare_with_lddl(tmp_path / "run" / "model.onnx", tmp_path / "run" / "model.npz", x)


def test_the_readme_python_runs_an_exported_model(tmp_path, monkeypatch):
    block = re.search(
        r"```python\n(import numpy as np, onnxruntime.*?)```", (ROOT / "README.md").read_text(), re.S
    )
    assert block, "the README shows how to run an exported model in onnxruntime"
    code = block.group(1)
    assert len(code.strip().splitlines()) == 3
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "sin").mkdir(parents=True)
    for name in ("x.npy", "y.npy", "val_x.npy", "val_y.npy"):
        (tmp_path / "data").mkdir(exist_ok=True)
        shutil.copy(ROOT / "data" / name, tmp_path / "data" / name)
    config = (ROOT / "configs" / "sin.yaml").read_text()
    (tmp_path / "sin.yaml").write_text(config)
    result = CliRunner().invoke(
        app, ["train", "sin.yaml", "--quiet", "--out", "runs/sin", "--overwrite", "--set", "train.epochs=2"]
    )
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(app, ["export", "-w", "runs/sin/model.npz", "--format", "onnx"]).exit_code == 0
    result = CliRunner().invoke(app, ["export", "-w", "runs/sin/checkpoint.npz", "--format", "onnx"])
    assert result.exit_code == 2 and "this is a checkpoint" in result.stderr, result.output
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - the README's own lines
    assert scope["y"].shape == (3, 1)

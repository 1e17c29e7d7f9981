"""Prediction from the weights file alone reproduces the trained model exactly; input/output files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from runs_helpers import make_project
from typer.testing import CliRunner

from lddl_cli.cli import app
from lddl_cli.config import load_config
from lddl_cli.errors import DataError, UsageError, WeightsError
from lddl_cli.files.predictions import read_input, write_output
from lddl_cli.files.weights import load_model
from lddl_cli.training.inference import predict
from lddl_cli.training.run import fit_and_write
from lddl_cli.training.trainer import Trainer


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("model", ["widths: [1, 8, 8, 1]", "widths: [1, 16, 1]\n  activation: tanh"])
def test_weights_file_reproduces_the_in_memory_model_exactly(project, dtype, model):
    text = (
        (project / "small.yaml")
        .read_text()
        .replace("widths: [1, 8, 8, 1]", model.replace("\n  activation: tanh", ""))
    )
    if "tanh" in model:
        text = text.replace("activation: relu", "activation: tanh")
    (project / "small.yaml").write_text(text)
    trainer = Trainer(load_config("small.yaml", [f"dtype={dtype}"]))
    fit_and_write(trainer, project / "run")
    x = np.load("data/val_x.npy")
    trainer.model.eval()
    in_memory = trainer.model(x.astype(dtype))
    loaded, metadata = load_model(project / "run" / "model.npz")
    assert metadata["dtype"] == dtype
    from_file = predict(loaded, x)
    assert from_file.dtype == np.dtype(dtype) and np.array_equal(from_file, in_memory)
    # and through the command line, to a .npy file
    result = CliRunner().invoke(
        app, ["predict", "-w", "run/model.npz", "--input", "data/val_x.npy", "-o", "p.npy"]
    )
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.load("p.npy"), in_memory)


def test_dropout_model_predicts_deterministically_in_eval_mode(project):
    text = (
        (project / "small.yaml")
        .read_text()
        .replace(
            "  widths: [1, 8, 8, 1]\n  activation: relu\n",
            "  layers:\n    - {type: linear, in_features: 1, out_features: 8}\n    - relu\n"
            "    - {type: dropout, p: 0.5}\n    - {type: linear, in_features: 8, out_features: 1}\n",
        )
    )
    (project / "small.yaml").write_text(text)
    fit_and_write(Trainer(load_config("small.yaml")), project / "run")
    model, _ = load_model(project / "run" / "model.npz")
    x = np.load("data/x.npy")
    assert np.array_equal(predict(model, x), predict(model, x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("suffix", [".npy", ".csv", ".txt"])
def test_output_round_trips_exactly(tmp_path, rng, dtype, suffix):
    y = rng.normal(size=(17, 2)).astype(dtype)
    path = write_output(tmp_path / f"y{suffix}", y)
    back = read_input(path).astype(dtype)
    assert np.array_equal(back, y)


def test_predict_accepts_a_1d_input_for_a_1_input_model(project):
    fit_and_write(Trainer(load_config("small.yaml")), project / "run")
    model, _ = load_model(project / "run" / "model.npz")
    values = np.array([-1.0, 0.0, 2.5])
    assert np.array_equal(predict(model, values), predict(model, values.reshape(-1, 1)))


@pytest.mark.parametrize("shape", [(4, 2), (4, 1, 1)])
def test_predict_refuses_the_wrong_width(project, shape):
    fit_and_write(Trainer(load_config("small.yaml")), project / "run")
    model, _ = load_model(project / "run" / "model.npz")
    with pytest.raises(DataError, match=r"\(N, 1\)"):
        predict(model, np.zeros(shape))


@pytest.mark.parametrize("name", ["y.json", "y"])
def test_write_output_refuses_unknown_formats(tmp_path, name):
    with pytest.raises(UsageError):
        write_output(tmp_path / name, np.zeros((2, 1)))


def test_write_output_refuses_a_missing_folder(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        write_output(tmp_path / "no" / "y.npy", np.zeros((2, 1)))


def test_read_input_refuses_unknown_formats(tmp_path):
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(UsageError):
        read_input(tmp_path / "x.json")


@pytest.mark.parametrize(
    "content", [b"", b"PK\x03\x04 truncated zip", b"\x93NUMPY not an npz"], ids=["empty", "truncated", "npy"]
)
def test_load_model_refuses_broken_files(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match="model.npz"):
        load_model(path)


def test_load_model_refuses_weights_of_another_architecture(project):
    fit_and_write(Trainer(load_config("small.yaml")), project / "a")
    fit_and_write(Trainer(load_config("small.yaml", ["model.widths=[1, 4, 1]"])), project / "b")
    state = dict(np.load(project / "a" / "model.npz", allow_pickle=False))
    other = dict(np.load(project / "b" / "model.npz", allow_pickle=False))
    state["__lddl__"] = other["__lddl__"]  # planted: metadata of a 1-4-1 model on 1-8-8-1 arrays
    np.savez(project / "mixed.npz", **state)
    with pytest.raises(WeightsError, match="0.weight"):
        load_model(project / "mixed.npz")

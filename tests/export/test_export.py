"""lddl export: onnxruntime equals lddl's prediction for every registered layer, both tasks and
dtypes, the oldest and newest opset; checker, metadata, safetensors; refusals; planted mistakes."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from safetensors.numpy import load_file
from typer.testing import CliRunner

from lddl_cli.cli import app
from lddl_cli.export import onnx_graph, onnx_model
from lddl_cli.files.weights import load_model
from lddl_cli.nn import registry

from .export_models import LAYER_SPECS, compare_with_lddl, random_weights, raw_rows

OPSETS = [onnx_graph.OLDEST_OPSET, onnx_graph.NEWEST_OPSET]


def export(*args):
    return CliRunner().invoke(app, ["export", *map(str, args)])


def test_every_registered_layer_has_a_converter_and_a_test_model():
    assert set(onnx_graph.CONVERTERS) == set(registry.LAYERS.names())
    assert {spec["type"] for spec in LAYER_SPECS.values()} == set(registry.LAYERS.names())


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("task", ["regression", "classification", "binary"])
@pytest.mark.parametrize("layer", sorted(LAYER_SPECS))
def test_onnxruntime_equals_lddl_predict(tmp_path, rng, layer, task, dtype, opset):
    loss = "bce_with_logits" if task == "binary" else "cross_entropy"
    task = "classification" if task == "binary" else task
    weights = random_weights(tmp_path / "model.npz", layer, task, dtype, rng, loss)
    result = export("--weights", weights, "--format", "onnx", "--opset", opset)
    assert result.exit_code == 0, result.output
    path = tmp_path / "model.onnx"
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == opset and proto.ir_version <= 13
    compare_with_lddl(
        path, weights, raw_rows(rng), gelu_exact_float64=layer == "gelu_exact" and dtype == "float64"
    )


def test_metadata_round_trips(tmp_path, rng):
    weights = random_weights(tmp_path / "model.npz", "relu", "classification", "float32", rng)
    assert export("--weights", weights, "--format", "onnx").exit_code == 0
    props = {p.key: p.value for p in onnx.load(tmp_path / "model.onnx").metadata_props}
    _, metadata = load_model(weights)
    assert json.loads(props["feature_names"]) == ["f0", "f1", "f2", "f3"]
    assert json.loads(props["class_names"]) == ["a", "b", "c"]
    assert json.loads(props["target_names"]) == ["label"]
    assert json.loads(props["training_config"]) == metadata["config"]
    assert json.loads(props["lddl_metadata"]) == metadata
    assert props["lddl_version"] and props["task"] == "classification"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_safetensors_holds_every_tensor_and_the_metadata(tmp_path, rng, dtype):
    weights = random_weights(tmp_path / "model.npz", "batch_norm1d", "regression", dtype, rng)
    assert export("--weights", weights, "--format", "safetensors").exit_code == 0
    model, metadata = load_model(weights)
    loaded = load_file(tmp_path / "model.safetensors")
    expected = model.state_dict()
    assert set(loaded) == set(expected)
    for key, value in expected.items():
        assert loaded[key].dtype == value.dtype and np.array_equal(loaded[key], value), key
    from safetensors import safe_open

    with safe_open(tmp_path / "model.safetensors", "np") as handle:
        header = handle.metadata()
    assert json.loads(header["lddl_metadata"]) == metadata and header["format"] == "pt"


def test_safetensors_loads_into_torch_sequential(tmp_path, rng, torch):
    from safetensors.torch import load_file as torch_load

    weights = random_weights(tmp_path / "model.npz", "batch_norm1d", "regression", "float64", rng)
    assert export("--weights", weights, "--format", "safetensors").exit_code == 0
    reference = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.Linear(6, 1))
    reference = reference.to(torch.float64).eval()
    reference.load_state_dict(torch_load(tmp_path / "model.safetensors"))  # strict
    model, _ = load_model(weights)
    x = rng.standard_normal((20, 4))
    np.testing.assert_allclose(reference(torch.from_numpy(x)).detach().numpy(), model(x), rtol=1e-12)


# --- planted mistakes: the comparison must catch them --------------------------------------------
def test_a_transposed_weight_is_caught(tmp_path, rng, monkeypatch):
    def transposed(g, x, layer):
        weight = layer.weight.data if layer.weight.shape[0] != layer.weight.shape[1] else layer.weight.data.T
        return g.op("Gemm", [x, g.const(weight), g.const(layer.bias.data)], transB=1)

    monkeypatch.setitem(onnx_graph.CONVERTERS, "linear", transposed)
    weights = random_weights(tmp_path / "model.npz", "linear", "regression", "float32", rng)
    assert export("--weights", weights, "--format", "onnx").exit_code == 0
    with pytest.raises(AssertionError, match="relative error"):
        compare_with_lddl(tmp_path / "model.onnx", weights, raw_rows(rng))


def test_a_missing_scaler_is_caught(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(onnx_model, "scale_inputs", lambda g, x, metadata: x)
    weights = random_weights(tmp_path / "model.npz", "relu", "regression", "float32", rng)
    assert export("--weights", weights, "--format", "onnx").exit_code == 0
    with pytest.raises(AssertionError, match="relative error"):
        compare_with_lddl(tmp_path / "model.onnx", weights, raw_rows(rng))


# --- refusals: one line, exit 2 ---------------------------------------------------------------------
def test_refusals(tmp_path, rng, monkeypatch):
    weights = random_weights(tmp_path / "model.npz", "elu", "regression", "float32", rng)
    (tmp_path / "c.yaml").write_text("name: x\n")
    cases = [
        (["--format", "onx"], "did you mean 'onnx'"),
        (["--format", "onnx", "--opset", "12"], "opsets 13 to 26"),
        (["--format", "safetensors", "--opset", "17"], "--opset goes with --format onnx"),
        (["--format", "onnx", "--out", tmp_path / "m.safetensors"], "ends in .onnx"),
        (["--format", "onnx", "--out", tmp_path / "no" / "m.onnx"], "does not exist"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(app, ["export", "--weights", str(weights), *map(str, args)])
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1
    result = export("--weights", tmp_path / "c.yaml", "--format", "onnx")
    assert result.exit_code == 2 and "a config" in result.stderr
    assert export("--weights", weights, "--format", "onnx").exit_code == 0
    result = export("--weights", weights, "--format", "onnx")
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert export("--weights", weights, "--format", "onnx", "--overwrite").exit_code == 0
    monkeypatch.delitem(onnx_graph.CONVERTERS, "elu")
    result = export("--weights", weights, "--format", "onnx", "--overwrite")
    assert result.exit_code == 2 and "layer 1 (elu)" in result.stderr and "ONNX" in result.stderr


def test_a_missing_onnx_package_is_one_line(tmp_path, rng, monkeypatch):
    import sys

    weights = random_weights(tmp_path / "model.npz", "relu", "regression", "float32", rng)
    monkeypatch.setitem(sys.modules, "onnx", None)
    result = export("--weights", weights, "--format", "onnx")
    assert result.exit_code == 2 and "pip install 'lddl[export]'" in result.stderr
    assert not (tmp_path / "model.onnx").exists()

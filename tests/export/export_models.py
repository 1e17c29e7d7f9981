"""Weights files of random models (every registered layer, both tasks, both dtypes) for the export
tests, and the comparison of an exported ONNX model with lddl's in-process prediction."""

from __future__ import annotations

import numpy as np

from lddl_cli.commands import table_io
from lddl_cli.config import build_model
from lddl_cli.files.weights import FORMAT_VERSION, load_model
from lddl_cli.nn.state import save_state
from lddl_cli.training.inference import predict

N_FEATURES = 4
LAYER_SPECS = {
    "linear": {"type": "linear", "in_features": 6, "out_features": 6},
    "relu": {"type": "relu"},
    "leaky_relu": {"type": "leaky_relu", "negative_slope": 0.2},
    "sigmoid": {"type": "sigmoid"},
    "tanh": {"type": "tanh"},
    "gelu": {"type": "gelu", "approximate": "tanh"},
    "gelu_exact": {"type": "gelu", "approximate": "none"},
    "elu": {"type": "elu", "alpha": 0.7},
    "silu": {"type": "silu"},
    "softplus": {"type": "softplus", "beta": 2.0, "threshold": 3.0},
    "identity": {"type": "identity"},
    "dropout": {"type": "dropout", "p": 0.3},
    "batch_norm1d": {"type": "batch_norm1d", "num_features": 6},
    "batch_norm1d_batch_stats": {"type": "batch_norm1d", "num_features": 6, "track_running_stats": False},
    "layer_norm": {"type": "layer_norm", "normalized_shape": 6},
}


def random_weights(path, layer: str, task: str, dtype: str, rng, loss: str = "cross_entropy"):
    """A model.npz: Linear(4, 6), the layer, Linear(6, outputs); random parameters and scalers."""
    outputs = 1 if task == "regression" or loss == "bce_with_logits" else 3
    layers = [
        {"type": "linear", "in_features": N_FEATURES, "out_features": 6},
        LAYER_SPECS[layer],
        {"type": "linear", "in_features": 6, "out_features": outputs},
    ]
    model = build_model(layers, dtype, rng)
    for p in model.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    for key, value in model.state_dict().items():
        if key.endswith("running_mean"):
            value[...] = rng.standard_normal(value.shape)
        if key.endswith("running_var"):
            value[...] = rng.uniform(0.5, 2.0, value.shape)
    classes = ["no", "yes"] if outputs == 1 and task == "classification" else ["a", "b", "c"]
    y_scaler = {"kind": "standardize", "shift": [50.0], "scale": [20.0]}
    metadata = {
        "format": FORMAT_VERSION,
        "dtype": dtype,
        "model": {"layers": layers},
        "config": {"name": f"{layer}-{task}", "dtype": dtype},
        "task": task,
        "loss_type": loss if task == "classification" else "mse",
        "features": [f"f{i}" for i in range(N_FEATURES)],
        "targets": ["label" if task == "classification" else "y"],
        "classes": classes if task == "classification" else None,
        "preprocess": {
            "x": {"kind": "standardize", "shift": [10.0, -3.0, 0.5, 100.0], "scale": [5.0, 0.1, 2.0, 30.0]},
            "y": y_scaler if task == "regression" else {"kind": "none"},
        },
    }
    save_state(path, model.state_dict(), metadata)
    return path


def raw_rows(rng, n: int = 1000) -> np.ndarray:
    """Rows in raw units, around the scalers' shifts."""
    center = np.array([10.0, -3.0, 0.5, 100.0])
    return center + rng.standard_normal((n, N_FEATURES)) * np.array([5.0, 0.1, 2.0, 30.0]) * 1.5


def close(actual, expected, dtype) -> None:
    """Equal to 1e-5 (float32) / 1e-9 (float64) relative to the largest |expected| of each column."""
    tolerance = 1e-5 if np.dtype(dtype) == np.float32 else 1e-9
    expected = np.asarray(expected, dtype=np.float64)
    scale = np.maximum(np.abs(expected).max(axis=0, keepdims=True), 1e-12)
    error = np.abs(np.asarray(actual, dtype=np.float64) - expected) / scale
    assert error.max() <= tolerance, f"relative error {error.max():.3g} > {tolerance}"


def compare_with_lddl(onnx_path, weights, x, gelu_exact_float64: bool = False) -> None:
    """onnxruntime's outputs on raw rows ``x`` against lddl's in-process prediction."""
    import onnxruntime

    model, metadata = load_model(weights)
    dtype = np.dtype(metadata["dtype"])
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = dict(
        zip(
            [o.name for o in session.get_outputs()],
            session.run(None, {"input": x.astype(dtype)}),
            strict=True,
        )
    )
    tol = np.float32 if gelu_exact_float64 else dtype  # erf runs in float32 in onnxruntime
    if metadata.get("task") != "classification":
        close(got["output"], table_io.model_outputs(model, metadata, x), tol)
        return
    x_scaler, _ = table_io.scalers(metadata)
    close(got["logits"], predict(model, x_scaler.apply(x.astype(dtype))), tol)
    proba = table_io.model_outputs(model, metadata, x)
    close(got["probabilities"], proba, tol)
    assert got["label"].dtype == np.int64
    confident = np.sort(proba, axis=1)[:, -1] - np.sort(proba, axis=1)[:, -2] > 1e-4
    assert (got["label"] == proba.argmax(axis=1))[confident].all(), "labels differ"

"""Every layer and loss against PyTorch in float64, to 1e-10: output, dL/dx, parameter gradients and
updated buffers. The committed fixture (numbers written by tests/fixtures/make_torch_layers.py
running torch) is checked always; the live test recomputes the same cases with torch."""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn.registry import LAYERS, LOSSES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOLERANCE = {"rtol": 1e-10, "atol": 1e-10}


def _load_script():
    spec = importlib.util.spec_from_file_location("make_torch_layers", FIXTURES / "make_torch_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _load_script()
with np.load(FIXTURES / "torch_layers.npz", allow_pickle=False) as _archive:
    FIXTURE = {key: _archive[key] for key in _archive.files}

LAYER_NAMES = [case[0] for case in SCRIPT.LAYER_CASES]
LOSS_NAMES = [
    f"{case[0]}_{reduction}"
    for case in [*SCRIPT.LOSS_CASES, *SCRIPT.OPTION_LOSS_CASES]
    for reduction in SCRIPT.REDUCTIONS
]


def build_layer(name: str, kwargs: dict) -> nn.Module:
    """The lddl layer for a registry name and torch-named kwargs, in float64 where it has a dtype."""
    cls = LAYERS[name]
    extra = {"dtype": np.float64} if "dtype" in inspect.signature(cls).parameters else {}
    return cls(**kwargs, **extra)


def _group(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}


def check_layer_case(arrays: dict[str, np.ndarray], case: str) -> None:
    prefix = f"layer/{case}/"
    spec = json.loads(str(arrays[prefix + "spec"]))
    layer = build_layer(spec["type"], spec["kwargs"])
    layer.load_state_dict(_group(arrays, prefix + "state/"))
    layer.train(spec["train"])
    x = arrays[prefix + "x"].copy()
    y = layer(x)
    np.testing.assert_allclose(y, arrays[prefix + "y"], **TOLERANCE, err_msg=f"{case}: output")
    dx = layer.backward(arrays[prefix + "grad_out"].copy())
    np.testing.assert_allclose(dx, arrays[prefix + "dx"], **TOLERANCE, err_msg=f"{case}: dL/dx")
    expected_grads = _group(arrays, prefix + "param_grad/")
    params = dict(layer.named_parameters())
    assert set(params) == set(expected_grads), f"{case}: parameter names"
    for key, p in params.items():
        np.testing.assert_allclose(p.grad, expected_grads[key], **TOLERANCE, err_msg=f"{case}: dL/d{key}")
    after = _group(arrays, prefix + "state_after/")
    state = layer.state_dict()
    assert set(state) == set(after), f"{case}: state_dict keys"
    for key, value in after.items():
        assert state[key].shape == value.shape, f"{case}: {key} shape"
        np.testing.assert_allclose(state[key], value, **TOLERANCE, err_msg=f"{case}: {key} after forward")
    np.testing.assert_array_equal(x, arrays[prefix + "x"], err_msg=f"{case}: input was modified")


def check_loss_case(arrays: dict[str, np.ndarray], case: str, make=None) -> None:
    """lddl's loss (or ``make(reduction=..., **kwargs)``) against torch's loss value and dL/dpred."""
    prefix = f"loss/{case}/"
    spec = json.loads(str(arrays[prefix + "spec"]))
    make = make or LOSSES[spec["type"]]
    loss_fn = make(reduction=spec["reduction"], **spec["kwargs"])
    pred, target = arrays[prefix + "pred"].copy(), arrays[prefix + "target"].copy()
    value = loss_fn(pred, target)
    if spec["reduction"] == "none":
        assert isinstance(value, np.ndarray)
    else:
        assert isinstance(value, float)
    np.testing.assert_allclose(value, arrays[prefix + "loss"], **TOLERANCE, err_msg=f"{case}: loss")
    grad = loss_fn.backward()
    np.testing.assert_allclose(grad, arrays[prefix + "dpred"], **TOLERANCE, err_msg=f"{case}: dL/dpred")


def check_sequential(arrays: dict[str, np.ndarray]) -> None:
    spec = json.loads(str(arrays["sequential/spec"]))
    model = nn.Sequential(*(build_layer(item["type"], item["kwargs"]) for item in spec))
    model.load_state_dict(_group(arrays, "sequential/state/"))
    model.eval()
    y = model(arrays["sequential/x"])
    np.testing.assert_allclose(y, arrays["sequential/y_eval"], **TOLERANCE, err_msg="sequential eval output")


# --- the same numbers through the compiled training step ------------------------------------------
# The compiled step computes no dL/dx of its input (data), so a probe layer goes first: a Linear(N, C)
# whose weight is x.T, fed the N x N identity, outputs x, and its weight gradient is (dL/dx).T.


def _probe(x: np.ndarray) -> nn.Linear:
    probe = nn.Linear(x.shape[0], x.shape[1], bias=False, dtype=np.float64)
    probe.weight.data = x.T
    return probe


def _compiled_case(layers: list[nn.Module], x: np.ndarray, loss_fn, target, training: bool = True):
    """(loss, dL/dx, model) of one compiled step of Sequential(probe, *layers) at input x."""
    model = nn.Sequential(_probe(x), *layers).train(training)
    optimizer = nn.SGD(model.parameters(), lr=0.0)
    step = nn.compile_step(model, loss_fn, optimizer)
    assert step is not None, nn.not_compiled_reason(model, loss_fn, optimizer)
    loss = step.forward_backward(np.eye(x.shape[0]), target)
    return loss, model[0].weight.grad.T.copy(), model


def compiled_layer_cases() -> list[str]:
    """The layer cases the compiled step supports (2-D input, a supported layer)."""
    cases = []
    for case in LAYER_NAMES:
        spec = json.loads(str(FIXTURE[f"layer/{case}/spec"]))
        layer = build_layer(spec["type"], spec["kwargs"])
        model = nn.Sequential(nn.Linear(1, 1, dtype=np.float64), layer)
        supported = nn.not_compiled_reason(model, nn.MSELoss(), nn.SGD(model.parameters())) is None
        if supported and FIXTURE[f"layer/{case}/x"].ndim == 2:
            cases.append(case)
    return cases


def check_layer_case_compiled(arrays: dict[str, np.ndarray], case: str) -> None:
    """The layer's dL/dx and parameter gradients, taken by the compiled step: upstream gradient G
    from MSELoss("sum") against target y_torch - G / 2, whose dL/dy is 2 (y - y_torch) + G = G."""
    prefix = f"layer/{case}/"
    spec = json.loads(str(arrays[prefix + "spec"]))
    layer = build_layer(spec["type"], spec["kwargs"])
    layer.load_state_dict(_group(arrays, prefix + "state/"))
    target = arrays[prefix + "y"] - arrays[prefix + "grad_out"] / 2
    _, dx, model = _compiled_case([layer], arrays[prefix + "x"], nn.MSELoss("sum"), target, spec["train"])
    np.testing.assert_allclose(dx, arrays[prefix + "dx"], **TOLERANCE, err_msg=f"{case}: compiled dL/dx")
    for key, expected in _group(arrays, prefix + "param_grad/").items():
        got = dict(model[1].named_parameters())[key].grad
        np.testing.assert_allclose(got, expected, **TOLERANCE, err_msg=f"{case}: compiled dL/d{key}")


def check_loss_case_compiled(arrays: dict[str, np.ndarray], case: str) -> None:
    """The loss value and dL/dpred, taken by the compiled step."""
    prefix = f"loss/{case}/"
    spec = json.loads(str(arrays[prefix + "spec"]))
    loss_fn = LOSSES[spec["type"]](reduction=spec["reduction"], **spec["kwargs"])
    loss, dpred, _ = _compiled_case([], arrays[prefix + "pred"], loss_fn, arrays[prefix + "target"])
    np.testing.assert_allclose(loss, arrays[prefix + "loss"], **TOLERANCE, err_msg=f"{case}: compiled loss")
    np.testing.assert_allclose(
        dpred, arrays[prefix + "dpred"], **TOLERANCE, err_msg=f"{case}: compiled dL/dpred"
    )


COMPILED_LAYERS = compiled_layer_cases()
COMPILED_LOSSES = [c for c in LOSS_NAMES if not c.endswith("_none") and FIXTURE[f"loss/{c}/pred"].ndim == 2]


@pytest.mark.parametrize("case", COMPILED_LAYERS)
def test_compiled_layer_matches_torch_fixture(case):
    check_layer_case_compiled(FIXTURE, case)


@pytest.mark.parametrize("case", COMPILED_LOSSES)
def test_compiled_loss_matches_torch_fixture(case):
    check_loss_case_compiled(FIXTURE, case)


def test_compiled_cases_cover_every_supported_kind():
    kinds = {json.loads(str(FIXTURE[f"layer/{c}/spec"]))["type"] for c in COMPILED_LAYERS}
    assert kinds >= {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "elu", "silu", "softplus"}
    losses = {json.loads(str(FIXTURE[f"loss/{c}/spec"]))["type"] for c in COMPILED_LOSSES}
    assert losses == set(LOSSES.names())


def test_compiled_parity_check_catches_a_planted_difference():
    planted = dict(FIXTURE)
    planted["layer/gelu/dx"] = FIXTURE["layer/gelu/dx"] * (1 + 1e-8)
    with pytest.raises(AssertionError, match="gelu: compiled dL/dx"):
        check_layer_case_compiled(planted, "gelu")
    planted["loss/mse_mean/dpred"] = FIXTURE["loss/mse_mean/dpred"] * 4
    with pytest.raises(AssertionError, match="mse_mean: compiled dL/dpred"):
        check_loss_case_compiled(planted, "mse_mean")


def test_fixture_covers_every_registered_layer_and_loss():
    assert {json.loads(str(FIXTURE[f"layer/{c}/spec"]))["type"] for c in LAYER_NAMES} == set(LAYERS.names())
    assert {json.loads(str(FIXTURE[f"loss/{c}/spec"]))["type"] for c in LOSS_NAMES} == set(LOSSES.names())
    assert (FIXTURES / "torch_layers.npz").stat().st_size < 1_000_000
    assert str(FIXTURE["meta/torch_version"]).startswith(SCRIPT.TORCH_VERSION)


@pytest.mark.parametrize("case", LAYER_NAMES)
def test_layer_matches_torch_fixture(case):
    check_layer_case(FIXTURE, case)


@pytest.mark.parametrize("case", LOSS_NAMES)
def test_loss_matches_torch_fixture(case):
    check_loss_case(FIXTURE, case)


def test_torch_sequential_state_dict_loads_into_lddl_fixture():
    check_sequential(FIXTURE)


def test_parity_check_catches_a_planted_difference():
    planted = dict(FIXTURE)
    planted["layer/gelu/dx"] = FIXTURE["layer/gelu/dx"] * (1 + 1e-8)
    with pytest.raises(AssertionError, match="gelu: dL/dx"):
        check_layer_case(planted, "gelu")
    planted["loss/mse_mean/dpred"] = FIXTURE["loss/mse_mean/dpred"] * 4  # the batch-size-too-large gradient
    with pytest.raises(AssertionError, match="dL/dpred"):
        check_loss_case(planted, "mse_mean")


class _MeanOverRows(nn.CrossEntropyLoss):
    """Planted mistake: "mean" divides the sum by N, not by the weights of the targets kept."""

    def __init__(self, reduction: str = "mean", **kwargs) -> None:
        assert reduction == "mean"
        super().__init__(reduction="sum", **kwargs)

    def forward(self, pred, target):
        self._rows = pred.shape[0]
        return super().forward(pred, target) / self._rows

    def backward(self):
        return super().backward() / self._rows


class _PosWeightOnlyInForward(nn.BCEWithLogitsLoss):
    """Planted mistake: the backward of the loss without pos_weight."""

    def backward(self):
        self._log_weight = None
        return super().backward()


@pytest.mark.parametrize(
    ("case", "make", "label"),
    [
        ("cross_entropy_weight_mean", _MeanOverRows, "loss"),
        ("cross_entropy_ignore_mean", _MeanOverRows, "loss"),
        ("cross_entropy_all_options_mean", _MeanOverRows, "loss"),
        ("bce_with_logits_pos_weight_sum", _PosWeightOnlyInForward, "dL/dpred"),
    ],
)
def test_loss_option_check_catches_a_planted_mistake(case, make, label):
    check_loss_case(FIXTURE, case)  # the real loss passes the same comparison
    with pytest.raises(AssertionError, match=f"{case}: {label}"):
        check_loss_case(FIXTURE, case, make)


# --- live: the same cases recomputed by torch now ---------------------------------------------------


@pytest.fixture(scope="module")
def live(torch):
    return SCRIPT.build_cases(torch)


@pytest.mark.parametrize("case", LAYER_NAMES)
def test_layer_matches_torch_live(live, case):
    check_layer_case(live, case)


@pytest.mark.parametrize("case", LOSS_NAMES)
def test_loss_matches_torch_live(live, case):
    check_loss_case(live, case)


@pytest.mark.parametrize("case", COMPILED_LAYERS)
def test_compiled_layer_matches_torch_live(live, case):
    check_layer_case_compiled(live, case)


@pytest.mark.parametrize("case", COMPILED_LOSSES)
def test_compiled_loss_matches_torch_live(live, case):
    check_loss_case_compiled(live, case)


def test_torch_sequential_state_dict_loads_into_lddl_live(live):
    check_sequential(live)

"""state_dict interchange with PyTorch: lddl -> torch.nn.Sequential and torch -> lddl, same outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn.state import load_state, save_state

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "torch_layers.npz"


def _lddl_model(rng, dropout: bool = True) -> nn.Sequential:
    layers = [
        nn.Linear(3, 8, dtype=np.float64, rng=rng),
        nn.BatchNorm1d(8, dtype=np.float64),
        nn.GELU(),
        nn.Linear(8, 6, dtype=np.float64, rng=rng),
        nn.LayerNorm(6, dtype=np.float64),
        nn.Tanh(),
    ]
    if dropout:
        layers.append(nn.Dropout(0.2))
    layers.append(nn.Linear(6, 2, dtype=np.float64, rng=rng))
    model = nn.Sequential(*layers)
    for p in model.parameters():  # away from the ones/zeros defaults of the norms
        p.data[...] = rng.standard_normal(p.shape)
    model[1].running_mean[...] = rng.standard_normal(8)
    model[1].running_var[...] = rng.uniform(0.5, 2.0, 8)
    return model


def _torch_model(torch, dropout: bool = True):
    layers = [
        torch.nn.Linear(3, 8),
        torch.nn.BatchNorm1d(8),
        torch.nn.GELU(),
        torch.nn.Linear(8, 6),
        torch.nn.LayerNorm(6),
        torch.nn.Tanh(),
    ]
    if dropout:
        layers.append(torch.nn.Dropout(0.2))
    layers.append(torch.nn.Linear(6, 2))
    return torch.nn.Sequential(*layers).to(torch.float64)


def test_lddl_state_dict_has_torch_names_shapes_and_dtypes():
    """Fixture-based: the keys, shapes and dtypes of torch's state_dict of the same model."""
    with np.load(FIXTURE, allow_pickle=False) as archive:
        prefix = "sequential/state/"
        torch_state = {k[len(prefix) :]: archive[k] for k in archive.files if k.startswith(prefix)}
        spec = json.loads(str(archive["sequential/spec"]))
    assert [item["type"] for item in spec][:6] == [
        "linear",
        "batch_norm1d",
        "gelu",
        "linear",
        "layer_norm",
        "tanh",
    ]
    lddl_state = _lddl_model(np.random.default_rng(0)).state_dict()
    assert list(lddl_state) == list(torch_state)
    for key, value in torch_state.items():
        assert lddl_state[key].shape == value.shape and lddl_state[key].dtype == value.dtype, key


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_lddl_state_dict_loads_into_torch_with_the_same_outputs(torch, rng, tmp_path, mode):
    dropout = mode == "eval"  # a train-mode dropout mask is random in both libraries
    model = _lddl_model(rng, dropout)
    save_state(tmp_path / "model.npz", model.state_dict(), {"format": 1})
    state, _ = load_state(tmp_path / "model.npz")
    reference = _torch_model(torch, dropout)
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})  # strict by default
    model.train(mode == "train")
    reference.train(mode == "train")
    x = rng.standard_normal((9, 3))
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x), expected, rtol=1e-10, atol=1e-12)
    after = {k: v.numpy() for k, v in reference.state_dict().items()}
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, after[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_torch_state_dict_converted_to_numpy_loads_into_lddl(torch, rng):
    torch.manual_seed(3)
    reference = _torch_model(torch)
    with torch.no_grad():
        reference[1].running_mean.normal_()
        reference[1].running_var.uniform_(0.5, 2.0)
        reference[4].weight.normal_()
    reference.eval()
    model = _lddl_model(np.random.default_rng(1))
    model.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    model.eval()
    x = rng.standard_normal((9, 3))
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x), expected, rtol=1e-10, atol=1e-12)


def test_torch_refuses_a_misnamed_lddl_state(torch, rng):
    """The check above can fail: torch's strict loading rejects a wrongly named key."""
    state = _lddl_model(rng).state_dict()
    state["0.w"] = state.pop("0.weight")
    with pytest.raises(RuntimeError, match="0.weight"):
        _torch_model(torch).load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})

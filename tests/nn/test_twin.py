"""End-to-end twin: the tutorial's sine network trained 200 steps in lddl and in PyTorch.

Same initial weights (torch's default init, from the fixture), same batches of 4 (from a 100-point
subset, reshuffled every epoch, last batch dropped), float64, MSELoss, with SGD(lr 0.01, momentum
0.9) and with Adam: the loss of every step agrees to 1e-9 relative. The fixture version compares
against losses PyTorch wrote (tests/fixtures/make_torch_optim.py); the live version runs torch.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import compiled_optim

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RTOL = 1e-9


def _load_script():
    spec = importlib.util.spec_from_file_location("make_torch_optim_twin", FIXTURES / "make_torch_optim.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REF = _load_script()


@pytest.fixture(scope="module")
def fixture() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "torch_optim.npz", allow_pickle=False) as data:
        return {key: data[key] for key in data.files if key.startswith("twin/")}


def _initial(fixture) -> list[np.ndarray]:
    return [fixture[f"twin/initial/{i}"] for i in range(2 * (len(REF.TWIN_WIDTHS) - 1))]


def sine_net(initial: list[np.ndarray]) -> nn.Sequential:
    """Linear(1,16) ReLU Linear(16,64) ReLU Linear(64,16) ReLU Linear(16,1), float64, given weights."""
    layers: list[nn.Module] = []
    widths = REF.TWIN_WIDTHS
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:], strict=False)):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(n_in, n_out, dtype=np.float64, rng=np.random.default_rng(i)))
    model = nn.Sequential(*layers)
    model.load_state_dict(dict(zip(model.state_dict(), initial, strict=True)))
    return model


def lddl_twin_losses(case: str, initial: list[np.ndarray], optimizer_class=None, path="eager") -> np.ndarray:
    x, y, batches = REF.twin_data()
    model = sine_net(initial)
    name, kwargs = REF.TWIN_OPTIMIZERS[case]
    optimizer = (optimizer_class or getattr(nn, name))(model.parameters(), **kwargs)
    loss_fn = nn.MSELoss()
    losses = []
    if path == "compiled":
        step = nn.compile_step(model, loss_fn, optimizer)
        return np.asarray([step(x[index], y[index]) for index in batches])
    for index in batches:
        loss = loss_fn(model(x[index]), y[index])
        model.backward(loss_fn.backward())
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss)
    return np.asarray(losses)


def assert_losses_match(ours: np.ndarray, reference: np.ndarray, label: str) -> None:
    assert ours.shape == reference.shape == (REF.TWIN_STEPS,), f"{label}: {ours.shape} vs {reference.shape}"
    relative = np.abs(ours - reference) / np.abs(reference)
    bad = np.flatnonzero(relative > RTOL)
    assert bad.size == 0, (
        f"{label}: loss differs from torch first at step {bad[0] if bad.size else -1}, "
        f"max relative difference {relative.max():.3e}"
    )


@pytest.mark.parametrize("path", ["eager", "compiled"])
@pytest.mark.parametrize("case", list(REF.TWIN_OPTIMIZERS))
def test_twin_matches_torch_fixture(fixture, case, path):
    ours = lddl_twin_losses(case, _initial(fixture), path=path)
    assert_losses_match(ours, fixture[f"twin/{case}/loss"], case)
    assert ours[-20:].mean() < 0.5 * ours[:20].mean(), "the network did not learn"


@pytest.mark.parametrize("path", ["eager", "compiled"])
@pytest.mark.parametrize("case", list(REF.TWIN_OPTIMIZERS))
def test_twin_matches_torch_live(torch, case, path):
    initial = REF.torch_twin_initial(torch)
    ours = lddl_twin_losses(case, initial, path=path)
    assert_losses_match(ours, REF.torch_twin_losses(torch, case, initial), case)


def test_twin_initial_weights_are_torch_default_init(torch, fixture):
    for ours, fresh in zip(_initial(fixture), REF.torch_twin_initial(torch), strict=True):
        np.testing.assert_array_equal(ours, fresh)


class _SGDWithoutMomentumEffect(nn.SGD):
    """Planted mistake: the tutorial's momentum, whose velocity is never stored."""

    def _update(self, group, flat):
        flat.buffers.data[...] -= group["lr"] * flat.buffers.grad


def _planted_compiled_momentum(group, flat, scratch):
    """Planted mistake in the compiled update: the velocity computed but never stored."""
    flat.buffers.data[...] -= group["lr"] * flat.buffers.grad


def test_twin_checker_catches_a_planted_mistake_in_the_compiled_step(fixture, monkeypatch):
    monkeypatch.setitem(compiled_optim.UPDATES, nn.SGD, _planted_compiled_momentum)
    ours = lddl_twin_losses("sgd_momentum", _initial(fixture), path="compiled")
    with pytest.raises(AssertionError, match="differs from torch"):
        assert_losses_match(ours, fixture["twin/sgd_momentum/loss"], "sgd_momentum")


def test_twin_checker_catches_planted_mistake(fixture):
    ours = lddl_twin_losses("sgd_momentum", _initial(fixture), _SGDWithoutMomentumEffect)
    with pytest.raises(AssertionError, match="differs from torch"):
        assert_losses_match(ours, fixture["twin/sgd_momentum/loss"], "sgd_momentum")

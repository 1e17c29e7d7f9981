"""lddl's optimizers and LR schedulers against PyTorch, 25 steps in float64.

The committed fixture (numbers written by tests/fixtures/make_torch_optim.py with torch itself)
always runs; the live tests recompute the torch side on the fly when torch is importable. At
every step: |p_lddl - p_torch| <= 1e-12 + 1e-10 |p_torch| for every parameter, the same state
keys with the same values, and the same lr in every parameter group.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn.compiled_optim import FusedUpdate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ATOL, RTOL = 1e-12, 1e-10


def _load_script():
    spec = importlib.util.spec_from_file_location("make_torch_optim", FIXTURES / "make_torch_optim.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REF = _load_script()
CASES = [*REF.OPTIMIZER_CASES, *REF.SCHEDULER_CASES]


@pytest.fixture(scope="module")
def fixture() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "torch_optim.npz", allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def lddl_run(case: str, optimizer_classes=None, path: str = "eager") -> dict[str, np.ndarray]:
    """lddl's trajectory for one case, keyed exactly like the fixture (see make_torch_optim.py).

    ``path="compiled"`` takes every step with the compiled step's update (``FusedUpdate``)
    instead of ``optimizer.step()``.
    """
    optimizer_classes = optimizer_classes or {}
    initial, grads = REF.optimizer_inputs()
    params = [nn.Parameter(a) for a in initial]
    scheduler = None
    if case in REF.OPTIMIZER_CASES:
        name, kwargs = REF.OPTIMIZER_CASES[case]
        optimizer = optimizer_classes.get(name, getattr(nn, name))(params, **kwargs)
    else:
        name, kwargs = REF.SCHEDULER_CASES[case]
        groups = [
            {"params": params[:1], "lr": REF.SCHEDULER_GROUP_LRS[0]},
            {"params": params[1:], "lr": REF.SCHEDULER_GROUP_LRS[1]},
        ]
        optimizer = nn.SGD(groups, **REF.SCHEDULER_OPTIMIZER)
        scheduler = getattr(nn, name)(optimizer, **kwargs)
    result: dict[str, list] = {"lr": [[g["lr"] for g in optimizer.param_groups]]}
    step_once = FusedUpdate(optimizer) if path == "compiled" else optimizer.step
    for step, step_grads in enumerate(grads):
        for p, g in zip(params, step_grads, strict=True):
            p.grad = g
        step_once()
        if scheduler is not None:
            if name == "ReduceLROnPlateau":
                scheduler.step(REF.PLATEAU_METRICS[step])
            else:
                scheduler.step()
            assert scheduler.get_last_lr() == [g["lr"] for g in optimizer.param_groups]
        result["lr"].append([g["lr"] for g in optimizer.param_groups])
        for i, p in enumerate(params):
            result.setdefault(f"param/{i}", []).append(p.data.copy())
        for i, entry in optimizer.state_dict()["state"].items():
            for key, value in entry.items():
                result.setdefault(f"state/{key}/{i}", []).append(value)
    return {key: np.asarray(value, dtype=np.float64) for key, value in result.items()}


def assert_trajectories_match(
    ours: dict[str, np.ndarray], reference: dict[str, np.ndarray], label: str
) -> None:
    """Same keys (parameters, state buffers, lr) and, at every step, values within ATOL + RTOL |ref|."""
    assert sorted(ours) == sorted(reference), f"{label}: keys differ: {sorted(set(ours) ^ set(reference))}"
    for key, expected in reference.items():
        actual = ours[key]
        assert actual.shape == expected.shape, f"{label} {key}: shape {actual.shape} != {expected.shape}"
        bad = np.abs(actual - expected) > ATOL + RTOL * np.abs(expected)
        if bad.any():
            step = int(np.argwhere(bad)[0][0])
            worst = float(np.max(np.abs(actual - expected)))
            raise AssertionError(
                f"{label} {key}: first mismatch at step index {step}, max |diff| {worst:.3e}"
            )


def _reference_from_fixture(fixture: dict[str, np.ndarray], case: str) -> dict[str, np.ndarray]:
    prefix = f"{case}/"
    return {key[len(prefix) :]: value for key, value in fixture.items() if key.startswith(prefix)}


@pytest.mark.parametrize("path", ["eager", "compiled"])
@pytest.mark.parametrize("case", CASES)
def test_matches_torch_fixture(fixture, case, path):
    assert_trajectories_match(lddl_run(case, path=path), _reference_from_fixture(fixture, case), case)


@pytest.mark.parametrize("path", ["eager", "compiled"])
@pytest.mark.parametrize("case", CASES)
def test_matches_torch_live(torch, case, path):
    assert_trajectories_match(lddl_run(case, path=path), REF.torch_optimizer_run(torch, case), case)


def test_fixture_is_current(torch, fixture):
    """The committed numbers are what the script produces with this torch (regenerate if not)."""
    for case in CASES:
        fresh = REF.torch_optimizer_run(torch, case)
        assert_trajectories_match(fresh, _reference_from_fixture(fixture, case), f"fixture {case}")


def test_fixture_is_small():
    assert (FIXTURES / "torch_optim.npz").stat().st_size < 1_000_000


# --- the checker catches planted mistakes ------------------------------------------------------
class _VelocityNotStored(nn.SGD):
    """The tutorial's SGD: the velocity is computed but never stored, so momentum has no effect."""

    def _update(self, group, flat):
        velocity = group["momentum"] * np.zeros_like(flat.buffers.data) + flat.buffers.grad
        flat.buffers.data[...] -= group["lr"] * velocity


class _AdamWithDrift(nn.Adam):
    def _update(self, group, flat):
        super()._update(group, flat)
        flat.buffers.data[...] *= 1 + 1e-9  # a tiny systematic drift: still must be caught


@pytest.mark.parametrize(
    ("case", "classes"),
    [("sgd_momentum", {"SGD": _VelocityNotStored}), ("adam", {"Adam": _AdamWithDrift})],
)
def test_checker_catches_planted_mistake(fixture, case, classes):
    with pytest.raises(AssertionError):
        assert_trajectories_match(lddl_run(case, classes), _reference_from_fixture(fixture, case), case)


def test_checker_catches_missing_state_key(fixture):
    ours = lddl_run("adam_amsgrad")
    del ours["state/max_exp_avg_sq/0"]
    with pytest.raises(AssertionError, match="keys differ"):
        assert_trajectories_match(ours, _reference_from_fixture(fixture, "adam_amsgrad"), "adam_amsgrad")

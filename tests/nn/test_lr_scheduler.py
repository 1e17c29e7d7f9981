"""LR schedulers: closed forms, state_dict round trips, validation, registry names.

The step-by-step comparison with torch.optim.lr_scheduler lives in test_optim_torch.py (scheduler
cases of the fixture); here each recursive schedule is checked against its closed form.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn.registry import SCHEDULERS

BASE_LRS = (0.1, 0.03)


def make_optimizer() -> nn.SGD:
    groups = [{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in BASE_LRS]
    return nn.SGD(groups, momentum=0.9)


def step_lrs(scheduler, epochs: int) -> list[list[float]]:
    """lr of every group at epochs 0 (after construction) .. epochs."""
    lrs = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    return lrs


def check_closed_form(scheduler, closed_form, epochs: int = 30) -> list[list[float]]:
    """Every group's lr at epochs 0..epochs equals closed_form(base_lr, epoch) to 1e-12."""
    lrs = step_lrs(scheduler, epochs)
    for t, lr in enumerate(lrs):
        for base, value in zip(BASE_LRS, lr, strict=True):
            assert value == pytest.approx(closed_form(base, t), rel=1e-12, abs=1e-15), f"epoch {t}"
    return lrs


CLOSED_FORMS = [
    (nn.StepLR, {"step_size": 3, "gamma": 0.5}, lambda base, t: base * 0.5 ** (t // 3)),
    (
        nn.MultiStepLR,
        {"milestones": [2, 5, 5, 9], "gamma": 0.1},
        lambda base, t: base * 0.1 ** sum(m <= t for m in [2, 5, 5, 9]),
    ),
    (nn.ExponentialLR, {"gamma": 0.9}, lambda base, t: base * 0.9**t),
    (
        nn.CosineAnnealingLR,
        {"T_max": 8, "eta_min": 0.001},
        lambda base, t: 0.001 + (base - 0.001) * (1 + math.cos(math.pi * t / 8)) / 2,
    ),
    (
        nn.LinearLR,
        {"start_factor": 0.2, "end_factor": 1.0, "total_iters": 6},
        lambda base, t: base * (0.2 + 0.8 * min(t, 6) / 6),
    ),
    (
        nn.LinearLR,
        {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 4},
        lambda base, t: base * (1.0 - min(t, 4) / 4),
    ),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "closed_form"), CLOSED_FORMS, ids=lambda v: getattr(v, "__name__", "")
)
def test_schedule_matches_closed_form(cls, kwargs, closed_form):
    optimizer = make_optimizer()
    lrs = check_closed_form(cls(optimizer, **kwargs), closed_form)
    assert [g["lr"] for g in optimizer.param_groups] == lrs[-1]
    assert [g["initial_lr"] for g in optimizer.param_groups] == list(BASE_LRS)


class _StepLRDecayingAtZero(nn.StepLR):
    """Planted mistake: decays at epoch 0 too (0 % step_size == 0), one step too early."""

    def get_lr(self):
        if self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


def test_closed_form_check_catches_planted_mistake():
    _, kwargs, closed_form = CLOSED_FORMS[0]
    with pytest.raises(AssertionError, match="epoch 0"):
        check_closed_form(_StepLRDecayingAtZero(make_optimizer(), **kwargs), closed_form)


def test_cosine_continues_past_t_max_like_torch():
    lrs = step_lrs(nn.CosineAnnealingLR(make_optimizer(), T_max=4), 8)
    assert lrs[4][0] == pytest.approx(0.0, abs=1e-15)
    assert lrs[8][0] == pytest.approx(0.1, rel=1e-12)


def test_plateau_reduces_after_patience_and_waits_for_cooldown():
    optimizer = make_optimizer()
    scheduler = nn.ReduceLROnPlateau(optimizer, factor=0.5, patience=2, cooldown=2, min_lr=[0.02, 0.0])
    lrs = []
    for metric in [1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    # best 0.5 at epoch 2; bad epochs 3,4,5 -> reduce at 5; cooldown 6,7; bad 8,9,10 -> reduce at 10.
    assert lrs == [0.1] * 4 + [0.05] * 5 + [0.025] * 3
    for _ in range(20):
        scheduler.step(1.0)
    assert scheduler.get_last_lr() == [0.02, pytest.approx(0.03 * 0.5**6)]
    assert scheduler.get_last_lr()[0] == 0.02  # min_lr holds


@pytest.mark.parametrize(
    ("mode", "threshold_mode", "best", "improving", "not_improving"),
    [
        ("min", "rel", 1.0, 0.98, 0.995),
        ("min", "abs", 1.0, 0.94, 0.96),
        ("max", "rel", 1.0, 1.02, 1.005),
        ("max", "abs", 1.0, 1.06, 1.04),
    ],
)
def test_plateau_improvement_threshold(mode, threshold_mode, best, improving, not_improving):
    threshold = 0.01 if threshold_mode == "rel" else 0.05
    scheduler = nn.ReduceLROnPlateau(
        make_optimizer(), mode=mode, threshold=threshold, threshold_mode=threshold_mode
    )
    assert scheduler.is_better(improving, best)
    assert not scheduler.is_better(not_improving, best)


def test_plateau_compares_mode_by_value():
    mode = "".join(["m", "a", "x"])  # equal to "max", not the same object: as read from YAML
    scheduler = nn.ReduceLROnPlateau(make_optimizer(), mode=mode)
    assert scheduler.is_better(2.0, 1.0)


SCHEDULERS_FOR_STATE = [
    (nn.StepLR, {"step_size": 3}),
    (nn.MultiStepLR, {"milestones": [2, 4]}),
    (nn.ExponentialLR, {"gamma": 0.8}),
    (nn.CosineAnnealingLR, {"T_max": 6}),
    (nn.LinearLR, {}),
]


@pytest.mark.parametrize(("cls", "kwargs"), SCHEDULERS_FOR_STATE, ids=lambda v: getattr(v, "__name__", ""))
def test_state_dict_round_trip_continues_identically(cls, kwargs):
    optimizer = make_optimizer()
    scheduler = cls(optimizer, **kwargs)
    step_lrs(scheduler, 4)
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved = copy.deepcopy(scheduler.state_dict())
    assert "optimizer" not in saved and saved["last_epoch"] == 4
    expected = step_lrs(scheduler, 6)

    optimizer2 = make_optimizer()
    scheduler2 = cls(optimizer2, **kwargs)
    optimizer2.load_state_dict(saved_optimizer)
    scheduler2.load_state_dict(saved)
    assert step_lrs(scheduler2, 6) == expected


def test_plateau_state_dict_round_trip():
    optimizer = make_optimizer()
    scheduler = nn.ReduceLROnPlateau(optimizer, patience=1)
    for metric in [1.0, 1.0, 1.0]:
        scheduler.step(metric)
    saved_optimizer, saved = copy.deepcopy(optimizer.state_dict()), copy.deepcopy(scheduler.state_dict())
    for metric in [1.0, 0.5, 0.7, 0.7]:
        scheduler.step(metric)
    optimizer2 = make_optimizer()
    scheduler2 = nn.ReduceLROnPlateau(optimizer2, patience=1)
    optimizer2.load_state_dict(saved_optimizer)
    scheduler2.load_state_dict(saved)
    for metric in [1.0, 0.5, 0.7, 0.7]:
        scheduler2.step(metric)
    assert scheduler2.get_last_lr() == scheduler.get_last_lr()
    assert scheduler2.best == scheduler.best == 0.5


def test_load_state_dict_rejects_unknown_keys():
    scheduler = nn.StepLR(make_optimizer(), step_size=2)
    with pytest.raises(ValueError, match="'gama'"):
        scheduler.load_state_dict({"gama": 0.5})


INVALID = [
    (nn.StepLR, {"step_size": 0}, "Invalid step_size: 0"),
    (nn.StepLR, {"step_size": 2.5}, "Invalid step_size: 2.5"),
    (nn.StepLR, {"step_size": 2, "gamma": -0.1}, "Invalid gamma: -0.1"),
    (nn.MultiStepLR, {"milestones": [3, 2]}, "Invalid milestones"),
    (nn.MultiStepLR, {"milestones": [0, 2]}, "Invalid milestone: 0"),
    (nn.MultiStepLR, {"milestones": [2], "gamma": 0}, "Invalid gamma: 0"),
    (nn.ExponentialLR, {"gamma": float("nan")}, "Invalid gamma: nan"),
    (nn.CosineAnnealingLR, {"T_max": 0}, "Invalid T_max: 0"),
    (nn.CosineAnnealingLR, {"T_max": 5, "eta_min": -1.0}, "Invalid eta_min: -1.0"),
    (nn.LinearLR, {"start_factor": 0.0}, "Invalid start_factor: 0.0"),
    (nn.LinearLR, {"start_factor": 1.5}, "Invalid start_factor: 1.5"),
    (nn.LinearLR, {"end_factor": 1.5}, "Invalid end_factor: 1.5"),
    (nn.LinearLR, {"total_iters": 0}, "Invalid total_iters: 0"),
    (nn.ReduceLROnPlateau, {"mode": "minimum"}, "Invalid mode: 'minimum'"),
    (nn.ReduceLROnPlateau, {"threshold_mode": "relative"}, "Invalid threshold_mode: 'relative'"),
    (nn.ReduceLROnPlateau, {"factor": 1.0}, "Invalid factor: 1.0"),
    (nn.ReduceLROnPlateau, {"patience": -1}, "Invalid patience: -1"),
    (nn.ReduceLROnPlateau, {"threshold": -1e-4}, "Invalid threshold: -0.0001"),
    (nn.ReduceLROnPlateau, {"cooldown": 1.5}, "Invalid cooldown: 1.5"),
    (nn.ReduceLROnPlateau, {"min_lr": [0.0]}, "Invalid min_lr: expected 2 values"),
    (nn.ReduceLROnPlateau, {"min_lr": -1}, "Invalid min_lr: -1"),
    (nn.ReduceLROnPlateau, {"eps": -1.0}, "Invalid eps: -1.0"),
]


@pytest.mark.parametrize(("cls", "kwargs", "message"), INVALID, ids=[m for _, _, m in INVALID])
def test_invalid_arguments_raise_value_error(cls, kwargs, message):
    optimizer = make_optimizer()
    before = [g["lr"] for g in optimizer.param_groups]
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        cls(optimizer, **kwargs)
    assert [g["lr"] for g in optimizer.param_groups] == before


@pytest.mark.parametrize(
    "build", [lambda: nn.StepLR([nn.Parameter(np.zeros(1))], 2), lambda: nn.ReduceLROnPlateau(object())]
)
def test_needs_an_optimizer(build):
    with pytest.raises(TypeError, match="not an Optimizer"):
        build()


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("step", nn.StepLR),
        ("step_lr", nn.StepLR),
        ("multi_step", nn.MultiStepLR),
        ("exponential", nn.ExponentialLR),
        ("cosine", nn.CosineAnnealingLR),
        ("cosine_annealing", nn.CosineAnnealingLR),
        ("linear", nn.LinearLR),
        ("reduce_on_plateau", nn.ReduceLROnPlateau),
        ("plateau", nn.ReduceLROnPlateau),
    ],
)
def test_registry_names(name, cls):
    assert SCHEDULERS[name] is cls


def test_registry_suggests_on_typo():
    with pytest.raises(KeyError, match="did you mean 'cosine'"):
        SCHEDULERS["cosin"]

"""Optimizer invariants, the tutorial's mistakes, hyperparameter validation and state_dict.

Each mistake check is a function that raises AssertionError on a wrong optimizer; it is run on
lddl's optimizer (must pass) and on a planted implementation of the tutorial's mistake (must fail).
"""

from __future__ import annotations

import copy
import operator

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import optim

SHAPES = [(3, 4), (4,), (2, 1)]

CONFIGS = [
    (nn.SGD, {"lr": 0.05}),
    (nn.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (nn.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01, "decay_type": "l1"}),
    (nn.Adam, {"lr": 0.05}),
    (nn.Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01, "decay_type": "l1"}),
    (nn.AdamW, {"lr": 0.05}),
    (nn.AdamW, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    (nn.RMSprop, {"lr": 0.01}),
    (nn.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    (nn.Adagrad, {"lr": 0.1}),
    (nn.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1}),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for cls, kw in CONFIGS]


def make_params(rng, dtype=np.float64) -> list[nn.Parameter]:
    return [nn.Parameter(rng.standard_normal(shape).astype(dtype)) for shape in SHAPES]


def snapshot(params) -> list[np.ndarray]:
    return [p.data.copy() for p in params]


# --- invariants --------------------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_zero_learning_rate_changes_nothing(rng, cls, kwargs):
    params = make_params(rng)
    before = snapshot(params)
    optimizer = cls(params, **{**kwargs, "lr": 0.0})
    for _ in range(5):
        for p in params:
            p.grad = rng.standard_normal(p.shape)
        optimizer.step()
    for b, p in zip(before, params, strict=True):
        np.testing.assert_array_equal(p.data, b)


def quadratic(params, scales, centres) -> float:
    """f(w) = 0.5 * sum(a * (w - c)^2), a > 0: convex, minimum f = 0 at w = c."""
    return sum(
        0.5 * float(np.sum(a * (p.data - c) ** 2)) for p, a, c in zip(params, scales, centres, strict=True)
    )


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_twenty_steps_lower_a_convex_quadratic(rng, cls, kwargs, dtype):
    params = make_params(rng, dtype)
    scales = [rng.uniform(0.5, 2.0, size=p.shape).astype(dtype) for p in params]
    centres = [rng.standard_normal(p.shape).astype(dtype) for p in params]
    optimizer = cls(params, **kwargs)
    start = quadratic(params, scales, centres)
    for _ in range(20):
        optimizer.zero_grad()
        for p, a, c in zip(params, scales, centres, strict=True):
            p.grad += a * (p.data - c)
        optimizer.step()
    assert all(p.dtype == dtype for p in params)
    assert quadratic(params, scales, centres) < 0.9 * start


def _run(optimizer, params, grads, scheduler=None, metrics=None):
    for k, step_grads in enumerate(grads):
        for p, g in zip(params, step_grads, strict=True):
            p.grad = g
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None and metrics is not None:
            scheduler.step(metrics[k])
        elif scheduler is not None:
            scheduler.step()


SCHEDULERS = [
    (nn.StepLR, {"step_size": 3, "gamma": 0.5}),
    (nn.CosineAnnealingLR, {"T_max": 7}),
    (nn.LinearLR, {"total_iters": 8}),
    (nn.ReduceLROnPlateau, {"patience": 1, "factor": 0.5}),
]


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
@pytest.mark.parametrize(
    ("scheduler_cls", "scheduler_kwargs"), SCHEDULERS, ids=lambda v: getattr(v, "__name__", "")
)
def test_save_and_reload_mid_run_is_bit_identical(rng, cls, kwargs, scheduler_cls, scheduler_kwargs):
    grads = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(20)]
    metrics = list(rng.uniform(0.5, 1.0, size=20))
    use_metrics = metrics if scheduler_cls is nn.ReduceLROnPlateau else None
    params = make_params(rng)
    optimizer = cls(params, **kwargs)
    scheduler = scheduler_cls(optimizer, **scheduler_kwargs)
    _run(optimizer, params, grads[:10], scheduler, use_metrics and metrics[:10])
    saved_params = snapshot(params)
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_scheduler = copy.deepcopy(scheduler.state_dict())
    _run(optimizer, params, grads[10:], scheduler, use_metrics and metrics[10:])

    resumed = [nn.Parameter(a) for a in saved_params]
    optimizer2 = cls(resumed, **kwargs)
    scheduler2 = scheduler_cls(optimizer2, **scheduler_kwargs)
    # As a checkpoint read from disk may give them: string indices, lists for tuples.
    stored = {"state": {str(k): v for k, v in saved_optimizer["state"].items()}, "param_groups": []}
    for group in saved_optimizer["param_groups"]:
        stored["param_groups"].append({k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()})
    optimizer2.load_state_dict(stored)
    scheduler2.load_state_dict(saved_scheduler)
    _run(optimizer2, resumed, grads[10:], scheduler2, use_metrics and metrics[10:])
    for a, b in zip(params, resumed, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    assert scheduler.get_last_lr() == scheduler2.get_last_lr()


def test_reload_before_first_step_then_step_matches(rng):
    params = make_params(rng)
    twin = [nn.Parameter(p.data) for p in params]
    a, b = nn.Adam(params, lr=0.1), nn.Adam(twin, lr=0.1)
    b.load_state_dict(a.state_dict())
    grads = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(3)]
    _run(a, params, grads)
    _run(b, twin, grads)
    for p, q in zip(params, twin, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


# --- state_dict layout -------------------------------------------------------------------------
def test_state_dict_has_torch_layout(rng):
    params = make_params(rng)
    optimizer = nn.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}], amsgrad=True)
    assert optimizer.state_dict()["state"] == {}
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.step()
    optimizer.step()
    sd = optimizer.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert [g["lr"] for g in sd["param_groups"]] == [1e-3, 0.1]
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 1, 2]
    for i, p in enumerate(params):
        entry = sd["state"][i]
        assert list(entry) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        assert entry["step"] == 2.0
        assert all(entry[k].shape == p.shape for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"))
    sd["state"][0]["exp_avg"][...] = 123.0  # a copy: the optimizer is untouched
    assert not np.any(optimizer.state_dict()["state"][0]["exp_avg"] == 123.0)
    optimizer.state[params[0]]["exp_avg"][...] = 7.0  # .state gives views into the flat buffers
    np.testing.assert_array_equal(optimizer.state_dict()["state"][0]["exp_avg"], np.full(SHAPES[0], 7.0))


@pytest.mark.parametrize(
    ("cls", "kwargs", "keys"),
    [
        (nn.SGD, {}, None),
        (nn.SGD, {"momentum": 0.9}, ["momentum_buffer"]),
        (
            nn.RMSprop,
            {"momentum": 0.9, "centered": True},
            ["step", "square_avg", "momentum_buffer", "grad_avg"],
        ),
        (nn.RMSprop, {}, ["step", "square_avg"]),
        (nn.Adagrad, {}, ["step", "sum"]),
        (nn.AdamW, {}, ["step", "exp_avg", "exp_avg_sq"]),
    ],
)
def test_state_keys_are_torch_names(rng, cls, kwargs, keys):
    params = make_params(rng)
    optimizer = cls(params, **kwargs)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.step()
    state = optimizer.state_dict()["state"]
    if keys is None:
        assert state == {}
    else:
        assert [list(state[i]) for i in range(len(params))] == [keys] * len(params)


def test_adagrad_state_exists_from_construction(rng):
    params = make_params(rng)
    state = nn.Adagrad(params, initial_accumulator_value=0.5).state_dict()["state"]
    assert state[0]["step"] == 0.0
    np.testing.assert_array_equal(state[2]["sum"], np.full(SHAPES[2], 0.5))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda sd: sd["state"][1].__setitem__("exp_avg", np.zeros(7)), "parameter 1, key 'exp_avg'"),
        (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "parameter groups"),
        (lambda sd: sd["param_groups"][0].__setitem__("params", [0, 1]), "has 2 parameters"),
        (lambda sd: sd["state"][2].__setitem__("step", 7.0), "different steps"),
        (lambda sd: sd["state"][0].__setitem__("velocity", np.zeros(SHAPES[0])), "different state keys"),
        (lambda sd: sd["param_groups"][0].__setitem__("lr", -1.0), "Invalid learning rate: -1.0"),
        (lambda sd: sd["param_groups"][0].__setitem__("momentum", 0.9), "unknown hyperparameter"),
    ],
)
def test_load_state_dict_names_the_problem(rng, mutate, message):
    params = make_params(rng)
    optimizer = nn.Adam(params)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.step()
    sd = optimizer.state_dict()
    mutate(sd)
    before = snapshot(params)
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(sd)
    optimizer.step()  # a failed load leaves the optimizer usable
    assert not np.array_equal(params[0].data, before[0])


# --- flat buffers ------------------------------------------------------------------------------
def test_parameters_are_packed_and_zero_grad_clears_all(rng):
    params = make_params(rng)
    optimizer = nn.SGD(params, lr=0.1)
    flat = nn.pack_parameters(params)
    assert all(np.shares_memory(p.data, flat.data) and np.shares_memory(p.grad, flat.grad) for p in params)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.zero_grad()
    assert not flat.grad.any()


def test_repacking_the_parameters_elsewhere_is_an_error(rng):
    params = make_params(rng)
    optimizer = nn.SGD(params, lr=0.1)
    nn.pack_parameters(params[1:])  # moves two of the parameters into new buffers
    with pytest.raises(RuntimeError, match="re-packed"):
        optimizer.step()


def test_param_groups_use_their_own_hyperparameters(rng):
    params = make_params(rng)
    optimizer = nn.SGD([{"params": params[:1], "lr": 1.0}, {"params": params[1:]}], lr=0.5)
    before = snapshot(params)
    for p in params:
        p.grad = np.ones(p.shape)
    optimizer.step()
    np.testing.assert_allclose(params[0].data, before[0] - 1.0)
    np.testing.assert_allclose(params[1].data, before[1] - 0.5)
    optimizer.param_groups[1]["lr"] = 0.25  # schedulers change group["lr"]: read afresh each step
    optimizer.step()
    np.testing.assert_allclose(params[2].data, before[2] - 0.75)


def test_step_returns_the_closure_loss(rng):
    params = make_params(rng)
    assert nn.SGD(params).step(lambda: 1.5) == 1.5


# --- the tutorial's mistakes -------------------------------------------------------------------
def check_momentum_takes_effect(make_sgd) -> None:
    """Two steps with the same gradient g: the second moves by lr * (1 + momentum) * g."""
    p = nn.Parameter(np.zeros(3))
    optimizer = make_sgd([p], lr=0.1, momentum=0.9)
    g = np.array([1.0, -2.0, 0.5])
    p.grad = g
    optimizer.step()
    first = p.data.copy()
    optimizer.step()
    np.testing.assert_allclose(first, -0.1 * g)
    np.testing.assert_allclose(p.data - first, -0.1 * 1.9 * g, err_msg="momentum has no effect")


def check_weight_decay_uses_weights(make_sgd) -> None:
    """With a zero gradient, l2 decay moves w by -lr*wd*w and l1 by -lr*wd*sign(w)."""
    w = np.array([2.0, -0.5, 0.0, 3.0])
    for decay_type, penalty in (("l2", w), ("l1", np.sign(w))):
        # Built from parts: equal to the literal but not the same object, as a name read from YAML.
        decay_type = "".join(list(decay_type))
        p = nn.Parameter(w)
        optimizer = make_sgd([p], lr=0.1, weight_decay=0.5, decay_type=decay_type)
        p.grad = np.zeros(4)
        optimizer.step()
        np.testing.assert_allclose(p.data, w - 0.1 * 0.5 * penalty, err_msg=f"{decay_type} decay is wrong")


class _TutorialSGD(nn.SGD):
    """The tutorial's optimizer, with one of its mistakes switched on."""

    mistake = ""

    def _update(self, group, flat):
        w, g = flat.buffers.data, flat.buffers.grad.copy()
        wd, decay_type = group["weight_decay"], group["decay_type"]
        if wd:
            compare = operator.is_ if self.mistake == "decay_type_is" else operator.eq
            if compare(decay_type, "l1"):
                g += wd * (w if self.mistake == "l1_without_sign" else np.sign(w))
            else:
                g += wd * (g if self.mistake == "l2_from_gradient" else w)
        velocity = flat.state.setdefault("momentum_buffer", np.zeros_like(w))
        new_velocity = group["momentum"] * velocity + g
        if self.mistake != "velocity_not_stored":
            velocity[...] = new_velocity
        w -= group["lr"] * new_velocity


def _tutorial(mistake):
    return type(f"Tutorial_{mistake}", (_TutorialSGD,), {"mistake": mistake})


@pytest.mark.parametrize("check", [check_momentum_takes_effect, check_weight_decay_uses_weights])
def test_lddl_passes_the_mistake_checks(check):
    check(nn.SGD)
    check(_tutorial("none"))  # the planted optimizer itself is right when no mistake is switched on


@pytest.mark.parametrize(
    ("check", "mistake"),
    [
        (check_momentum_takes_effect, "velocity_not_stored"),
        (check_weight_decay_uses_weights, "l2_from_gradient"),
        (check_weight_decay_uses_weights, "l1_without_sign"),
        (check_weight_decay_uses_weights, "decay_type_is"),
    ],
)
def test_mistake_checks_catch_the_tutorials_mistakes(check, mistake):
    with pytest.raises(AssertionError):
        check(_tutorial(mistake))


@pytest.mark.parametrize("cls", [nn.Adam, nn.RMSprop, nn.Adagrad])
def test_l1_decay_uses_sign_for_every_optimizer(cls):
    """The decay enters through the gradient: l1 with weights w equals l2 with weights sign(w)'s gradient."""
    w = np.array([2.0, -0.5, 3.0])
    a, b = nn.Parameter(w), nn.Parameter(w)
    opt_l1 = cls([a], lr=0.1, weight_decay=0.5, decay_type="".join(["l", "1"]))
    opt_plain = cls([b], lr=0.1)
    a.grad = np.zeros(3)
    b.grad = 0.5 * np.sign(w)
    opt_l1.step()
    opt_plain.step()
    np.testing.assert_array_equal(a.data, b.data)


def test_adamw_decay_is_decoupled():
    """AdamW shrinks w by lr*wd*w before the Adam step, independent of the gradient scale."""
    w = np.array([2.0, -1.0])
    a, b = nn.Parameter(w), nn.Parameter(w * (1 - 0.1 * 0.5))
    opt_w = nn.AdamW([a], lr=0.1, weight_decay=0.5)
    opt_plain = nn.Adam([b], lr=0.1)
    a.grad = b.grad = np.array([0.3, -0.7])
    opt_w.step()
    opt_plain.step()
    np.testing.assert_allclose(a.data, b.data, rtol=0, atol=1e-15)


def test_decayed_gradient_never_writes_into_grad(rng):
    w, g = rng.standard_normal(5), rng.standard_normal(5)
    g_before = g.copy()
    result = optim.decayed_gradient(w, g, 0.1, "l2")
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_allclose(result, g + 0.1 * w)
    assert optim.decayed_gradient(w, g, 0, "l2") is g


# --- validation --------------------------------------------------------------------------------
INVALID = [
    (nn.SGD, {"lr": -1}, "Invalid learning rate: -1"),
    (nn.SGD, {"lr": float("nan")}, "Invalid learning rate: nan"),
    (nn.SGD, {"lr": "0.1"}, "Invalid learning rate: '0.1'"),
    (nn.SGD, {"lr": True}, "Invalid learning rate: True"),
    (nn.SGD, {"momentum": -0.1}, "Invalid momentum value: -0.1"),
    (nn.SGD, {"dampening": 1.5}, "Invalid dampening value: 1.5"),
    (nn.SGD, {"weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
    (nn.SGD, {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    (nn.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires"),
    (nn.SGD, {"nesterov": "yes"}, "Invalid nesterov value"),
    (nn.SGD, {"decay_type": "l3"}, "Invalid decay_type: 'l3'"),
    (nn.Adam, {"lr": -0.5}, "Invalid learning rate: -0.5"),
    (nn.Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    (nn.Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    (nn.Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    (nn.Adam, {"betas": (0.9,)}, "Invalid betas"),
    (nn.Adam, {"betas": 0.9}, "Invalid betas: 0.9"),
    (nn.Adam, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (nn.Adam, {"amsgrad": 1}, "Invalid amsgrad value"),
    (nn.Adam, {"decay_type": "L2"}, "Invalid decay_type: 'L2'"),
    (nn.AdamW, {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
    (nn.AdamW, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    (nn.RMSprop, {"lr": -1}, "Invalid learning rate: -1"),
    (nn.RMSprop, {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    (nn.RMSprop, {"alpha": 1.5}, "Invalid alpha value: 1.5"),
    (nn.RMSprop, {"eps": -1}, "Invalid epsilon value: -1"),
    (nn.RMSprop, {"momentum": -1}, "Invalid momentum value: -1"),
    (nn.RMSprop, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (nn.RMSprop, {"centered": None}, "Invalid centered value"),
    (nn.Adagrad, {"lr": -1}, "Invalid learning rate: -1"),
    (nn.Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    (nn.Adagrad, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    (nn.Adagrad, {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
    (nn.Adagrad, {"eps": -1}, "Invalid epsilon value: -1"),
    (nn.Adagrad, {"lr": float("inf")}, "Invalid learning rate: inf"),
]


@pytest.mark.parametrize(("cls", "kwargs", "message"), INVALID, ids=[m for _, _, m in INVALID])
def test_invalid_hyperparameters_raise_value_error(rng, cls, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        cls(make_params(rng), **kwargs)


def test_invalid_hyperparameter_in_a_group_is_caught(rng):
    params = make_params(rng)
    with pytest.raises(ValueError, match="Invalid learning rate: -2"):
        nn.SGD([{"params": params[:1]}, {"params": params[1:], "lr": -2}])


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ([], ValueError, "empty parameter list"),
        ([np.zeros(3)], TypeError, "only optimize Parameters"),
        ("shared", ValueError, "more than one parameter group"),
        ("unknown", ValueError, "unknown hyperparameter"),
    ],
)
def test_invalid_parameter_lists(rng, params, error, message):
    p = nn.Parameter(np.zeros(3))
    if params == "shared":
        params = [{"params": [p]}, {"params": [p]}]
    elif params == "unknown":
        params = [{"params": [p], "momentun": 0.9}]
    with pytest.raises(error, match=message):
        nn.SGD(params)


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_numpy_float64_hyperparameters_keep_a_float32_model_in_float32(rng, cls, kwargs):
    """Hyperparameters enter the update as Python floats: an np.float64 lr or momentum must not
    turn a float32 update into a float64 one (different rounding) or change any value."""
    as_numpy = {k: np.float64(v) if isinstance(v, float) else v for k, v in kwargs.items()}
    runs = []
    for hyper in (kwargs, as_numpy):
        params = make_params(np.random.default_rng(3), np.float32)
        optimizer = cls(params, **hyper)
        grads = np.random.default_rng(4)
        for _ in range(4):
            for p in params:
                p.grad = grads.standard_normal(p.shape).astype(np.float32)
            optimizer.step()
        runs.append(params)
    for plain, numpy_typed in zip(*runs, strict=True):
        assert numpy_typed.dtype == np.float32
        np.testing.assert_array_equal(numpy_typed.data, plain.data)

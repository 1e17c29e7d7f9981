"""The compiled training step computes what the eager path computes.

Random networks of every supported kind (each activation, Dropout, with and without bias), every
loss and reduction, every optimizer with its options, weight decay and gradient clipping, trained
200 steps by both paths from the same start on the same batches: the parameters agree to 1e-12
relative in float64 and 1e-5 in float32, and so do the optimizer's state and the Dropout
generators' state. A planted mismatch in the compiled step fails the same check.
"""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import compiled, compiled_optim

STEPS = 200
RTOL = {np.float64: 1e-12, np.float32: 1e-5}
ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU("tanh"),
    "elu": lambda: nn.ELU(0.7),
    "silu": nn.SiLU,
    "softplus": lambda: nn.Softplus(2.0, 5.0),
    "identity": nn.Identity,
}
OPTIMIZERS = {
    "sgd": ("SGD", {"lr": 0.05}),
    "sgd_momentum": ("SGD", {"lr": 0.02, "momentum": 0.9}),
    "sgd_nesterov_l2": ("SGD", {"lr": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 1e-2}),
    "sgd_dampening_l1": (
        "SGD",
        {"lr": 0.02, "momentum": 0.5, "dampening": 0.3, "weight_decay": 1e-2, "decay_type": "l1"},
    ),
    "adam": ("Adam", {"lr": 1e-2}),
    "adam_amsgrad_l2": ("Adam", {"lr": 1e-2, "amsgrad": True, "weight_decay": 1e-2}),
    "adam_l1": ("Adam", {"lr": 1e-2, "betas": (0.8, 0.99), "weight_decay": 1e-3, "decay_type": "l1"}),
    "adamw": ("AdamW", {"lr": 1e-2}),
    "adamw_amsgrad": ("AdamW", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}),
    "rmsprop": ("RMSprop", {"lr": 1e-3}),
    "rmsprop_centered_momentum": (
        "RMSprop",
        {"lr": 1e-3, "momentum": 0.9, "centered": True, "weight_decay": 1e-2},
    ),
    "rmsprop_l1": ("RMSprop", {"lr": 1e-3, "alpha": 0.9, "weight_decay": 1e-3, "decay_type": "l1"}),
    "adagrad": ("Adagrad", {"lr": 0.05}),
    "adagrad_options": (
        "Adagrad",
        {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 1e-2},
    ),
}
LOSSES = {
    "mse": lambda: nn.MSELoss(),
    "mse_sum": lambda: nn.MSELoss("sum"),
    "l1": lambda: nn.L1Loss(),
    "huber_sum": lambda: nn.HuberLoss("sum", delta=0.5),
    "cross_entropy": lambda: nn.CrossEntropyLoss(),
    "cross_entropy_options": lambda: nn.CrossEntropyLoss(
        weight=[1.0, 2.0, 0.5], ignore_index=1, label_smoothing=0.1, reduction="sum"
    ),
    "bce": lambda: nn.BCEWithLogitsLoss(),
    "bce_weighted": lambda: nn.BCEWithLogitsLoss(pos_weight=[2.0, 1.0, 0.5], reduction="sum"),
}


def _network(seed: int, dtype, activation: str, *, dropout: float = 0.0, bias: bool = True):
    rng = np.random.default_rng(seed)
    width = int(rng.integers(4, 12))
    layers = [nn.Linear(3, width, dtype=dtype, rng=rng), ACTIVATIONS[activation]()]
    if dropout:
        layers.append(nn.Dropout(dropout, rng=np.random.default_rng(seed + 1)))
    layers += [
        nn.Linear(width, 5, bias=bias, dtype=dtype, rng=rng),
        nn.ReLU(),
        nn.Linear(5, 3, dtype=dtype, rng=rng),
    ]
    return nn.Sequential(*layers)


def _data(seed: int, dtype, loss: str):
    rng = np.random.default_rng(seed + 100)
    x = rng.standard_normal((40, 3)).astype(dtype)
    if loss.startswith("cross_entropy"):
        y = rng.integers(0, 3, size=40)
    elif loss.startswith("bce"):
        y = (rng.random((40, 3)) < 0.5).astype(dtype)
    else:
        y = rng.standard_normal((40, 3)).astype(dtype)
    return x, y


def train(
    path: str,
    *,
    dtype,
    activation="relu",
    optimizer="sgd_momentum",
    loss="mse",
    clip=None,
    dropout=0.0,
    bias=True,
    seed=0,
    steps=STEPS,
    batch=8,
):
    """Train one network ``steps`` steps along ``path``; returns (flat parameters, model, optimizer)."""
    model = _network(seed, dtype, activation, dropout=dropout, bias=bias)
    name, hyper = OPTIMIZERS[optimizer]
    opt = getattr(nn, name)(model.parameters(), **hyper)
    loss_fn = LOSSES[loss]()
    x, y = _data(seed, dtype, loss)
    step = nn.compile_step(model, loss_fn, opt, grad_clip=clip) if path == "compiled" else None
    assert (step is not None) == (path == "compiled"), nn.not_compiled_reason(model, loss_fn, opt, clip)
    starts = np.arange(0, len(x), batch)
    for k in range(steps):
        index = slice(starts[k % len(starts)], starts[k % len(starts)] + batch)
        if step is not None:
            step(x[index], y[index])
            continue
        loss_fn(model(x[index]), y[index])
        model.backward(loss_fn.backward())
        if clip is not None:
            nn.clip_grad_norm(model.parameters(), clip)
        opt.step()
        opt.zero_grad()
    return np.concatenate([p.data.ravel() for p in model.parameters()]), model, opt


def assert_same_parameters(eager: np.ndarray, fused: np.ndarray, rtol: float, label: str = "") -> None:
    """max |compiled - eager| <= rtol * max |eager|, and the training moved the parameters."""
    scale = np.abs(eager).max()
    difference = np.abs(fused - eager).max()
    assert np.isfinite(fused).all() and np.isfinite(eager).all(), f"{label}: non-finite parameters"
    assert difference <= rtol * scale, (
        f"{label}: compiled differs from eager by {difference / scale:.3e} relative"
    )


def _assert_paths_agree(dtype, **options):
    eager, _, eager_opt = train("eager", dtype=dtype, **options)
    fused, _, fused_opt = train("compiled", dtype=dtype, **options)
    assert_same_parameters(eager, fused, RTOL[dtype], str(options))
    start = _network(
        options.get("seed", 0), dtype, options.get("activation", "relu"), bias=options.get("bias", True)
    )
    initial = np.concatenate([p.data.ravel() for p in start.parameters()])
    assert np.abs(eager - initial).max() > 1e3 * RTOL[dtype] * np.abs(initial).max(), "training did not move"
    eager_state, fused_state = eager_opt.state_dict(), fused_opt.state_dict()
    assert eager_state["param_groups"] == fused_state["param_groups"]
    assert eager_state["state"].keys() == fused_state["state"].keys()
    for index, entry in eager_state["state"].items():
        assert entry.keys() == fused_state["state"][index].keys()
        for key, value in entry.items():
            np.testing.assert_allclose(
                fused_state["state"][index][key], value, rtol=1e3 * RTOL[dtype], atol=1e-30
            )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation(dtype, activation):
    _assert_paths_agree(dtype, activation=activation, seed=len(activation))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_and_option(dtype, optimizer):
    _assert_paths_agree(dtype, optimizer=optimizer, activation="tanh", seed=3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss(dtype, loss):
    _assert_paths_agree(dtype, loss=loss, activation="elu", optimizer="adam", seed=4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("clip", [0.05, 1e6])
def test_gradient_clipping(dtype, clip):
    _assert_paths_agree(dtype, clip=clip, optimizer="sgd_nesterov_l2", seed=5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_draws_the_same_masks_in_the_same_order(dtype):
    _assert_paths_agree(dtype, dropout=0.3, activation="silu", seed=6)
    _, eager_model, _ = train("eager", dtype=dtype, dropout=0.3, seed=6)
    _, fused_model, _ = train("compiled", dtype=dtype, dropout=0.3, seed=6)
    assert eager_model[2].rng.bit_generator.state == fused_model[2].rng.bit_generator.state


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_without_bias_and_an_incomplete_last_batch(dtype):
    _assert_paths_agree(dtype, bias=False, batch=7, activation="gelu", optimizer="rmsprop", seed=7)


@pytest.mark.parametrize("seed", range(4))
def test_random_architectures_with_all_options(seed):
    rng = np.random.default_rng(seed)
    options = {
        "activation": str(rng.choice(list(ACTIVATIONS))),
        "optimizer": str(rng.choice(list(OPTIMIZERS))),
        "loss": str(rng.choice(list(LOSSES))),
        "clip": float(rng.choice([0.1, 10.0])),
        "dropout": float(rng.choice([0.0, 0.2])),
        "bias": bool(rng.integers(2)),
        "seed": 10 + seed,
    }
    _assert_paths_agree(np.float64, **options)


# --- the checker can fail -------------------------------------------------------------------------
def _planted_sgd(group, flat, scratch):
    """A planted mistake: the learning rate 1e-9 too large."""
    flat.buffers.data -= (1 + 1e-9) * float(group["lr"]) * flat.buffers.grad


def test_a_planted_mismatch_in_the_update_is_caught(monkeypatch):
    monkeypatch.setitem(compiled_optim.UPDATES, nn.SGD, _planted_sgd)
    eager, _, _ = train("eager", dtype=np.float64, optimizer="sgd")
    fused, _, _ = train("compiled", dtype=np.float64, optimizer="sgd")
    with pytest.raises(AssertionError, match="compiled differs from eager"):
        assert_same_parameters(eager, fused, RTOL[np.float64])


def test_a_planted_mismatch_in_the_backward_is_caught(monkeypatch):
    """A clip that never clips: caught on a run whose gradients exceed the norm."""
    monkeypatch.setattr(compiled, "clip_", lambda grad, max_norm: None)
    eager, _, _ = train("eager", dtype=np.float32, clip=0.05)
    fused, _, _ = train("compiled", dtype=np.float32, clip=0.05)
    with pytest.raises(AssertionError, match="compiled differs from eager"):
        assert_same_parameters(eager, fused, RTOL[np.float32])


# --- switching paths, and what is not compiled ----------------------------------------------------
@pytest.mark.parametrize("first", ["eager", "compiled"])
def test_one_optimizer_state_whichever_path_took_the_steps(first):
    """100 steps on one path, the state_dict loaded into a fresh optimizer, 100 on the other path."""
    whole, _, _ = train("eager", dtype=np.float64, optimizer="adam_amsgrad_l2", steps=200)
    half, model, opt = train(first, dtype=np.float64, optimizer="adam_amsgrad_l2", steps=100)
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    second = "compiled" if first == "eager" else "eager"
    model = _network(0, np.float64, "relu")
    model.load_state_dict(saved_model)
    name, hyper = OPTIMIZERS["adam_amsgrad_l2"]
    opt = getattr(nn, name)(model.parameters(), **hyper)
    opt.load_state_dict(saved_opt)
    loss_fn = nn.MSELoss()
    x, y = _data(0, np.float64, "mse")
    step = nn.compile_step(model, loss_fn, opt) if second == "compiled" else None
    for k in range(100, 200):
        index = slice((k % 5) * 8, (k % 5) * 8 + 8)
        if step is not None:
            step(x[index], y[index])
        else:
            loss_fn(model(x[index]), y[index])
            model.backward(loss_fn.backward())
            opt.step()
            opt.zero_grad()
    resumed = np.concatenate([p.data.ravel() for p in model.parameters()])
    assert_same_parameters(whole, resumed, RTOL[np.float64])
    assert opt.state_dict()["state"][0]["step"] == 200.0


def _parts(dtype=np.float64):
    model = _network(0, dtype, "relu")
    return model, nn.MSELoss(), nn.SGD(model.parameters(), lr=0.1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda m, loss, o: (nn.Sequential(*m, nn.BatchNorm1d(3, dtype=np.float64)), loss, None),
            "BatchNorm1d",
        ),
        (lambda m, loss, o: (nn.Sequential(*m, nn.LayerNorm(3, dtype=np.float64)), loss, None), "LayerNorm"),
        (lambda m, loss, o: (m, nn.MSELoss("none"), o), 'reduction "none"'),
        (lambda m, loss, o: (m, loss, nn.SGD(m.parameters()[:2], lr=0.1)), "exactly the model's parameters"),
        (
            lambda m, loss, o: (
                m,
                loss,
                nn.SGD([{"params": m.parameters()[:2]}, {"params": m.parameters()[2:]}]),
            ),
            "several parameter groups",
        ),
    ],
)
def test_what_is_not_compiled_says_why(change, reason):
    model, loss_fn, optimizer = change(*_parts())
    if optimizer is None:
        optimizer = nn.SGD(model.parameters(), lr=0.1)
    assert reason in nn.not_compiled_reason(model, loss_fn, optimizer)
    assert nn.compile_step(model, loss_fn, optimizer) is None


def test_a_subclass_is_not_compiled():
    class MyLinear(nn.Linear):
        pass

    model = nn.Sequential(MyLinear(2, 3, dtype=np.float64), nn.ReLU())
    assert (
        nn.not_compiled_reason(model, nn.MSELoss(), nn.SGD(model.parameters())) == "MyLinear is not supported"
    )


def test_the_library_flag_forces_the_eager_path():
    parts = _parts()
    assert nn.compile_enabled() and nn.not_compiled_reason(*parts) is None
    nn.set_compile_enabled(False)
    try:
        assert nn.compile_step(*parts) is None
        assert "switched off" in nn.not_compiled_reason(*parts)
    finally:
        nn.set_compile_enabled(True)
    assert isinstance(nn.compile_step(*parts), nn.TrainStep)


def test_unusual_inputs_take_the_eager_path_and_its_errors(rng):
    model, loss_fn, optimizer = _parts(np.float32)
    step = nn.compile_step(model, loss_fn, optimizer)
    with pytest.raises(TypeError, match="Linear expects float32 input"):
        step.forward_backward(rng.standard_normal((4, 3)), rng.standard_normal((4, 3)).astype(np.float32))
    x = rng.standard_normal((4, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="does not match target shape"):
        step.forward_backward(x, np.zeros((4, 2), dtype=np.float32))


def test_forward_backward_leaves_this_batchs_gradient_in_grad(rng):
    model, loss_fn, optimizer = _parts()
    step = nn.compile_step(model, loss_fn, optimizer, grad_clip=None)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    loss = step.forward_backward(x, y)
    compiled_grad = step.grad.copy()
    optimizer.zero_grad()
    expected_loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-13)
    np.testing.assert_allclose(compiled_grad, step.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("optimizer", [name for name in OPTIMIZERS if name.startswith("sgd")])
def test_a_large_sgd_update_in_blocks(monkeypatch, optimizer):
    """The blocked update of a large group (here: blocks of 16 elements) is the same update."""
    monkeypatch.setattr(compiled_optim, "CHUNK", 16)
    _assert_paths_agree(np.float64, optimizer=optimizer, seed=8)

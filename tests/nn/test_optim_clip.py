"""Gradient clipping (global norm, value) against the formula and torch.nn.utils; the optimizer registry."""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn.registry import OPTIMIZERS

SHAPES = [(3, 4), (4,), (2, 1)]


def make_params(rng, scale: float, packed: bool) -> list[nn.Parameter]:
    params = [nn.Parameter(rng.standard_normal(shape)) for shape in SHAPES]
    if packed:
        nn.pack_parameters(params)
    for p in params:
        p.grad = scale * rng.standard_normal(p.shape)
    return params


def check_clip_grad_norm(clip, rng) -> None:
    """The returned norm is the global norm before clipping; afterwards it is min(norm, max_norm)."""
    for scale, max_norm in ((10.0, 1.0), (0.01, 1.0), (3.0, 2.5)):
        params = make_params(rng, scale, packed=False)
        grads = [p.grad.copy() for p in params]
        norm = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads])))
        returned = clip(params, max_norm)
        assert returned == pytest.approx(norm, rel=1e-12), "returned norm is not the global norm"
        factor = min(1.0, max_norm / (norm + 1e-6))
        for p, g in zip(params, grads, strict=True):
            np.testing.assert_allclose(
                p.grad, g * factor, rtol=1e-12, err_msg="not scaled by the global factor"
            )


def test_clip_grad_norm_is_global(rng):
    check_clip_grad_norm(nn.clip_grad_norm, rng)


def _clip_each_tensor(params, max_norm):
    """Planted mistake: clipping every tensor by its own norm."""
    norms = []
    for p in params:
        norm = float(np.linalg.norm(p.grad))
        p.grad *= min(1.0, max_norm / (norm + 1e-6))
        norms.append(norm)
    return max(norms)


def test_clip_check_catches_per_tensor_clipping(rng):
    with pytest.raises(AssertionError):
        check_clip_grad_norm(_clip_each_tensor, rng)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_packed_and_unpacked_give_the_same_result(rng, norm_type, scale):
    seed = int(rng.integers(1 << 30))
    a = make_params(np.random.default_rng(seed), scale, packed=True)
    b = make_params(np.random.default_rng(seed), scale, packed=False)
    norm_a = nn.clip_grad_norm(a, 1.0, norm_type)
    norm_b = nn.clip_grad_norm(b, 1.0, norm_type)
    assert norm_a == pytest.approx(norm_b, rel=1e-12)
    for p, q in zip(a, b, strict=True):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("packed", [True, False])
def test_clip_grad_norm_matches_torch(torch, rng, norm_type, packed):
    params = make_params(rng, 5.0, packed)
    tensors = [torch.tensor(p.data, requires_grad=True) for p in params]
    for t, p in zip(tensors, params, strict=True):
        t.grad = torch.tensor(p.grad)
    expected = float(torch.nn.utils.clip_grad_norm_(tensors, 2.0, norm_type=norm_type))
    assert nn.clip_grad_norm(params, 2.0, norm_type) == pytest.approx(expected, rel=1e-12)
    for t, p in zip(tensors, params, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("packed", [True, False])
def test_clip_grad_value_matches_torch(torch, rng, packed):
    params = make_params(rng, 2.0, packed)
    tensors = [torch.tensor(p.data, requires_grad=True) for p in params]
    for t, p in zip(tensors, params, strict=True):
        t.grad = torch.tensor(p.grad)
    torch.nn.utils.clip_grad_value_(tensors, 0.5)
    nn.clip_grad_value(params, 0.5)
    for t, p in zip(tensors, params, strict=True):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


@pytest.mark.parametrize("packed", [True, False])
def test_clip_grad_value_clamps(rng, packed):
    params = make_params(rng, 3.0, packed)
    grads = [p.grad.copy() for p in params]
    nn.clip_grad_value(params, 1.0)
    for p, g in zip(params, grads, strict=True):
        np.testing.assert_array_equal(p.grad, np.clip(g, -1.0, 1.0))


def test_clipping_a_subset_of_a_packed_list_touches_only_the_subset(rng):
    params = make_params(rng, 10.0, packed=True)
    other = params[0].grad.copy()
    nn.clip_grad_norm(params[1:], 0.1)
    nn.clip_grad_value(params[1:], 0.01)
    np.testing.assert_array_equal(params[0].grad, other)
    assert all(np.abs(p.grad).max() <= 0.01 for p in params[1:])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ps: nn.clip_grad_norm(ps, -1.0), "Invalid max_norm"),
        (lambda ps: nn.clip_grad_norm(ps, 1.0, 0.0), "Invalid norm_type"),
        (lambda ps: nn.clip_grad_value(ps, -0.5), "Invalid clip_value"),
        (lambda ps: nn.clip_grad_value(ps, "1"), "Invalid clip_value"),
    ],
)
def test_clip_validates(rng, call, message):
    with pytest.raises(ValueError, match=message):
        call(make_params(rng, 1.0, packed=False))


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sgd", nn.SGD),
        ("adam", nn.Adam),
        ("adamw", nn.AdamW),
        ("rmsprop", nn.RMSprop),
        ("adagrad", nn.Adagrad),
    ],
)
def test_optimizer_registry(name, cls):
    assert OPTIMIZERS[name] is cls


def test_optimizer_registry_suggests_on_typo():
    with pytest.raises(KeyError, match="did you mean 'adamw'"):
        OPTIMIZERS["adamww"]

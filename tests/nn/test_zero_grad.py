"""Gradients accumulate with ``+=`` over backward calls until ``zero_grad()`` fills them with zeros.

Packing moves the arrays into flat buffers and keeps every value; ``zero_grad`` through a
parameter, a model, an optimizer or the flat buffers fills the same memory.
"""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import functional as F
from lddl_cli.nn.tensor import Parameter, pack_parameters


def _mlp(rng, dtype=np.float64) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 6, dtype=dtype, rng=rng), nn.ReLU(), nn.Linear(6, 2, dtype=dtype, rng=rng)
    )


def _gradients(model, x, grad) -> list[np.ndarray]:
    model(x)
    model.backward(grad)
    return [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("how", ["model", "optimizer", "buffers", "parameter"])
def test_zero_grad_fills_zeros_in_place(rng, how):
    model = _mlp(rng)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    _gradients(model, rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))
    held = [p.grad for p in model.parameters()]  # arrays obtained before zero_grad
    assert all(np.any(g != 0) for g in held)
    if how == "model":
        model.zero_grad()
    elif how == "optimizer":
        optimizer.zero_grad()
    elif how == "buffers":
        pack_parameters(model.parameters()).zero_grad()
    else:
        for p in model.parameters():
            p.zero_grad()
    for p, g in zip(model.parameters(), held, strict=True):
        assert p.grad is g  # the same array, now zeros: nothing to re-read
        np.testing.assert_array_equal(g, np.zeros(p.shape))


def test_backward_after_zero_grad_equals_a_fresh_backward(rng):
    x, grad = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    fresh = _gradients(_mlp(np.random.default_rng(1)), x, grad)
    model = _mlp(np.random.default_rng(1))
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    _gradients(model, 3 * x, -grad)  # leaves other values in the gradient buffers
    optimizer.zero_grad()
    for expected, got in zip(fresh, _gradients(model, x, grad), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_gradients_accumulate_until_zero_grad(rng):
    """Two backward calls give the sum of both gradients (the planted mistake: overwriting)."""
    x1, g1 = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    x2, g2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    first = _gradients(_mlp(np.random.default_rng(2)), x1, g1)
    second = _gradients(_mlp(np.random.default_rng(2)), x2, g2)
    model = _mlp(np.random.default_rng(2))
    _gradients(model, x1, g1)
    both = _gradients(model, x2, g2)
    for a, b, total in zip(first, second, both, strict=True):
        np.testing.assert_allclose(total, a + b, rtol=1e-14, atol=1e-14)
        assert not np.allclose(total, b)


def test_packing_keeps_values_and_gradients(rng):
    first, second = Parameter(rng.standard_normal(3)), Parameter(rng.standard_normal(2))
    values = np.concatenate([first.data, second.data])
    first.grad, second.grad = np.ones(3), np.full(2, 2.0)
    buffers = pack_parameters([first, second])
    np.testing.assert_array_equal(buffers.data, values)
    np.testing.assert_array_equal(buffers.grad, [1, 1, 1, 2, 2])
    assert first.packing is buffers and second.packing is buffers
    assert pack_parameters([first, second]) is buffers  # the same list: the same buffers


@pytest.mark.parametrize("batch", [0, 1, 4, 37])
def test_linear_backward_is_the_textbook_formula(rng, batch):
    x, grad, weight = (
        rng.standard_normal((batch, 3)),
        rng.standard_normal((batch, 4)),
        rng.standard_normal((4, 3)),
    )
    dx, dw, db = F.linear_backward(grad, x, weight)
    np.testing.assert_allclose(dx, grad @ weight, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(dw, grad.T @ x, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(db, grad.sum(axis=0), rtol=1e-13, atol=1e-14)


def test_a_float64_upstream_gradient_into_a_float32_layer_keeps_float32_gradients(rng):
    layer = nn.Linear(3, 4, dtype=np.float32, rng=rng)
    x, grad = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 4))
    layer(x)
    layer.backward(grad)
    np.testing.assert_allclose(layer.weight.grad, grad.T @ x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.bias.grad, grad.sum(axis=0), rtol=1e-5, atol=1e-6)
    assert layer.weight.grad.dtype == np.float32


def test_relu_backward_masks_by_the_output_sign_and_propagates_nan():
    y = np.array([[0.0, 2.0, np.nan, 0.5]])
    grad = np.array([[3.0, 3.0, 3.0, -1.0]])
    np.testing.assert_array_equal(F.relu_backward(grad, y), [[0.0, 3.0, np.nan, -1.0]])


def test_a_backward_that_raises_leaves_the_gradient_unchanged(rng):
    layer = nn.Linear(3, 2, dtype=np.float64, rng=rng)
    x = rng.standard_normal((4, 3))
    layer(x)
    layer.backward(np.ones((4, 2)))
    before = layer.weight.grad.copy(), layer.bias.grad.copy()
    with pytest.raises(ValueError):
        layer.backward(np.ones((4, 5)))  # the wrong width
    np.testing.assert_array_equal(layer.weight.grad, before[0])
    np.testing.assert_array_equal(layer.bias.grad, before[1])

"""zero_grad is lazy (issue 5): it flags gradients as zero and the next backward overwrites them.

What a user reads through ``p.grad`` or ``FlatBuffers.grad`` must not change: a zeroed gradient
reads as zeros, gradients still accumulate over backward calls until zero_grad, and an optimizer
never steps on stale values of a parameter that no backward wrote since zero_grad. One thing does
change, as with PyTorch's ``zero_grad(set_to_none=True)``: an array obtained before zero_grad
keeps its old values until the gradient is read or written again.
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


def _gradients(model, x, grad, input_grad=True) -> list[np.ndarray]:
    model(x)
    model.backward(grad, input_grad=input_grad)
    return [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("packed", [False, True])
def test_a_zeroed_gradient_reads_as_zeros(rng, packed):
    model = _mlp(rng)
    optimizer = nn.SGD(model.parameters(), lr=0.1) if packed else None
    _gradients(model, rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))
    assert all(np.any(p.grad != 0) for p in model.parameters())
    if packed:
        optimizer.zero_grad()
        assert not np.any(model.parameters()[0]._packing.grad)
    else:
        model.zero_grad()
    for p in model.parameters():
        np.testing.assert_array_equal(p.grad, np.zeros(p.shape))


@pytest.mark.parametrize("input_grad", [True, False])
def test_backward_after_zero_grad_equals_a_fresh_backward(rng, input_grad):
    """The planted mistake this catches: a backward that adds to the stale values left by zero_grad."""
    x, grad = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    fresh = _gradients(_mlp(np.random.default_rng(1)), x, grad, input_grad)
    model = _mlp(np.random.default_rng(1))
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    _gradients(model, 3 * x, -grad, input_grad)  # leaves other values in the gradient buffers
    optimizer.zero_grad()
    for expected, got in zip(fresh, _gradients(model, x, grad, input_grad), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_gradients_accumulate_until_zero_grad(rng):
    x, grad = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    once = _gradients(_mlp(np.random.default_rng(1)), x, grad)
    model = _mlp(np.random.default_rng(1))
    nn.SGD(model.parameters(), lr=0.1).zero_grad()
    _gradients(model, x, grad)
    for expected, got in zip(once, _gradients(model, x, grad), strict=True):
        np.testing.assert_allclose(got, 2 * expected, rtol=1e-14)


def test_an_optimizer_ignores_the_stale_gradient_of_a_parameter_no_backward_wrote(rng):
    used, unused = nn.Linear(3, 2, dtype=np.float64, rng=rng), nn.Linear(3, 2, dtype=np.float64, rng=rng)
    params = used.parameters() + unused.parameters()
    optimizer = nn.SGD(params, lr=0.5)
    x = rng.standard_normal((4, 3))
    for layer in (used, unused):
        layer(x)
        layer.backward(np.ones((4, 2)))
    optimizer.zero_grad()
    before = [p.data.copy() for p in unused.parameters()]
    used(x)
    used.backward(np.ones((4, 2)))
    optimizer.step()
    for p, start in zip(unused.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, start)
        np.testing.assert_array_equal(p.grad, np.zeros(p.shape))


def test_assigning_a_gradient_after_zero_grad_keeps_the_assigned_values(rng):
    p = Parameter(rng.standard_normal((2, 3)))
    p.grad = np.ones((2, 3))
    p.zero_grad()
    p.grad = np.full((2, 3), 7.0)
    np.testing.assert_array_equal(p.grad, np.full((2, 3), 7.0))


def test_packing_keeps_a_pending_zero(rng):
    first, second = Parameter(rng.standard_normal(3)), Parameter(rng.standard_normal(2))
    first.grad, second.grad = np.ones(3), np.ones(2)
    first.zero_grad()
    buffers = pack_parameters([first, second])
    np.testing.assert_array_equal(buffers.grad, [0, 0, 0, 1, 1])


def test_a_float64_upstream_gradient_into_a_float32_layer_after_zero_grad(rng):
    """The out= write needs matching dtypes; a mismatched gradient takes the cast path instead."""
    layer = nn.Linear(3, 4, dtype=np.float32, rng=rng)
    x, grad = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 4))
    layer(x)
    layer.weight.zero_grad()
    layer.bias.zero_grad()
    layer.backward(grad)
    np.testing.assert_allclose(layer.weight.grad, grad.T @ x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.bias.grad, grad.sum(axis=0), rtol=1e-5, atol=1e-6)
    assert layer.weight.grad.dtype == np.float32


@pytest.mark.parametrize("accumulate", [True, False])
@pytest.mark.parametrize("batch", [0, 1, 4, 37])
def test_linear_parameter_gradients_for_every_batch_size(rng, accumulate, batch):
    """The bias gradient is ones @ G from a cache of one vector per size: sizes must not mix."""
    x, grad = rng.standard_normal((batch, 3)), rng.standard_normal((batch, 4))
    start_w, start_b = rng.standard_normal((4, 3)), rng.standard_normal(4)
    weight_grad, bias_grad = start_w.copy(), start_b.copy()
    F.linear_backward_params(
        grad, x, weight_grad, bias_grad, accumulate_weight=accumulate, accumulate_bias=accumulate
    )
    base_w, base_b = (start_w, start_b) if accumulate else (0.0, 0.0)
    np.testing.assert_allclose(weight_grad, base_w + grad.T @ x, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(bias_grad, base_b + grad.sum(axis=0), rtol=1e-13, atol=1e-14)


def test_relu_backward_masks_by_the_output_sign_and_propagates_nan():
    y = np.array([[0.0, 2.0, np.nan, 0.5]])
    grad = np.array([[3.0, 3.0, 3.0, -1.0]])
    np.testing.assert_array_equal(F.relu_backward(grad, y), [[0.0, 3.0, np.nan, -1.0]])


def test_an_array_held_across_zero_grad_keeps_its_values_until_the_gradient_is_read(rng):
    """As a tensor held across torch's zero_grad(set_to_none=True): read p.grad again instead."""
    p = Parameter(rng.standard_normal(3))
    p.grad = np.ones(3)
    held = p.grad
    p.zero_grad()
    np.testing.assert_array_equal(held, np.ones(3))
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    np.testing.assert_array_equal(held, np.zeros(3))  # the same array, filled by that read


def test_a_backward_that_raises_leaves_a_zeroed_gradient_zero(rng):
    layer = nn.Linear(3, 2, dtype=np.float64, rng=rng)
    x = rng.standard_normal((4, 3))
    layer(x)
    layer.backward(np.ones((4, 2)))
    layer.zero_grad()
    layer(x)
    with pytest.raises(ValueError):
        layer.backward(np.ones((4, 5)))  # the wrong width
    np.testing.assert_array_equal(layer.weight.grad, np.zeros((2, 3)))
    np.testing.assert_array_equal(layer.bias.grad, np.zeros(2))


def test_zero_grad_through_stale_buffers_still_zeroes_through_the_new_ones(rng):
    """Buffers left behind by a re-packing (an optimizer built before it) flag the new ones too."""
    first, second = Parameter(rng.standard_normal(2)), Parameter(rng.standard_normal(3))
    old = pack_parameters([first, second])
    new = pack_parameters([second, first])
    first.grad, second.grad = np.ones(2), np.ones(3)
    old.zero_grad()
    np.testing.assert_array_equal(new.grad, np.zeros(5))

"""The speed paths of issue 5 compute exactly what the plain paths compute."""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import optim


def _model(rng, first: str, dtype=np.float64) -> nn.Sequential:
    layers = [nn.Linear(3, 5, dtype=dtype, rng=rng), nn.ReLU(), nn.Linear(5, 2, dtype=dtype, rng=rng)]
    if first == "relu":
        layers.insert(0, nn.ReLU())
    return nn.Sequential(*layers)


@pytest.mark.parametrize("first", ["linear", "relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_without_input_grad_gives_the_same_parameter_gradients(rng, first, dtype):
    model = _model(rng, first, dtype)
    x = rng.standard_normal((7, 3)).astype(dtype)
    grad = rng.standard_normal((7, 2)).astype(dtype)
    model(x)
    dx = model.backward(grad)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model(x)
    assert model.backward(grad, input_grad=False) is None
    assert dx.shape == x.shape
    for expected, p in zip(full, model.parameters(), strict=True):
        np.testing.assert_array_equal(p.grad, expected)


def test_linear_without_input_grad_accumulates_and_returns_none(rng):
    layer = nn.Linear(3, 4, dtype=np.float64, rng=rng)
    x, grad = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer(x)
    layer.needs_input_grad = False
    assert layer.backward(grad) is None
    assert layer.backward(grad) is None
    np.testing.assert_allclose(layer.weight.grad, 2 * grad.T @ x, rtol=1e-13)
    np.testing.assert_allclose(layer.bias.grad, 2 * grad.sum(axis=0), rtol=1e-13)


def test_sequential_without_input_grad_still_calls_each_backward_and_restores_the_flag(rng):
    """Wrappers of ``backward`` (hooks, planted faults in tests) still run; the flag is put back."""
    model = _model(rng, "linear")
    calls = []
    original = model[0].backward
    model[0].backward = lambda grad: calls.append(grad.shape) or original(grad)
    model(rng.standard_normal((7, 3)))
    assert model.backward(rng.standard_normal((7, 2)), input_grad=False) is None
    assert calls == [(7, 5)] and model[0].needs_input_grad is True


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_subnormals_zeroes_only_subnormals(dtype):
    info = np.finfo(dtype)
    smallest = np.nextafter(dtype(0), dtype(1))
    values = np.array(
        [0.0, info.tiny, -info.tiny, smallest, -smallest, info.tiny / 2, 1.0, -3.5], dtype=dtype
    )
    buffer = values.copy()
    optim.flush_subnormals_(buffer)
    expected = values.copy()
    expected[3:6] = 0
    np.testing.assert_array_equal(buffer, expected)


@pytest.mark.parametrize("flush", [True, False])
def test_momentum_of_a_dead_unit_ends_at_zero_not_stuck_subnormal(rng, monkeypatch, flush):
    """Without the flush (planted: never), 0.9 * b rounds back to b for b of a few ulps: it sticks."""
    if not flush:
        monkeypatch.setattr(optim, "FLUSH_EVERY", 10**9)
    dead = nn.Parameter(np.full(16, 1e-3, dtype=np.float32))
    live = nn.Parameter(rng.standard_normal(16).astype(np.float32))
    opt = nn.SGD([dead, live], lr=0.01, momentum=0.9)
    dead.grad = np.full(16, 1e-3, dtype=np.float32)
    for _ in range(1600):
        opt.step()
        dead.grad = np.zeros(16, dtype=np.float32)  # the unit died after one step
    buffer = opt.state[dead]["momentum_buffer"]
    subnormal = (buffer != 0) & (np.abs(buffer) < np.finfo(np.float32).tiny)
    assert subnormal.any() != flush
    assert np.all(buffer == 0) == flush


def test_flush_leaves_the_parameter_trajectory_unchanged(rng, monkeypatch):
    """Same start, same gradients: parameters with and without the flush are bit-identical."""
    start = rng.standard_normal(64).astype(np.float32)
    grads = rng.standard_normal((600, 64)).astype(np.float32)
    grads[5:, :32] = 0  # half of the units die early: their buffers decay into subnormals
    finals = []
    for flush_every in (optim.FLUSH_EVERY, 10**9):
        monkeypatch.setattr(optim, "FLUSH_EVERY", flush_every)
        p = nn.Parameter(start)
        opt = nn.SGD([p], lr=0.01, momentum=0.9)
        for g in grads:
            p.grad = g
            opt.step()
        finals.append(p.data.copy())
    np.testing.assert_array_equal(finals[0], finals[1])

"""Gradient checking: each backward against central finite differences, in float64.

The numeric derivative of a scalar function f with respect to one element a_i is

    df/da_i ~ (f(a + eps e_i) - f(a - eps e_i)) / (2 eps),

whose error shrinks as eps^2 (the one-sided difference only as eps). A layer y = layer(x) is
checked through the scalar L = sum(layer(x) * R) with a fixed random R: its gradient with
respect to y is R, so ``layer.backward(R)`` must return dL/dx and leave dL/dp in each
``p.grad``. A loss is checked through L = loss(pred, target) itself (the sum of the elements for
reduction "none"), whose gradient ``loss.backward()`` returns.

Tolerances and the pass test are those of ``torch.autograd.gradcheck``: eps = 1e-6, and an
analytic value a passes against its numeric estimate n when |a - n| <= atol + rtol * |n| with
atol = 1e-5, rtol = 1e-3 (``torch.allclose``). The relative error reported per element is
|a - n| / max(|n|, atol / rtol): relative where n is large, absolute (scaled) where it is near 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EPS = 1e-6
ATOL = 1e-5
RTOL = 1e-3


@dataclass(frozen=True)
class Comparison:
    """One checked gradient: its name ("dL/dx", "dL/dweight", ...) and the largest errors."""

    tensor: str
    max_abs_error: float
    max_rel_error: float
    passed: bool


def numeric_gradient(f: Callable[[], float], array: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences of ``f()`` with respect to each element of ``array`` (float64).

    ``f`` must read ``array`` on every call: each element is moved by +eps and -eps in place
    and then restored exactly.
    """
    if array.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 arrays, got {array.dtype}")
    flat = array.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("numeric_gradient needs a contiguous array it can move in place")
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        upper = f()
        flat[i] = original - eps
        lower = f()
        flat[i] = original
        grad[i] = (upper - lower) / (2 * eps)
    return grad.reshape(array.shape)


def compare(tensor: str, analytic: np.ndarray, numeric: np.ndarray) -> Comparison:
    """The largest absolute and relative errors of ``analytic`` against ``numeric``, and the verdict."""
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        return Comparison(tensor, float("inf"), float("inf"), False)
    error = np.abs(analytic - numeric)
    relative = error / np.maximum(np.abs(numeric), ATOL / RTOL)
    passed = bool(np.all(error <= ATOL + RTOL * np.abs(numeric)))  # False for any NaN
    if error.size == 0:
        return Comparison(tensor, 0.0, 0.0, True)
    return Comparison(tensor, float(error.max()), float(relative.max()), passed)


def check_layer(
    layer,
    x: np.ndarray,
    projection: np.ndarray,
    before_forward: Callable[[], None] | None = None,
) -> list[Comparison]:
    """Check dL/dx and every parameter gradient of ``layer`` at input ``x``, L = sum(layer(x) * R).

    ``projection`` is R, shaped like the layer's output. ``before_forward`` runs before every
    forward pass: a Dropout layer resets its generator there, so that every pass draws the same
    mask. The layer's gradients are zeroed first and hold dL/dp afterwards.
    """
    x = np.array(x, dtype=np.float64)  # our own copy: moved in place below
    prepare = before_forward or (lambda: None)

    def loss() -> float:
        prepare()
        return float(np.sum(layer(x) * projection))

    layer.zero_grad()
    prepare()
    layer(x.copy())
    results = [compare("dL/dx", layer.backward(projection.copy()), numeric_gradient(loss, x))]
    analytic = {name: p.grad.copy() for name, p in layer.named_parameters()}
    for name, p in layer.named_parameters():
        results.append(compare(f"dL/d{name}", analytic[name], numeric_gradient(loss, p.data)))
    return results


def check_loss(loss_fn, pred: np.ndarray, target: np.ndarray) -> Comparison:
    """Check ``loss_fn.backward()`` (dL/dpred) against central differences at ``pred``."""
    pred = np.array(pred, dtype=np.float64)

    def loss() -> float:
        return float(np.sum(loss_fn(pred, target)))

    loss_fn(pred.copy(), target)
    analytic = loss_fn.backward()
    return compare("dL/dpred", analytic, numeric_gradient(loss, pred))

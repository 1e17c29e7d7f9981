"""Pure math: the forward and backward of each op, with no state.

Each ``*_backward`` takes the upstream gradient G = dL/dy plus what its forward returned or was
given, and returns dL/dx. Nothing here writes into an argument, except the explicitly named
gradient accumulators (``weight_grad``, ``bias_grad``), which are updated with ``+=``.
"""

from __future__ import annotations

import numpy as np


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """y = x @ W.T + b, for x (N, in), W (out, in), b (out,) -> y (N, out)."""
    y = x @ weight.T
    if bias is not None:
        y += bias  # y is a fresh array: adding in place saves a temporary
    return y


def linear_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    weight_grad: np.ndarray,
    bias_grad: np.ndarray | None,
) -> np.ndarray:
    """Accumulate dL/dW += G.T @ x and dL/db += sum_rows(G); return dL/dx = G @ W."""
    weight_grad += grad.T @ x
    if bias_grad is not None:
        bias_grad += grad.sum(axis=0)
    return grad @ weight


def relu(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y = max(x, 0); also returns the mask [x > 0] that the backward needs."""
    mask = x > 0
    return x * mask, mask


def relu_backward(grad: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """dL/dx = G * [x > 0]."""
    return grad * mask


def mse_backward(diff: np.ndarray, scale: float) -> np.ndarray:
    """d/dpred of scale * sum((pred - target)^2) = 2 * scale * (pred - target)."""
    return diff * (2.0 * scale)

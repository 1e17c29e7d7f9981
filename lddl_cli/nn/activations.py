"""Elementwise activations: y = f(x) for each element, dL/dx = G * f'(x).

Each forward returns a fresh array and caches what its backward reads (x, or y where f' is
cheaper from the output); the math is in ``functional``.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .layers import Module, check_number


class ReLU(Module):
    """Rectified linear unit: y = max(x, 0), elementwise.

    Shape: any -> same. Backward: dL/dx = G * [x > 0] (the subgradient at 0 is 0, as PyTorch; at a
    NaN input the gradient is NaN, where PyTorch passes G through).
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.relu(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._y is None:
            raise RuntimeError("ReLU.backward called before forward")
        return F.relu_backward(grad, self._y)


class _Elementwise(Module):
    """Base of activations that cache their input x for the backward."""

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None

    def _cached(self) -> np.ndarray:
        if self._x is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._x


class LeakyReLU(_Elementwise):
    """y = x if x > 0 else negative_slope * x, elementwise.

    Args:
        negative_slope: slope for x <= 0 (default 0.01).

    Shape: any -> same. Backward: dL/dx = G if x > 0 else negative_slope * G.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number("negative_slope", negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.leaky_relu_backward(grad, self._cached(), self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """Logistic function: y = 1 / (1 + exp(-x)), elementwise; stable for any |x|.

    Shape: any -> same. Backward: dL/dx = G * y * (1 - y).
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.sigmoid(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._y is None:
            raise RuntimeError("Sigmoid.backward called before forward")
        return F.sigmoid_backward(grad, self._y)


class Tanh(Module):
    """Hyperbolic tangent: y = tanh(x), elementwise.

    Shape: any -> same. Backward: dL/dx = G * (1 - y^2).
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.tanh(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._y is None:
            raise RuntimeError("Tanh.backward called before forward")
        return F.tanh_backward(grad, self._y)


class GELU(_Elementwise):
    """Gaussian error linear unit: y = x * Phi(x), Phi the standard normal CDF, elementwise.

    Args:
        approximate: "none" (default): Phi(x) = (1 + erf(x / sqrt 2)) / 2, exactly;
            "tanh": Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, as PyTorch.

    Shape: any -> same.
    Backward: exact, dL/dx = G * (Phi(x) + x phi(x)) with phi the normal density; tanh form,
        dL/dx = G * (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)).
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.gelu(x, self.approximate)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.gelu_backward(grad, self._cached(), self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ELU(_Elementwise):
    """Exponential linear unit: y = x if x > 0 else alpha * (exp(x) - 1), elementwise.

    Args:
        alpha: the value approached as x -> -inf is -alpha (default 1.0).

    Shape: any -> same. Backward: dL/dx = G if x > 0 else G * alpha * exp(x).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_number("alpha", alpha)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.elu(x, self.alpha)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.elu_backward(grad, self._cached(), self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SiLU(Module):
    """Sigmoid linear unit (swish): y = x * sigmoid(x), elementwise.

    Shape: any -> same. Backward: dL/dx = G * s (1 + x (1 - s)), with s = sigmoid(x).
    """

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None
        self._s: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        y, self._s = F.silu(x)
        self._x = x
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._x is None:
            raise RuntimeError("SiLU.backward called before forward")
        return F.silu_backward(grad, self._x, self._s)


class Softplus(_Elementwise):
    """Smooth ReLU: y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold.

    Args:
        beta: sharpness (default 1.0), > 0.
        threshold: above beta x > threshold the layer is linear (default 20.0).

    Shape: any -> same. Backward: dL/dx = G * sigmoid(beta x), and G above the threshold.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_number("beta", beta)
        if self.beta <= 0:
            raise ValueError(f"beta must be positive, got {beta!r}")
        self.threshold = check_number("threshold", threshold)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.softplus(x, self.beta, self.threshold)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.softplus_backward(grad, self._cached(), self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Identity(Module):
    """y = x (a placeholder layer). Shape: any -> same. Backward: dL/dx = G."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()  # a copy, so that writing into the output never changes the input

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.copy()

"""Dropout: random zeroing of activations in training, identity in eval."""

from __future__ import annotations

import numpy as np

from . import functional as F
from .layers import Module, check_number


class Dropout(Module):
    """Inverted dropout: in training y = x * m / (1 - p), m_i ~ Bernoulli(1 - p); in eval y = x.

    Args:
        p: probability of zeroing an element (default 0.5), in [0, 1]; p = 1 zeros everything.
        rng: the ``np.random.Generator`` drawing the masks (a fresh one if None).

    Shape: any -> same.
    Backward: dL/dx = G * m / (1 - p) with the mask of the last forward (G in eval).
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_number("dropout probability p", p, low=0.0, high=1.0)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0:
            self._mask = None
            return x.copy()
        self._mask = F.dropout_mask(x.shape, self.p, self.rng, x.dtype)
        return x * self._mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.copy() if self._mask is None else grad * self._mask

    def extra_repr(self) -> str:
        return f"p={self.p}"

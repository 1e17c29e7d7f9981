"""Losses: ``loss(pred, target) -> float`` caches what ``backward() -> dL/dpred`` needs.

``reduction`` is "mean" (default), "sum" or "none"; the gradient always matches it. With
"none" the loss returns the per-element array and ``backward`` the gradient of its sum.
"""

from __future__ import annotations

import numpy as np

from . import functional as F

REDUCTIONS = ("mean", "sum", "none")


class Loss:
    """Base class: validates ``reduction`` and the shapes and dtypes of prediction and target."""

    def __init__(self, reduction: str = "mean") -> None:
        # Compare by value: a name read from YAML is equal to "mean" but need not be the same object.
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}")
        self.reduction = reduction

    def __call__(self, pred: np.ndarray, target: np.ndarray):
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray):
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def _reduce(self, elementwise: np.ndarray):
        if self.reduction == "mean":
            return float(elementwise.mean())
        if self.reduction == "sum":
            return float(elementwise.sum())
        return elementwise

    def _scale(self, count: int) -> float:
        """The factor d(reduced)/d(element): 1/count for mean, 1 otherwise."""
        return 1.0 / count if self.reduction == "mean" else 1.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


def _check_same(pred: np.ndarray, target: np.ndarray, name: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"{name}: prediction shape {pred.shape} does not match target shape {target.shape}")
    if pred.dtype != target.dtype:
        raise TypeError(f"{name}: prediction dtype {pred.dtype} does not match target dtype {target.dtype}")


class MSELoss(Loss):
    """Mean squared error: l_i = (pred_i - target_i)^2, reduced by mean (default), sum or none.

    As ``torch.nn.MSELoss``: no factor 0.5. Shape: pred and target alike, any shape.
    Backward: dL/dpred = 2 (pred - target) * s, with s = 1/numel for mean, 1 for sum and none.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray):
        _check_same(pred, target, "MSELoss")
        self._diff = pred - target
        return self._reduce(self._diff * self._diff)

    def backward(self) -> np.ndarray:
        return F.mse_backward(self._diff, self._scale(self._diff.size))

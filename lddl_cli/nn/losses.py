"""Losses: ``loss(pred, target) -> float`` caches what ``backward() -> dL/dpred`` needs.

``reduction`` is "mean" (default), "sum" or "none"; the gradient always matches it. With
"none" the loss returns the per-element array and ``backward`` the gradient of its sum.
"""

from __future__ import annotations

import math

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
        if self.reduction == "none":
            return elementwise
        # np.add.reduce, not .mean()/.sum(): the same pairwise sum without their Python wrappers,
        # which cost several microseconds per call, a tenth of a small network's step (issue 5).
        return self._reduce_total(float(np.add.reduce(elementwise, axis=None)), elementwise.size)

    def _reduce_total(self, total: float, count: int) -> float:
        """The "mean" or "sum" reduction of ``count`` elements summing to ``total`` (mean of none: NaN)."""
        if self.reduction == "mean":
            return total / count if count else math.nan
        return total

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
        diff = self._diff = pred - target
        if self.reduction == "none":
            return diff * diff
        # The sum of squares as one dot product: no (N, out) temporary, one call instead of two.
        return self._reduce_total(float(np.vdot(diff, diff)), diff.size)

    def backward(self) -> np.ndarray:
        return F.mse_backward(self._diff, self._scale(self._diff.size))


class L1Loss(Loss):
    """Mean absolute error: l_i = |pred_i - target_i|, reduced by mean (default), sum or none.

    Shape: pred and target alike, any shape.
    Backward: dL/dpred = sign(pred - target) * s (0 where they are equal, as PyTorch), with
    s = 1/numel for mean, 1 for sum and none.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray):
        _check_same(pred, target, "L1Loss")
        self._diff = pred - target
        return self._reduce(np.abs(self._diff))

    def backward(self) -> np.ndarray:
        return np.sign(self._diff) * self._scale(self._diff.size)


class HuberLoss(Loss):
    """Huber loss: l_i = 0.5 d_i^2 if |d_i| < delta else delta (|d_i| - 0.5 delta), d = pred - target.

    Args:
        reduction: "mean" (default), "sum" or "none".
        delta: where the loss turns from quadratic to linear (default 1.0), > 0.

    Shape: pred and target alike, any shape.
    Backward: dL/dpred = clip(d, -delta, delta) * s, s = 1/numel for mean, 1 otherwise.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if isinstance(delta, bool) or not isinstance(delta, int | float | np.integer | np.floating):
            raise ValueError(f"delta must be a positive number, got {delta!r}")
        if not (np.isfinite(delta) and delta > 0):
            raise ValueError(f"delta must be a positive number, got {delta!r}")
        self.delta = float(delta)

    def forward(self, pred: np.ndarray, target: np.ndarray):
        _check_same(pred, target, "HuberLoss")
        self._diff = pred - target
        return self._reduce(F.huber(self._diff, self.delta))

    def backward(self) -> np.ndarray:
        return F.huber_backward(self._diff, self.delta, self._scale(self._diff.size))

    def __repr__(self) -> str:
        return f"HuberLoss(reduction={self.reduction!r}, delta={self.delta})"


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy: l_n = -log softmax(logits_n)[y_n] = logsumexp(logits_n) - logits_n[y_n].

    The log-softmax subtracts each row's maximum first, so logits of +-1e4 stay finite.

    Shape: logits (N, C) float; target (N,) integer class indices in [0, C); "none" gives (N,).
    Backward: dL/dlogits = (softmax(logits) - onehot(y)) * s, s = 1/N for mean, 1 otherwise.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray):
        target = np.asarray(target)
        if pred.ndim != 2:
            raise ValueError(f"CrossEntropyLoss: logits must be (N, C), got shape {pred.shape}")
        if not np.issubdtype(pred.dtype, np.floating):
            raise TypeError(f"CrossEntropyLoss: logits must be float32 or float64, got {pred.dtype}")
        if target.shape != (pred.shape[0],):
            raise ValueError(
                f"CrossEntropyLoss: target must be ({pred.shape[0]},) class indices, got shape {target.shape}"
            )
        if not np.issubdtype(target.dtype, np.integer):
            raise TypeError(
                f"CrossEntropyLoss: target must hold integer class indices, got dtype {target.dtype}"
            )
        classes = pred.shape[1]
        if target.size and (target.min() < 0 or target.max() >= classes):
            low, high = target.min(), target.max()
            raise ValueError(
                f"CrossEntropyLoss: class indices must be in [0, {classes - 1}], got {low}..{high}"
            )
        log_probs = F.log_softmax(pred)
        rows = np.arange(pred.shape[0])
        self._log_probs = log_probs
        self._target = target
        return self._reduce(-log_probs[rows, target])

    def backward(self) -> np.ndarray:
        grad = np.exp(self._log_probs)
        grad[np.arange(grad.shape[0]), self._target] -= 1
        return grad * self._scale(grad.shape[0])


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits: l_i = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))).

    Evaluated as max(x, 0) - x t + log(1 + exp(-|x|)), finite for any logit.

    Shape: logits and targets (probabilities in [0, 1]) alike, any shape.
    Backward: dL/dx = (sigmoid(x) - t) * s, s = 1/numel for mean, 1 otherwise.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray):
        _check_same(pred, target, "BCEWithLogitsLoss")
        self._pred = pred
        self._target = target
        return self._reduce(F.bce_with_logits(pred, target))

    def backward(self) -> np.ndarray:
        return (F.sigmoid(self._pred) - self._target) * self._scale(self._pred.size)

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
        return self._reduce_total(float(elementwise.sum()), elementwise.size)

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
        self._diff = pred - target
        return self._reduce(F.mse(self._diff))

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
        return self._reduce(F.l1(self._diff))

    def backward(self) -> np.ndarray:
        return F.l1_backward(self._diff, self._scale(self._diff.size))


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


def _weights(value, name: str, owner: str, *, one_d: bool) -> np.ndarray | None:
    """``value`` as a read-only float64 copy: numbers, finite, >= 0 (1-D when ``one_d``); None stays None."""
    if value is None:
        return None
    try:
        array = np.array(value)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"{owner}: {name} must be an array of numbers; {error}") from None
    if array.dtype.kind not in "iuf":  # bool, strings, objects, complex
        raise TypeError(f"{owner}: {name} must hold real numbers, got dtype {array.dtype}")
    if one_d and array.ndim != 1:
        raise ValueError(f"{owner}: {name} must be 1-D (one value per class), got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        first = array[~np.isfinite(array)].flat[0]
        raise ValueError(f"{owner}: {name} must be finite, got {first}")
    if (array < 0).any():
        raise ValueError(f"{owner}: {name} must be >= 0, got {array.min()}")
    array.flags.writeable = False
    return array


def _cast(array: np.ndarray | None, dtype: np.dtype, cache: dict) -> np.ndarray | None:
    """``array`` in ``dtype``, converted once per dtype (weights are float64; logits may be float32)."""
    if array is None or array.dtype == dtype:
        return array
    cast = cache.get(dtype)
    if cast is None:
        cast = cache[dtype] = array.astype(dtype)
        cast.flags.writeable = False
    return cast


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy with class weights, an ignored label and label smoothing (torch's).

    With log p_n = log_softmax(logits_n), w the class weights (all ones by default), e the label
    smoothing, C the number of classes and y_n the target of row n:
        l_n = (1 - e) w_{y_n} (-log p_n[y_n]) + (e/C) sum_k w_k (-log p_n[k]),
    and l_n = 0 for a row whose target equals ``ignore_index``. "mean" is sum_n l_n / sum_n w_{y_n}
    over the rows not ignored (the count of those rows without weights; NaN when that sum is 0, as
    torch, e.g. every target ignored); "sum" is sum_n l_n; "none" returns (l_n). The log-softmax
    subtracts each row's maximum first, so logits of +-1e4 stay finite.

    Args:
        weight: per-class rescaling, array-like of C finite values >= 0 (default None: all ones).
        ignore_index: a target value that contributes no loss and no gradient (default -100).
        reduction: "mean" (default), "sum" or "none".
        label_smoothing: e in [0, 1] (default 0.0): the target is (1 - e) onehot(y) + e/C.

    Shape: logits (N, C) float; target (N,) integer class indices in [0, C) or ``ignore_index``;
    "none" gives (N,). After forward, ``counted_weight`` is sum_n w_{y_n} over the rows not ignored.
    Backward, with c_n = 1 / sum_m w_{y_m} for mean and 1 otherwise (0 for an ignored row) and
    W = sum_k w_k: dL/dlogits_n = c_n [(1 - e) w_{y_n} (softmax(logits_n) - onehot(y_n))
    + (e/C) (W softmax(logits_n) - w)]; without weights and smoothing, (softmax - onehot(y)) c_n.
    """

    def __init__(
        self,
        weight=None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.weight = _weights(weight, "weight", "CrossEntropyLoss", one_d=True)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int | np.integer):
            raise TypeError(f"CrossEntropyLoss: ignore_index must be an integer, got {ignore_index!r}")
        self.ignore_index = int(ignore_index)
        if isinstance(label_smoothing, bool) or not isinstance(
            label_smoothing, int | float | np.integer | np.floating
        ):
            raise TypeError(f"CrossEntropyLoss: label_smoothing must be a number, got {label_smoothing!r}")
        if not 0 <= label_smoothing <= 1:  # False for NaN too
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)
        self._weight_cache: dict = {}

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
        rows, classes = pred.shape
        if self.weight is not None and self.weight.size != classes:
            raise ValueError(
                f"CrossEntropyLoss: weight has {self.weight.size} values but the logits have "
                f"{classes} classes"
            )
        ignored = self._ignored(target, classes)
        log_probs = self._log_probs = F.log_softmax(pred)
        self._plain = ignored is None and self.weight is None and not self.label_smoothing
        if self._plain:
            self._target = target
            self.counted_weight = float(rows)
            return self._reduce(-log_probs[np.arange(rows), target])

        dtype = pred.dtype
        weight = self._class_weight = _cast(self.weight, dtype, self._weight_cache)
        index = target if ignored is None else np.where(ignored, 0, target)  # any valid class
        target_weight = np.ones(rows, dtype=dtype) if weight is None else weight[index]
        if ignored is not None:
            target_weight = np.where(ignored, target_weight.dtype.type(0), target_weight)
        losses = F.cross_entropy(log_probs, index, target_weight, weight, ignored, self.label_smoothing)
        self._target, self._target_weight = index, target_weight

        # The weight of the rows that count (their number without class weights): 0 when every
        # target is ignored, where the mean is NaN; a trainer skips such a batch.
        self.counted_weight = float(target_weight.sum())
        scale = 1.0
        value = losses
        if self.reduction != "none":
            total = float(losses.sum())
            value = total
            if self.reduction == "mean":
                denominator = self.counted_weight
                value = total / denominator if denominator else math.nan
                scale = 1.0 / denominator if denominator else math.nan
        row_scale = np.full(rows, scale, dtype=dtype)
        if ignored is not None:
            row_scale[ignored] = 0  # no gradient, even where the mean is NaN
        self._row_scale = row_scale
        return value

    def _ignored(self, target: np.ndarray, classes: int) -> np.ndarray | None:
        """The mask of targets equal to ``ignore_index`` (None if none is); the rest must be classes."""
        if not target.size:
            return None
        low, high = target.min(), target.max()
        ignored = None
        if low <= self.ignore_index <= high:
            mask = target == self.ignore_index
            ignored = mask if mask.any() else None
        if low < 0 or high >= classes:
            kept = target if ignored is None else target[~ignored]
            bad = kept[(kept < 0) | (kept >= classes)]
            if bad.size:
                raise ValueError(
                    f"CrossEntropyLoss: class indices must be in [0, {classes - 1}] or equal "
                    f"ignore_index ({self.ignore_index}); got {bad.min()}..{bad.max()}"
                )
        return ignored

    def backward(self) -> np.ndarray:
        if self._plain:
            return F.cross_entropy_plain_grad(self._log_probs, self._target, self._scale(len(self._target)))
        return F.cross_entropy_grad(
            np.exp(self._log_probs),
            self._target,
            self._row_scale,
            self._target_weight,
            self._class_weight,
            self.label_smoothing,
        )

    def __repr__(self) -> str:
        options = [f"reduction={self.reduction!r}"]
        if self.weight is not None:
            options.append(f"weight={self.weight.tolist()}")
        if self.ignore_index != -100:
            options.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            options.append(f"label_smoothing={self.label_smoothing}")
        return f"CrossEntropyLoss({', '.join(options)})"


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits, with element weights and positive-class weights (torch's).

    With w the weight (default 1) and q the pos_weight (default 1), both broadcast to the logits:
        l_i = -w_i [q_i t_i log sigmoid(x_i) + (1 - t_i) log(1 - sigmoid(x_i))]
            = w_i [(1 - t_i) x_i - (1 + (q_i - 1) t_i) log sigmoid(x_i)],
    with log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): finite for any finite logit. "mean" divides
    the sum by numel (the weights do not enter the denominator), as torch.

    Args:
        weight: rescales each element's loss; array-like of finite values >= 0 whose shape broadcasts
            to the logits' shape (e.g. (C,) per output column), default None.
        reduction: "mean" (default), "sum" or "none".
        pos_weight: weight of the positive term, (C,) or (1,), broadcast along the last (class)
            dimension; finite values >= 0, default None.

    Shape: logits and targets (probabilities in [0, 1]) alike, any shape.
    Backward: dL/dx = w [(1 - t) - (1 + (q - 1) t) sigmoid(-x)] * s (= (sigmoid(x) - t) * s
    without weights), s = 1/numel for mean, 1 otherwise.
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(reduction)
        self.weight = _weights(weight, "weight", "BCEWithLogitsLoss", one_d=False)
        self.pos_weight = _weights(pos_weight, "pos_weight", "BCEWithLogitsLoss", one_d=True)
        self._weight_cache: dict = {}
        self._pos_weight_cache: dict = {}

    def forward(self, pred: np.ndarray, target: np.ndarray):
        _check_same(pred, target, "BCEWithLogitsLoss")
        self._pred = pred
        self._target = target
        if self.weight is None and self.pos_weight is None:
            self._plain = True
            return self._reduce(F.bce_with_logits(pred, target))
        self._plain = False
        weight = self._broadcast(self.weight, "weight", pred, self._weight_cache)
        pos_weight = self._broadcast(self.pos_weight, "pos_weight", pred, self._pos_weight_cache)
        self._log_weight = None if pos_weight is None else 1 + (pos_weight - 1) * target
        self._element_weight = weight
        return self._reduce(F.weighted_bce_with_logits(pred, target, self._log_weight, weight))

    @staticmethod
    def _broadcast(array, name: str, pred: np.ndarray, cache: dict) -> np.ndarray | None:
        """``array`` in the logits' dtype, after checking that it broadcasts to their shape."""
        if array is None:
            return None
        try:
            fits = np.broadcast_shapes(array.shape, pred.shape) == pred.shape
        except ValueError:
            fits = False
        if not fits:
            if array.ndim == 1 and pred.ndim >= 1:
                message = (
                    f"{name} has {array.size} values but the logits have {pred.shape[-1]} classes "
                    f"(last dimension of shape {pred.shape})"
                )
            else:
                message = f"{name} of shape {array.shape} does not broadcast to the logits' {pred.shape}"
            raise ValueError(f"BCEWithLogitsLoss: {message}")
        return _cast(array, pred.dtype, cache)

    def backward(self) -> np.ndarray:
        scale = self._scale(self._pred.size)
        if self._plain:
            return F.bce_with_logits_backward(self._pred, self._target, scale)
        return F.weighted_bce_with_logits_backward(
            self._pred, self._target, self._log_weight, self._element_weight, scale
        )

    def __repr__(self) -> str:
        options = [f"reduction={self.reduction!r}"]
        if self.weight is not None:
            options.append(f"weight={self.weight.tolist()}")
        if self.pos_weight is not None:
            options.append(f"pos_weight={self.pos_weight.tolist()}")
        return f"BCEWithLogitsLoss({', '.join(options)})"

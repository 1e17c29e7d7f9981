"""Metrics in NumPy, with scikit-learn's definitions (the tests compare them to 1e-12).

Regression metrics take ``y`` and ``pred`` of shape (N,) or (N, outputs), in the target's units;
several outputs are averaged uniformly (``multioutput="uniform_average"``). Classification
metrics take class indices ``labels`` (N,) and either predicted indices (N,) or probabilities
(N, classes). ``scores(names, ...)`` computes a list of them from a model's raw outputs.
"""

from __future__ import annotations

import numpy as np


def _columns(y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    return y.reshape(len(y), -1), pred.reshape(len(pred), -1)


def mse(y, pred) -> float:
    """mean((pred - y)^2), averaged over the outputs."""
    y, pred = _columns(y, pred)
    return float(np.mean(np.mean((pred - y) ** 2, axis=0)))


def rmse(y, pred) -> float:
    """sqrt(mean((pred - y)^2)) per output, averaged (scikit-learn's root_mean_squared_error)."""
    y, pred = _columns(y, pred)
    return float(np.mean(np.sqrt(np.mean((pred - y) ** 2, axis=0))))


def mae(y, pred) -> float:
    """mean(|pred - y|), averaged over the outputs."""
    y, pred = _columns(y, pred)
    return float(np.mean(np.mean(np.abs(pred - y), axis=0)))


def r2(y, pred) -> float:
    """1 - sum((y - pred)^2) / sum((y - mean(y))^2) per output, averaged; a constant y scores 1.0
    if predicted exactly, else 0.0 (scikit-learn's ``force_finite``)."""
    y, pred = _columns(y, pred)
    residual = np.sum((y - pred) ** 2, axis=0)
    total = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    safe = np.where(total == 0, 1.0, total)
    score = np.where(total == 0, np.where(residual == 0, 1.0, 0.0), 1.0 - residual / safe)
    return float(np.mean(score))


def _predicted(predicted: np.ndarray) -> np.ndarray:
    predicted = np.asarray(predicted)
    return predicted.argmax(axis=1) if predicted.ndim == 2 else predicted


def accuracy(labels, predicted) -> float:
    """The fraction of rows whose predicted class (or arg-max probability) is the label."""
    return float(np.mean(np.asarray(labels) == _predicted(predicted)))


def _counts(labels, predicted) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(classes seen in labels or predictions, true positives, predicted counts, true counts)."""
    labels, predicted = np.asarray(labels), _predicted(predicted)
    classes = np.union1d(labels, predicted)
    true = labels[:, None] == classes[None, :]
    guessed = predicted[:, None] == classes[None, :]
    return classes, np.sum(true & guessed, axis=0), guessed.sum(axis=0), true.sum(axis=0)


def balanced_accuracy(labels, predicted) -> float:
    """The mean recall over the classes present in ``labels``."""
    _, hits, _, support = _counts(labels, predicted)
    present = support > 0
    return float(np.mean(hits[present] / support[present]))


def f1_macro(labels, predicted) -> float:
    """The unweighted mean over classes (seen in labels or predictions) of 2 tp / (2 tp + fp + fn);
    a class with no tp, fp or fn scores 0 (scikit-learn's ``zero_division``)."""
    _, hits, guessed, support = _counts(labels, predicted)
    denominator = guessed + support  # = 2 tp + fp + fn
    return float(np.mean(np.where(denominator > 0, 2 * hits / np.maximum(denominator, 1), 0.0)))


def log_loss(labels, proba) -> float:
    """-mean(log p[label]) with p clipped to [eps, 1 - eps] (float64's eps), proba (N, classes)."""
    proba = np.asarray(proba, dtype=np.float64)
    eps = np.finfo(np.float64).eps
    chosen = proba[np.arange(len(proba)), np.asarray(labels)]
    return float(-np.mean(np.log(np.clip(chosen, eps, 1 - eps))))


def roc_auc(labels, proba) -> float:
    """Binary: the probability that a positive row scores above a negative one (ties count 1/2),
    from average ranks (Mann-Whitney U). NaN when ``labels`` hold one class only."""
    labels = np.asarray(labels)
    score = np.asarray(proba, dtype=np.float64)
    score = score[:, 1] if score.ndim == 2 else score
    positive = labels == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    sorted_score = score[order]
    ranks = np.empty(len(score))
    starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])
    ends = np.r_[starts[1:], len(score)]
    average = (starts + ends + 1) / 2.0  # ranks are 1-based; a tie group shares its mean rank
    ranks[order] = np.repeat(average, ends - starts)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


REGRESSION = {"mse": mse, "rmse": rmse, "mae": mae, "r2": r2}
CLASSIFICATION = {
    "accuracy": accuracy,
    "balanced_accuracy": balanced_accuracy,
    "f1_macro": f1_macro,
    "log_loss": log_loss,
    "roc_auc": roc_auc,
}
# Lower is better for these; higher for the others.
LOWER_IS_BETTER = frozenset({"mse", "rmse", "mae", "log_loss"})


def probabilities(outputs: np.ndarray, loss_type: str) -> np.ndarray:
    """Class probabilities (N, classes) from logits: softmax, or for bce_with_logits (one output)
    [1 - sigmoid, sigmoid]."""
    z = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
    if loss_type == "bce_with_logits":
        p = np.exp(-np.logaddexp(0.0, -z[:, 0]))  # sigmoid without overflow
        return np.stack([1.0 - p, p], axis=1)
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def scores(names, task: str, pred_or_proba: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """``{name: value}``: regression from predictions in the target's units, classification from
    probabilities (N, classes) and class indices ``y``."""
    table = REGRESSION if task == "regression" else CLASSIFICATION
    return {name: table[name](y, pred_or_proba) for name in names}

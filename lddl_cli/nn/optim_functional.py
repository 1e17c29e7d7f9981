"""The optimizers' update rules as pure functions (torch's functional ``sgd()``, ``adam()``, ...).

Each function takes a parameter array, its gradient and its state buffers, and updates the
parameter and the buffers in place (``param -= ...``, ``buffer[...] = ...``), exactly as its
docstring's update rule reads. The classes in optim.py hold the state and call these.

Weight decay: ``decay_type="l2"`` (PyTorch's behaviour) adds weight_decay * w to the gradient;
``"l1"`` adds weight_decay * sign(w), the gradient of weight_decay * |w|. AdamW decays the weights
directly (decoupled), w <- w * (1 - lr * weight_decay), before the Adam update.
"""

from __future__ import annotations

import math

import numpy as np

DECAY_TYPES = ("l2", "l1")


def decayed_gradient(param: np.ndarray, grad: np.ndarray, weight_decay: float, decay_type: str) -> np.ndarray:
    """g = grad + wd * w ("l2") or g = grad + wd * sign(w) ("l1"); ``grad`` itself when wd = 0."""
    if weight_decay == 0:
        return grad
    # Compare by value: a name read from YAML is equal to "l1" but need not be the same object.
    if decay_type == "l2":
        return grad + weight_decay * param
    if decay_type == "l1":
        return grad + weight_decay * np.sign(param)
    raise ValueError(f"decay_type must be one of {', '.join(DECAY_TYPES)}; got {decay_type!r}")


def sgd(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    decay_type: str = "l2",
    first_step: bool = False,
) -> None:
    """One SGD step, in place on ``param`` and ``momentum_buffer`` (torch.optim.SGD)::

    g = grad + wd * w                      (l2; l1: wd * sign(w); skipped when wd = 0)
    if momentum != 0:
        b = g                              on the first step (no dampening)
        b = momentum * b + (1 - dampening) * g   afterwards
        g = g + momentum * b  if nesterov  else  b
    w = w - lr * g
    """
    g = decayed_gradient(param, grad, weight_decay, decay_type)
    if momentum != 0:
        if first_step:
            momentum_buffer[...] = g
        else:
            momentum_buffer[...] = momentum * momentum_buffer + (1 - dampening) * g
        g = g + momentum * momentum_buffer if nesterov else momentum_buffer
    param -= lr * g


def adam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    decoupled: bool = False,
    decay_type: str = "l2",
) -> None:
    """One Adam / AdamW step (``step`` counts from 1), in place (torch.optim.Adam / AdamW)::

    w = w * (1 - lr * wd)                  if decoupled (AdamW)
    g = grad + wd * w                      otherwise (l2; l1: wd * sign(w); skipped when wd = 0)
    m = beta1 * m + (1 - beta1) * g        exp_avg
    v = beta2 * v + (1 - beta2) * g * g    exp_avg_sq
    v_max = max(v_max, v)                  if amsgrad, and v_max replaces v below
    denom = sqrt(v) / sqrt(1 - beta2**step) + eps
    w = w - lr / (1 - beta1**step) * (m / denom)
    """
    if decoupled:
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        g = grad
    else:
        g = decayed_gradient(param, grad, weight_decay, decay_type)
    exp_avg[...] = beta1 * exp_avg + (1 - beta1) * g
    exp_avg_sq[...] = beta2 * exp_avg_sq + (1 - beta2) * (g * g)
    second_moment = exp_avg_sq
    if amsgrad:
        max_exp_avg_sq[...] = np.maximum(max_exp_avg_sq, exp_avg_sq)
        second_moment = max_exp_avg_sq
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    denom = np.sqrt(second_moment) / math.sqrt(bias_correction2) + eps
    param -= lr / bias_correction1 * (exp_avg / denom)


def rmsprop(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    decay_type: str = "l2",
) -> None:
    """One RMSprop step, in place (torch.optim.RMSprop)::

    g = grad + wd * w                      (l2; l1: wd * sign(w); skipped when wd = 0)
    s = alpha * s + (1 - alpha) * g * g    square_avg
    if centered:
        a = alpha * a + (1 - alpha) * g    grad_avg
        avg = sqrt(s - a * a) + eps
    else:
        avg = sqrt(s) + eps
    if momentum > 0:
        b = momentum * b + g / avg         momentum_buffer
        w = w - lr * b
    else:
        w = w - lr * (g / avg)
    """
    g = decayed_gradient(param, grad, weight_decay, decay_type)
    square_avg[...] = alpha * square_avg + (1 - alpha) * (g * g)
    if centered:
        grad_avg[...] = alpha * grad_avg + (1 - alpha) * g
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        momentum_buffer[...] = momentum * momentum_buffer + g / avg
        param -= lr * momentum_buffer
    else:
        param -= lr * (g / avg)


def adagrad(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    *,
    step: int,
    lr: float,
    lr_decay: float,
    eps: float,
    weight_decay: float,
    decay_type: str = "l2",
) -> None:
    """One Adagrad step (``step`` counts from 1), in place (torch.optim.Adagrad)::

    g = grad + wd * w                      (l2; l1: wd * sign(w); skipped when wd = 0)
    clr = lr / (1 + (step - 1) * lr_decay)
    sum = sum + g * g
    w = w - clr * (g / (sqrt(sum) + eps))
    """
    g = decayed_gradient(param, grad, weight_decay, decay_type)
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += g * g
    param -= clr * (g / (np.sqrt(state_sum) + eps))

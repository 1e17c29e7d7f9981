"""Gradient clipping: by global norm (torch.nn.utils.clip_grad_norm_) and by value (clip_grad_value_)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .tensor import Parameter


def _as_list(params: Iterable[Parameter] | Parameter) -> list[Parameter]:
    params = [params] if isinstance(params, Parameter) else list(params)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"expected Parameters, got {type(p).__name__}")
    return params


def clip_grad_norm(params: Iterable[Parameter] | Parameter, max_norm: float, norm_type: float = 2.0) -> float:
    """Scale all gradients together so that their global norm is at most ``max_norm``; return the norm.

    total_norm = || concat(g_1, ..., g_n) ||_p   (p = norm_type; p = inf takes max |g|)
    g_i <- g_i * min(1, max_norm / (total_norm + 1e-6))

    The norm is the one before clipping, as in ``torch.nn.utils.clip_grad_norm_``.
    """
    params = _as_list(params)
    if isinstance(max_norm, bool) or not isinstance(max_norm, int | float) or not max_norm >= 0:
        raise ValueError(f"Invalid max_norm: {max_norm!r} (expected a number >= 0)")
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"Invalid norm_type: {norm_type} (expected > 0, or inf)")
    if not params:
        return 0.0
    grads = [p.grad for p in params]
    if math.isinf(norm_type):
        total_norm = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    elif norm_type == 2.0:
        total_norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    else:
        total_norm = sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    coefficient = max_norm / (total_norm + 1e-6)
    if coefficient < 1.0:
        for g in grads:
            g *= coefficient
    return total_norm


def clip_grad_value(params: Iterable[Parameter] | Parameter, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    params = _as_list(params)
    if isinstance(clip_value, bool) or not isinstance(clip_value, int | float) or not clip_value >= 0:
        raise ValueError(f"Invalid clip_value: {clip_value!r} (expected a number >= 0)")
    if not params:
        return
    for p in params:
        g = p.grad
        np.clip(g, -clip_value, clip_value, out=g)

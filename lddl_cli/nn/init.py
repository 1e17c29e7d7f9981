"""Initializers, named as in ``torch.nn.init``: functions ``(shape, rng, ...) -> ndarray``.

Every initializer takes the shape, an explicit ``np.random.Generator`` and keyword-only
``dtype`` (float32 default), ``fan_in`` and ``fan_out``. The fans default to those of a weight
of that shape, computed as PyTorch does (for (out, in): fan_in = in, fan_out = out); passing them
explicitly lets a 1-D bias use the fans of its layer's weight. Initializers that do not depend on
the fans ignore them.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import as_float_dtype


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``, as ``torch.nn.init._calculate_fan_in_and_fan_out``."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got shape {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _resolve_fans(shape, fan_in, fan_out) -> tuple[int, int]:
    if fan_in is not None and fan_out is not None:
        return fan_in, fan_out
    computed_in, computed_out = fans(shape)
    return (fan_in if fan_in is not None else computed_in, fan_out if fan_out is not None else computed_out)


def linear_default(shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None) -> np.ndarray:
    """PyTorch's default for ``nn.Linear`` weight and bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    (For the weight this is kaiming_uniform with a=sqrt(5); the bias uses its weight's fan_in.)
    """
    fan_in, _ = _resolve_fans(shape, fan_in, 1)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return rng.uniform(-bound, bound, size=shape).astype(as_float_dtype(dtype))

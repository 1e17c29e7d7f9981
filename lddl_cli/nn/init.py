"""Initializers, named as in ``torch.nn.init``: functions ``(shape, rng, ...) -> ndarray``.

Every initializer takes the shape, an explicit ``np.random.Generator`` and keyword-only
``dtype`` (float32 default), ``fan_in`` and ``fan_out``, then its own hyperparameters. The fans
default to those of a weight of that shape, computed as PyTorch does (for (out, in):
fan_in = in, fan_out = out); passing them explicitly lets a 1-D bias use the fans of its
layer's weight. Initializers that do not depend on the fans ignore them. Random draws are made
in float64 and then cast, so float32 and float64 models from one seed hold the same numbers
(up to rounding). Invalid hyperparameters raise ValueError.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import as_float_dtype


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``, as ``torch.nn.init._calculate_fan_in_and_fan_out``."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need at least 2 dimensions, got shape {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _resolve_fans(shape, fan_in, fan_out) -> tuple[int, int]:
    if fan_in is not None and fan_out is not None:
        return fan_in, fan_out
    computed_in, computed_out = fans(shape)
    return (fan_in if fan_in is not None else computed_in, fan_out if fan_out is not None else computed_out)


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _shape(shape) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if any(isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 0 for d in shape):
        raise ValueError(f"shape must be a tuple of non-negative integers, got {shape!r}")
    return tuple(int(d) for d in shape)


def linear_default(
    shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None
) -> np.ndarray:
    """PyTorch's default for ``nn.Linear`` weight and bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    (For the weight this is kaiming_uniform with a=sqrt(5); the bias uses its weight's fan_in.)
    """
    shape = _shape(shape)
    fan_in, _ = _resolve_fans(shape, fan_in, 1)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return rng.uniform(-bound, bound, size=shape).astype(as_float_dtype(dtype))


def constant(
    shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None, value: float = 0.0
) -> np.ndarray:
    """Every element equal to ``value`` (default 0.0). ``rng`` is unused."""
    return np.full(_shape(shape), _number("value", value), dtype=as_float_dtype(dtype))


def zeros(shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None) -> np.ndarray:
    """Every element 0."""
    return np.zeros(_shape(shape), dtype=as_float_dtype(dtype))


def ones(shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None) -> np.ndarray:
    """Every element 1."""
    return np.ones(_shape(shape), dtype=as_float_dtype(dtype))


def normal(
    shape,
    rng: np.random.Generator,
    *,
    dtype=np.float32,
    fan_in=None,
    fan_out=None,
    mean: float = 0.0,
    std: float = 1.0,
) -> np.ndarray:
    """N(mean, std^2) (defaults 0 and 1); std >= 0."""
    mean, std = _number("mean", mean), _number("std", std)
    if std < 0:
        raise ValueError(f"std must be non-negative, got {std!r}")
    return rng.normal(mean, std, size=_shape(shape)).astype(as_float_dtype(dtype))


def uniform(
    shape,
    rng: np.random.Generator,
    *,
    dtype=np.float32,
    fan_in=None,
    fan_out=None,
    a: float = 0.0,
    b: float = 1.0,
) -> np.ndarray:
    """U(a, b) (defaults 0 and 1); a <= b."""
    a, b = _number("a", a), _number("b", b)
    if a > b:
        raise ValueError(f"uniform needs a <= b, got a={a!r}, b={b!r}")
    return rng.uniform(a, b, size=_shape(shape)).astype(as_float_dtype(dtype))


def _gain(gain) -> float:
    gain = _number("gain", gain)
    if gain < 0:
        raise ValueError(f"gain must be non-negative, got {gain!r}")
    return gain


def xavier_uniform(
    shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None, gain: float = 1.0
) -> np.ndarray:
    """Glorot uniform: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out))."""
    shape = _shape(shape)
    fan_in, fan_out = _resolve_fans(shape, fan_in, fan_out)
    bound = _gain(gain) * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape).astype(as_float_dtype(dtype))


def xavier_normal(
    shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None, gain: float = 1.0
) -> np.ndarray:
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    shape = _shape(shape)
    fan_in, fan_out = _resolve_fans(shape, fan_in, fan_out)
    std = _gain(gain) * math.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=shape).astype(as_float_dtype(dtype))


_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    linear, identity, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2); selu: 3/4;
    leaky_relu: sqrt(2 / (1 + slope^2)) with slope = ``param`` (default 0.01).
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _number("negative slope (param)", param)
        return math.sqrt(2.0 / (1 + slope * slope))
    if nonlinearity in _GAINS:
        return _GAINS[nonlinearity]
    valid = ", ".join([*_GAINS, "leaky_relu"])
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}; allowed: {valid}")


def _kaiming_std(shape, fan_in, fan_out, a, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    if fan is None:  # only the fan the mode uses is needed (a 1-D bias may pass just fan_in)
        computed_in, computed_out = fans(shape)
        fan = computed_in if mode == "fan_in" else computed_out
    if fan <= 0:
        raise ValueError(f"kaiming initialization needs a positive {mode}, got shape {shape}")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(
    shape,
    rng: np.random.Generator,
    *,
    dtype=np.float32,
    fan_in=None,
    fan_out=None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> np.ndarray:
    """He uniform: U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan).

    gain = calculate_gain(nonlinearity, a); fan = fan_in or fan_out, per ``mode``.
    """
    shape = _shape(shape)
    bound = math.sqrt(3.0) * _kaiming_std(shape, fan_in, fan_out, a, mode, nonlinearity)
    return rng.uniform(-bound, bound, size=shape).astype(as_float_dtype(dtype))


def kaiming_normal(
    shape,
    rng: np.random.Generator,
    *,
    dtype=np.float32,
    fan_in=None,
    fan_out=None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> np.ndarray:
    """He normal: N(0, std^2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    shape = _shape(shape)
    std = _kaiming_std(shape, fan_in, fan_out, a, mode, nonlinearity)
    return rng.normal(0.0, std, size=shape).astype(as_float_dtype(dtype))


def orthogonal(
    shape, rng: np.random.Generator, *, dtype=np.float32, fan_in=None, fan_out=None, gain: float = 1.0
) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain``, as ``torch.nn.init.orthogonal_``.

    The shape is viewed as (rows, cols) = (shape[0], prod(shape[1:])); a Gaussian matrix is
    QR-factored and Q's columns signed by diag(R), so W W^T = gain^2 I when rows <= cols and
    W^T W = gain^2 I otherwise.
    """
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(f"orthogonal initialization needs at least 2 dimensions, got shape {shape}")
    gain = _gain(gain)
    rows, cols = shape[0], math.prod(shape[1:])
    flat = rng.normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(as_float_dtype(dtype))

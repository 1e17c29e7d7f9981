"""The math of every op and loss, forward and backward, as pure functions with no state.

Each ``*_backward`` takes the upstream gradient G = dL/dy plus what its forward returned or was
given, and returns the gradient(s) with respect to its input(s). Nothing here writes into an
argument: every result is a fresh array. The layers (layers.py, activations.py, ...) and the
losses (losses.py) hold the state and call these functions; the compiled training step
(compiled.py) calls the same functions where it does not write the formula out in place.
"""

from __future__ import annotations

import numpy as np


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """y = x @ W.T + b, for x (N, in), W (out, in), b (out,) -> y (N, out)."""
    y = x @ weight.T
    if bias is not None:
        y = y + bias
    return y


def linear_backward(
    grad: np.ndarray, x: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of y = x @ W.T + b for G = dL/dy (N, out):

    dL/dx = G @ W (N, in),  dL/dW = G.T @ x (out, in),  dL/db = sum of G over rows (out,).
    """
    return grad @ weight, grad.T @ x, grad.sum(axis=0)


def relu(x: np.ndarray) -> np.ndarray:
    """y = max(x, 0) (NaN stays NaN); the backward rebuilds [x > 0] from y."""
    return np.maximum(x, 0)


def relu_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx = G * [x > 0], computed as G * sign(y) from the forward's output y >= 0.

    sign(y) is [y > 0] as a float, in one call that is cheaper than the comparison plus a
    bool-to-float product. At a NaN input it is NaN, so the gradient there is NaN too (PyTorch
    passes G through a NaN unit; training stops at the NaN loss either way).
    """
    return grad * np.sign(y)


# --- elementwise activations ------------------------------------------------------------------
# Each forward returns a fresh array (never a view of, or a write into, x).


def leaky_relu(x: np.ndarray, negative_slope: float) -> np.ndarray:
    """y = x if x > 0 else negative_slope * x."""
    return np.where(x > 0, x, x * negative_slope)


def leaky_relu_backward(grad: np.ndarray, x: np.ndarray, negative_slope: float) -> np.ndarray:
    """dL/dx = G if x > 0 else negative_slope * G."""
    return np.where(x > 0, grad, grad * negative_slope)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """y = 1 / (1 + exp(-x)), computed from exp(-|x|) so that no exp overflows."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx = G * y * (1 - y)."""
    return grad * (y * (1 - y))


def tanh(x: np.ndarray) -> np.ndarray:
    """y = tanh(x)."""
    return np.tanh(x)


def tanh_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx = G * (1 - y^2)."""
    return grad * (1 - y * y)


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    """y = x if x > 0 else alpha * (exp(x) - 1)."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_backward(grad: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """dL/dx = G if x > 0 else G * alpha * exp(x)."""
    return np.where(x > 0, grad, grad * (alpha * np.exp(np.minimum(x, 0))))


def silu(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y = x * sigmoid(x); also returns sigmoid(x) for the backward."""
    s = sigmoid(x)
    return x * s, s


def silu_backward(grad: np.ndarray, x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """dL/dx = G * s * (1 + x * (1 - s)), with s = sigmoid(x)."""
    return grad * (s * (1 + x * (1 - s)))


def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold (as PyTorch).

    log(1 + exp(z)) is evaluated as max(z, 0) + log1p(exp(-|z|)), which never overflows.
    """
    z = x * beta
    smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    return np.where(z > threshold, x, smooth)


def softplus_backward(grad: np.ndarray, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """dL/dx = G * sigmoid(beta x), and G where beta x > threshold."""
    z = x * beta
    return np.where(z > threshold, grad, grad * sigmoid(z))


# erf after W. J. Cody, "Rational Chebyshev approximations for the error function" (1969), as in
# his SPECFUN routine CALERF: relative error below 1e-16 in float64 on the whole real line.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03)
_ERF_A4 = 1.85777706184603153e-1
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERF_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
)
_ERF_C8 = 2.15311535474403846e-8
_ERF_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_ERF_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
)
_ERF_P5 = 1.63153871373020978e-2
_ERF_Q = (
    2.56852019228982242e00,
    1.87295284992346725e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_INV_SQRT_PI = 5.6418958354775628695e-1


def erf(x: np.ndarray) -> np.ndarray:
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise.

    Vectorized Cody rational approximations on three ranges of |x|: [0, 0.46875] (erf
    directly), (0.46875, 4] and (4, inf) (erfc, then erf = 1 - erfc). Computed in float64 and
    returned in the input's float dtype.
    """
    x = np.asarray(x)
    out_dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    x64 = x.astype(np.float64)
    y = np.abs(x64)
    result = np.empty_like(x64)

    small = y <= 0.46875
    ys = y[small]
    z = ys * ys
    num = _ERF_A4 * z
    den = z.copy()
    for a, b in zip(_ERF_A[:3], _ERF_B[:3], strict=True):
        num = (num + a) * z
        den = (den + b) * z
    result[small] = x64[small] * (num + _ERF_A[3]) / (den + _ERF_B[3])

    middle = (y > 0.46875) & (y <= 4.0)
    ym = y[middle]
    num = _ERF_C8 * ym
    den = ym.copy()
    for c, d in zip(_ERF_C[:7], _ERF_D[:7], strict=True):
        num = (num + c) * ym
        den = (den + d) * ym
    erfc_middle = _scaled_exp(ym) * (num + _ERF_C[7]) / (den + _ERF_D[7])
    result[middle] = np.copysign(1.0 - erfc_middle, x64[middle])

    large = y > 4.0
    yl = y[large]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = 1.0 / (yl * yl)
        num = _ERF_P5 * z
        den = z.copy()
        for p, q in zip(_ERF_P[:4], _ERF_Q[:4], strict=True):
            num = (num + p) * z
            den = (den + q) * z
        tail = z * (num + _ERF_P[4]) / (den + _ERF_Q[4])
        erfc_large = _scaled_exp(yl) * (_INV_SQRT_PI - tail) / yl
    # Beyond |x| ~ 6, erfc underflows relative to 1: erf is exactly +-1 (also for +-inf).
    erfc_large = np.where(np.isfinite(erfc_large), erfc_large, 0.0)
    result[large] = np.copysign(1.0 - erfc_large, x64[large])

    nan = np.isnan(x64)
    result[nan] = np.nan
    return result.astype(out_dtype, copy=False)


def _scaled_exp(y: np.ndarray) -> np.ndarray:
    """exp(-y^2), split as exp(-ysq^2) * exp(-(y - ysq)(y + ysq)) with ysq = y rounded down to
    a multiple of 1/16, which keeps the large exponent exact (Cody's trick)."""
    ysq = np.trunc(y * 16.0) / 16.0
    return np.exp(-ysq * ysq) * np.exp(-(y - ysq) * (y + ysq))


_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_SQRT_2_OVER_PI = 0.7978845608028654
_GELU_TANH_C = 0.044715


def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    """Exact: y = x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)).
    Tanh form: y = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_C * x * x * x)))
    return 0.5 * x * (1 + erf(x * _SQRT_HALF))


def gelu_backward(grad: np.ndarray, x: np.ndarray, approximate: str) -> np.ndarray:
    """Exact: dL/dx = G * (Phi(x) + x * phi(x)), phi(x) = exp(-x^2/2) / sqrt(2 pi).
    Tanh form, with u = sqrt(2/pi) (x + 0.044715 x^3) and t = tanh(u):
    dL/dx = G * (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2))."""
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_C * x * x * x))
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_C * x * x)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
    cdf = 0.5 * (1 + erf(x * _SQRT_HALF))
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return grad * (cdf + x * pdf)


# --- dropout and normalization ----------------------------------------------------------------


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator, dtype) -> np.ndarray:
    """Inverted-dropout multiplier: 1/(1-p) with probability 1-p, else 0 (all zeros for p = 1)."""
    if p >= 1:
        return np.zeros(shape, dtype=dtype)
    keep = rng.random(shape) >= p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype=dtype)


def normalize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xhat = (x - mean) / sqrt(var + eps) over ``axes``, with the biased variance.

    Returns (xhat, mean, var), mean and var with the reduced axes kept (for broadcasting).
    """
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    xhat = centered / np.sqrt(var + eps)
    return xhat, mean, var


def normalize_backward(
    grad_xhat: np.ndarray, xhat: np.ndarray, var: np.ndarray, axes: tuple[int, ...], eps: float
) -> np.ndarray:
    """dL/dx through batch statistics, for D = dL/dxhat and n elements per group:
    dL/dx = (D - mean(D) - xhat * mean(D * xhat)) / sqrt(var + eps), means over ``axes``."""
    mean_grad = grad_xhat.mean(axis=axes, keepdims=True)
    mean_grad_xhat = (grad_xhat * xhat).mean(axis=axes, keepdims=True)
    return (grad_xhat - mean_grad - xhat * mean_grad_xhat) / np.sqrt(var + eps)


# --- losses -----------------------------------------------------------------------------------
# Each loss is written for the elementwise (or per-row) values l and the difference d = pred - target;
# the reduction ("mean" or "sum") multiplies the gradient by its scale s (1/numel or 1).


def mse(diff: np.ndarray) -> np.ndarray:
    """l = d^2 (no factor 0.5, as torch.nn.MSELoss)."""
    return diff * diff


def mse_backward(diff: np.ndarray, scale: float) -> np.ndarray:
    """dL/dpred of L = s * sum(d^2): 2 * s * d."""
    return diff * (2.0 * scale)


def l1(diff: np.ndarray) -> np.ndarray:
    """l = |d|."""
    return np.abs(diff)


def l1_backward(diff: np.ndarray, scale: float) -> np.ndarray:
    """dL/dpred of L = s * sum(|d|): s * sign(d) (0 where d = 0, as PyTorch)."""
    return np.sign(diff) * scale


def cross_entropy(
    log_probs: np.ndarray,
    target: np.ndarray,
    target_weight: np.ndarray,
    class_weight: np.ndarray | None,
    ignored: np.ndarray | None,
    label_smoothing: float,
) -> np.ndarray:
    """l_n = (1 - e) w_{y_n} (-log p_n[y_n]) + (e/C) sum_k w_k (-log p_n[k]); 0 where ``ignored``.

    ``target_weight`` is w_{y_n} (N,) (0 for an ignored row), ``class_weight`` w (C,) or None
    for all ones, e the label smoothing and C the number of classes.
    """
    rows, classes = log_probs.shape
    losses = target_weight * -log_probs[np.arange(rows), target]
    eps = label_smoothing
    if eps:
        smooth = -(log_probs.sum(axis=1) if class_weight is None else log_probs @ class_weight)
        if ignored is not None:
            smooth = np.where(ignored, smooth.dtype.type(0), smooth)
        losses = (1 - eps) * losses + (eps / classes) * smooth
    return losses


def cross_entropy_plain_grad(log_probs: np.ndarray, target: np.ndarray, scale: float) -> np.ndarray:
    """dL/dlogits of L = s * sum_n -log p_n[y_n]: s * (softmax(logits) - onehot(y))."""
    grad = np.exp(log_probs)
    grad[np.arange(grad.shape[0]), target] -= 1
    return grad * scale


def bce_with_logits_backward(x: np.ndarray, target: np.ndarray, scale: float) -> np.ndarray:
    """dL/dx of L = s * sum(bce_with_logits(x, t)): s * (sigmoid(x) - t)."""
    return (sigmoid(x) - target) * scale


def weighted_bce_with_logits(
    x: np.ndarray, target: np.ndarray, log_weight: np.ndarray | None, weight: np.ndarray | None
) -> np.ndarray:
    """l = w [(1 - t) x - (1 + (q - 1) t) log sigmoid(x)], with log_weight = 1 + (q - 1) t."""
    log_sig = log_sigmoid(x)
    losses = (1 - target) * x - (log_sig if log_weight is None else log_weight * log_sig)
    return losses if weight is None else losses * weight


def weighted_bce_with_logits_backward(
    x: np.ndarray, target: np.ndarray, log_weight: np.ndarray | None, weight: np.ndarray | None, scale: float
) -> np.ndarray:
    """dL/dx = s * w [(1 - t) - (1 + (q - 1) t) sigmoid(-x)]."""
    positive = sigmoid(-x)
    if log_weight is not None:
        positive = log_weight * positive
    grad = (1 - target) - positive
    if weight is not None:
        grad = grad * weight
    return grad * scale


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, shifted by the row maximum so that exp never overflows."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def bce_with_logits(x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """l = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) = max(x, 0) - x t + log1p(exp(-|x|))."""
    return np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x)))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): no exp overflows, finite for any finite x."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def cross_entropy_grad(
    probs: np.ndarray,
    target: np.ndarray,
    row_scale: np.ndarray,
    target_weight: np.ndarray,
    class_weight: np.ndarray | None,
    label_smoothing: float,
) -> np.ndarray:
    """dL/dlogits of L = sum_n c_n [(1 - e) w_{y_n} (-log p_n[y_n]) + (e/C) sum_k w_k (-log p_n[k])].

    With p_n = softmax(logits_n), W = sum_k w_k and e the label smoothing:
    dL/dlogits_n = c_n [(1 - e) w_{y_n} (p_n - onehot(y_n)) + (e/C) (W p_n - w)].
    ``row_scale`` is c (N,), ``target_weight`` is w_{y_n} (N,), ``class_weight`` w (C,) or None
    for all ones. A row with c_n = 0 (an ignored target) gets a gradient of exactly 0.
    """
    rows, classes = probs.shape
    eps = label_smoothing
    total = classes if class_weight is None else float(class_weight.sum())
    target_term = row_scale * ((1 - eps) * target_weight)
    grad = probs * (target_term + row_scale * (eps * total / classes))[:, None]
    grad[np.arange(rows), target] -= target_term
    if eps:
        smooth = eps / classes if class_weight is None else class_weight * (eps / classes)
        grad -= row_scale[:, None] * smooth
    return grad


def huber(diff: np.ndarray, delta: float) -> np.ndarray:
    """l = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)."""
    absolute = np.abs(diff)
    return np.where(absolute < delta, 0.5 * diff * diff, delta * (absolute - 0.5 * delta))


def huber_backward(diff: np.ndarray, delta: float, scale: float) -> np.ndarray:
    """dl/dd = clip(d, -delta, delta), times the reduction scale."""
    return np.clip(diff, -delta, delta) * scale

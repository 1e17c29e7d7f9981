"""Normalization layers: BatchNorm1d (batch statistics, running averages) and LayerNorm."""

from __future__ import annotations

import numpy as np

from . import functional as F
from .layers import Module, check_input_dtype, check_number, check_positive_int
from .tensor import Parameter, as_float_dtype


class BatchNorm1d(Module):
    """Batch normalization over features: y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta.

    In training, E and Var are the batch mean and biased variance per feature (over N, and L
    for 3-D input), and the running statistics are updated:
    running = (1 - momentum) * running + momentum * batch statistic, with the *unbiased*
    variance for ``running_var``; momentum=None gives the cumulative average
    (factor 1 / num_batches_tracked). In eval, E and Var are the running statistics (or the
    batch statistics when ``track_running_stats`` is False). As ``torch.nn.BatchNorm1d``.

    Args:
        num_features: C, the number of features.
        eps: added to the variance (default 1e-5).
        momentum: running-statistics factor (default 0.1), or None for a cumulative average.
        affine: whether to learn gamma (``weight``, ones) and beta (``bias``, zeros) (default True).
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked`` (int64, 0-d) buffers (default True).
        dtype: float32 (default) or float64, for parameters and buffers; inputs must match.

    Shape: input (N, C) or (N, C, L) -> same; weight, bias, running_mean, running_var (C,).

    Backward, with xhat the normalized input, D = G * gamma and means over the n = N (or N*L)
    elements of each feature:
        training: dL/dx = (D - mean(D) - xhat * mean(D * xhat)) / sqrt(var + eps);
        eval (running statistics): dL/dx = D / sqrt(running_var + eps);
        dL/dgamma += sum(G * xhat), dL/dbeta += sum(G).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype=np.float32,
    ) -> None:
        super().__init__()
        self.num_features = check_positive_int("num_features", num_features)
        self.eps = check_number("eps", eps, low=0.0)
        self.momentum = None if momentum is None else check_number("momentum", momentum, low=0.0, high=1.0)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.dtype = as_float_dtype(dtype)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=self.dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype=self.dtype))
            self._parameters["weight"] = self.weight
            self._parameters["bias"] = self.bias
        if self.track_running_stats:
            self._buffers["running_mean"] = np.zeros(self.num_features, dtype=self.dtype)
            self._buffers["running_var"] = np.ones(self.num_features, dtype=self.dtype)
            self._buffers["num_batches_tracked"] = np.zeros((), dtype=np.int64)
        self._cache: tuple | None = None

    @property
    def running_mean(self) -> np.ndarray | None:
        return self._buffers.get("running_mean")

    @property
    def running_var(self) -> np.ndarray | None:
        return self._buffers.get("running_var")

    @property
    def num_batches_tracked(self) -> np.ndarray | None:
        return self._buffers.get("num_batches_tracked")

    def _axes_and_shape(self, x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expects input (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got shape {x.shape}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) if x.ndim == 2 else (1, self.num_features, 1)
        return axes, shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input_dtype("BatchNorm1d", x, self.dtype)
        axes, shape = self._axes_and_shape(x)
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            count = x.size // self.num_features
            if count <= 1:  # as PyTorch, also in eval without running statistics
                raise ValueError(
                    f"BatchNorm1d needs more than 1 value per feature in training, got input {x.shape}"
                )
            xhat, mean, var = F.normalize(x, axes, self.eps)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.reshape(-1), var.reshape(-1), count)
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
            xhat = (x - mean) / np.sqrt(var + self.eps)
        self._cache = (xhat, var, axes, shape, use_batch_stats)
        if not self.affine:
            return xhat
        return xhat * self.weight.data.reshape(shape) + self.bias.data.reshape(shape)

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, count: int) -> None:
        tracked = self._buffers["num_batches_tracked"]
        tracked += 1
        factor = 1.0 / float(tracked) if self.momentum is None else self.momentum
        unbiased = var * (count / (count - 1))
        running_mean, running_var = self._buffers["running_mean"], self._buffers["running_var"]
        running_mean[...] = (1 - factor) * running_mean + factor * mean
        running_var[...] = (1 - factor) * running_var + factor * unbiased

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError("BatchNorm1d.backward called before forward")
        xhat, var, axes, shape, use_batch_stats = self._cache
        if self.affine:
            self.weight.grad += (grad * xhat).sum(axis=axes)
            self.bias.grad += grad.sum(axis=axes)
            grad_xhat = grad * self.weight.data.reshape(shape)
        else:
            grad_xhat = grad
        if use_batch_stats:
            return F.normalize_backward(grad_xhat, xhat, var, axes, self.eps)
        return grad_xhat / np.sqrt(var + self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class LayerNorm(Module):
    """Layer normalization over the last dimensions: y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta.

    E and the biased Var are taken over the trailing ``normalized_shape`` dimensions of each
    sample, in training and eval alike (no running statistics). As ``torch.nn.LayerNorm``.

    Args:
        normalized_shape: int or tuple, the trailing shape normalized over.
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn gamma (``weight``, ones) and beta (``bias``, zeros) of shape
            ``normalized_shape`` (default True).
        bias: whether beta is learned when elementwise_affine (default True).
        dtype: float32 (default) or float64, for parameters; inputs must match.

    Shape: input (*, *normalized_shape) -> same.

    Backward, with D = G * gamma and means over the normalized elements of each sample:
        dL/dx = (D - mean(D) - xhat * mean(D * xhat)) / sqrt(var + eps);
        dL/dgamma += sum over samples of G * xhat; dL/dbeta += sum over samples of G.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype=np.float32,
    ) -> None:
        super().__init__()
        dims = (
            (normalized_shape,) if isinstance(normalized_shape, int | np.integer) else tuple(normalized_shape)
        )
        if not dims:
            raise ValueError("normalized_shape must have at least one dimension")
        self.normalized_shape = tuple(check_positive_int("normalized_shape", d) for d in dims)
        self.eps = check_number("eps", eps, low=0.0)
        self.elementwise_affine = bool(elementwise_affine)
        self.dtype = as_float_dtype(dtype)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=self.dtype))
            self._parameters["weight"] = self.weight
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=self.dtype))
                self._parameters["bias"] = self.bias
        self._cache: tuple | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_input_dtype("LayerNorm", x, self.dtype)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm expects input (*, {', '.join(map(str, self.normalized_shape))}), got {x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        xhat, _, var = F.normalize(x, axes, self.eps)
        self._cache = (xhat, var, axes)
        y = xhat
        if self.weight is not None:
            y = y * self.weight.data
        if self.bias is not None:
            y = y + self.bias.data
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError("LayerNorm.backward called before forward")
        xhat, var, axes = self._cache
        sample_axes = tuple(range(grad.ndim - len(axes)))
        grad_xhat = grad
        if self.weight is not None:
            self.weight.grad += (grad * xhat).sum(axis=sample_axes)
            grad_xhat = grad * self.weight.data
        if self.bias is not None:
            self.bias.grad += grad.sum(axis=sample_axes)
        return F.normalize_backward(grad_xhat, xhat, var, axes, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

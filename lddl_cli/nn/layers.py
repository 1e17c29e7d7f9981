"""Modules: the layer base class, Sequential, Linear, the activations, Dropout and the norms.

Every module has ``forward(x) -> y`` and ``backward(grad_y) -> grad_x``. Backward reads only what
forward cached, accumulates parameter gradients with ``+=`` (or writes them, right after a
``zero_grad``: ``Parameter.grad_for_write``) and never writes into its input.
The arithmetic lives in ``functional``; a module holds parameters, buffers and the cache.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import functional as F
from . import init
from .tensor import Parameter, as_float_dtype


class Module:
    """Base class of every layer.

    Subclasses register parameters in ``self._parameters`` (name -> Parameter) and buffers
    (running statistics) in ``self._buffers`` (name -> ndarray), in ``state_dict`` order.
    """

    def __init__(self) -> None:
        self.training = True
        self._parameters: dict[str, Parameter] = {}
        self._buffers: dict[str, np.ndarray] = {}

    # --- computation -------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # --- parameters and state ----------------------------------------------------------------
    def children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules as (name, module); leaf layers have none."""
        return iter(())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for name, p in self._parameters.items():
            yield prefix + name, p
        for child_name, child in self.children():
            yield from child.named_parameters(f"{prefix}{child_name}.")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for name, b in self._buffers.items():
            yield prefix + name, b
        for child_name, child in self.children():
            yield from child.named_buffers(f"{prefix}{child_name}.")

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer under PyTorch's names ("0.weight", "1.running_mean"),
        in PyTorch's order: each module's parameters, then its buffers, then its children's."""
        return {name: array.copy() for name, array in self._named_state("")}

    def _named_state(self, prefix: str) -> Iterator[tuple[str, np.ndarray]]:
        for name, p in self._parameters.items():
            yield prefix + name, p.data
        for name, b in self._buffers.items():
            yield prefix + name, b
        for child_name, child in self.children():
            yield from child._named_state(f"{prefix}{child_name}.")

    def load_state_dict(self, state: dict[str, np.ndarray], strict: bool = True) -> None:
        """Copy arrays from ``state`` into this module's parameters and buffers, in place.

        With ``strict`` every key must be present and no extra key allowed; shapes must match
        whatever ``strict`` says. Errors name each key and both shapes. Values are cast to the
        module's dtype (a float64 state loads into a float32 model), but never from a non-float.
        """
        targets: dict[str, np.ndarray] = {name: p.data for name, p in self.named_parameters()}
        targets.update(dict(self.named_buffers()))
        problems = []
        if strict:
            problems += [
                f"missing key {k!r} (expected shape {targets[k].shape})" for k in targets if k not in state
            ]
            problems += [f"unexpected key {k!r}" for k in state if k not in targets]
        for key, target in targets.items():
            if key not in state:
                continue
            value = np.asarray(state[key])
            if value.shape != target.shape:
                problems.append(f"key {key!r}: expected shape {target.shape}, got {value.shape}")
            elif not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
                problems.append(f"key {key!r}: expected a real number array, got dtype {value.dtype}")
            elif np.issubdtype(target.dtype, np.floating) and not np.issubdtype(value.dtype, np.floating):
                problems.append(f"key {key!r}: expected a float array, got dtype {value.dtype}")
        if problems:
            raise ValueError("; ".join(problems))
        for key, target in targets.items():
            if key in state:
                np.copyto(target, np.asarray(state[key]), casting="unsafe")

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        self.training = mode
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    # --- description -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Sequential(Module):
    """Layers applied in order: y = f_n(... f_2(f_1(x))).

    Indexable (``model[0]``, slices give a new Sequential sharing the layers), iterable, and
    extendable with ``append``. ``state_dict`` keys are prefixed with the layer index, exactly as
    ``torch.nn.Sequential``.
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        self._layers: list[Module] = []
        for layer in layers:
            self.append(layer)

    def append(self, layer: Module) -> Sequential:
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential takes Module instances, got {type(layer).__name__}")
        layer.train(self.training)
        self._layers.append(layer)
        return self

    def children(self) -> Iterator[tuple[str, Module]]:
        return ((str(i), layer) for i, layer in enumerate(self._layers))

    def train(self, mode: bool = True) -> Sequential:
        # The same as Module.train without building the children's names: the trainer switches
        # modes three times an epoch (train, eval for validation, train).
        self.training = mode
        for layer in self._layers:
            layer.train(mode)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self._layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Backward through the layers, last to first; returns dL/dx.

        ``input_grad=False`` is for a trainer whose input is data, which needs no gradient (as a
        tensor without ``requires_grad`` in PyTorch): a first Linear layer then accumulates its
        parameter gradients but skips dL/dx = G @ W (its ``needs_input_grad`` is False for that
        call), and None is returned. For a wide input layer (784 pixels) that product is a sixth
        of the backward's FLOPs. Every layer's ``backward`` is still the method called.
        """
        layers = self._layers
        if input_grad:
            for layer in reversed(layers):
                grad = layer.backward(grad)
            return grad
        for layer in reversed(layers[1:]):
            grad = layer.backward(grad)
        if layers:
            first = layers[0]
            skip = isinstance(first, Linear)
            if skip:
                first.needs_input_grad = False
            try:
                first.backward(grad)
            finally:
                if skip:
                    first.needs_input_grad = True
        return None

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def __repr__(self) -> str:
        if not self._layers:
            return "Sequential()"
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self._layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


class Linear(Module):
    """Affine map: y = x @ W.T + b.

    Args:
        in_features: size of each input row.
        out_features: size of each output row.
        bias: whether to learn the additive bias b (default True).
        dtype: float32 (default) or float64, for parameters; inputs must match.
        rng: the ``np.random.Generator`` used by the initializers (a fresh one if None).
        weight_init, bias_init: callables ``(shape, rng, dtype) -> ndarray`` replacing PyTorch's
            default U(-1/sqrt(in_features), 1/sqrt(in_features)) for both W and b.

    Shape:
        input (N, in_features) -> output (N, out_features).
        weight (out_features, in_features), bias (out_features,).

    Backward, for upstream gradient G = dL/dy of shape (N, out_features):
        dL/dx = G @ W,  dL/dW += G.T @ x,  dL/db += sum of G over rows.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        dtype=np.float32,
        rng: np.random.Generator | None = None,
        weight_init=None,
        bias_init=None,
    ) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = as_float_dtype(dtype)
        rng = rng if rng is not None else np.random.default_rng()
        weight_init = weight_init or init.linear_default
        self.weight = Parameter(weight_init((self.out_features, self.in_features), rng, dtype=dtype))
        self._parameters["weight"] = self.weight
        self.bias: Parameter | None = None
        if bias:
            bias_init = bias_init or init.linear_default
            self.bias = Parameter(bias_init((self.out_features,), rng, dtype=dtype, fan_in=self.in_features))
            self._parameters["bias"] = self.bias
        self._x: np.ndarray | None = None
        # False while Sequential.backward(..., input_grad=False) runs: dL/dx is then not computed.
        self.needs_input_grad = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        weight = self.weight.data
        if x.dtype != weight.dtype:
            raise TypeError(
                f"Linear expects {weight.dtype} input, got {x.dtype}; convert the data or the model"
            )
        self._x = x
        return F.linear(x, weight, None if self.bias is None else self.bias.data)

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        if self._x is None:
            raise RuntimeError("Linear.backward called before forward")
        weight, bias = self.weight, self.bias
        weight_grad, accumulate_weight = weight.grad_for_write()
        bias_grad, accumulate_bias = None, True
        if bias is not None:
            bias_grad, accumulate_bias = bias.grad_for_write()
        try:
            F.linear_backward_params(
                grad,
                self._x,
                weight_grad,
                bias_grad,
                accumulate_weight=accumulate_weight,
                accumulate_bias=accumulate_bias,
            )
        except BaseException:  # e.g. a gradient of the wrong shape: leave zeroed gradients zero
            weight.grad_write_failed(accumulate_weight)
            if bias is not None:
                bias.grad_write_failed(accumulate_bias)
            raise
        if not self.needs_input_grad:
            return None
        return F.linear_input_grad(grad, self.weight.data)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


class ReLU(Module):
    """Rectified linear unit: y = max(x, 0), elementwise.

    Shape: any -> same. Backward: dL/dx = G * [x > 0] (the subgradient at 0 is 0, as PyTorch; at a
    NaN input the gradient is NaN, where PyTorch passes G through).
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.relu(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._y is None:
            raise RuntimeError("ReLU.backward called before forward")
        return F.relu_backward(grad, self._y)


def _check_input_dtype(layer: str, x: np.ndarray, dtype: np.dtype) -> None:
    if x.dtype != dtype:
        raise TypeError(f"{layer} expects {dtype} input, got {x.dtype}; convert the data or the model")


def _check_number(name: str, value, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ValueError(f"{name} must be a finite number in {bounds}, got {value!r}")
    return value


class _Elementwise(Module):
    """Base of activations that cache their input x for the backward."""

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None

    def _cached(self) -> np.ndarray:
        if self._x is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._x


class LeakyReLU(_Elementwise):
    """y = x if x > 0 else negative_slope * x, elementwise.

    Args:
        negative_slope: slope for x <= 0 (default 0.01).

    Shape: any -> same. Backward: dL/dx = G if x > 0 else negative_slope * G.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = _check_number("negative_slope", negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.leaky_relu_backward(grad, self._cached(), self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """Logistic function: y = 1 / (1 + exp(-x)), elementwise; stable for any |x|.

    Shape: any -> same. Backward: dL/dx = G * y * (1 - y).
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.sigmoid(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._y is None:
            raise RuntimeError("Sigmoid.backward called before forward")
        return F.sigmoid_backward(grad, self._y)


class Tanh(Module):
    """Hyperbolic tangent: y = tanh(x), elementwise.

    Shape: any -> same. Backward: dL/dx = G * (1 - y^2).
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.tanh(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._y is None:
            raise RuntimeError("Tanh.backward called before forward")
        return F.tanh_backward(grad, self._y)


class GELU(_Elementwise):
    """Gaussian error linear unit: y = x * Phi(x), Phi the standard normal CDF, elementwise.

    Args:
        approximate: "none" (default): Phi(x) = (1 + erf(x / sqrt 2)) / 2, exactly;
            "tanh": Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, as PyTorch.

    Shape: any -> same.
    Backward: exact, dL/dx = G * (Phi(x) + x phi(x)) with phi the normal density; tanh form,
        dL/dx = G * (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)).
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.gelu(x, self.approximate)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.gelu_backward(grad, self._cached(), self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ELU(_Elementwise):
    """Exponential linear unit: y = x if x > 0 else alpha * (exp(x) - 1), elementwise.

    Args:
        alpha: the value approached as x -> -inf is -alpha (default 1.0).

    Shape: any -> same. Backward: dL/dx = G if x > 0 else G * alpha * exp(x).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _check_number("alpha", alpha)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.elu(x, self.alpha)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.elu_backward(grad, self._cached(), self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SiLU(Module):
    """Sigmoid linear unit (swish): y = x * sigmoid(x), elementwise.

    Shape: any -> same. Backward: dL/dx = G * s (1 + x (1 - s)), with s = sigmoid(x).
    """

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None
        self._s: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        y, self._s = F.silu(x)
        self._x = x
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._x is None:
            raise RuntimeError("SiLU.backward called before forward")
        return F.silu_backward(grad, self._x, self._s)


class Softplus(_Elementwise):
    """Smooth ReLU: y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold.

    Args:
        beta: sharpness (default 1.0), > 0.
        threshold: above beta x > threshold the layer is linear (default 20.0).

    Shape: any -> same. Backward: dL/dx = G * sigmoid(beta x), and G above the threshold.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = _check_number("beta", beta)
        if self.beta <= 0:
            raise ValueError(f"beta must be positive, got {beta!r}")
        self.threshold = _check_number("threshold", threshold)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return F.softplus(x, self.beta, self.threshold)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return F.softplus_backward(grad, self._cached(), self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Identity(Module):
    """y = x (a placeholder layer). Shape: any -> same. Backward: dL/dx = G."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()  # a copy, so that writing into the output never changes the input

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.copy()


class Dropout(Module):
    """Inverted dropout: in training y = x * m / (1 - p), m_i ~ Bernoulli(1 - p); in eval y = x.

    Args:
        p: probability of zeroing an element (default 0.5), in [0, 1]; p = 1 zeros everything.
        rng: the ``np.random.Generator`` drawing the masks (a fresh one if None).

    Shape: any -> same.
    Backward: dL/dx = G * m / (1 - p) with the mask of the last forward (G in eval).
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = _check_number("dropout probability p", p, low=0.0, high=1.0)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0:
            self._mask = None
            return x.copy()
        self._mask = F.dropout_mask(x.shape, self.p, self.rng, x.dtype)
        return x * self._mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.copy() if self._mask is None else grad * self._mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


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
        self.num_features = _check_positive_int("num_features", num_features)
        self.eps = _check_number("eps", eps, low=0.0)
        self.momentum = None if momentum is None else _check_number("momentum", momentum, low=0.0, high=1.0)
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
        _check_input_dtype("BatchNorm1d", x, self.dtype)
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
        self.normalized_shape = tuple(_check_positive_int("normalized_shape", d) for d in dims)
        self.eps = _check_number("eps", eps, low=0.0)
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
        _check_input_dtype("LayerNorm", x, self.dtype)
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

"""Modules: the layer base class, Sequential and Linear.

Every module has ``forward(x) -> y`` and ``backward(grad_y) -> grad_x``. Backward reads only what
forward cached, accumulates parameter gradients with ``+=`` until ``zero_grad()`` and never
writes into its input. The arithmetic lives in ``functional``; a module holds parameters,
buffers and the cache. The activations, Dropout and the norms live beside this file
(activations.py, dropout.py, normalization.py).
"""

from __future__ import annotations

import inspect
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
        self.training = mode
        for layer in self._layers:
            layer.train(mode)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self._layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Backward through the layers, last to first (the chain rule); returns dL/dx."""
        for layer in reversed(self._layers):
            grad = layer.backward(grad)
        return grad

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
            default U(-1/sqrt(in_features), 1/sqrt(in_features)) for both W and b. A callable
            that also takes a keyword ``fan_in`` (every ``nn.init`` function does) gets
            in_features, so that a fan-based initializer works for the 1-D bias too.

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
        self.weight = Parameter(
            _initial_values(weight_init, (self.out_features, self.in_features), rng, dtype, self.in_features)
        )
        self._parameters["weight"] = self.weight
        self.bias: Parameter | None = None
        if bias:
            bias_init = bias_init or init.linear_default
            self.bias = Parameter(
                _initial_values(bias_init, (self.out_features,), rng, dtype, self.in_features)
            )
            self._parameters["bias"] = self.bias
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        weight = self.weight.data
        if x.dtype != weight.dtype:
            raise TypeError(
                f"Linear expects {weight.dtype} input, got {x.dtype}; convert the data or the model"
            )
        self._x = x
        return F.linear(x, weight, None if self.bias is None else self.bias.data)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._x is None:
            raise RuntimeError("Linear.backward called before forward")
        dx, dW, db = F.linear_backward(grad, self._x, self.weight.data)
        self.weight.grad += dW
        if self.bias is not None:
            self.bias.grad += db
        return dx

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


def _initial_values(initializer, shape: tuple[int, ...], rng, dtype: np.dtype, fan_in: int) -> np.ndarray:
    """``initializer(shape, rng, dtype)``, with ``fan_in=`` too when the initializer accepts it."""
    try:
        takes_fan_in = "fan_in" in inspect.signature(initializer).parameters
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        takes_fan_in = False
    if takes_fan_in:
        return initializer(shape, rng, dtype=dtype, fan_in=fan_in)
    return initializer(shape, rng, dtype)


def check_input_dtype(layer: str, x: np.ndarray, dtype: np.dtype) -> None:
    if x.dtype != dtype:
        raise TypeError(f"{layer} expects {dtype} input, got {x.dtype}; convert the data or the model")


def check_number(name: str, value, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ValueError(f"{name} must be a finite number in {bounds}, got {value!r}")
    return value


def check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)

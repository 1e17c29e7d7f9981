"""The compiled training step: one fused forward, loss, backward and update for a supported model.

The rest of the library is written to be read; this module is written to be fast, and the tests
prove it computes the same thing (tests/nn/test_compiled.py: the same parameters after 200 steps
as the eager path, to 1e-12 relative in float64 and 1e-5 in float32, on random networks of
every supported kind). What makes it fast:

- activations and gradients live in buffers allocated once per batch size, and every product
  writes into them (``ndarray.dot(..., out)``): no temporaries on the Linear/ReLU path;
- the parameter gradients are written straight into the optimizer's flat gradient (nothing to
  zero, no ``+=``), and the first layer skips dL/dx (the input is data);
- a Linear followed by ReLU is one stage; the loop over stages is the only per-layer Python;
- the MSE loss is written out in place; the other losses call their own forward and backward;
- the update runs the optimizer's rule on its flat state with scratch arrays (compiled_optim.py).

Supported: ``Sequential`` (or a single layer) of Linear, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, ELU,
SiLU, Softplus, Identity and Dropout; MSELoss, L1Loss, HuberLoss, CrossEntropyLoss and
BCEWithLogitsLoss with reduction "mean" or "sum"; SGD, Adam, AdamW, RMSprop and Adagrad with every
option, over one parameter group holding exactly the model's parameters; gradient clipping by
global L2 norm. Anything else (BatchNorm1d, LayerNorm, a subclass, several parameter groups) is not
compiled: ``not_compiled_reason`` says why, and the caller runs the eager path.

Usage (the trainer's loop)::

    step = nn.compile_step(model, loss_fn, optimizer, grad_clip=1.0)   # None: use the eager path
    for xb, yb in loader:
        loss = step.forward_backward(xb, yb)   # gradients in step.grad (the flat gradient), clipped
        if not math.isfinite(loss + step.grad @ step.grad): ...   # check before the update
        step.update()                          # optimizer.step(), on the same state
"""

from __future__ import annotations

import math

import numpy as np

from . import functional as F
from .activations import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh
from .compiled_codegen import step_source
from .compiled_optim import UPDATES, FusedUpdate
from .dropout import Dropout
from .layers import Linear, Module, Sequential
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, Loss, MSELoss
from .optimizer import Optimizer
from .tensor import pack_parameters

_enabled = True


def set_compile_enabled(enabled: bool) -> None:
    """Switch the compiled step on or off for this process (off: ``compile_step`` returns None)."""
    global _enabled
    _enabled = bool(enabled)


def compile_enabled() -> bool:
    """Whether ``compile_step`` may compile (see ``set_compile_enabled``)."""
    return _enabled


# Activations without parameters: (forward(layer, x) -> (y, cache), backward(layer, g, cache) -> dL/dx).
_ACTIVATIONS = {
    ReLU: (lambda m, x: _same(F.relu(x)), lambda m, g, y: F.relu_backward(g, y)),
    LeakyReLU: (
        lambda m, x: (F.leaky_relu(x, m.negative_slope), x),
        lambda m, g, x: F.leaky_relu_backward(g, x, m.negative_slope),
    ),
    Sigmoid: (lambda m, x: _same(F.sigmoid(x)), lambda m, g, y: F.sigmoid_backward(g, y)),
    Tanh: (lambda m, x: _same(F.tanh(x)), lambda m, g, y: F.tanh_backward(g, y)),
    GELU: (
        lambda m, x: (F.gelu(x, m.approximate), x),
        lambda m, g, x: F.gelu_backward(g, x, m.approximate),
    ),
    ELU: (lambda m, x: (F.elu(x, m.alpha), x), lambda m, g, x: F.elu_backward(g, x, m.alpha)),
    SiLU: (lambda m, x: _silu(x), lambda m, g, c: F.silu_backward(g, c[0], c[1])),
    Softplus: (
        lambda m, x: (F.softplus(x, m.beta, m.threshold), x),
        lambda m, g, x: F.softplus_backward(g, x, m.beta, m.threshold),
    ),
}
_LOSSES = (MSELoss, L1Loss, HuberLoss, CrossEntropyLoss, BCEWithLogitsLoss)


def _same(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return y, y


def _silu(x: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    y, s = F.silu(x)
    return y, (x, s)


def _layers(model: Module) -> list[Module]:
    return list(model) if type(model) is Sequential else [model]


def not_compiled_reason(model: Module, loss_fn: Loss, optimizer: Optimizer, grad_clip=None) -> str | None:
    """Why ``compile_step`` would not compile this combination (None: it would).

    The answer is one short sentence for a run summary, e.g. "BatchNorm1d is not supported".
    """
    if not _enabled:
        return "the compiled step is switched off (nn.set_compile_enabled(False))"
    layers = _layers(model)
    if not layers:
        return "the model has no layers"
    for layer in layers:
        kind = type(layer)
        if kind not in (Linear, Dropout, Identity) and kind not in _ACTIVATIONS:
            return f"{kind.__name__} is not supported"
    if type(loss_fn) not in _LOSSES:
        return f"the loss {type(loss_fn).__name__} is not supported"
    if loss_fn.reduction == "none":
        return 'a loss with reduction "none" is not supported'
    if type(optimizer) not in UPDATES:
        return f"the optimizer {type(optimizer).__name__} is not supported"
    if len(optimizer.flat_groups) != 1:
        return "an optimizer with several parameter groups is not supported"
    parameters = model.parameters()
    if not parameters:
        return "the model has no parameters"
    if not optimizer.flat_groups[0].buffers.owns(parameters):
        return "the optimizer does not hold exactly the model's parameters, in order"
    if grad_clip is not None and not (isinstance(grad_clip, int | float) and grad_clip >= 0):
        return f"grad_clip must be a number >= 0, got {grad_clip!r}"
    return None


def compile_step(model: Module, loss_fn: Loss, optimizer: Optimizer, grad_clip: float | None = None):
    """A fused ``TrainStep`` for ``model``, ``loss_fn`` and ``optimizer``; None when not supported.

    Args:
        model: a Sequential of supported layers (see the module docstring), or one such layer.
        loss_fn: a supported loss with reduction "mean" or "sum".
        optimizer: SGD, Adam, AdamW, RMSprop or Adagrad over exactly ``model.parameters()``.
        grad_clip: max global L2 norm of the gradient (``clip_grad_norm``), or None.

    The step shares everything with the eager objects: the parameters, the optimizer's state and
    hyperparameters (read at each update, so schedulers work), the Dropout layers' generators.
    """
    if not_compiled_reason(model, loss_fn, optimizer, grad_clip) is not None:
        return None
    return TrainStep(model, loss_fn, optimizer, grad_clip)


class _Stage:
    """One step of the fused network: a Linear (optionally followed by ReLU), or a parameter-free layer."""

    __slots__ = ("kind", "layer", "weight", "bias", "weight_grad", "bias_grad", "relu", "forward", "backward")

    def __init__(self, kind: str, layer: Module) -> None:
        self.kind = kind
        self.layer = layer
        self.relu = False
        self.weight = self.bias = self.weight_grad = self.bias_grad = None
        self.forward = self.backward = None
        if kind == "linear":
            self.weight, self.weight_grad = layer.weight.data, layer.weight.grad
            if layer.bias is not None:
                self.bias, self.bias_grad = layer.bias.data, layer.bias.grad
        elif kind == "activation":
            self.forward, self.backward = _ACTIVATIONS[type(layer)]


def _stages(layers: list[Module]) -> list[_Stage]:
    stages: list[_Stage] = []
    for layer in layers:
        kind = type(layer)
        if kind is Identity:
            continue  # y = x: the values are the same, and nothing writes into them
        if kind is ReLU and stages and stages[-1].kind == "linear" and not stages[-1].relu:
            stages[-1].relu = True
        elif kind is Linear:
            stages.append(_Stage("linear", layer))
        elif kind is Dropout:
            stages.append(_Stage("dropout", layer))
        else:
            stages.append(_Stage("activation", layer))
    return stages


class TrainStep:
    """A compiled training step (built by ``compile_step``): fused forward, loss, backward, update.

    Attributes:
        forward_backward: a callable, ``forward_backward(x, y) -> float``: forward, loss and
            backward on one batch, then the clip; returns the loss. Afterwards ``grad`` holds
            dL/dw of this batch alone (as ``zero_grad`` then backward would).
        grad: the flat gradient (every parameter's ``.grad`` is a view into it): check it
            before ``update``.
        update: a callable, ``update()``: one optimizer step from ``grad``, with the same rule,
            state and step count as ``optimizer.step()``.
        path: "compiled", for a run summary.
        source: the generated source of ``forward_backward`` (see compiled_codegen.py).
    """

    path = "compiled"

    def __init__(self, model: Module, loss_fn: Loss, optimizer: Optimizer, grad_clip: float | None) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.grad_clip = None if grad_clip is None else float(grad_clip)
        flat = pack_parameters(model.parameters())  # the optimizer's own buffers (checked)
        self.grad = flat.grad
        self.dtype = flat.data.dtype
        self.update = FusedUpdate(optimizer)
        self._stages = _stages(_layers(model))
        self._first = next(i for i, s in enumerate(self._stages) if s.kind == "linear")
        self._by_rows: dict[int, tuple[np.ndarray, ...]] = {}
        mse = type(loss_fn) is MSELoss
        self.source = step_source(self._stages, self._first, mse, self.grad_clip is not None)
        namespace = self._namespace(mse)
        exec(compile(self.source, f"<lddl compiled step {id(self):x}>", "exec"), namespace)  # noqa: S102
        self.forward_backward = namespace["forward_backward"]

    def _namespace(self, mse: bool) -> dict:
        """The names the generated source reads (see compiled_codegen.py's docstring)."""
        namespace = {
            "dtype": self.dtype,
            "zero": np.zeros((), dtype=self.dtype),  # a 0-d zero: no scalar conversion per call
            "maximum": np.maximum,
            "sign": np.sign,
            "multiply": np.multiply,
            "subtract": np.subtract,
            "add_reduce": np.add.reduce,
            "vdot": np.vdot,
            "sqrt": math.sqrt,
            "dropout_mask": F.dropout_mask,
            "loss_fn": self.loss_fn,
            "mean": mse and self.loss_fn.reduction == "mean",
            "flat_grad": self.grad,
            "max_norm": self.grad_clip,
            "by_rows": self._by_rows,
            "buffers": self._buffers,
            "eager": self._eager_forward_backward,
        }
        for i, stage in enumerate(self._stages):
            namespace[f"L{i}"] = stage.layer
            if stage.kind == "linear":
                namespace.update(
                    {f"W{i}": stage.weight, f"WT{i}": stage.weight.T, f"gW{i}": stage.weight_grad}
                )
                namespace.update({f"b{i}": stage.bias, f"gb{i}": stage.bias_grad})
            elif stage.kind == "activation":
                namespace[f"A{i}"], namespace[f"D{i}"] = stage.forward, stage.backward
        return namespace

    def _buffers(self, rows: int) -> tuple[np.ndarray, ...]:
        """Allocate the arrays of one batch size, in ``buffer_names`` order."""
        if len(self._by_rows) >= 4:  # a DataLoader has one or two batch sizes
            self._by_rows.clear()
        arrays = []
        width = None
        for i, stage in enumerate(self._stages):
            if stage.kind != "linear":
                continue
            width, in_features = stage.weight.shape
            arrays.append(np.empty((rows, width), dtype=self.dtype))
            if stage.relu:
                arrays.append(np.empty((rows, width), dtype=self.dtype))
            if i > self._first:
                arrays.append(np.empty((rows, in_features), dtype=self.dtype))
        arrays += [np.empty((rows, width), dtype=self.dtype), np.empty((rows, width), dtype=self.dtype)]
        arrays.append(np.ones(rows, dtype=self.dtype))
        self._by_rows[rows] = tuple(arrays)
        return self._by_rows[rows]

    def _eager_forward_backward(self, x: np.ndarray, y: np.ndarray) -> float:
        """The eager path for one batch (zero_grad, forward, loss, backward, clip)."""
        from .clip import clip_grad_norm

        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        self.model.backward(self.loss_fn.backward())
        if self.grad_clip is not None:
            clip_grad_norm(self.model.parameters(), self.grad_clip)
        return loss

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float:
        """``forward_backward`` then ``update`` (no finiteness check); returns the loss."""
        loss = self.forward_backward(x, y)
        self.update()
        return loss

    def __repr__(self) -> str:
        return f"TrainStep({type(self.optimizer).__name__}, {len(self._stages)} stages)"

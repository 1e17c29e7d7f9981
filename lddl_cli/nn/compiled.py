"""The compiled training step: one fused forward, loss, backward and update for a supported model.

The rest of the library is written to be read; this module is written to be fast, and the tests
prove it computes the same thing (tests/nn/test_compiled.py: the same parameters after 200 steps
as the eager path, to 1e-12 relative in float64 and 1e-5 in float32, on random networks of
every supported kind). What makes it fast:

- a network of Linear (and ReLU) layers only, the common case, runs a tight loop over tuples of
  the arrays each stage needs (built once per batch size): no attribute lookups, no dispatch
  on the layer kind; other networks run a loop that dispatches on it;
- activations and gradients live in buffers allocated once per batch size, and every product
  writes into them (``ndarray.dot(..., out)``): no temporaries on the Linear/ReLU path;
- the parameter gradients are written straight into the optimizer's flat gradient (nothing to
  zero, no ``+=``), bias gradients are one BLAS call (``ones @ G``), and the first layer skips
  dL/dx (the input is data); a Linear followed by ReLU is one stage;
- the MSE loss is written out in place; the other losses call their own forward and backward,
  the other activations their functions in functional.py;
- the update runs the optimizer's rule on its flat state with scratch arrays (compiled_optim.py).

The arithmetic is the eager path's, operation for operation, except where noted (a bias gradient
as ``ones @ G`` instead of a row sum, Adam's last step in one call fewer, the clip's norm as one dot
product): those differ by rounding only, which is what the 1e-12 / 1e-5 tests bound.

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
    """(y, y): the output is also what the backward reads."""
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

    __slots__ = (
        "kind",
        "layer",
        "weight",
        "weight_t",
        "bias",
        "weight_grad",
        "bias_grad",
        "relu",
        "forward",
        "backward",
    )

    def __init__(self, kind: str, layer: Module) -> None:
        self.kind = kind
        self.layer = layer
        self.relu = False
        self.weight = self.weight_t = self.bias = self.weight_grad = self.bias_grad = None
        self.forward = self.backward = None
        if kind == "linear":
            self.weight, self.weight_grad = layer.weight.data, layer.weight.grad
            self.weight_t = self.weight.T
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


def clip_(grad: np.ndarray, max_norm: float) -> None:
    """clip_grad_norm on the flat gradient, in place: g <- g * min(1, max_norm / (||g|| + 1e-6))."""
    coefficient = max_norm / (math.sqrt(float(grad.dot(grad))) + 1e-6)
    if coefficient < 1.0:
        np.multiply(grad, coefficient, grad)


class _Plan:
    """The arrays of one batch size: each Linear stage's output, ReLU-masked gradient and input
    gradient; the MSE scratch; a vector of ones; and, for a Linear/ReLU chain, the per-stage tuples."""

    def __init__(self, stages: list[_Stage], rows: int, first: int, dtype: np.dtype) -> None:
        count = len(stages)
        self.outputs: list[np.ndarray | None] = [None] * count
        self.masked: list[np.ndarray | None] = [None] * count
        self.input_grads: list[np.ndarray | None] = [None] * count
        self.inputs: list[np.ndarray | None] = [None] * count  # filled by each forward
        self.caches: list[object] = [None] * count
        width = None
        for i, stage in enumerate(stages):
            if stage.kind == "linear":
                width, in_features = stage.weight.shape
                self.outputs[i] = np.empty((rows, width), dtype=dtype)
                if stage.relu:
                    self.masked[i] = np.empty((rows, width), dtype=dtype)
                if i > first:
                    self.input_grads[i] = np.empty((rows, in_features), dtype=dtype)
        self.diff = np.empty((rows, width), dtype=dtype)
        self.loss_grad = np.empty((rows, width), dtype=dtype)
        self.ones = np.ones(rows, dtype=dtype)
        # A chain: the input of stage i > 0 is the output buffer of stage i - 1 (None: the data).
        self.forward = [(s.weight_t, s.bias, self.outputs[i], s.relu) for i, s in enumerate(stages)]
        self.backward = [
            (
                self.outputs[i],
                self.masked[i],
                self.outputs[i - 1] if i else None,
                s.weight,
                s.weight_grad,
                s.bias_grad,
                self.input_grads[i],
            )
            for i, s in reversed(list(enumerate(stages)))
        ]


def _chain_mse_step(step: TrainStep):
    """``TrainStep.forward_backward`` for a Linear/ReLU chain with MSELoss, as a closure: the same
    computation, with every array and function bound to a local name once instead of looked up
    on ``self`` at every step (a fifth of the framework's overhead on the sine MLP)."""
    dtype, plans, zero, flat_grad, max_norm = step.dtype, step._plans, step._zero, step.grad, step.grad_clip
    mean, eager, make_plan = step._mean, step._eager_forward_backward, step._plan
    maximum, add, subtract, multiply, sign, vdot = (
        np.maximum,
        np.add,
        np.subtract,
        np.multiply,
        np.sign,
        np.vdot,
    )

    def forward_backward(x: np.ndarray, y: np.ndarray) -> float:
        if x.ndim != 2 or (x.dtype is not dtype and x.dtype != dtype):
            return eager(x, y)  # unusual input: the eager path raises or copes
        plan = plans.get(x.shape[0])
        if plan is None:
            plan = make_plan(x.shape[0])
        h = x
        for weight_t, bias, out, relu in plan.forward:
            h.dot(weight_t, out)
            if bias is not None:
                add(out, bias, out)
            if relu:
                maximum(out, zero, out=out)
            h = out
        if y.shape != h.shape or (y.dtype is not h.dtype and y.dtype != h.dtype):
            return eager(x, y)  # MSELoss raises its error on the eager path
        diff = subtract(h, y, plan.diff)  # MSELoss: d = pred - y, L = s sum(d^2), dL/dpred = 2 s d
        loss = float(vdot(diff, diff))
        scale = 1.0
        if mean:
            loss /= diff.size
            scale = 1.0 / diff.size
        grad = multiply(diff, 2.0 * scale, plan.loss_grad)
        ones = plan.ones
        for out, masked, inputs, weight, weight_grad, bias_grad, input_grad in plan.backward:
            if masked is not None:  # ReLU's backward, G * sign(y), as F.relu_backward
                sign(out, masked)
                multiply(grad, masked, masked)
                grad = masked
            grad.T.dot(x if inputs is None else inputs, weight_grad)
            if bias_grad is not None:
                ones.dot(grad, bias_grad)
            if input_grad is not None:
                grad.dot(weight, input_grad)
                grad = input_grad
        if max_norm is not None:
            clip_(flat_grad, max_norm)
        return loss

    return forward_backward


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
        self._chain = all(s.kind == "linear" for s in self._stages)
        self._mse = type(loss_fn) is MSELoss
        self._mean = self._mse and loss_fn.reduction == "mean"
        self._zero = np.zeros((), dtype=self.dtype)  # a 0-d zero: no scalar conversion per call
        self._plans: dict[int, _Plan] = {}
        if self._chain and self._mse:  # the common case, with every name bound once
            self.forward_backward = _chain_mse_step(self)

    def forward_backward(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward, loss and backward on one batch, then the clip; returns the loss (a float).

        Afterwards ``grad`` holds dL/dw of this batch alone (as ``zero_grad`` then backward).
        """
        if x.ndim != 2 or (x.dtype is not self.dtype and x.dtype != self.dtype):
            return self._eager_forward_backward(x, y)  # unusual input: the eager path raises or copes
        plan = self._plans.get(x.shape[0])
        if plan is None:
            plan = self._plan(x.shape[0])
        if self._chain:
            h = x
            zero, maximum = self._zero, np.maximum
            for weight_t, bias, out, relu in plan.forward:
                h.dot(weight_t, out)
                if bias is not None:
                    np.add(out, bias, out)
                if relu:
                    maximum(out, zero, out=out)
                h = out
        else:
            h = self._forward(x, plan)
        if self._mse and y.shape == h.shape and (y.dtype is h.dtype or y.dtype == h.dtype):
            # MSELoss in place: d = pred - y, L = s * sum(d^2), dL/dpred = 2 s d (s = 1/numel for mean)
            diff = np.subtract(h, y, plan.diff)
            loss = float(np.vdot(diff, diff))
            scale = 1.0
            if self._mean:
                loss /= diff.size
                scale = 1.0 / diff.size
            grad = np.multiply(diff, 2.0 * scale, plan.loss_grad)
        else:
            loss = self.loss_fn(h, y)
            grad = self.loss_fn.backward()
        if self._chain:
            self._chain_backward(grad, x, plan)
        else:
            self._backward(grad, plan)
        if self.grad_clip is not None:
            clip_(self.grad, self.grad_clip)
        return loss

    def _plan(self, rows: int) -> _Plan:
        if len(self._plans) >= 4:  # a DataLoader has one or two batch sizes
            self._plans.clear()
        plan = self._plans[rows] = _Plan(self._stages, rows, self._first, self.dtype)
        return plan

    @staticmethod
    def _chain_backward(grad: np.ndarray, x: np.ndarray, plan: _Plan) -> None:
        """Backward through a Linear/ReLU chain, last stage first, into the flat gradient."""
        sign, multiply, ones = np.sign, np.multiply, plan.ones
        for out, masked, inputs, weight, weight_grad, bias_grad, input_grad in plan.backward:
            if masked is not None:  # ReLU's backward, G * sign(y), as F.relu_backward
                sign(out, masked)
                multiply(grad, masked, masked)
                grad = masked
            grad.T.dot(x if inputs is None else inputs, weight_grad)
            if bias_grad is not None:
                ones.dot(grad, bias_grad)  # the row sum as one BLAS call
            if input_grad is not None:  # None for the first layer: its input is data
                grad.dot(weight, input_grad)
                grad = input_grad

    def _forward(self, x: np.ndarray, plan: _Plan) -> np.ndarray:
        """The forward of any supported network, dispatching on each stage's kind."""
        h = x
        inputs, caches, outputs = plan.inputs, plan.caches, plan.outputs
        for i, stage in enumerate(self._stages):
            kind = stage.kind
            if kind == "linear":
                inputs[i] = h
                out = outputs[i]
                h.dot(stage.weight_t, out)
                if stage.bias is not None:
                    np.add(out, stage.bias, out)
                if stage.relu:
                    np.maximum(out, self._zero, out=out)
                h = out
            elif kind == "dropout":
                layer = stage.layer
                mask = None
                if layer.training and layer.p != 0:  # as Dropout.forward: the same draws, in order
                    mask = F.dropout_mask(h.shape, layer.p, layer.rng, h.dtype)
                    h = h * mask
                caches[i] = mask
            else:
                h, caches[i] = stage.forward(stage.layer, h)
        return h

    def _backward(self, grad: np.ndarray, plan: _Plan) -> None:
        """The backward of any supported network, last stage first (to the first Linear)."""
        stages, inputs, caches = self._stages, plan.inputs, plan.caches
        for i in range(len(stages) - 1, self._first - 1, -1):
            stage = stages[i]
            if stage.kind == "linear":
                if stage.relu:
                    masked = plan.masked[i]
                    np.sign(plan.outputs[i], masked)
                    np.multiply(grad, masked, masked)
                    grad = masked
                grad.T.dot(inputs[i], stage.weight_grad)
                if stage.bias_grad is not None:
                    plan.ones.dot(grad, stage.bias_grad)
                if i > self._first:
                    grad.dot(stage.weight, plan.input_grads[i])
                    grad = plan.input_grads[i]
            elif stage.kind == "dropout":
                if caches[i] is not None:
                    grad = grad * caches[i]
            else:
                grad = stage.backward(stage.layer, grad, caches[i])

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

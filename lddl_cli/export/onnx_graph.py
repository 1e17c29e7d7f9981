"""One ONNX graph for a trained model: raw rows in (``input`` [batch, n_features], dynamic batch),
the scaler (Sub, Div), every layer, then ``output`` in the target's units (regression) or
``logits``, ``probabilities`` (Softmax, or Sigmoid for bce_with_logits) and ``label`` (int64).

Opsets OLDEST_OPSET..NEWEST_OPSET are written (NEWEST: the newest onnxruntime 1.31 reads); the IR
version is the oldest that carries the opset. Where onnxruntime has no float64 kernel (LeakyRelu,
Elu, Softplus, Erf) a float64 model gets the same formula from primitive ops; erf itself is then
evaluated in float32 (a Cast each way).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import UsageError
from ..nn import registry

OLDEST_OPSET = 13
NEWEST_OPSET = 26


class Graph:
    """Nodes and initializers being built; ``value`` is the name of the running tensor."""

    def __init__(self, onnx, dtype: np.dtype, opset: int) -> None:
        self.onnx, self.dtype, self.opset = onnx, np.dtype(dtype), opset
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value, hint: str = "c", dtype=None) -> str:
        name = self.name(hint)
        array = np.asarray(value, dtype=dtype or self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attributes) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], **attributes))
        return out

    def mean(self, x: str, axis: int) -> str:
        if self.opset >= 18:
            return self.op("ReduceMean", [x, self.const([axis], "axes", np.int64)], keepdims=1)
        return self.op("ReduceMean", [x], axes=[axis], keepdims=1)


def _normalize(g: Graph, x: str, axis: int, eps: float) -> str:
    """(x - mean) / sqrt(biased var + eps) over ``axis``, from primitive ops."""
    centered = g.op("Sub", [x, g.mean(x, axis)])
    var = g.mean(g.op("Mul", [centered, centered]), axis)
    return g.op("Div", [centered, g.op("Sqrt", [g.op("Add", [var, g.const(eps)])])])


def _affine(g: Graph, x: str, weight, bias) -> str:
    if weight is not None:
        x = g.op("Mul", [x, g.const(weight.data, "weight")])
    if bias is not None:
        x = g.op("Add", [x, g.const(bias.data, "bias")])
    return x


def linear(g: Graph, x: str, layer) -> str:
    inputs = [x, g.const(layer.weight.data, "weight")]
    if layer.bias is not None:
        inputs.append(g.const(layer.bias.data, "bias"))
    return g.op("Gemm", inputs, "linear", transB=1)


def batch_norm1d(g: Graph, x: str, layer) -> str:
    if not layer.track_running_stats:  # eval without running statistics: each batch's own, as lddl
        return _affine(g, _normalize(g, x, 0, layer.eps), layer.weight, layer.bias)
    n = layer.num_features
    scale = layer.weight.data if layer.affine else np.ones(n)
    shift = layer.bias.data if layer.affine else np.zeros(n)
    inputs = [g.const(v) for v in (scale, shift, layer.running_mean, layer.running_var)]
    return g.op("BatchNormalization", [x, *inputs], "batch_norm", epsilon=layer.eps)


def layer_norm(g: Graph, x: str, layer) -> str:
    axis = -len(layer.normalized_shape)
    if g.opset < 17 or axis != -1:
        return _affine(g, _normalize(g, x, -1, layer.eps), layer.weight, layer.bias)
    weight = layer.weight.data if layer.weight is not None else np.ones(layer.normalized_shape)
    inputs = [x, g.const(weight, "weight")] + ([g.const(layer.bias.data, "bias")] if layer.bias else [])
    return g.op("LayerNormalization", inputs, "layer_norm", axis=axis, epsilon=layer.eps)


def _where_positive(g: Graph, x: str, negative: str) -> str:
    return g.op("Where", [g.op("Greater", [x, g.const(0.0)]), x, negative])


def leaky_relu(g: Graph, x: str, layer) -> str:
    if g.dtype == np.float32:
        return g.op("LeakyRelu", [x], alpha=float(layer.negative_slope))
    return _where_positive(g, x, g.op("Mul", [x, g.const(layer.negative_slope)]))


def elu(g: Graph, x: str, layer) -> str:
    if g.dtype == np.float32:
        return g.op("Elu", [x], alpha=float(layer.alpha))
    below = g.op("Sub", [g.op("Exp", [g.op("Min", [x, g.const(0.0)])]), g.const(1.0)])
    return _where_positive(g, x, g.op("Mul", [below, g.const(layer.alpha)]))


def softplus(g: Graph, x: str, layer) -> str:
    """(max(z, 0) + log(1 + exp(-|z|))) / beta with z = beta x, and x where z > threshold."""
    z = g.op("Mul", [x, g.const(layer.beta)])
    tail = g.op("Log", [g.op("Add", [g.const(1.0), g.op("Exp", [g.op("Neg", [g.op("Abs", [z])])])])])
    smooth = g.op("Div", [g.op("Add", [g.op("Relu", [z]), tail]), g.const(layer.beta)])
    return g.op("Where", [g.op("Greater", [z, g.const(layer.threshold)]), x, smooth])


def gelu(g: Graph, x: str, layer) -> str:
    if g.opset >= 20 and g.dtype == np.float32:
        return g.op("Gelu", [x], approximate=layer.approximate)
    if layer.approximate == "tanh":
        cube = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Add", [x, g.op("Mul", [cube, g.const(0.044715)])])
        phi = g.op("Tanh", [g.op("Mul", [inner, g.const(math.sqrt(2 / math.pi))])])
    else:
        scaled = g.op("Mul", [x, g.const(math.sqrt(0.5))])
        if g.dtype != np.float32:  # onnxruntime has no float64 Erf
            as_float = g.op("Cast", [scaled], to=g.onnx.TensorProto.FLOAT)
            phi = g.op("Cast", [g.op("Erf", [as_float])], to=g.onnx.TensorProto.DOUBLE)
        else:
            phi = g.op("Erf", [scaled])
    half = g.op("Mul", [x, g.const(0.5)])
    return g.op("Mul", [half, g.op("Add", [phi, g.const(1.0)])])


def _unary(op_type: str):
    return lambda g, x, layer: g.op(op_type, [x])


def silu(g: Graph, x: str, layer) -> str:
    return g.op("Mul", [x, g.op("Sigmoid", [x])], "silu")


CONVERTERS = {
    "linear": linear,
    "relu": _unary("Relu"),
    "leaky_relu": leaky_relu,
    "sigmoid": _unary("Sigmoid"),
    "tanh": _unary("Tanh"),
    "gelu": gelu,
    "elu": elu,
    "silu": silu,
    "softplus": softplus,
    "identity": _unary("Identity"),
    "dropout": _unary("Identity"),  # eval mode: y = x
    "batch_norm1d": batch_norm1d,
    "layer_norm": layer_norm,
}


def layer_converter(index: int, spec: dict):
    """The converter of layer ``index``; UsageError naming the layer and the format if none."""
    name = (
        registry.LAYERS.canonical(spec["type"]) if spec.get("type") in registry.LAYERS else spec.get("type")
    )
    if name not in CONVERTERS:
        raise UsageError(f"layer {index} ({name}): lddl export cannot write this layer as ONNX")
    return CONVERTERS[name]

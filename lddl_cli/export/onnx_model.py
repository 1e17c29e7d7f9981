"""The ONNX model of a weights file: ``onnx_graph``'s layers between the input scaler and the
outputs, the metadata properties, the opset and the IR version chosen explicitly."""

from __future__ import annotations

import numpy as np

from ..errors import UsageError
from ..training.table_metadata import scalers
from . import onnx_graph
from .metadata import export_metadata

INSTALL_HINT = "lddl export --format onnx needs the export extra (onnx): pip install 'lddl[export]'"


def require_onnx():
    """The onnx module; UsageError (exit 2, one line) if the export extra is missing."""
    try:
        import onnx
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return onnx


def scale_inputs(g: onnx_graph.Graph, x: str, metadata: dict) -> str:
    """x' = (x - shift) / scale of a table model's x scaler (arrays models are not scaled)."""
    if not metadata.get("features"):
        return x
    x_scaler, _ = scalers(metadata)
    if x_scaler.kind == "none":
        return x
    return g.op("Div", [g.op("Sub", [x, g.const(x_scaler.shift, "x_shift")]), g.const(x_scaler.scale)])


def outputs(g: onnx_graph.Graph, z: str, metadata: dict) -> list[tuple[str, str]]:
    """[(graph value, output name)]: ``output`` in target units, or logits/probabilities/label."""
    if metadata.get("task") != "classification":
        _, y_scaler = scalers(metadata)
        if metadata.get("features") and y_scaler.kind != "none":
            z = g.op("Add", [g.op("Mul", [z, g.const(y_scaler.scale)]), g.const(y_scaler.shift)])
        return [(z, "output")]
    if metadata.get("loss_type") == "bce_with_logits":
        p = g.op("Sigmoid", [z])
        proba = g.op("Concat", [g.op("Sub", [g.const([[1.0]]), p]), p], axis=1)
    else:
        proba = g.op("Softmax", [z], axis=1)
    label = g.op("ArgMax", [proba], axis=1, keepdims=0)
    return [(z, "logits"), (proba, "probabilities"), (label, "label")]


def onnx_model(model, metadata: dict, opset: int):
    """The checked onnx ModelProto of ``model`` (eval mode) and its lddl ``metadata``."""
    onnx = require_onnx()
    helper = onnx.helper
    layers = metadata["model"]["layers"]
    converters = [onnx_graph.layer_converter(i, spec) for i, spec in enumerate(layers)]
    dtype = np.dtype(metadata["dtype"])
    g = onnx_graph.Graph(onnx, dtype, opset)
    x = scale_inputs(g, "input", metadata)
    for converter, layer in zip(converters, model, strict=True):
        x = converter(g, x, layer)
    element = helper.np_dtype_to_tensor_dtype(dtype)
    named = []
    for value, name in outputs(g, x, metadata):
        g.nodes.append(helper.make_node("Identity", [value], [name]))
        kind = onnx.TensorProto.INT64 if name == "label" else element
        named.append(
            helper.make_tensor_value_info(name, kind, ["batch"] + ([] if name == "label" else [None]))
        )
    width = _input_width(model)
    inputs = [helper.make_tensor_value_info("input", element, ["batch", width])]
    graph = helper.make_graph(g.nodes, "lddl", inputs, named, g.initializers)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="lddl")
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    proto.producer_version = export_metadata(metadata)["lddl_version"]
    helper.set_model_props(proto, export_metadata(metadata))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _input_width(model) -> int:
    from ..training.inference import input_width

    return input_width(model)

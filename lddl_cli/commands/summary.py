"""Model summary: one row per layer with its output shape, parameter count and initializers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..training.inference import input_width


@dataclass(frozen=True)
class LayerRow:
    index: int
    layer: str
    output_shape: str
    parameters: int
    init: str


def _init_name(spec) -> str:
    if spec is None:
        return "default"
    if isinstance(spec, str):
        return spec
    hyper = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "type")
    return f"{spec.get('type', '?')}({hyper})" if hyper else str(spec.get("type", "?"))


def layer_label(layer) -> str:
    """A short name: ``Linear(16, 64)``, ``BatchNorm1d(16)``, else the layer's repr (``Dropout(p=0.1)``)."""
    name = type(layer).__name__
    if hasattr(layer, "in_features") and hasattr(layer, "out_features"):
        bias = "" if getattr(layer, "bias", True) is not None else ", bias=False"
        return f"{name}({layer.in_features}, {layer.out_features}{bias})"
    for attribute in ("num_features", "normalized_shape"):
        value = getattr(layer, attribute, None)
        if value is not None:
            return f"{name}({value if not isinstance(value, tuple) or len(value) > 1 else value[0]})"
    return repr(layer)


def summary_rows(model, layers: list[dict]) -> list[LayerRow]:
    """Rows for ``model`` built from the resolved ``layers``; shapes traced with one row in eval mode."""
    dtype = model.parameters()[0].dtype if model.parameters() else np.float32
    x = np.zeros((1, input_width(model)), dtype=dtype)
    was_training = model.training
    model.eval()
    rows = []
    try:
        for index, (layer, spec) in enumerate(zip(model, layers, strict=True)):
            spec = spec if isinstance(spec, dict) else {"type": spec}
            x = layer.forward(x)
            count = sum(p.size for p in layer.parameters())
            init = ""
            if count and ("weight_init" in spec or "bias_init" in spec):
                weight = _init_name(spec.get("weight_init"))
                bias = _init_name(spec.get("bias_init"))
                init = weight if weight == bias else f"W {weight}; b {bias}"
            elif count:
                init = "fixed"  # e.g. a norm layer's scale 1 and shift 0, as in PyTorch
            shape = "(N, " + ", ".join(str(d) for d in x.shape[1:]) + ")"
            rows.append(LayerRow(index, layer_label(layer), shape, count, init))
    finally:
        model.train(was_training)
    return rows


def summary_table(rows: list[LayerRow], title: str):
    """A Rich table of ``rows`` with a total-parameters caption."""
    from rich.table import Table

    table = Table(title=title, caption=f"{sum(r.parameters for r in rows):,} trainable parameters")
    table.add_column("#", justify="right")
    table.add_column("layer")
    table.add_column("output")
    table.add_column("params", justify="right")
    table.add_column("init")
    for row in rows:
        table.add_row(str(row.index), row.layer, row.output_shape, f"{row.parameters:,}", row.init)
    return table

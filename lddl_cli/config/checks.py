"""Checks across keys, after each section is valid on its own: layer widths chain, norms match the
width before them, the loss's per-output weights match the model's output width."""

from __future__ import annotations

from ..errors import Problem
from .locator import Locator, dotted_path
from .sections import Config
from .specs import WIDTH_KEYS
from .tables import table_problems


def cross_check(config: Config, locator: Locator) -> list[Problem]:
    """Checks across keys: layer widths chain; norms match the width before them; the loss's
    per-output weights match the model's output width."""
    problems: list[Problem] = _loss_width_problems(config, locator) + table_problems(config, locator)
    if config.model.layers is None:
        return problems
    width: int | None = None
    width_from = ""
    for index, layer in enumerate(config.model.layers):
        path = ("model", "layers", index)
        if layer.type == "linear":
            if width is not None and layer.in_features != width:
                message = (
                    f"in_features must equal the width before it ({width}, from {width_from}); "
                    f"got {layer.in_features}"
                )
                problems.append(locator.problem((*path, "in_features"), message))
            width, width_from = layer.out_features, f"layers[{index}].out_features"
        elif layer.type in WIDTH_KEYS:
            key = WIDTH_KEYS[layer.type]
            size = getattr(layer, key)
            if width is not None and size != width:
                message = f"{key} must equal the width before it ({width}, from {width_from}); got {size}"
                problems.append(locator.problem((*path, key), message))
            if width is None:
                width, width_from = size, f"layers[{index}].{key}"
    if not any(layer.type == "linear" for layer in config.model.layers):
        problems.append(locator.problem(("model", "layers"), "needs at least one linear layer"))
    return problems


# The loss keys that hold one value per model output: (key, whether a single value is allowed too).
LOSS_WIDTH_KEYS = {
    "cross_entropy": (("weight", False),),
    "bce_with_logits": (("weight", True), ("pos_weight", True)),
}


def _loss_width_problems(config: Config, locator: Locator) -> list[Problem]:
    """A class weight / pos_weight list whose length is not the model's output width."""
    keys = [(k, one) for k, one in LOSS_WIDTH_KEYS.get(config.loss.type, ()) if getattr(config.loss, k)]
    output = model_widths(config)[1] if keys else None
    if output is None or output[0] == "auto":  # no weights, no linear layer, or known from the data only
        return []
    width, width_path = output
    problems = []
    for key, one in keys:
        count = len(getattr(config.loss, key))
        if count != width and not (one and count == 1):
            allowed = f"{width}, or 1 for every output" if one else f"{width}, one per class"
            message = (
                f"has {count} value{'s' if count != 1 else ''} but the model's output width is {width} "
                f"({dotted_path(width_path)}); give {allowed}"
            )
            problems.append(locator.problem(("loss", key), message))
    return problems


def model_widths(config: Config) -> tuple[tuple[int, tuple], tuple[int, tuple]]:
    """((input width, its key path), (output width, its key path)) of the model, for the data checks."""
    if config.model.widths is not None:
        widths = config.model.widths
        return (widths[0], ("model", "widths", 0)), (widths[-1], ("model", "widths", len(widths) - 1))
    first = last = None
    for index, layer in enumerate(config.model.layers):
        if layer.type == "linear":
            first = first or (layer.in_features, ("model", "layers", index, "in_features"))
            last = (layer.out_features, ("model", "layers", index, "out_features"))
        elif layer.type in WIDTH_KEYS and first is None:
            key = WIDTH_KEYS[layer.type]
            first = (getattr(layer, key), ("model", "layers", index, key))
    return first, last  # the cross-check guarantees a linear layer

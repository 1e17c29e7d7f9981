"""A trained model's outputs: ``predict(model, x)`` in eval mode, in batches, and the input width it takes."""

from __future__ import annotations

import numpy as np

from ..errors import DataError


def input_width(model) -> int:
    """Number of input columns the model expects (from its first layer that fixes a width)."""
    for layer in model:
        for attribute in ("in_features", "num_features"):
            value = getattr(layer, attribute, None)
            if isinstance(value, int):
                return value
        shape = getattr(layer, "normalized_shape", None)
        if shape is not None:
            return int(np.prod(shape))
    raise ValueError("the model has no layer that fixes its input width")


def predict(model, x: np.ndarray, batch_size: int = 65536) -> np.ndarray:
    """Model output for ``x`` (N, in) in eval mode, computed in batches; float of the model's dtype."""
    width = input_width(model)
    dtype = model.parameters()[0].dtype
    x = np.asarray(x)
    if x.ndim == 1 and width == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[1] != width:
        raise DataError(f"input must have shape (N, {width}) for this model; got {x.shape}")
    x = x.astype(dtype, copy=False)
    model.eval()
    with np.errstate(all="ignore"):  # an overflow shows as inf/nan in the result, for the caller to judge
        if len(x) <= batch_size:
            return model(x).copy()
        return np.concatenate([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def check_finite_predictions(y: np.ndarray, x: np.ndarray, source: str) -> None:
    """DataError naming the first input row whose prediction is NaN or infinite."""
    finite = np.isfinite(y.reshape(len(y), -1)).all(axis=1)
    if finite.all():
        return
    row = int(np.argmin(finite))
    shown = " ".join(f"{v:.6g}" for v in np.asarray(x).reshape(len(x), -1)[row])
    raise DataError(
        f"{source}: the prediction for input row {row + 1} (x = {shown}) is not finite "
        f"({int((~finite).sum())} of {len(y)} rows): the model's output overflows {y.dtype} there"
    )

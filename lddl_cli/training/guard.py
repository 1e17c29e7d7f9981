"""The finite guard's diagnosis (cold path): where a run went non-finite, as one TrainingError line.

The trainer's hot loop only notices that the loss or the gradient is non-finite (one vectorized
check per step) or, at an epoch end, that the weights or the validation loss are; these functions
then find the first layer whose weights, output or gradient is to blame and word the error.
"""

from __future__ import annotations

import numpy as np

from ..errors import TrainingError

HINT = "Hint: lower optimizer.lr or set train.grad_clip (e.g. --set train.grad_clip=1.0)"


def non_finite_parameter(model) -> str | None:
    """``"weight of layer 2 (Linear)"`` for the first parameter with a NaN or Inf, else None."""
    for i, layer in enumerate(model):
        for name, p in layer.named_parameters():
            if not np.isfinite(p.data).all():
                return f"{name} of layer {i} ({type(layer).__name__})"
    return None


def locate_forward(model, loss_fn, x: np.ndarray, y: np.ndarray) -> str | None:
    """The first layer output (or the loss) that is non-finite on ``x``; the loss stays cached."""
    h = x
    for i, layer in enumerate(model):
        h = layer.forward(h)
        if not np.isfinite(h).all():
            return f"output of layer {i} ({type(layer).__name__})"
    loss = loss_fn(h, y)
    if not np.all(np.isfinite(loss)):
        return f"the loss ({type(loss_fn).__name__})"
    return None


def locate_batch(model, loss_fn, optimizer, xb: np.ndarray, yb: np.ndarray) -> str:
    """Name the first layer whose weights, output or gradient is non-finite on this batch."""
    parameter = non_finite_parameter(model)
    if parameter is not None:
        return f"{parameter} is already non-finite"
    if not np.isfinite(xb).all():
        return "the input batch"
    if not np.isfinite(yb).all():
        return "the target batch"
    where = locate_forward(model, loss_fn, xb, yb)
    if where is not None:
        return where
    g = loss_fn.backward()
    if not np.isfinite(g).all():
        return f"gradient of the loss ({type(loss_fn).__name__})"
    optimizer.zero_grad()
    layers = list(model)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        g = layer.backward(g)
        bad = [name for name, p in layer.named_parameters() if not np.isfinite(p.grad).all()]
        if bad or not np.isfinite(g).all():
            what = f"gradient of {bad[0]}" if bad else "input gradient"
            return f"{what} of layer {i} ({type(layer).__name__})"
    return "the gradient after clipping"


def batch_failure(epoch: int, batch: int, loss: float, where: str) -> TrainingError:
    """A non-finite loss or gradient in batch ``batch`` of epoch ``epoch`` (both from 1)."""
    return TrainingError(
        f"training diverged at epoch {epoch}, batch {batch}: loss {loss!r}; "
        f"first non-finite value: {where}; the update was not applied. {HINT}"
    )


def rollback_failure(epochs_done: int, what: str, where: str) -> TrainingError:
    """A failure found at the end of epoch ``epochs_done + 1``: the weights of the last epoch end are kept."""
    kept = f"the weights of epoch {epochs_done}" if epochs_done else "the initial weights"
    return TrainingError(
        f"training diverged at epoch {epochs_done + 1}{what}; first non-finite value: {where}; "
        f"{kept} were kept. {HINT}"
    )

"""The suite's strict float64 gradient checker for lddl layers and losses, on the library's own
central differences (``lddl_cli.nn.gradcheck``, which ``lddl gradcheck`` runs with
torch.autograd.gradcheck's looser tolerances).

A layer is checked through the random projection loss L = sum(layer(x) * R), whose gradient
with respect to the output is R: ``layer.backward(R)`` must equal dL/dx and leave dL/dp in
every ``p.grad``. A loss is checked through L = loss(pred, target) (for reduction "none",
L = sum of the elementwise losses, the quantity its ``backward`` differentiates).

Per element: |analytic - numeric| <= ATOL + RTOL * |numeric|; per array: the norm-relative
error ||analytic - numeric|| / max(||analytic||, ||numeric||) <= NORM_TOL (skipped when both
norms are below NORM_FLOOR, where the per-element test already decides).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lddl_cli.nn import gradcheck

STEP = 1e-6
ATOL = 1e-8
RTOL = 1e-6
NORM_TOL = 1e-7
NORM_FLOOR = 1e-6
KINK_MARGIN = 1e-3


class GradientMismatch(AssertionError):
    """Analytic and numeric gradients disagree; the message lists every failing array."""


def numeric_gradient(f: Callable[[], float], array: np.ndarray, step: float = STEP) -> np.ndarray:
    """Central differences, perturbing ``array`` in place: the library's own (``nn.gradcheck``)."""
    return gradcheck.numeric_gradient(f, array, eps=step)


def compare(name: str, analytic: np.ndarray, numeric: np.ndarray) -> list[str]:
    """The problems found comparing one analytic gradient with its numeric estimate."""
    if analytic.shape != numeric.shape:
        return [f"{name}: analytic shape {analytic.shape} != numeric shape {numeric.shape}"]
    problems = []
    error = np.abs(analytic - numeric)
    bad = error > ATOL + RTOL * np.abs(numeric)
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, error, -1)), error.shape)
        problems.append(
            f"{name}: {int(bad.sum())} of {bad.size} elements differ; worst at {tuple(map(int, worst))}: "
            f"analytic {analytic[worst]!r}, numeric {numeric[worst]!r}"
        )
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    if scale >= NORM_FLOOR:
        relative = np.linalg.norm(analytic - numeric) / scale
        if relative > NORM_TOL:
            problems.append(f"{name}: norm-relative error {relative:.3e} > {NORM_TOL:g}")
    return problems


def check_layer(
    layer,
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    before_forward: Callable[[], None] | None = None,
) -> dict[str, float]:
    """Check dL/dx and every parameter gradient of ``layer`` at ``x`` (float64).

    ``before_forward`` runs before every forward pass (e.g. to reseed a Dropout mask).
    Returns the norm-relative error per checked array; raises GradientMismatch on failure.
    """
    x = np.array(x, dtype=np.float64)  # our own copy: perturbed in place below
    prepare = before_forward or (lambda: None)
    prepare()
    projection = rng.standard_normal(layer(x.copy()).shape)

    def loss() -> float:
        prepare()
        return float(np.sum(layer(x) * projection))

    layer.zero_grad()
    prepare()
    layer(x)
    checks = {"dL/dx": layer.backward(projection.copy())}
    checks.update({f"dL/d{name}": p.grad.copy() for name, p in layer.named_parameters()})

    numerics = {"dL/dx": numeric_gradient(loss, x)}
    for name, p in layer.named_parameters():
        numerics[f"dL/d{name}"] = numeric_gradient(loss, p.data)
    return _report(checks, numerics)


def check_loss(loss_fn, pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Check ``loss_fn.backward()`` (dL/dpred) against central differences at ``pred``."""
    pred = np.array(pred, dtype=np.float64)

    def loss() -> float:
        return float(np.sum(loss_fn(pred, target)))

    loss_fn(pred.copy(), target)
    analytic = {"dL/dpred": loss_fn.backward()}
    return _report(analytic, {"dL/dpred": numeric_gradient(loss, pred)})


def _report(analytic: dict[str, np.ndarray], numeric: dict[str, np.ndarray]) -> dict[str, float]:
    problems = []
    errors = {}
    for name, value in analytic.items():
        problems += compare(name, np.asarray(value), numeric[name])
        scale = max(np.linalg.norm(value), np.linalg.norm(numeric[name]), 1e-300)
        errors[name] = float(np.linalg.norm(value - numeric[name]) / scale)
    if problems:
        raise GradientMismatch("; ".join(problems))
    return errors


def avoid_kinks(x: np.ndarray, kinks: tuple[float, ...] = (0.0,), margin: float = KINK_MARGIN) -> np.ndarray:
    """Move every element closer than ``margin`` to a kink to ``margin`` away from it (same side).

    Central differences across a kink of ReLU, LeakyReLU, L1 or Huber measure an average of
    both slopes; points that near are redrawn this way, deterministically, before checking.
    """
    x = np.array(x, dtype=np.float64)
    for kink in kinks:
        offset = x - kink
        near = np.abs(offset) < margin
        x = np.where(near, kink + np.where(offset >= 0, margin, -margin), x)
    return x

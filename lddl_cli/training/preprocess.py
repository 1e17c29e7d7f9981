"""Scalers fitted on the training split only, stored in model.npz, applied by predict.

x' = (x - shift) / scale per column: ``standardize`` (shift = mean, scale = standard deviation
with ddof 0, 1 for a constant column, as scikit-learn's StandardScaler), ``minmax`` (shift = min,
scale = max - min; a constant column is an error) or ``none``. A regression's targets may be
standardized too; its outputs are then turned back into the target's units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError


@dataclass(frozen=True)
class Scaler:
    kind: str
    shift: np.ndarray | None = None
    scale: np.ndarray | None = None

    def apply(self, values: np.ndarray) -> np.ndarray:
        if self.kind == "none" or values is None:
            return values
        return ((values - self.shift) / self.scale).astype(values.dtype, copy=False)

    def invert(self, values: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return values
        return values * self.scale + self.shift

    def to_json(self) -> dict:
        if self.kind == "none":
            return {"kind": "none"}
        return {"kind": self.kind, "shift": self.shift.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, data: dict | None) -> Scaler:
        if not data or data.get("kind", "none") == "none":
            return cls("none")
        return cls(data["kind"], np.array(data["shift"], float), np.array(data["scale"], float))


def fit_scaler(kind: str, values: np.ndarray, names: list[str] | None, where) -> Scaler:
    """The scaler of ``kind`` fitted on ``values`` (N, columns); ``where(message)`` locates errors."""
    if kind == "none":
        return Scaler("none")
    values = np.asarray(values, dtype=np.float64)
    if kind == "standardize":
        shift, scale = values.mean(axis=0), values.std(axis=0)
        scale = np.where(scale == 0, 1.0, scale)
        return Scaler(kind, shift, scale)
    shift = values.min(axis=0)
    scale = values.max(axis=0) - shift
    constant = np.flatnonzero(scale == 0)
    if constant.size:
        column = names[constant[0]] if names else f"column {constant[0]}"
        raise DataError(
            where(
                f"minmax: column {column!r} is constant on the training split (max - min = 0); "
                "use standardize, or drop the column from data.features"
            )
        )
    return Scaler(kind, shift, scale)

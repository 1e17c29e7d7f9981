"""Predict with a saved weights file alone: the model is rebuilt from the file's own metadata."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .errors import DataError, UsageError

SUFFIXES = (".npy", ".csv", ".txt")


def load_model(weights: str | Path):
    """(model in eval mode, metadata) from a ``model.npz`` written by ``lddl train``.

    The model is rebuilt from ``metadata["model"]["layers"]`` and loaded strictly by the
    hardened reader in ``weights.py``; anything wrong raises WeightsError naming the file.
    """
    from .weights import load_model as load_checked

    return load_checked(weights)


def predict(model, x: np.ndarray, batch_size: int = 65536) -> np.ndarray:
    """Model output for ``x`` (N, in) in eval mode, computed in batches; float of the model's dtype."""
    from .summary import input_width

    width = input_width(model)
    dtype = model.parameters()[0].dtype
    x = np.asarray(x)
    if x.ndim == 1 and width == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[1] != width:
        raise DataError(f"input must have shape (N, {width}) for this model; got {x.shape}")
    x = x.astype(dtype, copy=False)
    model.eval()
    if len(x) <= batch_size:
        return model(x).copy()
    return np.concatenate([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def read_input(path: str | Path) -> np.ndarray:
    """An input array from .npy or .csv/.txt (validated by ``datafiles.load_array``)."""
    from .datafiles import load_array

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"--input: expected a .npy, .csv or .txt file; got {str(path)!r}")
    return load_array(path, "--input")


def write_output(path: str | Path, y: np.ndarray) -> Path:
    """Write predictions as .npy (exact) or .csv (full precision) atomically."""
    from .nn.state import atomic_write

    path = Path(path)
    suffix = path.suffix.lower()
    buffer = io.BytesIO()
    if suffix == ".npy":
        np.save(buffer, y, allow_pickle=False)
    elif suffix in (".csv", ".txt"):
        # Enough digits to round-trip: 17 significant for float64, 9 for float32.
        fmt = "%.17g" if y.dtype == np.float64 else "%.9g"
        np.savetxt(buffer, y.reshape(len(y), -1), delimiter="," if suffix == ".csv" else " ", fmt=fmt)
    else:
        raise UsageError(f"--output: expected a .npy, .csv or .txt file name; got {str(path)!r}")
    if not path.parent.is_dir():
        raise UsageError(f"--output: folder {str(path.parent)!r} does not exist")
    data = buffer.getvalue()
    atomic_write(path, lambda fh: fh.write(data))
    return path

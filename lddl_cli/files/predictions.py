"""Prediction inputs and outputs as files: ``--input`` arrays in, ``--output`` arrays out (atomically)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..nn.state import atomic_write
from .datafiles import load_array

SUFFIXES = (".npy", ".csv", ".txt")


def read_input(path: str | Path) -> np.ndarray:
    """An input array from .npy or .csv/.txt (validated by ``datafiles.load_array``)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"--input: expected a .npy, .csv or .txt file; got {str(path)!r}")
    return load_array(path, "--input")


def write_output(path: str | Path, y: np.ndarray) -> Path:
    """Write predictions as .npy (exact) or .csv (full precision) atomically."""
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

"""The sine data set of the tutorial lddl grew out of: 200 noisy points of 2 sin(x) and a clean grid.

x is evenly spaced on [-pi, pi], shape (n, 1); y = 2 sin(x) + U[-noise, noise), shape (n, 1).
The noise-free grid (``noise=0``) is the validation set. Arrays are float64; the config's
``dtype`` decides what training uses.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from ..errors import UsageError


def sine(n: int = 200, noise: float = 0.05, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) with x = linspace(-pi, pi, n) as (n, 1) and y = 2 sin(x) + U[-noise, noise) as (n, 1)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"--n: the number of points must be a positive integer; got {n!r}")
    if not math.isfinite(noise) or noise < 0:
        raise UsageError(f"--noise: the noise amplitude must be a finite number >= 0; got {noise!r}")
    x = np.linspace(-np.pi, np.pi, n).reshape(n, 1)
    y = 2.0 * np.sin(x)
    if noise > 0:
        rng = np.random.default_rng(seed)
        y = y + rng.uniform(-noise, noise, size=y.shape)
    return x, y


def write_sine(out_dir: str | Path, n: int = 200, noise: float = 0.05, *, grid: bool = False, seed: int = 0):
    """Write x.npy / y.npy (or val_x.npy / val_y.npy with ``grid``) into ``out_dir``; return the paths."""
    from ..nn.state import atomic_write

    x, y = sine(n, noise, seed=seed)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out: cannot create directory {str(out_dir)!r}: {exc.strerror or exc}") from exc
    prefix = "val_" if grid else ""
    paths = []
    for name, array in ((f"{prefix}x.npy", x), (f"{prefix}y.npy", y)):
        path = out_dir / name
        atomic_write(path, lambda fh, a=array: fh.write(_npy_bytes(a)))
        paths.append(path)
    return paths


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()

"""Shared by the tests/robustness/test_training_*.py files: a project folder (sine data + a config),
the installed ``lddl`` run as a real subprocess, and checkers for the files a run writes.

Every checker here is tested on a planted mistake in test_training_helpers.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from sine_project import SMALL, make_project  # noqa: F401  (re-exported for the training tests)

LDDL = str(Path(sys.executable).with_name("lddl"))  # the console script of this virtualenv


def lddl(*args, cwd: Path, check_code: int | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``lddl`` with ``args`` in ``cwd``; assert its exit code when given."""
    result = subprocess.run([LDDL, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)
    if check_code is not None:
        assert result.returncode == check_code, (
            f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz except the ``__lddl__`` metadata, read without pickle."""
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files if not key.startswith("__")}


def metadata(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(archive["__lddl__"].item())


def non_finite_keys(named: dict[str, np.ndarray]) -> list[str]:
    """Keys of the float arrays that hold a NaN or an infinity."""
    return [k for k, v in named.items() if v.dtype.kind == "f" and not np.isfinite(v).all()]


def differing_keys(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """Keys missing on one side or whose arrays are not bit-identical (same shape, dtype, values)."""
    return sorted(
        k
        for k in a.keys() | b.keys()
        if k not in a
        or k not in b
        or a[k].dtype != b[k].dtype
        or not np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f")
    )


def loss_history(path: Path) -> dict[str, np.ndarray]:
    """metrics.csv without its wall-clock ``seconds`` column: epoch, train_loss, val_loss, lr."""
    from lddl_cli.files.metrics import read_metrics_csv

    columns = read_metrics_csv(path)
    del columns["seconds"]
    return columns

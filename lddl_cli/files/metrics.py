"""``metrics.csv``: one row per epoch, ``epoch,train_loss,val_loss,lr,seconds``; written and read back."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import DataError

METRICS_HEADER = "epoch,train_loss,val_loss,lr,seconds"


def metrics_csv(records) -> str:
    """The CSV text of epoch records (EpochRecord-like: epoch, train_loss, val_loss or None, lr, seconds)."""
    names = list(getattr(records[0], "metrics", None) or {}) if records else []
    lines = [METRICS_HEADER + "".join(f",val_{name}" for name in names)]
    for r in records:
        val = "" if r.val_loss is None else repr(r.val_loss)
        extra = "".join(f",{r.metrics[name]!r}" for name in names)
        lines.append(f"{r.epoch},{r.train_loss!r},{val},{r.lr!r},{r.seconds:.6f}{extra}")
    return "\n".join(lines) + "\n"


def read_metrics_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a metrics.csv as float arrays (empty val_loss cells become NaN).

    A file that is not such a table raises DataError naming the file and the line.
    """
    try:
        text = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read as a UTF-8 text file ({error})") from None
    header = text[0].split(",") if text else []
    if "epoch" not in header or "train_loss" not in header:
        got = repr(text[0]) if text else "an empty file"
        raise DataError(f"{path}: line 1: expected the header {METRICS_HEADER}; got {got}")
    rows = []
    for number, line in enumerate(text[1:], start=2):
        if not line:
            continue
        cells = line.split(",")
        if len(cells) != len(header):
            raise DataError(
                f"{path}: line {number}: {len(cells)} values, expected {len(header)} ({METRICS_HEADER})"
            )
        try:
            rows.append([float(cell) if cell else math.nan for cell in cells])
        except ValueError:
            bad = next(cell for cell in cells if cell and not _is_number(cell))
            raise DataError(f"{path}: line {number}: {bad!r} is not a number") from None
    table = np.array(rows, dtype=float).reshape(len(rows), len(header))
    return {name: table[:, i] for i, name in enumerate(header)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

"""``lddl check`` of a table config: the columns found, their kinds, the class counts and the splits."""

from __future__ import annotations

import numpy as np

from ..files.tables import read_table
from ..training.data import prepare


def table_report(config) -> list[str]:
    """What ``check`` prints for a table (every check of a training run is made first)."""
    _, _, _, data = prepare(config)
    table = read_table(config.data.path, "data.path")
    kinds = ", ".join(f"{name} ({table.kind(name)})" for name in table.columns)
    lines = [f"columns: {kinds}", f"features: {', '.join(data.features)}; target: {', '.join(data.targets)}"]
    if data.classes is not None:
        labels = np.asarray(data.y).reshape(len(data.y)).astype(np.int64)
        counts = np.bincount(labels, minlength=len(data.classes))
        lines.append(
            "classes (training split): "
            + ", ".join(f"{c} {n}" for c, n in zip(data.classes, counts, strict=True))
        )
    sizes = [f"train {len(data.x)}"]
    sizes += [
        f"{name} {len(v)}" for name, v in (("validation", data.val_x), ("test", data.test_x)) if v is not None
    ]
    lines.append("rows: " + ", ".join(sizes))
    return lines

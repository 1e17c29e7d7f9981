"""Seeded hold-out splits of a table run: the test split, then the validation split; stratified
(each class held out in proportion, at least one row per class on each side) for a classifier."""

from __future__ import annotations

import numpy as np

from .. import nn
from ..errors import DataError


def hold_out(y: np.ndarray, fraction: float, rng, stratified: bool, where, names=None) -> tuple:
    """(kept indices, held-out indices); ``where(message)`` locates a split that cannot be made."""
    n = len(y)
    if not stratified:
        n_held = max(round(n * fraction), 1)
        if n_held >= n:
            raise DataError(where(f"{fraction} of {n} rows leaves none to train on"))
        return nn.train_val_split(n, fraction, rng)
    classes, inverse, counts = np.unique(np.asarray(y).reshape(n), return_inverse=True, return_counts=True)
    held = []
    for index, count in enumerate(counts):
        rows = np.flatnonzero(inverse == index)
        take = max(round(count * fraction), 1)
        if take >= count:
            raise DataError(
                where(
                    f"class {names[int(classes[index])] if names else index!r} "
                    f"({count} row{'s' if count != 1 else ''}) cannot be split: a stratified split "
                    "needs at least 2 rows of each class (one kept, one held out)"
                )
            )
        held.append(rows[rng.permutation(count)[:take]])
    held_rows = np.sort(np.concatenate(held))
    kept = np.setdiff1d(np.arange(n), held_rows)
    return kept[rng.permutation(len(kept))], held_rows

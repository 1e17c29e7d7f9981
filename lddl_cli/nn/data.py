"""Data loading: ArrayDataset, DataLoader, and seeded index splits (train/validation, subsets).

Randomness is explicit: every function that shuffles or samples takes an ``np.random.Generator``.
The DataLoader draws a NEW permutation at the start of every epoch (every ``iter()``) and gathers
each batch with one fancy-indexing call per array, never a Python loop over samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import numpy as np


class ArrayDataset:
    """Arrays that share their first dimension, indexed together.

    Args:
        *arrays: one or more arrays with the same length N (first dimension).

    ``dataset[idx]`` with an integer, slice or index array returns a tuple with one array (or
    row) per input array: ``x[idx], y[idx]``. ``len(dataset)`` is N.
    """

    def __init__(self, *arrays) -> None:
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array")
        arrays = tuple(np.asarray(a) for a in arrays)
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"array {i} is a scalar; every array needs a first (sample) dimension")
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"arrays must have the same first dimension; got shapes {shapes}")
        self.arrays = arrays

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index) -> tuple[np.ndarray, ...]:
        if isinstance(index, np.ndarray) and index.dtype.kind in "iu":
            # The DataLoader's case: ndarray.take gathers rows like a[index], in about half the time.
            return tuple([a.take(index, axis=0) for a in self.arrays])
        return tuple([a[index] for a in self.arrays])

    def __repr__(self) -> str:
        return f"ArrayDataset({', '.join(str(a.shape) for a in self.arrays)})"


GATHER_ROWS = 512  # rows gathered by one indexing call of the DataLoader (bounds its extra memory)


def _check_size(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class DataLoader:
    """Iterate over an ArrayDataset in batches.

    Args:
        dataset: an ArrayDataset (or anything with ``len`` and ``__getitem__`` taking an index array).
        batch_size: samples per batch (default 1).
        shuffle: draw a new random order every epoch (default False: dataset order).
        drop_last: drop the last batch when it is smaller than ``batch_size`` (default False).
        rng: the ``np.random.Generator`` for shuffling; a fresh unseeded one if None.

    Each ``iter(loader)`` is one epoch and yields tuples of batch arrays. With ``shuffle`` the
    permutation is drawn anew per epoch, so the batch order and (with ``drop_last``) the dropped
    samples change from epoch to epoch. ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.batch_size = _check_size(batch_size, "batch_size", 1)
        if not isinstance(shuffle, bool | np.bool_) or not isinstance(drop_last, bool | np.bool_):
            raise ValueError(f"shuffle and drop_last must be True or False, got {shuffle!r}, {drop_last!r}")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._order = np.arange(len(dataset))  # the unshuffled order, reused every epoch

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        # One permutation per epoch. The rows of whole batches are gathered in that order a chunk
        # of up to GATHER_ROWS rows at a time (one indexing call instead of one per batch), then
        # cut into batches: views of that copy, never of the dataset's arrays.
        order = self.rng.permutation(len(self._order)) if self.shuffle else self._order
        dataset, batch_size = self.dataset, self.batch_size
        full = len(order) // batch_size
        per_chunk = max(1, GATHER_ROWS // batch_size)
        for first in range(0, full, per_chunk):
            count = min(per_chunk, full - first)
            gathered = dataset[order[first * batch_size : (first + count) * batch_size]]
            yield from zip(*(a.reshape(count, batch_size, *a.shape[1:]) for a in gathered), strict=True)
        if not self.drop_last and len(order) > full * batch_size:
            yield dataset[order[full * batch_size :]]

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def random_subset(n_total: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` distinct indices drawn from range(n_total) without replacement, in random order."""
    n_total = _check_size(n_total, "n_total", 0)
    size = _check_size(size, "size", 0)
    if size > n_total:
        raise ValueError(f"cannot draw {size} samples without replacement from {n_total}")
    return _check_rng(rng).choice(n_total, size=size, replace=False)


def train_val_split(
    n_or_arrays, val_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split range(n) at random into (train_indices, val_indices); disjoint, together all of range(n).

    Args:
        n_or_arrays: the number of samples n, or an array / tuple of arrays (n = their length).
        val_fraction: the share held out for validation, in [0, 1); round(n * val_fraction)
            samples, at least one when the fraction is positive.
        rng: the ``np.random.Generator`` that draws the permutation.
    """
    if isinstance(n_or_arrays, Integral) and not isinstance(n_or_arrays, bool):
        n = _check_size(n_or_arrays, "n", 0)
    elif isinstance(n_or_arrays, tuple | list):
        n = len(ArrayDataset(*n_or_arrays))
    else:
        n = len(ArrayDataset(n_or_arrays))
    is_number = isinstance(val_fraction, int | float) and not isinstance(val_fraction, bool)
    if not is_number or not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be a number in [0, 1), got {val_fraction!r}")
    n_val = round(n * val_fraction)
    if val_fraction > 0:
        n_val = max(n_val, 1)
    if n_val >= n and n > 0:
        raise ValueError(f"val_fraction {val_fraction} leaves no training samples out of {n}")
    order = _check_rng(rng).permutation(n)
    return order[n_val:], order[:n_val]

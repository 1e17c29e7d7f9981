"""ArrayDataset, DataLoader, train_val_split and random_subset; the tutorial's sampler mistakes.

Each sampler check is a function run on lddl's loader (must pass) and on a planted copy of the
tutorial's mistake (must fail).
"""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli import nn


def make_data(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = np.arange(n, dtype=np.float64).reshape(n, 1) * 10
    return x, y


# --- ArrayDataset ------------------------------------------------------------------------------
def test_dataset_indexes_all_arrays_together():
    x, y = make_data()
    dataset = nn.ArrayDataset(x, y)
    assert len(dataset) == 10
    xb, yb = dataset[np.array([3, 0, 7])]
    np.testing.assert_array_equal(xb, x[[3, 0, 7]])
    np.testing.assert_array_equal(yb, y[[3, 0, 7]])
    assert isinstance(dataset[2], tuple)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ((), "at least one array"),
        ((np.zeros(3), np.zeros(4)), r"same first dimension.*\(3,\), \(4,\)"),
        ((1.0,), "scalar"),
    ],
)
def test_dataset_validates(arrays, message):
    with pytest.raises(ValueError, match=message):
        nn.ArrayDataset(*arrays)


# --- DataLoader --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "sizes"),
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (8, 4, True, [4, 4]),
        (3, 5, False, [3]),
        (3, 5, True, []),
    ],
)
def test_batches_and_len(rng, n, batch_size, drop_last, sizes):
    x, y = make_data(n)
    for shuffle in (False, True):
        loader = nn.DataLoader(
            nn.ArrayDataset(x, y), batch_size, shuffle=shuffle, drop_last=drop_last, rng=rng
        )
        batches = list(loader)
        assert len(loader) == len(sizes)
        assert [len(xb) for xb, _ in batches] == sizes
        assert all(xb.shape[1:] == (2,) and yb.shape[1:] == (1,) for xb, yb in batches)
        for xb, yb in batches:  # rows stay paired
            np.testing.assert_array_equal(yb[:, 0], xb[:, 0] * 5)


def test_without_shuffle_order_is_the_dataset_order():
    x, y = make_data()
    batches = list(nn.DataLoader(nn.ArrayDataset(x, y), batch_size=3))
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), x)


def test_each_epoch_sees_every_sample_once(rng):
    x, y = make_data(23)
    loader = nn.DataLoader(nn.ArrayDataset(x, y), batch_size=4, shuffle=True, rng=rng)
    for _ in range(3):
        seen = np.concatenate([yb[:, 0] for _, yb in loader])
        np.testing.assert_array_equal(np.sort(seen), y[:, 0])


def test_same_seed_same_batches():
    x, y = make_data(20)

    def epochs(seed):
        loader = nn.DataLoader(nn.ArrayDataset(x, y), 4, shuffle=True, rng=np.random.default_rng(seed))
        return [np.concatenate([yb[:, 0] for _, yb in loader]) for _ in range(3)]

    for a, b in zip(epochs(5), epochs(5), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(epochs(5)[0], epochs(6)[0])


def test_shuffle_without_rng_uses_a_fresh_generator():
    x, y = make_data(50)
    loader = nn.DataLoader(nn.ArrayDataset(x, y), 50, shuffle=True)
    assert isinstance(loader.rng, np.random.Generator)
    ((_, yb),) = list(loader)
    np.testing.assert_array_equal(np.sort(yb[:, 0]), y[:, 0])


class _CountingDataset(nn.ArrayDataset):
    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.calls: list[np.ndarray] = []

    def __getitem__(self, index):
        self.calls.append(np.asarray(index))
        return super().__getitem__(index)


def test_one_gather_per_epoch_for_the_whole_batches_and_one_for_the_rest(rng):
    x, y = make_data(10)
    dataset = _CountingDataset(x, y)
    loader = nn.DataLoader(dataset, batch_size=4, shuffle=True, rng=rng)
    batches = list(loader)
    assert len(batches) == len(loader) == 3
    assert [len(call) for call in dataset.calls] == [8, 2]
    assert all(call.ndim == 1 and call.dtype.kind == "i" for call in dataset.calls)
    order = np.concatenate(dataset.calls)
    assert sorted(order) == list(range(10))
    for k, (xb, yb) in enumerate(batches):  # each batch is the rows of its slice of the permutation
        np.testing.assert_array_equal(xb, x[order[4 * k : 4 * k + 4]])
        np.testing.assert_array_equal(yb, y[order[4 * k : 4 * k + 4]])
        assert xb.flags.c_contiguous and not np.shares_memory(xb, x)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
        ({"batch_size": 2.0}, ValueError, "batch_size must be an integer >= 1"),
        ({"shuffle": "yes"}, ValueError, "shuffle and drop_last"),
        ({"rng": 42}, TypeError, "numpy.random.Generator"),
    ],
)
def test_loader_validates(kwargs, error, message):
    with pytest.raises(error, match=message):
        nn.DataLoader(nn.ArrayDataset(*make_data()), **kwargs)


# --- the tutorial's sampler mistakes -----------------------------------------------------------
class _ShuffleOnceLoader(nn.DataLoader):
    """Planted mistake: the tutorial's sampler shuffled once, at construction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fixed = self.rng.permutation(len(self.dataset))

    def __iter__(self):
        n, b = len(self._fixed), self.batch_size
        stop = n - n % b if self.drop_last else n
        for start in range(0, stop, b):
            yield self.dataset[self._fixed[start : start + b]]


def check_new_order_every_epoch(loader_class) -> None:
    x, y = make_data(20)
    loader = loader_class(nn.ArrayDataset(x, y), batch_size=4, shuffle=True, rng=np.random.default_rng(1))
    orders = [tuple(np.concatenate([yb[:, 0] for _, yb in loader])) for _ in range(5)]
    assert len(set(orders)) == 5, "every epoch has the same batch order"


def check_dropped_samples_change(loader_class) -> None:
    x, y = make_data(10)  # batch 4, drop_last: 2 samples dropped per epoch
    loader = loader_class(
        nn.ArrayDataset(x, y), batch_size=4, shuffle=True, drop_last=True, rng=np.random.default_rng(2)
    )
    dropped = set()
    for _ in range(20):
        kept = set(np.concatenate([yb[:, 0] for _, yb in loader]).tolist())
        assert len(kept) == 8
        dropped |= set(y[:, 0].tolist()) - kept
    assert len(dropped) > 2, "the same samples are dropped every epoch"


@pytest.mark.parametrize("check", [check_new_order_every_epoch, check_dropped_samples_change])
def test_loader_passes_sampler_checks(check):
    check(nn.DataLoader)


@pytest.mark.parametrize("check", [check_new_order_every_epoch, check_dropped_samples_change])
def test_sampler_checks_catch_shuffle_once(check):
    with pytest.raises(AssertionError, match="same"):
        check(_ShuffleOnceLoader)


def check_subset_without_replacement(draw) -> None:
    for seed in range(5):
        index = draw(200, 100, np.random.default_rng(seed))
        assert index.shape == (100,)
        assert index.min() >= 0 and index.max() < 200
        assert len(np.unique(index)) == 100, "subset drawn with replacement"


def test_random_subset_is_without_replacement():
    check_subset_without_replacement(nn.random_subset)


def test_subset_check_catches_drawing_with_replacement():
    with pytest.raises(AssertionError, match="with replacement"):
        check_subset_without_replacement(lambda n, size, rng: rng.integers(0, n, size))


def test_random_subset_edges(rng):
    np.testing.assert_array_equal(np.sort(nn.random_subset(7, 7, rng)), np.arange(7))
    assert nn.random_subset(7, 0, rng).shape == (0,)
    with pytest.raises(ValueError, match="cannot draw 8 samples without replacement from 7"):
        nn.random_subset(7, 8, rng)
    with pytest.raises(TypeError, match="Generator"):
        nn.random_subset(7, 3, None)


# --- train_val_split ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "fraction", "n_val"), [(100, 0.2, 20), (10, 0.25, 2), (10, 0.01, 1), (10, 0.0, 0)]
)
def test_split_is_a_disjoint_cover(rng, n, fraction, n_val):
    train, val = nn.train_val_split(n, fraction, rng)
    assert len(val) == n_val and len(train) == n - n_val
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(n))


def test_split_takes_arrays_and_is_seeded():
    x, y = make_data(30)
    a = nn.train_val_split((x, y), 0.3, np.random.default_rng(3))
    b = nn.train_val_split(x, 0.3, np.random.default_rng(3))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(np.sort(a[1]), np.arange(9)), "validation set must be random, not the head"


@pytest.mark.parametrize(
    ("n", "fraction", "message"),
    [
        (10, 1.0, r"in \[0, 1\)"),
        (10, -0.1, r"in \[0, 1\)"),
        (1, 0.5, "leaves no training samples"),
        (10, "0.2", "must be a number"),
    ],
)
def test_split_validates(rng, n, fraction, message):
    with pytest.raises(ValueError, match=message):
        nn.train_val_split(n, fraction, rng)


def test_batches_are_gathered_in_chunks_of_bounded_size(rng, monkeypatch):
    from lddl_cli.nn import data

    monkeypatch.setattr(data, "GATHER_ROWS", 8)
    x, y = make_data(23)
    dataset = _CountingDataset(x, y)
    loader = nn.DataLoader(dataset, batch_size=3, shuffle=True, rng=rng)
    batches = list(loader)
    assert [len(call) for call in dataset.calls] == [6, 6, 6, 3, 2]
    order = np.concatenate(dataset.calls)
    assert [len(xb) for xb, _ in batches] == [3] * 7 + [2]
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y[order])

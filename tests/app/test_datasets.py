"""The sine data set: shapes, formula, noise bounds, seeding, files."""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli.errors import UsageError
from lddl_cli.files.datasets import sine, write_sine


@pytest.mark.parametrize("n", [1, 2, 200, 500])
def test_shapes_and_grid(n):
    x, y = sine(n, 0.0)
    assert x.shape == (n, 1) and y.shape == (n, 1)
    if n > 1:
        assert x[0, 0] == -np.pi and x[-1, 0] == np.pi
        np.testing.assert_allclose(np.diff(x[:, 0]), 2 * np.pi / (n - 1))
    np.testing.assert_array_equal(y, 2 * np.sin(x))


@pytest.mark.parametrize("noise", [0.05, 0.5])
def test_noise_is_uniform_within_bounds(noise):
    x, y = sine(2000, noise, seed=1)
    residual = y - 2 * np.sin(x)
    assert residual.min() >= -noise and residual.max() < noise
    # U[-a, a) has mean 0 and std a / sqrt(3)
    assert abs(residual.mean()) < 0.1 * noise
    assert residual.std() == pytest.approx(noise / np.sqrt(3), rel=0.1)


def test_seed_decides_the_noise():
    assert np.array_equal(sine(50, 0.1, seed=4)[1], sine(50, 0.1, seed=4)[1])
    assert not np.array_equal(sine(50, 0.1, seed=4)[1], sine(50, 0.1, seed=5)[1])


@pytest.mark.parametrize(("n", "noise"), [(0, 0.1), (-3, 0.1), (10, -0.1), (10, float("nan")), (2.5, 0.1)])
def test_invalid_arguments(n, noise):
    with pytest.raises(UsageError):
        sine(n, noise)


@pytest.mark.parametrize(("grid", "names"), [(False, ("x.npy", "y.npy")), (True, ("val_x.npy", "val_y.npy"))])
def test_write_sine(tmp_path, grid, names):
    paths = write_sine(tmp_path / "new" / "data", 30, 0.0 if grid else 0.05, grid=grid, seed=2)
    assert [p.name for p in paths] == list(names)
    x, y = (np.load(p, allow_pickle=False) for p in paths)
    expected = sine(30, 0.0 if grid else 0.05, seed=2)
    assert np.array_equal(x, expected[0]) and np.array_equal(y, expected[1])
    assert not list((tmp_path / "new" / "data").glob(".*tmp"))  # no temporary files left behind

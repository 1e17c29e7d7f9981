"""The checkers the training robustness tests rely on, each fed a planted mistake."""

from __future__ import annotations

import numpy as np
import pytest
from training_helpers import arrays, differing_keys, non_finite_keys


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_keys_finds_a_planted_value(rng, tmp_path, bad):
    weights = {"0.weight": rng.standard_normal((4, 3)).astype(np.float32), "0.bias": np.zeros(4)}
    assert non_finite_keys(weights) == []
    weights["0.bias"][2] = bad
    np.savez(tmp_path / "planted.npz", **weights)  # save_state would refuse it: plain savez plants it
    assert non_finite_keys(arrays(tmp_path / "planted.npz")) == ["0.bias"]


def test_non_finite_keys_ignores_integer_arrays():
    assert non_finite_keys({"steps": np.array([3, 4]), "w": np.ones(2)}) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_differing_keys_catches_one_ulp(rng, dtype):
    a = {"w": rng.standard_normal((5, 5)).astype(dtype), "b": rng.standard_normal(5).astype(dtype)}
    b = {k: v.copy() for k, v in a.items()}
    assert differing_keys(a, b) == []
    b["w"][3, 1] = np.nextafter(b["w"][3, 1], dtype(np.inf))  # the smallest possible change
    assert differing_keys(a, b) == ["w"]


def test_differing_keys_catches_dtype_shape_and_missing_keys():
    a = {"w": np.zeros((2, 3), np.float32), "b": np.zeros(3, np.float32), "c": np.zeros(1)}
    b = {"w": np.zeros((3, 2), np.float32), "b": np.zeros(3, np.float64), "d": np.zeros(1)}
    assert differing_keys(a, b) == ["b", "c", "d", "w"]

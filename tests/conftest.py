"""Shared fixtures: a seeded generator, and access to PyTorch for the live reference tests."""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261127)


@pytest.fixture(scope="session")
def torch():
    """The torch module for live comparisons. Skips when torch is absent, unless
    LDDL_REQUIRE_TORCH=1 (set by `make test-torch` and CI), where absence is a failure."""
    try:
        module = importlib.import_module("torch")
    except ImportError:
        if os.environ.get("LDDL_REQUIRE_TORCH") == "1":
            pytest.fail("LDDL_REQUIRE_TORCH=1 but torch is not importable")
        pytest.skip("torch is not installed (run `make test-torch` for the live comparison)")
    module.set_default_dtype(module.float64)
    return module


def pytest_collection_modifyitems(config, items):
    """Mark every test that uses the `torch` fixture, so `make test-torch` can run just those."""
    for item in items:
        if "torch" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.torch)

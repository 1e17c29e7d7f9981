"""Checkpoint encoding: JSON without NaN/Infinity, and naming what changed between two configs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lddl_cli.config.fingerprint import changed_keys
from lddl_cli.files.checkpoint import decode, encode


@pytest.mark.parametrize(
    "value",
    [
        {"best": math.inf, "worst": -math.inf, "last": 0.5},
        {"_last_lr": [0.01, 0.001], "milestones": {"3": 1, "7": 2}},
        [1, 2.5, None, True, "min"],
        np.random.default_rng(5).bit_generator.state,
    ],
)
def test_encode_is_strict_json_and_decodes_back(value):
    text = json.dumps(encode(value), allow_nan=False)  # raises on NaN/Infinity
    assert decode(json.loads(text)) == value


def test_encode_tags_nan_and_converts_numpy_scalars():
    encoded = encode(
        {"a": float("nan"), "b": np.float32(1.5), "c": np.int64(3), "d": np.array(2.0), "e": (1, 2)}
    )
    assert encoded == {"a": {"__float__": "nan"}, "b": 1.5, "c": 3, "d": 2.0, "e": [1, 2]}
    assert math.isnan(decode(encoded)["a"])


def test_changed_keys_names_nested_differences_and_ignores_epochs():
    saved = {
        "seed": 1,
        "train": {"epochs": 5, "checkpoint_every": 0, "batch_size": 4},
        "optimizer": {"lr": 0.1},
    }
    current = {"seed": 1, "train": {"batch_size": 8}, "optimizer": {"lr": 0.2, "momentum": 0.9}}
    assert changed_keys(saved, current) == ["optimizer.lr", "optimizer.momentum", "train.batch_size"]
    assert changed_keys(saved, {"seed": 1, "train": {"batch_size": 4}, "optimizer": {"lr": 0.1}}) == []

"""The layer, loss and initializer tables: names, aliases, and errors that suggest the closest name."""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import init
from lddl_cli.nn.registry import INITIALIZERS, LAYERS, LOSSES, UnknownNameError

EXPECTED = {
    "layer": (
        LAYERS,
        "linear relu leaky_relu sigmoid tanh gelu elu silu softplus identity dropout batch_norm1d layer_norm",
    ),
    "loss": (LOSSES, "mse l1 huber cross_entropy bce_with_logits"),
    "initializer": (
        INITIALIZERS,
        "default constant zeros ones normal uniform xavier_uniform xavier_normal "
        "kaiming_uniform kaiming_normal orthogonal",
    ),
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_tables_hold_the_spec_names(kind):
    table, names = EXPECTED[kind]
    assert table.names() == names.split()


def test_entries_and_aliases():
    assert LAYERS["batch_norm1d"] is nn.BatchNorm1d and LAYERS["batchnorm1d"] is nn.BatchNorm1d
    assert LOSSES["mae"] is nn.L1Loss and LOSSES["l1"] is nn.L1Loss
    assert INITIALIZERS["default"] is init.linear_default
    assert LAYERS["".join(["lin", "ear"])] is nn.Linear  # a name built at runtime


@pytest.mark.parametrize(
    ("table", "typo", "suggestion"),
    [
        (LAYERS, "lineer", "linear"),
        (LAYERS, "leakyrelu", "leaky_relu"),
        (LAYERS, "batchnorm", "batch_norm1d"),
        (LOSSES, "cross_entropy_loss", "cross_entropy"),
        (INITIALIZERS, "kaiming_unifrom", "kaiming_uniform"),
    ],
)
def test_unknown_name_lists_valid_names_and_suggests_the_closest(table, typo, suggestion):
    with pytest.raises(UnknownNameError) as caught:
        table[typo]
    text = str(caught.value)
    assert f"did you mean {suggestion!r}" in text
    assert all(name in text for name in table.names())


def test_no_substring_dispatch():
    """'elu' is not 'gelu' or 'selu': lookups are exact (numpy-ml's `if "elu" in name` bug)."""
    assert LAYERS["elu"] is nn.ELU and LAYERS["gelu"] is nn.GELU
    for name in ("selu", "ELU", " relu", "relu6"):
        with pytest.raises(UnknownNameError):
            LAYERS[name]


def test_every_registered_layer_builds_and_runs(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    needs = {"linear": {"in_features": 3, "out_features": 3}, "batch_norm1d": {"num_features": 3}}
    needs["layer_norm"] = {"normalized_shape": 3}
    for name in LAYERS:
        layer = LAYERS[name](**needs.get(name, {}))
        assert layer(x).shape == (4, 3), name

"""Initializers: shapes, dtypes, bounds, standard deviations against their formulas, orthogonality,
reproducibility from the generator, and hyperparameter validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import init
from lddl_cli.nn.registry import INITIALIZERS

SHAPE = (1000, 1000)  # fan_in = fan_out = 1000
FAN = 1000


def _uniform_std(bound: float) -> float:
    return bound / math.sqrt(3)


# name -> (hyperparameters, expected std, uniform bound or None, expected mean)
DISTRIBUTIONS = {
    "default": ({}, _uniform_std(1 / math.sqrt(FAN)), 1 / math.sqrt(FAN), 0.0),
    "normal": ({"mean": 0.5, "std": 0.02}, 0.02, None, 0.5),
    "uniform": ({"a": -0.3, "b": 0.1}, 0.4 / math.sqrt(12), None, -0.1),
    "xavier_uniform": (
        {"gain": 2.0},
        _uniform_std(2.0 * math.sqrt(6 / (2 * FAN))),
        2.0 * math.sqrt(6 / (2 * FAN)),
        0,
    ),
    "xavier_normal": ({"gain": 0.5}, 0.5 * math.sqrt(2 / (2 * FAN)), None, 0.0),
    "kaiming_uniform": (
        {"nonlinearity": "relu"},
        math.sqrt(2) / math.sqrt(FAN),
        math.sqrt(3) * math.sqrt(2) / math.sqrt(FAN),
        0.0,
    ),
    "kaiming_normal": ({"a": 0.2, "mode": "fan_out"}, math.sqrt(2 / 1.04) / math.sqrt(FAN), None, 0.0),
    "orthogonal": ({"gain": 3.0}, 3.0 / math.sqrt(FAN), None, 0.0),
}


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_std_of_a_1000_by_1000_draw_is_within_2_percent_of_the_formula(name):
    hyper, std, bound, mean = DISTRIBUTIONS[name]
    values = INITIALIZERS[name](SHAPE, np.random.default_rng(11), dtype=np.float64, **hyper)
    assert values.shape == SHAPE and values.dtype == np.float64
    assert abs(values.std() - std) <= 0.02 * std, f"{name}: std {values.std()} vs {std}"
    assert abs(values.mean() - mean) <= 0.01 * std + 1e-3 * abs(mean)
    if bound is not None:
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.99 * bound


def test_uniform_bounds():
    values = init.uniform((200, 300), np.random.default_rng(0), a=2.0, b=3.0)
    assert values.min() >= 2.0 and values.max() < 3.0


def test_default_bias_uses_the_weight_fan_in():
    bias = init.linear_default((50_000,), np.random.default_rng(0), fan_in=4)
    assert np.abs(bias).max() <= 0.5 and np.abs(bias).max() > 0.49


@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (40, 40), (6, 3, 4)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    w = init.orthogonal(shape, np.random.default_rng(5), dtype=np.float64, gain=2.0)
    assert w.shape == shape
    flat = w.reshape(shape[0], -1)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-12)


@pytest.mark.parametrize("name", INITIALIZERS.names())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_seed_same_values_different_seed_different_values(name, dtype):
    def draw(seed):
        return INITIALIZERS[name]((7, 5), np.random.default_rng(seed), dtype=dtype)

    first = draw(1)
    assert first.shape == (7, 5) and first.dtype == dtype
    np.testing.assert_array_equal(first, draw(1))
    if name not in ("constant", "zeros", "ones"):
        assert not np.array_equal(first, draw(2))


def test_float32_and_float64_draws_agree_up_to_rounding():
    a = init.kaiming_normal((20, 30), np.random.default_rng(3), dtype=np.float32)
    b = init.kaiming_normal((20, 30), np.random.default_rng(3), dtype=np.float64)
    np.testing.assert_allclose(a, b, rtol=1e-7)


def test_constant_zeros_ones():
    rng = np.random.default_rng(0)
    assert np.all(init.constant((2, 3), rng, value=0.25) == 0.25)
    assert np.all(init.zeros((2, 3), rng) == 0) and np.all(init.ones((4,), rng) == 1)


@pytest.mark.parametrize(
    ("nonlinearity", "param", "expected"),
    [
        ("linear", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("selu", None, 0.75),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
    ],
)
def test_calculate_gain_matches_torch_formulas(nonlinearity, param, expected):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_matches_torch_live(torch):
    for nonlinearity in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"):
        assert init.calculate_gain(nonlinearity) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity))
    assert init.calculate_gain("leaky_relu", 0.3) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.3)
    )


def test_kaiming_uniform_with_a_sqrt5_is_the_linear_default():
    a = init.kaiming_uniform((8, 20), np.random.default_rng(9), a=math.sqrt(5), dtype=np.float64)
    b = init.linear_default((8, 20), np.random.default_rng(9), dtype=np.float64)
    np.testing.assert_allclose(a, b, rtol=1e-14)


@pytest.mark.parametrize(
    ("name", "shape", "hyper"),
    [
        ("normal", (3, 3), {"std": -1.0}),
        ("normal", (3, 3), {"mean": float("nan")}),
        ("uniform", (3, 3), {"a": 1.0, "b": 0.0}),
        ("xavier_uniform", (3, 3), {"gain": -1.0}),
        ("xavier_normal", (3,), {}),
        ("kaiming_uniform", (3, 3), {"mode": "fan_avg"}),
        ("kaiming_normal", (3, 3), {"nonlinearity": "relu6"}),
        ("kaiming_normal", (3, 3), {"a": "0.1"}),
        ("orthogonal", (3,), {}),
        ("constant", (3, 3), {"value": "x"}),
        ("zeros", (3, -1), {}),
    ],
)
def test_invalid_hyperparameters_raise_value_error(name, shape, hyper):
    with pytest.raises(ValueError):
        INITIALIZERS[name](shape, np.random.default_rng(0), **hyper)


def test_only_float32_and_float64():
    with pytest.raises(TypeError):
        init.normal((2, 2), np.random.default_rng(0), dtype=np.float16)


def test_linear_takes_an_initializer_of_the_documented_signature(rng):
    """``weight_init`` / ``bias_init`` are callables ``(shape, rng, dtype) -> ndarray``."""
    calls = []

    def halves(shape, generator, dtype):
        calls.append((shape, generator, np.dtype(dtype)))
        return np.full(shape, 0.5, dtype=dtype)

    layer = nn.Linear(3, 2, dtype=np.float64, rng=rng, weight_init=halves, bias_init=halves)
    assert calls == [((2, 3), rng, np.dtype(np.float64)), ((2,), rng, np.dtype(np.float64))]
    np.testing.assert_array_equal(layer.weight.data, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(layer.bias.data, np.full(2, 0.5))


def test_a_fan_based_bias_initializer_gets_the_layers_fan_in():
    """An nn.init function also takes ``fan_in``: for the 1-D bias it is the layer's in_features."""
    layer = nn.Linear(400, 300, bias_init=init.kaiming_uniform, rng=np.random.default_rng(0))
    bound = math.sqrt(3.0) * init.calculate_gain("leaky_relu", 0.0) / math.sqrt(400)
    assert np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.bias.data).max() > 0.9 * bound  # the bound of fan_in 400, not of another fan

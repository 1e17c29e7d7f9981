"""Layer behaviour beyond the numbers: inputs never written, dtype policy, Dropout masks,
BatchNorm modes and buffers, hyperparameter validation, repr, numerical stability."""

from __future__ import annotations

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn import functional as F


def _activations():
    return {
        "relu": nn.ReLU(),
        "leaky_relu": nn.LeakyReLU(0.1),
        "sigmoid": nn.Sigmoid(),
        "tanh": nn.Tanh(),
        "gelu": nn.GELU(),
        "gelu_tanh": nn.GELU(approximate="tanh"),
        "elu": nn.ELU(),
        "silu": nn.SiLU(),
        "softplus": nn.Softplus(),
        "identity": nn.Identity(),
        "dropout_train": nn.Dropout(0.5, rng=np.random.default_rng(0)),
        "dropout_eval": nn.Dropout(0.5).eval(),
    }


ACTIVATIONS = list(_activations())


def _all_layers(dtype):
    layers = _activations()
    layers["linear"] = nn.Linear(4, 3, dtype=dtype, rng=np.random.default_rng(1))
    layers["batch_norm1d_train"] = nn.BatchNorm1d(4, dtype=dtype)
    layers["batch_norm1d_eval"] = nn.BatchNorm1d(4, dtype=dtype).eval()
    layers["layer_norm"] = nn.LayerNorm(4, dtype=dtype)
    return layers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(_all_layers(np.float32)))
def test_forward_and_backward_never_write_into_their_inputs(name, dtype, rng):
    """The tutorial's mistake 5: ReLU wrote into its input. No layer may."""
    layer = _all_layers(dtype)[name]
    x = rng.standard_normal((5, 4)).astype(dtype)
    x_before = x.copy()
    y = layer(x)
    y_before = y.copy()
    grad = rng.standard_normal(y.shape).astype(dtype)
    grad_before = grad.copy()
    dx = layer.backward(grad)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(grad, grad_before)
    assert not np.shares_memory(y, x) and not np.shares_memory(dx, grad)
    np.testing.assert_array_equal(y, y_before)  # backward does not modify the returned output either
    assert y.dtype == dtype and dx.dtype == dtype, f"{name}: {y.dtype}, {dx.dtype}"


def test_relu_of_a_negative_array_leaves_it_negative():
    x = np.array([-1.0, 2.0, -3.0])
    nn.ReLU()(x)
    assert x.tolist() == [-1.0, 2.0, -3.0]


@pytest.mark.parametrize(
    "layer",
    [
        nn.Linear(4, 2, dtype=np.float32),
        nn.BatchNorm1d(4, dtype=np.float32),
        nn.LayerNorm(4, dtype=np.float32),
        nn.Linear(4, 2, dtype=np.float64),
        nn.BatchNorm1d(4, dtype=np.float64),
        nn.LayerNorm(4, dtype=np.float64),
    ],
    ids=lambda layer: f"{type(layer).__name__}-{layer.parameters()[0].dtype}",
)
def test_a_layer_with_parameters_refuses_the_other_float_dtype(layer, rng):
    """The tutorial's mistake 7: float64 and float32 mixed silently."""
    other = np.float64 if layer.parameters()[0].dtype == np.float32 else np.float32
    with pytest.raises(TypeError, match="expects"):
        layer(rng.standard_normal((3, 4)).astype(other))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_keep_float32(name, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    layer = _activations()[name]
    y = layer(x)
    assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32


@pytest.mark.parametrize("name", ["sigmoid", "silu", "softplus", "gelu", "gelu_tanh", "elu", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_are_finite_for_huge_inputs(name, dtype):
    x = np.array([-1e3, -50.0, -1.0, 0.0, 1.0, 50.0, 1e3], dtype=dtype)
    layer = _activations()[name]
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is expected
        y = layer(x)
        dx = layer.backward(np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


def test_sigmoid_and_softplus_limits():
    x = np.array([-1e3, 1e3])
    np.testing.assert_array_equal(nn.Sigmoid()(x), [0.0, 1.0])
    np.testing.assert_array_equal(nn.Softplus()(x), [0.0, 1e3])
    np.testing.assert_array_equal(nn.SiLU()(x), [-0.0, 1e3])


def test_erf_is_accurate_to_float64_rounding(rng):
    import math

    x = np.concatenate([rng.normal(0, 3, 5000), np.linspace(-7, 7, 2001), [0.46875, 4.0, -4.0, 30.0, -30.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(F.erf(x), expected, rtol=1e-15, atol=1e-16)
    assert F.erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(F.erf(np.array([np.nan])))[0]


# --- Dropout -------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_mask_is_consistent_between_forward_and_backward(p, rng):
    layer = nn.Dropout(p, rng=np.random.default_rng(7))
    x = rng.uniform(1, 2, (200, 50))
    y = layer(x)
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15)
    grad = rng.uniform(1, 2, x.shape)
    dx = layer.backward(grad)
    np.testing.assert_array_equal(dx != 0, kept)
    np.testing.assert_allclose(dx[kept], grad[kept] / (1 - p), rtol=1e-15)
    # 10 000 Bernoulli draws: the kept fraction is within 5 standard deviations of 1 - p.
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / kept.size)


def test_dropout_is_identity_in_eval_and_for_p_zero_and_zero_for_p_one(rng):
    x = rng.standard_normal((4, 3))
    np.testing.assert_array_equal(nn.Dropout(0.5).eval()(x), x)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x), x)
    layer = nn.Dropout(1.0)
    np.testing.assert_array_equal(layer(x), np.zeros_like(x))
    np.testing.assert_array_equal(layer.backward(x), np.zeros_like(x))


def test_dropout_masks_follow_the_generator_and_change_between_calls(rng):
    x = np.ones((20, 20))
    a, b = nn.Dropout(0.5, rng=np.random.default_rng(3)), nn.Dropout(0.5, rng=np.random.default_rng(3))
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x))


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None, float("nan")])
def test_dropout_validates_p(p):
    with pytest.raises(ValueError, match="p"):
        nn.Dropout(p)


# --- BatchNorm1d and LayerNorm -------------------------------------------------------------------


def test_batch_norm_buffers_and_state_dict_names():
    layer = nn.BatchNorm1d(3, dtype=np.float64)
    state = layer.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"].shape == ()
    assert list(nn.BatchNorm1d(3, affine=False, track_running_stats=False).state_dict()) == []


def test_batch_norm_updates_running_stats_in_train_only(rng):
    layer = nn.BatchNorm1d(3, momentum=0.1, dtype=np.float64)
    x = rng.standard_normal((8, 3)) * 3 + 1
    layer(x)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-14)
    assert int(layer.num_batches_tracked) == 1
    before = layer.state_dict()
    layer.eval()
    y = layer(x)
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-13)


def test_batch_norm_buffers_are_updated_in_place(rng):
    layer = nn.BatchNorm1d(2, dtype=np.float64)
    running_mean = layer.running_mean
    layer(rng.standard_normal((4, 2)))
    assert layer.running_mean is running_mean and layer._buffers["running_mean"] is running_mean


def test_batch_norm_refuses_one_value_per_feature_in_training(rng):
    layer = nn.BatchNorm1d(3, dtype=np.float64)
    with pytest.raises(ValueError, match="more than 1 value"):
        layer(rng.standard_normal((1, 3)))
    layer.eval()
    assert layer(rng.standard_normal((1, 3))).shape == (1, 3)
    without_stats = nn.BatchNorm1d(3, track_running_stats=False, dtype=np.float64).eval()
    with pytest.raises(ValueError, match="more than 1 value"):  # batch statistics even in eval, as torch
        without_stats(rng.standard_normal((1, 3)))


def test_normalization_layers_check_the_feature_shape(rng):
    with pytest.raises(ValueError, match="BatchNorm1d"):
        nn.BatchNorm1d(3, dtype=np.float64)(rng.standard_normal((4, 5)))
    with pytest.raises(ValueError, match="LayerNorm"):
        nn.LayerNorm(3, dtype=np.float64)(rng.standard_normal((4, 5)))


def test_layer_norm_normalizes_each_row_in_train_and_eval(rng):
    layer = nn.LayerNorm(6, dtype=np.float64)
    x = rng.standard_normal((4, 6)) * 5 + 3
    for mode in (True, False):
        y = layer.train(mode)(x)
        np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
        np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-5)


@pytest.mark.parametrize(
    "build",
    [
        lambda: nn.LeakyReLU("0.1"),
        lambda: nn.ELU(alpha=None),
        lambda: nn.Softplus(beta=0),
        lambda: nn.GELU(approximate="erf"),
        lambda: nn.BatchNorm1d(0),
        lambda: nn.BatchNorm1d(3, momentum=1.5),
        lambda: nn.BatchNorm1d(3, eps=-1),
        lambda: nn.LayerNorm(()),
        lambda: nn.LayerNorm((3, 0)),
        lambda: nn.Linear(0, 3),
    ],
)
def test_invalid_hyperparameters_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


def test_repr_shows_hyperparameters_like_torch():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.Dropout(p=0.1)) == "Dropout(p=0.1)"
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.BatchNorm1d(16)) == (
        "BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)"
    assert repr(nn.Sigmoid()) == "Sigmoid()"
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    assert "(1): Tanh()" in repr(model)


def test_backward_before_forward_is_a_clear_error():
    for layer in (nn.ReLU(), nn.GELU(), nn.Sigmoid(), nn.BatchNorm1d(2), nn.LayerNorm(2)):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((2, 2), dtype=np.float32))


def test_sequential_train_eval_reaches_every_layer(rng):
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.ReLU())
    model.eval()
    assert not any(layer.training for layer in model)
    model.train()
    assert all(layer.training for layer in model)

"""Every layer and loss against float64 central differences, over 20 seeded random shapes each;
and the checker itself, fed planted mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import GradientMismatch, avoid_kinks, check_layer, check_loss, compare, numeric_gradient

from lddl_cli import nn

SHAPES_PER_CASE = 20
F64 = np.float64


def _random_running_stats(layer: nn.BatchNorm1d, rng: np.random.Generator) -> nn.BatchNorm1d:
    layer.running_mean[...] = rng.standard_normal(layer.num_features)
    layer.running_var[...] = rng.uniform(0.5, 2.0, layer.num_features)
    return layer


def _affine(layer, rng: np.random.Generator):
    """Non-trivial gamma and beta, so that their gradients are tested away from ones/zeros."""
    for p in layer.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    return layer


# name -> (build(features, rng) -> layer, input shape(batch, features, rng), kinks, train mode)
def _rows(batch, features, rng):
    return (batch, features)


def _seq(batch, features, rng):
    return (batch, features, int(rng.integers(1, 4)))


def _ln2(batch, features, rng):
    return (batch, int(rng.integers(1, 4)), features)


LAYER_CASES = {
    "linear": (lambda f, rng: nn.Linear(f, int(rng.integers(1, 5)), dtype=F64, rng=rng), _rows, None, True),
    "linear_no_bias": (lambda f, rng: nn.Linear(f, 3, bias=False, dtype=F64, rng=rng), _rows, None, True),
    "relu": (lambda f, rng: nn.ReLU(), _rows, (0.0,), True),
    "leaky_relu": (lambda f, rng: nn.LeakyReLU(), _rows, (0.0,), True),
    "leaky_relu_0.2": (lambda f, rng: nn.LeakyReLU(0.2), _rows, (0.0,), True),
    "sigmoid": (lambda f, rng: nn.Sigmoid(), _rows, None, True),
    "tanh": (lambda f, rng: nn.Tanh(), _rows, None, True),
    "gelu": (lambda f, rng: nn.GELU(), _rows, None, True),
    "gelu_tanh": (lambda f, rng: nn.GELU(approximate="tanh"), _rows, None, True),
    "elu": (lambda f, rng: nn.ELU(), _rows, (0.0,), True),
    "elu_0.5": (lambda f, rng: nn.ELU(alpha=0.5), _rows, (0.0,), True),
    "silu": (lambda f, rng: nn.SiLU(), _rows, None, True),
    "softplus": (lambda f, rng: nn.Softplus(), _rows, None, True),
    "softplus_beta2_threshold1": (lambda f, rng: nn.Softplus(beta=2.0, threshold=1.0), _rows, (0.5,), True),
    "identity": (lambda f, rng: nn.Identity(), _rows, None, True),
    "dropout_eval": (lambda f, rng: nn.Dropout(0.3), _rows, None, False),
    "batch_norm1d_train": (lambda f, rng: _affine(nn.BatchNorm1d(f, dtype=F64), rng), _rows, None, True),
    "batch_norm1d_train_3d": (lambda f, rng: _affine(nn.BatchNorm1d(f, dtype=F64), rng), _seq, None, True),
    "batch_norm1d_train_no_affine": (
        lambda f, rng: nn.BatchNorm1d(f, affine=False, dtype=F64),
        _rows,
        None,
        True,
    ),
    "batch_norm1d_eval": (
        lambda f, rng: _random_running_stats(_affine(nn.BatchNorm1d(f, dtype=F64), rng), rng),
        _rows,
        None,
        False,
    ),
    "batch_norm1d_eval_no_stats": (
        lambda f, rng: nn.BatchNorm1d(f, track_running_stats=False, dtype=F64),
        _rows,
        None,
        False,
    ),
    "layer_norm": (lambda f, rng: _affine(nn.LayerNorm(f, dtype=F64), rng), _rows, None, True),
    "layer_norm_2d": (lambda f, rng: _affine(nn.LayerNorm((2, f), dtype=F64), rng), None, None, True),
    "layer_norm_no_affine": (
        lambda f, rng: nn.LayerNorm(f, elementwise_affine=False, dtype=F64),
        _rows,
        None,
        True,
    ),
}


def _layer_input(name: str, rng: np.random.Generator) -> tuple[object, np.ndarray]:
    build, shape_of, kinks, training = LAYER_CASES[name]
    # 3+ rows and features: normalizing 2 values maps them to +-1, so dL/dx is ~0 (rounding noise).
    batch, features = int(rng.integers(3, 8)), int(rng.integers(3, 7))
    layer = build(features, rng)
    shape = (batch, 2, features) if shape_of is None else shape_of(batch, features, rng)
    x = rng.standard_normal(shape) * 2
    if kinks is not None:
        x = avoid_kinks(x, kinks)
    layer.train(training)
    return layer, x


@pytest.mark.parametrize("index", range(SHAPES_PER_CASE))
@pytest.mark.parametrize("name", LAYER_CASES)
def test_layer_gradients_match_central_differences(name, index):
    rng = np.random.default_rng((20261127, index))
    layer, x = _layer_input(name, rng)
    errors = check_layer(layer, x, rng)
    assert set(errors) == {"dL/dx"} | {f"dL/d{n}" for n, _ in layer.named_parameters()}


@pytest.mark.parametrize("index", range(SHAPES_PER_CASE))
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_dropout_train_gradient_with_a_fixed_mask(p, index):
    rng = np.random.default_rng((20261127, index))
    layer = nn.Dropout(p)
    x = rng.standard_normal((int(rng.integers(2, 7)), int(rng.integers(1, 6))))

    def same_mask():
        layer.rng = np.random.default_rng(index)

    check_layer(layer, x, rng, before_forward=same_mask)


def _loss_inputs(name: str, rng: np.random.Generator):
    batch, width = int(rng.integers(1, 7)), int(rng.integers(1, 5))
    if name == "cross_entropy":
        classes = int(rng.integers(2, 6))
        logits = rng.standard_normal((batch, classes)) * 3
        return nn.CrossEntropyLoss, logits, rng.integers(0, classes, batch)
    pred = rng.standard_normal((batch, width)) * 2
    if name == "bce_with_logits":
        return nn.BCEWithLogitsLoss, pred * 2, rng.uniform(0, 1, pred.shape)
    target = rng.standard_normal(pred.shape) * 2
    if name == "l1":
        pred = target + avoid_kinks(pred - target)
        return nn.L1Loss, pred, target
    if name == "huber":
        delta = float(rng.uniform(0.3, 2.0))
        pred = target + avoid_kinks(pred - target, (-delta, delta))
        return (lambda reduction: nn.HuberLoss(reduction, delta=delta)), pred, target
    return nn.MSELoss, pred, target


@pytest.mark.parametrize("index", range(SHAPES_PER_CASE))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse", "l1", "huber", "cross_entropy", "bce_with_logits"])
def test_loss_gradients_match_central_differences(name, reduction, index):
    rng = np.random.default_rng((20261127, index))
    make, pred, target = _loss_inputs(name, rng)
    check_loss(make(reduction=reduction), pred, target)


# --- the checker catches planted mistakes ---------------------------------------------------------


class _PlantedInputError(nn.Module):
    """Wraps a layer and scales the largest entry of dL/dx by 1.01."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def children(self):
        return iter([("inner", self.inner)])

    def forward(self, x):
        return self.inner(x)

    def backward(self, grad):
        grad_x = self.inner.backward(grad).copy()
        grad_x.flat[np.argmax(np.abs(grad_x))] *= 1.01
        return grad_x


class _PlantedWeightError(nn.Linear):
    """A Linear whose weight gradient is 1% off in one entry."""

    def backward(self, grad):
        grad_x = super().backward(grad)
        self.weight.grad.flat[0] *= 1.01
        return grad_x


@pytest.mark.parametrize("inner", ["tanh", "batch_norm1d", "linear"])
def test_checker_catches_a_one_percent_error_in_dx(inner, rng):
    layers = {
        "tanh": nn.Tanh(),
        "batch_norm1d": nn.BatchNorm1d(3, dtype=F64),
        "linear": nn.Linear(3, 2, dtype=F64, rng=rng),
    }
    with pytest.raises(GradientMismatch, match="dL/dx"):
        check_layer(_PlantedInputError(layers[inner]), rng.standard_normal((4, 3)), rng)


def test_checker_catches_a_one_percent_error_in_a_weight_gradient(rng):
    layer = _PlantedWeightError(3, 2, dtype=F64, rng=rng)
    with pytest.raises(GradientMismatch, match="dL/dweight"):
        check_layer(layer, rng.standard_normal((4, 3)), rng)


def test_checker_catches_the_sum_gradient_of_a_mean_loss(rng):
    class SumGradientMSE(nn.MSELoss):  # the tutorial's mistake 3
        def backward(self):
            return 2 * self._diff

    with pytest.raises(GradientMismatch, match="dL/dpred"):
        check_loss(SumGradientMSE(), rng.standard_normal((4, 2)), rng.standard_normal((4, 2)))


def test_compare_flags_a_one_percent_error_and_passes_an_exact_match(rng):
    exact = rng.standard_normal((3, 4))
    assert compare("g", exact, exact.copy()) == []
    planted = exact.copy()
    planted[1, 2] *= 1.01
    problems = compare("g", planted, exact)
    assert problems and "(1, 2)" in problems[0]


def test_numeric_gradient_restores_the_array_and_refuses_float32(rng):
    a = rng.standard_normal((3, 2))
    before = a.copy()
    grad = numeric_gradient(lambda: float(np.sum(a**3)), a)
    np.testing.assert_array_equal(a, before)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8, atol=1e-9)
    with pytest.raises(TypeError):
        numeric_gradient(lambda: 0.0, a.astype(np.float32))


def test_avoid_kinks_moves_points_out_of_the_margin():
    x = np.array([-1e-4, 0.0, 2e-4, 0.5, 0.9995, 1.0004])
    moved = avoid_kinks(x, (0.0, 1.0), margin=1e-3)
    assert np.all(np.abs(moved) >= 1e-3) and np.all(np.abs(moved - 1.0) >= 1e-3 - 1e-15)
    assert moved[3] == 0.5
    assert np.all(np.sign(moved[[0, 2]]) == [-1, 1])

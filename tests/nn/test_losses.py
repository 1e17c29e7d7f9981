"""Losses: reductions named at runtime, the gradient of the mean, dtype and shape checks, stability."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from lddl_cli import nn
from lddl_cli.nn.registry import LOSSES

ELEMENTWISE = {
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "huber": nn.HuberLoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
}


def _inputs(name, rng, dtype=np.float64):
    if name == "cross_entropy":
        return rng.standard_normal((6, 4)).astype(dtype), rng.integers(0, 4, 6)
    pred = rng.standard_normal((6, 3)).astype(dtype)
    target = rng.uniform(0, 1, pred.shape) if name == "bce_with_logits" else rng.standard_normal(pred.shape)
    return pred, target.astype(dtype)


def _runtime_names():
    """Equal to the literals but different objects: read from YAML or built at runtime."""
    return {
        "mean": [yaml.safe_load("mean"), "".join(["me", "an"])],
        "sum": [yaml.safe_load("reduction: sum")["reduction"], "".join(["s", "um"])],
        "none": [yaml.safe_load("[none]")[0], "".join(["no", "ne"])],
    }


@pytest.mark.parametrize("name", LOSSES.names())
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reduction_names_from_yaml_take_the_right_branch(name, reduction, rng):
    """The tutorial's mistake 4: names were compared with `is`."""
    pred, target = _inputs(name, rng)
    literal = LOSSES[name](reduction=reduction)
    expected = literal(pred, target)
    expected_grad = literal.backward()
    for runtime in _runtime_names()[reduction]:
        loss_fn = LOSSES[name](reduction=runtime)
        np.testing.assert_array_equal(loss_fn(pred, target), expected)
        np.testing.assert_array_equal(loss_fn.backward(), expected_grad)
    if reduction == "none":
        assert isinstance(expected, np.ndarray)
    else:
        assert isinstance(expected, float)


@pytest.mark.parametrize("name", LOSSES.names())
def test_mean_gradient_is_the_sum_gradient_divided_by_the_count(name, rng):
    """The tutorial's mistake 3: the 'mean' loss returned the gradient of the sum."""
    pred, target = _inputs(name, rng)
    mean, total = LOSSES[name](reduction="mean"), LOSSES[name](reduction="sum")
    count = pred.shape[0] if name == "cross_entropy" else pred.size
    np.testing.assert_allclose(mean(pred, target), total(pred, target) / count, rtol=1e-14)
    np.testing.assert_allclose(mean.backward(), total.backward() / count, rtol=1e-14)


def test_mse_mean_gradient_by_hand():
    pred, target = np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])
    loss_fn = nn.MSELoss()
    assert loss_fn(pred, target) == 5.0
    np.testing.assert_array_equal(loss_fn.backward(), [[1.0], [3.0]])  # 2 (pred - y) / N


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_mismatched_dtypes_and_shapes_raise(name, rng):
    pred, target = _inputs(name, rng)
    with pytest.raises(TypeError, match="dtype"):
        LOSSES[name]()(pred, target.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        LOSSES[name]()(pred, target[:, :2])


@pytest.mark.parametrize("name", LOSSES.names())
def test_float32_stays_float32(name, rng):
    pred, target = _inputs(name, rng, np.float32)
    loss_fn = LOSSES[name](reduction="none")
    assert loss_fn(pred, target).dtype == np.float32 and loss_fn.backward().dtype == np.float32


@pytest.mark.parametrize("reduction", ["average", "MEAN", None, ""])
def test_unknown_reduction_is_refused(reduction):
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction=reduction)


@pytest.mark.parametrize("delta", [0, -1.0, float("inf"), "1", True])
def test_huber_validates_delta(delta):
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=delta)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [5.0, 5.0, 5.0]])
    labels = np.array([0, 0, 2])
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        losses = loss_fn(logits, labels)
        grad = loss_fn.backward()
    np.testing.assert_allclose(losses, [0.0, 2e4, np.log(3)], rtol=1e-15)
    np.testing.assert_allclose(grad[1], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-15)


def test_bce_with_logits_is_stable_for_huge_logits():
    logits = np.array([1e3, -1e3, 1e3, -1e3])
    target = np.array([1.0, 0.0, 0.0, 1.0])
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(loss_fn(logits, target), [0.0, 0.0, 1e3, 1e3])
        np.testing.assert_allclose(loss_fn.backward(), [0.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize(
    ("logits", "labels", "error"),
    [
        (np.zeros((3, 2)), np.array([0, 1, 2]), ValueError),
        (np.zeros((3, 2)), np.array([0, -1, 1]), ValueError),
        (np.zeros((3, 2)), np.array([0.0, 1.0, 1.0]), TypeError),
        (np.zeros((3, 2)), np.array([0, 1]), ValueError),
        (np.zeros(3), np.array([0, 1, 1]), ValueError),
        (np.zeros((3, 2), dtype=np.int64), np.array([0, 1, 1]), TypeError),
    ],
)
def test_cross_entropy_validates_labels(logits, labels, error):
    with pytest.raises(error, match="CrossEntropyLoss"):
        nn.CrossEntropyLoss()(logits, labels)


def test_losses_do_not_write_into_their_inputs(rng):
    for name in LOSSES.names():
        pred, target = _inputs(name, rng)
        before = pred.copy(), target.copy()
        loss_fn = LOSSES[name]()
        loss_fn(pred, target)
        loss_fn.backward()
        np.testing.assert_array_equal(pred, before[0])
        np.testing.assert_array_equal(target, before[1])


def test_repr():
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
    assert repr(nn.HuberLoss(delta=0.5)) == "HuberLoss(reduction='mean', delta=0.5)"

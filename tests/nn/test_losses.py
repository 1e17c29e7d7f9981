"""Losses: reductions named at runtime, the gradient of the mean, dtype and shape checks, stability,
and the options of the classification losses (class weights, ignore_index, label_smoothing, pos_weight)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from gradcheck import GradientMismatch, check_loss

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


# --- the loss options: class weights, ignore_index, label_smoothing, pos_weight -------------------
# Central differences in float64 for every combination, properties that hold by definition, bad
# arguments, and a planted mistake for each check (the PyTorch comparison is in test_layers_torch.py).

CE_WEIGHTS = {"none": None, "random": "random", "zero_class": "zero_class"}
CE_IGNORE = {"kept": None, "ignored_-100": -100, "ignored_class_1": 1}


def _ce_case(rng, weight: str, ignore: str, rows: int = 6, classes: int = 4):
    """Logits, targets and the keyword arguments of one CrossEntropyLoss option combination."""
    logits = rng.standard_normal((rows, classes)) * 3
    target = rng.integers(0, classes, rows)
    kwargs = {}
    if CE_WEIGHTS[weight] is not None:
        kwargs["weight"] = rng.uniform(0.2, 2.0, classes)
        if CE_WEIGHTS[weight] == "zero_class":
            kwargs["weight"][target[0]] = 0.0  # a class that occurs and counts for nothing
    ignore_index = CE_IGNORE[ignore]
    if ignore_index is not None:
        kwargs["ignore_index"] = ignore_index
        target[[1, 4]] = ignore_index
    return logits, target, kwargs


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25, 1.0])
@pytest.mark.parametrize("ignore", list(CE_IGNORE))
@pytest.mark.parametrize("weight", list(CE_WEIGHTS))
def test_cross_entropy_option_gradients_match_central_differences(
    weight, ignore, label_smoothing, reduction, rng
):
    logits, target, kwargs = _ce_case(rng, weight, ignore)
    loss_fn = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=label_smoothing, **kwargs)
    check_loss(loss_fn, logits, target)


BCE_WEIGHTS = {"none": None, "scalar": (), "per_class": (3,), "per_element": (5, 3), "per_row": (5, 1)}
BCE_POS_WEIGHTS = {"none": None, "per_class": (3,), "one": (1,)}


def _bce_case(rng, weight: str, pos_weight: str, scale: float = 4.0):
    logits = rng.standard_normal((5, 3)) * scale
    target = rng.uniform(0, 1, logits.shape)
    target[0] = [0.0, 1.0, 0.5]  # hard labels too
    kwargs = {}
    if BCE_WEIGHTS[weight] is not None:
        kwargs["weight"] = rng.uniform(0.0, 2.0, BCE_WEIGHTS[weight])
    if BCE_POS_WEIGHTS[pos_weight] is not None:
        kwargs["pos_weight"] = rng.uniform(0.0, 3.0, BCE_POS_WEIGHTS[pos_weight])
    return logits, target, kwargs


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("pos_weight", list(BCE_POS_WEIGHTS))
@pytest.mark.parametrize("weight", list(BCE_WEIGHTS))
def test_bce_with_logits_option_gradients_match_central_differences(weight, pos_weight, reduction, rng):
    logits, target, kwargs = _bce_case(rng, weight, pos_weight)
    check_loss(nn.BCEWithLogitsLoss(reduction=reduction, **kwargs), logits, target)


class _ForgetsSmoothingInBackward(nn.CrossEntropyLoss):
    """Planted mistake: the forward smooths the labels, the backward is that of the unsmoothed loss."""

    def forward(self, pred, target):
        self._inputs = pred.copy(), target
        return super().forward(pred, target)

    def backward(self):
        plain = nn.CrossEntropyLoss(
            weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )
        plain(*self._inputs)
        return plain.backward()


class _NegativeTermWithoutWeight(nn.BCEWithLogitsLoss):
    """Planted mistake: the backward leaves the element weight off the (1 - t) term."""

    def backward(self):
        grad = super().backward()
        return grad + (1 - self._target) * (1 - self._element_weight) * self._scale(self._pred.size)


def test_gradient_check_catches_planted_option_mistakes(rng):
    logits, target, kwargs = _ce_case(rng, "random", "ignored_-100")
    check_loss(nn.CrossEntropyLoss(label_smoothing=0.3, **kwargs), logits, target)
    with pytest.raises(GradientMismatch, match="dL/dpred"):
        check_loss(_ForgetsSmoothingInBackward(label_smoothing=0.3, **kwargs), logits, target)
    logits, target, kwargs = _bce_case(rng, "per_class", "per_class")
    check_loss(nn.BCEWithLogitsLoss(**kwargs), logits, target)
    with pytest.raises(GradientMismatch, match="dL/dpred"):
        check_loss(_NegativeTermWithoutWeight(**kwargs), logits, target)


def check_ignored_rows_drop_out(make, logits: np.ndarray, target: np.ndarray, ignore_index: int) -> None:
    """Ignored rows must count for nothing: every reduction, and dL/dlogits, equal those of the
    same loss on the rows kept alone, with a gradient of exactly 0 on the ignored rows."""
    kept = target != ignore_index
    assert kept.any() and not kept.all(), "needs ignored and kept rows"
    for reduction in ("mean", "sum", "none"):
        full, alone = make(reduction), make(reduction)
        value, expected = full(logits, target), alone(logits[kept], target[kept])
        grad, expected_grad = full.backward(), alone.backward()
        if reduction == "none":
            np.testing.assert_array_equal(value[~kept], 0, err_msg=f"{reduction}: ignored rows' loss")
            value = value[kept]
        np.testing.assert_allclose(value, expected, rtol=1e-13, err_msg=f"{reduction}: loss")
        np.testing.assert_array_equal(grad[~kept], 0, err_msg=f"{reduction}: ignored rows' gradient")
        np.testing.assert_allclose(grad[kept], expected_grad, rtol=1e-13, atol=1e-16, err_msg=reduction)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weight", list(CE_WEIGHTS))
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_ignored_rows_count_for_nothing(ignore_index, weight, label_smoothing, rng):
    logits, target, kwargs = _ce_case(rng, weight, "kept", rows=8)
    target[[0, 5, 6]] = ignore_index
    kwargs["ignore_index"] = ignore_index

    def make(reduction):
        return nn.CrossEntropyLoss(reduction=reduction, label_smoothing=label_smoothing, **kwargs)

    check_ignored_rows_drop_out(make, logits, target, ignore_index)


def test_ignored_rows_check_catches_a_mean_over_every_row(rng):
    class MeanOverEveryRow(nn.CrossEntropyLoss):  # planted: ignored rows stay in the denominator
        def forward(self, pred, target):
            self._rows = pred.shape[0]
            value = super().forward(pred, target)
            if self.reduction == "mean":
                kept = int(np.count_nonzero(np.asarray(target) != self.ignore_index))
                self._factor = kept / self._rows
                return value * self._factor
            self._factor = 1.0
            return value

        def backward(self):
            return super().backward() * self._factor

    logits, target, _ = _ce_case(rng, "none", "ignored_-100", rows=8)
    with pytest.raises(AssertionError, match="mean: loss"):
        check_ignored_rows_drop_out(
            lambda reduction: MeanOverEveryRow(reduction=reduction), logits, target, -100
        )


def test_cross_entropy_mean_divides_by_the_weights_of_the_targets(rng):
    logits, target, kwargs = _ce_case(rng, "random", "kept")
    weight = kwargs["weight"]
    total = nn.CrossEntropyLoss(weight=weight, reduction="sum")
    mean = nn.CrossEntropyLoss(weight=weight)
    np.testing.assert_allclose(mean(logits, target), total(logits, target) / weight[target].sum(), rtol=1e-14)
    np.testing.assert_allclose(mean.backward(), total.backward() / weight[target].sum(), rtol=1e-14)
    # Scaling every class weight leaves the mean unchanged (not so a mean over the rows).
    scaled = nn.CrossEntropyLoss(weight=weight * 7.0)
    np.testing.assert_allclose(scaled(logits, target), mean(logits, target), rtol=1e-14)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.4])
def test_unit_weights_and_no_smoothing_match_the_plain_loss(label_smoothing, rng):
    logits, target, _ = _ce_case(rng, "none", "kept")
    plain = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    ones = nn.CrossEntropyLoss(weight=np.ones(4), label_smoothing=label_smoothing)
    np.testing.assert_allclose(ones(logits, target), plain(logits, target), rtol=1e-14)
    np.testing.assert_allclose(ones.backward(), plain.backward(), rtol=1e-14, atol=1e-17)
    if label_smoothing == 0:  # the general path agrees with the fast one
        plain_none = nn.CrossEntropyLoss(reduction="none")
        ones_none = nn.CrossEntropyLoss(reduction="none", weight=[1, 1, 1, 1])
        np.testing.assert_allclose(ones_none(logits, target), plain_none(logits, target), rtol=1e-14)


def test_label_smoothing_by_its_definition(rng):
    """l_n = -sum_k w_k q_nk log softmax(x_n)_k with q_n = (1 - e) onehot(y_n) + e/C; mean / sum_n w_{y_n}."""
    logits, target, kwargs = _ce_case(rng, "random", "kept")
    weight, eps, classes = kwargs["weight"], 0.35, logits.shape[1]
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    smoothed = (1 - eps) * np.eye(classes)[target] + eps / classes
    expected = -(smoothed * weight * log_probs).sum(axis=1)
    loss_fn = nn.CrossEntropyLoss(weight=weight, label_smoothing=eps, reduction="none")
    np.testing.assert_allclose(loss_fn(logits, target), expected, rtol=1e-13)
    mean = nn.CrossEntropyLoss(weight=weight, label_smoothing=eps)
    np.testing.assert_allclose(mean(logits, target), expected.sum() / weight[target].sum(), rtol=1e-13)


@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5]])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_every_target_ignored(weight, label_smoothing):
    """torch: the mean is NaN (0/0), the sum 0, and the gradient 0; no floating-point warning."""
    logits, target = np.arange(12.0).reshape(4, 3), np.full(4, -100)
    with np.errstate(all="raise"):
        for reduction in ("mean", "sum", "none"):
            loss_fn = nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=label_smoothing)
            value = loss_fn(logits, target)
            if reduction == "mean":
                assert np.isnan(value)
            else:
                np.testing.assert_array_equal(value, 0.0 if reduction == "sum" else np.zeros(4))
            np.testing.assert_array_equal(loss_fn.backward(), np.zeros((4, 3)))


def test_zero_weights_of_every_target_give_nan_as_torch():
    loss_fn = nn.CrossEntropyLoss(weight=[0.0, 1.0, 1.0])
    assert np.isnan(loss_fn(np.zeros((2, 3)), np.array([0, 0])))
    assert np.isnan(loss_fn.backward()).all()


def test_class_range_check_allows_only_the_ignore_index():
    logits = np.zeros((3, 2))
    np.testing.assert_array_equal(
        nn.CrossEntropyLoss(reduction="none")(logits, np.array([0, -100, 1])).shape, (3,)
    )
    with pytest.raises(ValueError, match=r"must be in \[0, 1\] or equal ignore_index \(-100\); got -1"):
        nn.CrossEntropyLoss()(logits, np.array([0, -100, -1]))
    with pytest.raises(ValueError, match="got 2..2"):
        nn.CrossEntropyLoss(ignore_index=5)(logits, np.array([0, 2, 5]))
    with pytest.raises(ValueError, match="got -100"):  # -100 is not ignored once ignore_index is 1
        nn.CrossEntropyLoss(ignore_index=1)(logits, np.array([0, 1, -100]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_options_are_stable_for_huge_logits(reduction, rng):
    logits = rng.choice([-1e4, 0.0, 1e4], size=(6, 4)) + rng.standard_normal((6, 4))
    target = np.array([0, 1, -100, 3, 2, 1])
    loss_fn = nn.CrossEntropyLoss(weight=[1.0, 0.5, 2.0, 1.5], reduction=reduction, label_smoothing=0.2)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(loss_fn(logits, target)).all()
        assert np.isfinite(loss_fn.backward()).all()


@pytest.mark.parametrize(
    ("x", "t", "expected"), [(1e4, 0.0, 1e4), (-1e4, 1.0, 3e4), (1e4, 1.0, 0.0), (-1e4, 0.0, 0.0)]
)
def test_bce_with_logits_options_are_finite_for_logits_of_1e4(x, t, expected):
    """l = w [(1 - t) x - (1 + (q - 1) t) log sigmoid(x)] with w = 2, q = 3."""
    loss_fn = nn.BCEWithLogitsLoss(weight=[2.0], pos_weight=[3.0], reduction="none")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss_fn(np.array([[x]]), np.array([[t]]))
        grad = loss_fn.backward()
    np.testing.assert_allclose(value, [[2.0 * expected]], rtol=1e-15)
    slope = {(1e4, 0.0): 2.0, (-1e4, 1.0): -6.0}.get((x, t), 0.0)  # w (1 - t) or -w q t, saturated
    np.testing.assert_allclose(grad, [[slope]], atol=1e-300)


def test_bce_with_logits_pos_weight_scales_the_positive_term_only(rng):
    logits, target, _ = _bce_case(rng, "none", "none")
    pos_weight = np.array([0.5, 2.0, 3.0])
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    log_sig = -np.logaddexp(0, -logits)
    expected = -(pos_weight * target * log_sig + (1 - target) * (log_sig - logits))
    np.testing.assert_allclose(loss_fn(logits, target), expected, rtol=1e-13)
    ones = nn.BCEWithLogitsLoss(weight=np.ones(3), pos_weight=np.ones(3))
    plain = nn.BCEWithLogitsLoss()
    np.testing.assert_allclose(ones(logits, target), plain(logits, target), rtol=1e-14)
    np.testing.assert_allclose(ones.backward(), plain.backward(), rtol=1e-13, atol=1e-17)
    # "mean" divides by numel whatever the weights (torch): the weights scale, they do not normalize.
    weighted = nn.BCEWithLogitsLoss(weight=np.full(3, 4.0))
    np.testing.assert_allclose(weighted(logits, target), 4.0 * plain(logits, target), rtol=1e-14)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.CrossEntropyLoss(weight=[1.0, -0.5]), ValueError, "weight must be >= 0, got -0.5"),
        (lambda: nn.CrossEntropyLoss(weight=[1.0, np.nan]), ValueError, "weight must be finite, got nan"),
        (lambda: nn.CrossEntropyLoss(weight=[1.0, np.inf]), ValueError, "weight must be finite, got inf"),
        (
            lambda: nn.CrossEntropyLoss(weight=[[1.0, 2.0]]),
            ValueError,
            r"1-D \(one value per class\), got shape",
        ),
        (lambda: nn.CrossEntropyLoss(weight=2.0), ValueError, r"must be 1-D .*got shape \(\)"),
        (lambda: nn.CrossEntropyLoss(weight=["a", "b"]), TypeError, "weight must hold real numbers"),
        (lambda: nn.CrossEntropyLoss(weight=[True, False]), TypeError, "weight must hold real numbers"),
        (lambda: nn.CrossEntropyLoss(weight=[[1.0], [1.0, 2.0]]), ValueError, "array of numbers"),
        (
            lambda: nn.CrossEntropyLoss(label_smoothing=1.5),
            ValueError,
            r"label_smoothing must be in \[0, 1\]",
        ),
        (
            lambda: nn.CrossEntropyLoss(label_smoothing=-0.1),
            ValueError,
            r"label_smoothing must be in \[0, 1\]",
        ),
        (lambda: nn.CrossEntropyLoss(label_smoothing=float("nan")), ValueError, "label_smoothing"),
        (lambda: nn.CrossEntropyLoss(label_smoothing="0.1"), TypeError, "label_smoothing must be a number"),
        (lambda: nn.CrossEntropyLoss(label_smoothing=True), TypeError, "label_smoothing must be a number"),
        (lambda: nn.CrossEntropyLoss(ignore_index=1.0), TypeError, "ignore_index must be an integer"),
        (lambda: nn.CrossEntropyLoss(ignore_index=True), TypeError, "ignore_index must be an integer"),
        (lambda: nn.BCEWithLogitsLoss(weight=[1.0, -1.0]), ValueError, "weight must be >= 0"),
        (lambda: nn.BCEWithLogitsLoss(weight=[np.inf]), ValueError, "weight must be finite"),
        (lambda: nn.BCEWithLogitsLoss(pos_weight=[[1.0, 2.0]]), ValueError, "pos_weight must be 1-D"),
        (lambda: nn.BCEWithLogitsLoss(pos_weight=[-2.0]), ValueError, "pos_weight must be >= 0"),
        (lambda: nn.BCEWithLogitsLoss(pos_weight=[np.nan]), ValueError, "pos_weight must be finite"),
    ],
)
def test_bad_option_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("loss_fn", "shape", "message"),
    [
        (
            nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0]),
            (4, 2),
            "weight has 3 values but the logits have 2 classes",
        ),
        (
            nn.BCEWithLogitsLoss(weight=[1.0, 2.0]),
            (4, 3),
            r"weight has 2 values but the logits have 3 classes",
        ),
        (
            nn.BCEWithLogitsLoss(pos_weight=[1.0, 2.0]),
            (4, 3),
            "pos_weight has 2 values but the logits have 3",
        ),
        (
            nn.BCEWithLogitsLoss(weight=np.ones((2, 3))),
            (4, 3),
            r"shape \(2, 3\) does not broadcast to the logits",
        ),
        (nn.BCEWithLogitsLoss(weight=np.ones((2, 4, 3))), (4, 3), "does not broadcast"),
    ],
)
def test_weights_of_the_wrong_length_name_both_lengths(loss_fn, shape, message, rng):
    logits = rng.standard_normal(shape)
    target = rng.integers(0, shape[1], shape[0]) if isinstance(loss_fn, nn.CrossEntropyLoss) else logits * 0
    with pytest.raises(ValueError, match=message):
        loss_fn(logits, target)


@pytest.mark.parametrize("name", ["cross_entropy", "bce_with_logits"])
def test_options_keep_float32_and_leave_inputs_alone(name, rng):
    if name == "cross_entropy":
        logits, target, kwargs = _ce_case(rng, "random", "ignored_-100")
        kwargs["label_smoothing"] = 0.1
    else:
        logits, target, kwargs = _bce_case(rng, "per_class", "per_class")
        target = target.astype(np.float32)
    logits = logits.astype(np.float32)
    before = logits.copy(), target.copy(), kwargs["weight"].copy()
    for reduction in ("mean", "none"):
        loss_fn = LOSSES[name](reduction=reduction, **kwargs)
        value = loss_fn(logits, target)
        grad = loss_fn.backward()
        assert grad.dtype == np.float32 and (reduction == "mean" or value.dtype == np.float32)
    kwargs["weight"][0] = 99.0  # the loss keeps its own copy
    assert loss_fn.weight[0] == before[2][0] and not loss_fn.weight.flags.writeable
    np.testing.assert_array_equal(logits, before[0])
    np.testing.assert_array_equal(target, before[1])


def test_option_reprs():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean')"
    assert (
        repr(nn.CrossEntropyLoss(weight=[1, 2], ignore_index=0, label_smoothing=0.1, reduction="sum"))
        == "CrossEntropyLoss(reduction='sum', weight=[1.0, 2.0], ignore_index=0, label_smoothing=0.1)"
    )
    assert (
        repr(nn.BCEWithLogitsLoss(pos_weight=[2])) == "BCEWithLogitsLoss(reduction='mean', pos_weight=[2.0])"
    )

"""lddl's NumPy metrics against scikit-learn's, to 1e-12, on random cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from lddl_cli.training import metrics

CASES = range(8)


def regression_case(seed: int):
    rng = np.random.default_rng(seed)
    n, outputs = int(rng.integers(2, 60)), int(rng.integers(1, 4))
    y = rng.normal(size=(n, outputs)) * rng.uniform(0.1, 100)
    pred = y + rng.normal(size=y.shape) * rng.uniform(0.01, 3)
    return y, pred


def classification_case(seed: int, classes: int | None = None):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 80)), classes or int(rng.integers(2, 6))
    labels = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) * 2 + 1.5 * np.eye(k)[labels]
    return labels, metrics.probabilities(logits, "cross_entropy")


@pytest.mark.parametrize("seed", CASES)
@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("mse", sk.mean_squared_error),
        ("rmse", sk.root_mean_squared_error),
        ("mae", sk.mean_absolute_error),
        ("r2", sk.r2_score),
    ],
)
def test_regression_metrics_match_sklearn(seed, name, reference):
    y, pred = regression_case(seed)
    assert metrics.REGRESSION[name](y, pred) == pytest.approx(reference(y, pred), rel=1e-12, abs=1e-12)


def test_r2_of_a_constant_target_is_sklearns():
    y = np.full((5, 1), 3.0)
    assert metrics.r2(y, y) == sk.r2_score(y, y) == 1.0
    assert metrics.r2(y, y + 1) == sk.r2_score(y, y + 1) == 0.0


@pytest.mark.parametrize("seed", CASES)
def test_classification_metrics_match_sklearn(seed):
    labels, proba = classification_case(seed)
    predicted = proba.argmax(axis=1)
    k = proba.shape[1]
    assert metrics.accuracy(labels, proba) == pytest.approx(sk.accuracy_score(labels, predicted), abs=1e-12)
    assert metrics.balanced_accuracy(labels, proba) == pytest.approx(
        sk.balanced_accuracy_score(labels, predicted), abs=1e-12
    )
    assert metrics.f1_macro(labels, proba) == pytest.approx(
        sk.f1_score(labels, predicted, average="macro", zero_division=0), abs=1e-12
    )
    assert metrics.log_loss(labels, proba) == pytest.approx(
        sk.log_loss(labels, proba, labels=list(range(k))), rel=1e-12
    )


@pytest.mark.parametrize("seed", CASES)
def test_roc_auc_matches_sklearn_with_ties(seed):
    labels, proba = classification_case(seed, classes=2)
    rounded = np.round(proba, 1)  # many ties
    for p in (proba, rounded):
        assert metrics.roc_auc(labels, p) == pytest.approx(sk.roc_auc_score(labels, p[:, 1]), abs=1e-12)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_f1_counts_a_class_only_predicted():
    labels, predicted = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])
    assert metrics.f1_macro(labels, predicted) == pytest.approx(
        sk.f1_score(labels, predicted, average="macro", zero_division=0), abs=1e-12
    )
    assert metrics.balanced_accuracy(labels, predicted) == pytest.approx(
        sk.balanced_accuracy_score(labels, predicted), abs=1e-12
    )


def test_bce_probabilities_are_the_sigmoid():
    z = np.array([[-800.0], [0.0], [2.0], [800.0]])
    p = metrics.probabilities(z, "bce_with_logits")
    assert np.allclose(p[:, 1], [0.0, 0.5, 1 / (1 + np.exp(-2.0)), 1.0]) and np.allclose(p.sum(axis=1), 1)


def test_a_planted_wrong_metric_is_caught():
    """The comparison can fail: accuracy on shifted labels disagrees with scikit-learn's."""
    labels, proba = classification_case(3)
    assert metrics.accuracy((labels + 1) % proba.shape[1], proba) != pytest.approx(
        sk.accuracy_score(labels, proba.argmax(axis=1)), abs=1e-12
    )

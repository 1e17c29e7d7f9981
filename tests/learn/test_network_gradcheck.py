"""nn.gradcheck against a hand-derived gradient, and the network check on shipped configs,
fed planted wrong backwards (a layer's, the loss's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.commands.gradcheck import check_network, first_failure
from lddl_cli.nn import gradcheck

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_numeric_gradient_of_a_cubic_matches_the_hand_derivative():
    a = np.array([0.5, -1.0, 2.0])
    numeric = gradcheck.numeric_gradient(lambda: float(np.sum(a**3)), a)
    assert gradcheck.compare("d/da", 3 * a**2, numeric).passed
    assert not gradcheck.compare("d/da", 2 * a**2, numeric).passed


@pytest.mark.parametrize("name", ["sin", "seed", "adam", "iris", "diabetes", "sweep"])
def test_every_shipped_config_passes(name, monkeypatch):
    monkeypatch.chdir(CONFIGS.parent)
    rows = check_network(CONFIGS / f"{name}.yaml", 4, 0)
    assert first_failure(rows) is None, rows


def test_a_planted_wrong_relu_backward_names_the_relu(monkeypatch):
    monkeypatch.chdir(CONFIGS.parent)
    monkeypatch.setattr(nn.ReLU, "backward", lambda self, grad: grad.copy())  # forgets the mask
    failure = first_failure(check_network(CONFIGS / "sin.yaml", 8, 0))
    assert failure is not None and failure.layer.startswith("1 ReLU"), failure


def test_a_planted_sum_gradient_for_a_mean_loss_names_the_loss(monkeypatch):
    monkeypatch.chdir(CONFIGS.parent)
    monkeypatch.setattr(nn.MSELoss, "backward", lambda self: 2 * self._diff)  # the tutorial's mistake 3
    failure = first_failure(check_network(CONFIGS / "sin.yaml", 8, 0))
    assert failure is not None and failure.layer.startswith("loss MSELoss"), failure

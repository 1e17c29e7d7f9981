"""`lddl train` is one process: the figures are drawn in it after training (a plot worker process
saved under 10% of the sine run's wall time and was removed), and the command exits normally."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from runs_helpers import make_project, png_size

from lddl_cli.config import load_config
from lddl_cli.plotting import HEIGHT, WIDTH
from lddl_cli.training.run import train


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_training_starts_no_process_and_draws_its_figures_itself(project, monkeypatch):
    started = []
    monkeypatch.setattr(subprocess.Popen, "__init__", lambda self, *a, **k: started.append(a) or 1 / 0)
    history = train(load_config("small.yaml"), project / "run")
    assert started == []
    for name in ("loss", "fit"):
        assert png_size(history.paths[name]) == (WIDTH, HEIGHT), name


def test_the_plant_is_seen_a_started_process_is_recorded(monkeypatch):
    started = []
    monkeypatch.setattr(subprocess.Popen, "__init__", lambda self, *a, **k: started.append(a) or 1 / 0)
    with pytest.raises(ZeroDivisionError):
        subprocess.run(["true"])
    assert started

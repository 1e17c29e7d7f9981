"""The sweep's parts: the missing extra, the data read once, the metric looked up by name, the space."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
from sine_project import SMALL, make_project

from lddl_cli.config import load_config
from lddl_cli.config.sweep import SweepParameter
from lddl_cli.sweep import space
from lddl_cli.sweep.metric import epoch_metric, final_metric, recorded_metrics
from lddl_cli.training.datacache import DatasetCache
from lddl_cli.training.trainer import Trainer

BLOCKER = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "optuna" or name.startswith("optuna."):
            raise ImportError("blocked")
sys.meta_path.insert(0, Blocker())
from lddl_cli.cli import main
sys.argv = ["lddl", "sweep", sys.argv[1], "--out", "out"]
main()
"""


def test_without_the_extra_sweep_is_one_line_and_exit_2(tmp_path):
    from sweep_project import make_sweep_project

    config = make_sweep_project(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, str(config)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == "lddl sweep needs the sweep extra (Optuna 5): pip install 'lddl[sweep]'\n"
    assert not (tmp_path / "out").exists()


def test_the_data_cache_reads_once_and_changes_nothing(tmp_path, monkeypatch):
    make_project(tmp_path, SMALL, "small.yaml")
    monkeypatch.chdir(tmp_path)
    cache = DatasetCache()
    for lr in ("0.01", "0.02"):
        config = load_config("small.yaml", [f"optimizer.lr={lr}"])
        cached = Trainer(config, load=cache)
        cached.fit()
        plain = Trainer(config)
        plain.fit()
        assert np.array_equal(cached.flat.data, plain.flat.data)
    assert cache.reads == 1
    Trainer(load_config("small.yaml", ["model.widths=[1, 4, 1]"]), load=cache)
    Trainer(load_config("small.yaml", ["train.batch_size=8"]), load=cache)
    assert cache.reads == 2  # another batch size is checked against the rows again


def test_a_planted_change_of_what_the_data_reads_is_a_new_key(tmp_path, monkeypatch):
    make_project(tmp_path, SMALL, "small.yaml")
    monkeypatch.chdir(tmp_path)
    cache = DatasetCache()
    Trainer(load_config("small.yaml"), load=cache)
    Trainer(load_config("small.yaml", ["dtype=float64"]), load=cache)
    assert cache.reads == 2


def test_the_metric_is_looked_up_by_name():
    record = SimpleNamespace(val_loss=0.5, metrics={"val_rmse": 0.25})
    assert epoch_metric(record, "val_loss") == 0.5
    assert epoch_metric(record, "val_rmse") == 0.25
    assert epoch_metric(record, "val_r2") is None
    assert epoch_metric(SimpleNamespace(val_loss=float("nan")), "val_loss") is None
    history = SimpleNamespace(
        records=[SimpleNamespace(epoch=1, val_rmse=3.0), SimpleNamespace(epoch=2, val_rmse=4.0)],
        restored_best=True,
        best_epoch=1,
        final_val_loss=None,
    )
    assert final_metric(history, "val_rmse") == 3.0
    assert recorded_metrics(SimpleNamespace(metrics=["rmse", "r2"])) == ["val_loss", "val_rmse", "val_r2"]


def test_categories_that_are_lists_go_through_optuna_as_json():
    widths = SweepParameter(space="choice", categories=[[1, 8, 1], [1, 16, 16, 1]])
    assert space.encoded(widths) == ["[1, 8, 1]", "[1, 16, 16, 1]"]
    assert space.decode(widths, "[1, 16, 16, 1]") == [1, 16, 16, 1]
    sizes = SweepParameter(space="choice", categories=[4, 8])
    assert space.encoded(sizes) == [4, 8] and space.decode(sizes, 8) == 8
    epochs = SweepParameter(space="int", lower=50, upper=300, step=50)
    assert space.grid({"e": epochs, "w": widths}) == {
        "e": [50, 100, 150, 200, 250, 300],
        "w": space.encoded(widths),
    }
    assert space.grid_size({"e": epochs, "w": widths}) == 12
    assert epochs.corners() == [50, 300]
    assert SweepParameter(space="uniform", lower=0.0, upper=1.0, step=0.3).corners() == [
        0.0,
        0.8999999999999999,
    ]

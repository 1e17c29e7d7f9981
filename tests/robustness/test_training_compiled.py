"""The trainer takes the compiled step when nn supports the run, and either path trains the same.

``train.compile: false`` forces the eager path; the summary names the path that ran (and why not
compiled); a checkpoint written under one path resumes under the other to the same weights.
"""

from __future__ import annotations

import numpy as np
import pytest
from training_helpers import arrays, lddl, make_project

from lddl_cli.config import load_config
from lddl_cli.training.run import fit_and_write
from lddl_cli.training.trainer import Trainer

DROPOUT_ADAM = [
    "model={layers: [{type: linear, in_features: 1, out_features: 8}, tanh, {type: dropout, p: 0.2},"
    " {type: linear, in_features: 8, out_features: 8}, relu,"
    " {type: linear, in_features: 8, out_features: 1}]}",
    "optimizer={type: adam, lr: 0.01, weight_decay: 0.001}",
    "train.grad_clip=0.5",
    "dtype=float64",
]
BATCH_NORM = (
    "model={layers: [{type: linear, in_features: 1, out_features: 8}, {type: batch_norm1d, num_features: 8},"
    " relu, {type: linear, in_features: 8, out_features: 1}]}"
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _weights(trainer: Trainer) -> np.ndarray:
    return trainer.flat.data.copy()


@pytest.mark.parametrize("overrides", [[], DROPOUT_ADAM])
def test_both_paths_train_to_the_same_weights(project, overrides):
    runs = {}
    for compile_ in ("true", "false"):
        trainer = Trainer(load_config("config.yaml", [*overrides, f"train.compile={compile_}"]))
        history = trainer.fit()
        runs[compile_] = (_weights(trainer), history, trainer.rng.bit_generator.state)
    (fused, fused_history, fused_rng), (eager, eager_history, eager_rng) = runs["true"], runs["false"]
    assert fused_history.step_path == "compiled"
    assert eager_history.step_path == "eager (train.compile is false)"
    rtol = 1e-12 if overrides else 1e-5
    assert np.abs(fused - eager).max() <= rtol * np.abs(eager).max()
    assert fused_rng == eager_rng  # the same draws from the one generator (shuffles, dropout masks)
    losses = [[r.train_loss for r in h.records] for h in (fused_history, eager_history)]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e3 * rtol)


def test_an_unsupported_model_runs_eager_and_says_why(project):
    trainer = Trainer(load_config("config.yaml", [BATCH_NORM]))
    assert trainer.train_step is None
    assert trainer.fit().step_path == "eager (BatchNorm1d is not supported)"


def test_the_summary_names_the_path(project):
    out = lddl(
        "train", "config.yaml", "--out", "run", "-q", "--set", "train.epochs=1", cwd=project, check_code=0
    )
    assert "training step: compiled" in out.stdout, out.stdout
    out = lddl("train", "config.yaml", "--out", "run2", "-q", "--set", "train.epochs=1", "--set", BATCH_NORM,
               cwd=project, check_code=0)  # fmt: skip
    assert "training step: eager (BatchNorm1d is not supported)" in out.stdout, out.stdout


@pytest.mark.parametrize(("first", "second"), [("true", "false"), ("false", "true")])
def test_a_checkpoint_of_one_path_resumes_under_the_other(project, first, second):
    base = [*DROPOUT_ADAM, "train.epochs=4"]
    whole = Trainer(load_config("config.yaml", base))
    whole.fit()
    half = Trainer(load_config("config.yaml", [*base, "train.epochs=2", f"train.compile={first}"]))
    fit_and_write(half, project / "half")
    resumed = Trainer(load_config("config.yaml", [*base, f"train.compile={second}"]))
    resumed.resume(project / "half" / "checkpoint.npz")
    assert (resumed.train_step is None) == (second == "false")
    resumed.fit()
    assert resumed.epoch == 4
    assert np.abs(_weights(resumed) - _weights(whole)).max() <= 1e-12 * np.abs(_weights(whole)).max()


def test_a_compiled_run_resumes_bit_for_bit(project):
    whole = Trainer(load_config("config.yaml", [*DROPOUT_ADAM, "dtype=float32", "train.epochs=4"]))
    whole.fit()
    fit_and_write(
        Trainer(load_config("config.yaml", [*DROPOUT_ADAM, "dtype=float32", "train.epochs=2"])), project / "h"
    )
    resumed = Trainer(load_config("config.yaml", [*DROPOUT_ADAM, "dtype=float32", "train.epochs=4"]))
    resumed.resume(project / "h" / "checkpoint.npz")
    resumed.fit()
    np.testing.assert_array_equal(_weights(resumed), _weights(whole))
    saved = arrays(project / "h" / "model.npz")
    assert saved.keys() == resumed.model.state_dict().keys()

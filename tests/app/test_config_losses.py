"""The classification losses' options in the config: weight, ignore_index, label_smoothing and
pos_weight load, build the right loss, are validated in the house style, and a weight list whose
length is not the model's output width is one located error line (exit 2 through `lddl check`)."""

from __future__ import annotations

import numpy as np
import pytest
from runs_helpers import located
from typer.testing import CliRunner

from lddl_cli import nn
from lddl_cli.cli import app
from lddl_cli.config import (
    build_loss,
    build_model,
    config_from_dict,
    load_config,
    resolve_layers,
)
from lddl_cli.errors import ConfigError

CLASSIFIER = """\
name: classes
seed: 4
data: {x: x.npy, y: y.npy}
model:
  widths: [2, 8, 3]
  activation: relu
loss: {type: cross_entropy, weight: [1.0, 2.5, 0.5], ignore_index: 1, label_smoothing: 0.1}
optimizer: {type: sgd, lr: 0.1}
train: {epochs: 2, batch_size: 4}
"""

MULTILABEL = """\
name: multilabel
data: {x: x.npy, y: y.npy}
model:
  layers:
    - {type: linear, in_features: 2, out_features: 8}
    - relu
    - {type: linear, in_features: 8, out_features: 3}
loss: {type: bce_with_logits, reduction: sum, weight: [1, 0.5, 2], pos_weight: [3.0, 1.0, 0.25]}
train: {epochs: 2, batch_size: 4}
"""


def write(tmp_path, text: str, name: str = "c.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path, overrides=()) -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_config(path, overrides)
    return error.value.lines()


def test_cross_entropy_options_load_and_build(tmp_path, rng):
    config = load_config(write(tmp_path, CLASSIFIER))
    loss_fn = build_loss(config.loss)
    assert isinstance(loss_fn, nn.CrossEntropyLoss)
    assert loss_fn.weight.tolist() == [1.0, 2.5, 0.5]
    assert loss_fn.ignore_index == 1 and loss_fn.label_smoothing == 0.1 and loss_fn.reduction == "mean"
    assert config.resolved()["loss"] == {
        "type": "cross_entropy",
        "reduction": "mean",
        "weight": [1.0, 2.5, 0.5],
        "ignore_index": 1,
        "label_smoothing": 0.1,
    }
    assert config_from_dict(config.resolved()) == config  # as stored in a weights file
    # The built loss takes the built model's output, with an ignored label among the targets.
    model = build_model(resolve_layers(config), "float64", np.random.default_rng(config.seed))
    value = loss_fn(model(rng.standard_normal((5, 2))), np.array([0, 1, 2, 2, 1]))
    assert np.isfinite(value) and loss_fn.backward().shape == (5, 3)


def test_bce_with_logits_options_load_and_build(tmp_path):
    config = load_config(write(tmp_path, MULTILABEL))
    loss_fn = build_loss(config.loss)
    assert isinstance(loss_fn, nn.BCEWithLogitsLoss) and loss_fn.reduction == "sum"
    assert loss_fn.weight.tolist() == [1.0, 0.5, 2.0] and loss_fn.pos_weight.tolist() == [3.0, 1.0, 0.25]


def test_defaults_are_torch_defaults(tmp_path):
    config = load_config(write(tmp_path, CLASSIFIER), ["loss=cross_entropy"])
    assert config.resolved()["loss"] == {
        "type": "cross_entropy",
        "reduction": "mean",
        "weight": None,
        "ignore_index": -100,
        "label_smoothing": 0.0,
    }
    loss_fn = build_loss(config.loss)
    assert loss_fn.weight is None and loss_fn.ignore_index == -100 and loss_fn.label_smoothing == 0.0
    bce = build_loss(load_config(write(tmp_path, MULTILABEL), ["loss=bce_with_logits"]).loss)
    assert bce.weight is None and bce.pos_weight is None


@pytest.mark.parametrize(
    ("text", "old", "new", "anchor", "expected"),
    [
        (
            CLASSIFIER,
            "weight: [1.0, 2.5, 0.5]",
            "weight: [1.0, 2.5, 0.5, 4.0]",
            "weight: |[1.0, 2.5, 0.5, 4.0]",
            "loss.weight: has 4 values but the model's output width is 3 (model.widths[2]); "
            "give 3, one per class",
        ),
        (
            CLASSIFIER,
            "weight: [1.0, 2.5, 0.5]",
            "weight: [2.0]",
            "weight: |[2.0]",
            "loss.weight: has 1 value but the model's output width is 3 (model.widths[2]); "
            "give 3, one per class",
        ),
        (
            MULTILABEL,
            "pos_weight: [3.0, 1.0, 0.25]",
            "pos_weight: [3.0, 1.0]",
            "pos_weight: |[3.0, 1.0]",
            "loss.pos_weight: has 2 values but the model's output width is 3 "
            "(model.layers[2].out_features); give 3, or 1 for every output",
        ),
        (
            MULTILABEL,
            "weight: [1, 0.5, 2]",
            "weight: [1, 0.5, 2, 2, 2]",
            "weight: |[1, 0.5, 2, 2, 2]",
            "loss.weight: has 5 values but the model's output width is 3 "
            "(model.layers[2].out_features); give 3, or 1 for every output",
        ),
    ],
)
def test_weights_must_match_the_output_width(tmp_path, text, old, new, anchor, expected):
    assert old in text
    text = text.replace(old, new)
    assert problems_of(write(tmp_path, text)) == [
        f"{tmp_path / 'c.yaml'}:{located(text, anchor)}: {expected}"
    ]


def test_width_check_catches_a_planted_mismatch_only(tmp_path):
    """The cross-check passes the right widths and catches a changed model width (the same weights)."""
    load_config(write(tmp_path, CLASSIFIER))
    load_config(write(tmp_path, MULTILABEL), ["loss.weight=[2.0]", "loss.pos_weight=[0.5]"])  # one for all
    lines = problems_of(write(tmp_path, CLASSIFIER), ["model.widths=[2, 8, 4]"])
    assert lines == [
        f"{tmp_path / 'c.yaml'}:{located(CLASSIFIER, 'weight: |[1.0')}: loss.weight: has 3 values but the "
        "model's output width is 4 (model.widths[2]); give 4, one per class"
    ]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("loss.weight=[1, -2, 3]", "--set loss.weight[1]: must be >= 0.0; got -2 (an integer)"),
        ("loss.weight=[1, .inf, 3]", "--set loss.weight[1]: must be a finite number; got inf"),
        ("loss.weight=[[1, 2, 3]]", "--set loss.weight[0]: expected a number; got a list of 3"),
        ("loss.weight=2.0", "--set loss.weight: expected a list; got 2.0 (a number)"),
        ("loss.weight=[]", "--set loss.weight: needs at least 1 item(s)"),
        ("loss.weight=[0, 0, 0]", "--set loss.weight: needs at least one value > 0"),
        ("loss.label_smoothing=1.5", "--set loss.label_smoothing: must be <= 1.0; got 1.5 (a number)"),
        ("loss.label_smoothing=-0.1", "--set loss.label_smoothing: must be >= 0.0; got -0.1 (a number)"),
        ("loss.ignore_index=true", "--set loss.ignore_index: expected an integer; got true (a boolean)"),
        ("loss.ignore_index=1.5", "--set loss.ignore_index: expected an integer; got 1.5 (a number)"),
        (
            "loss.label_smothing=0.1",
            "--set loss.label_smothing: unknown key; did you mean 'label_smoothing'?",
        ),
        (
            "loss.pos_weight=[1, 1, 1]",
            "--set loss.pos_weight: unknown key; did you mean 'weight'? allowed: reduction, weight, "
            "ignore_index, label_smoothing",
        ),
    ],
)
def test_bad_loss_options_are_one_line_each(tmp_path, override, expected):
    lines = problems_of(write(tmp_path, CLASSIFIER), [override])
    assert len(lines) == 1 and lines[0].startswith(expected), lines


def test_bad_option_in_the_file_is_located(tmp_path):
    text = CLASSIFIER.replace("label_smoothing: 0.1", "label_smoothing: 1.5")
    assert problems_of(write(tmp_path, text)) == [
        f"{tmp_path / 'c.yaml'}:{located(text, 'label_smoothing: |1.5')}: "
        "loss.label_smoothing: must be <= 1.0; got 1.5 (a number)"
    ]


@pytest.fixture
def classifier_project(tmp_path, monkeypatch):
    """x.npy (40, 2), y.npy with class labels 0..2, and c.yaml, in the current directory."""
    rng = np.random.default_rng(3)
    np.save(tmp_path / "x.npy", rng.standard_normal((40, 2)))
    np.save(tmp_path / "y.npy", rng.integers(0, 3, 40))
    write(tmp_path, CLASSIFIER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_lddl_check_accepts_the_options(classifier_project):
    result = CliRunner().invoke(app, ["check", "c.yaml"])
    assert result.exit_code == 0, result.output
    assert "c.yaml: ok" in result.stdout


def test_lddl_check_reports_a_weight_of_the_wrong_length(classifier_project):
    text = CLASSIFIER.replace("weight: [1.0, 2.5, 0.5]", "weight: [1.0, 2.5]")
    write(classifier_project, text)
    result = CliRunner().invoke(app, ["check", "c.yaml"])
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"c.yaml:{located(text, 'weight: |[1.0, 2.5]')}: loss.weight: has 2 values but the model's output "
        "width is 3 (model.widths[2]); give 3, one per class"
    ]


def test_lddl_train_learns_from_data_with_ignored_labels(classifier_project):
    """Rows labelled -100 (torch's default ignore_index) pass the data check and cost nothing."""
    labels = np.random.default_rng(5).integers(0, 3, 40)
    labels[::5] = -100
    np.save(classifier_project / "y.npy", labels)
    write(classifier_project, CLASSIFIER.replace("ignore_index: 1", "ignore_index: -100"))
    result = CliRunner().invoke(app, ["train", "c.yaml", "--quiet", "--out", "run"])
    assert result.exit_code == 0, result.output
    losses = np.loadtxt(classifier_project / "run" / "metrics.csv", delimiter=",", skiprows=1, usecols=1)
    assert np.isfinite(losses).all()


def test_a_batch_whose_labels_are_all_ignored_is_skipped_not_a_divergence(classifier_project):
    """Its mean is 0/0 (NaN, as torch): the trainer skips it instead of reporting a diverged run."""
    labels = np.random.default_rng(5).integers(0, 3, 40)
    labels[:4] = -100  # the whole first batch: no shuffling, batches of 4
    np.save(classifier_project / "y.npy", labels)
    text = CLASSIFIER.replace("ignore_index: 1", "ignore_index: -100").replace(
        "train: {epochs: 2, batch_size: 4}", "train: {epochs: 3, batch_size: 4, shuffle: false}"
    )
    write(classifier_project, text)
    result = CliRunner().invoke(app, ["train", "c.yaml", "--quiet", "--out", "run"])
    assert result.exit_code == 0, result.output
    assert "3 epochs, 27 steps" in result.stdout  # 10 batches an epoch, the ignored one skipped
    losses = np.loadtxt(classifier_project / "run" / "metrics.csv", delimiter=",", skiprows=1, usecols=1)
    assert np.isfinite(losses).all()

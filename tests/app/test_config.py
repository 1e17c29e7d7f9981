"""load_config: valid configs, resolution, round trip, and every problem reported with its location."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from runs_helpers import located

from lddl_cli.config import load_config, resolve_layers
from lddl_cli.config import specs as spec_tables
from lddl_cli.errors import ConfigError

BASE = """\
name: sin
seed: 10001
data:
  x: data/x.npy
  y: data/y.npy
  train_size: 100
  val_x: data/val_x.npy
  val_y: data/val_y.npy
model:
  widths: [1, 16, 64, 16, 1]
  activation: relu
loss: mse
optimizer: {type: sgd, lr: 0.01, momentum: 0.9}
train:
  epochs: 1000
  batch_size: 4
  drop_last: true
"""


def write(tmp_path, text: str, name: str = "c.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(tmp_path, text: str, overrides=()) -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text), overrides)
    return error.value.lines()


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- valid configs -------------------------------------------------------------------------------
def test_the_sine_config_resolves(tmp_path):
    config = load_config(write(tmp_path, BASE))
    assert config.name == "sin" and config.seed == 10001 and config.dtype == "float32"
    assert config.source_dir == tmp_path
    assert config.train.drop_last is True and config.train.shuffle is True
    assert config.optimizer.type == "sgd" and config.optimizer.lr == 0.01 and config.optimizer.momentum == 0.9
    assert config.optimizer.nesterov is False and config.optimizer.decay_type == "l2"
    assert config.loss.type == "mse" and config.loss.reduction == "mean"
    assert config.scheduler is None
    layers = resolve_layers(config)
    default = {"type": "default"}
    assert [layer["type"] for layer in layers] == ["linear", "relu"] * 3 + ["linear"]
    assert layers[0] == {
        "type": "linear",
        "in_features": 1,
        "out_features": 16,
        "bias": True,
        "weight_init": default,
        "bias_init": default,
    }
    assert [(layer["in_features"], layer["out_features"]) for layer in layers[::2]] == [
        (1, 16),
        (16, 64),
        (64, 16),
        (16, 1),
    ]


def test_compact_form_with_inits_and_dropout(tmp_path):
    text = replace(
        BASE,
        "  activation: relu\n",
        "  activation: {type: leaky_relu, negative_slope: 0.2}\n  weight_init: {type: normal, std: 0.01}\n"
        "  bias_init: zeros\n  dropout: 0.1\n",
    )
    layers = resolve_layers(load_config(write(tmp_path, text)))
    assert [layer["type"] for layer in layers[:4]] == ["linear", "leaky_relu", "dropout", "linear"]
    assert layers[0]["weight_init"] == {"type": "normal", "mean": 0.0, "std": 0.01}
    assert layers[0]["bias_init"] == {"type": "zeros"}
    assert layers[1] == {"type": "leaky_relu", "negative_slope": 0.2}
    assert layers[2] == {"type": "dropout", "p": 0.1}
    assert layers[-1]["type"] == "linear"


ALIASES = """\
data: {x: data/x.npy, y: data/y.npy}
model:
  layers:
    - {type: linear, in_features: 1, out_features: 8, weight_init: glorot_uniform}
    - {type: batchnorm1d, num_features: 8}
    - swish
    - {type: linear, in_features: 8, out_features: 1}
loss: mae
optimizer: {type: adam}
scheduler: {type: cosine_annealing, t_max: 10}
train: {epochs: 1, batch_size: 1}
"""


def test_explicit_layers_with_bare_names_and_aliases(tmp_path):
    config = load_config(write(tmp_path, ALIASES))
    layers = resolve_layers(config)
    # Aliases become the registry's canonical names, so the resolved config is unambiguous.
    assert [layer["type"] for layer in layers] == ["linear", "batch_norm1d", "silu", "linear"]
    assert layers[0]["weight_init"] == {"type": "xavier_uniform", "gain": 1.0}
    assert config.loss.type == "l1" and config.scheduler.type == "cosine" and config.optimizer.type == "adam"


def test_a_layer_mapping_needs_a_type(tmp_path):
    text = replace(ALIASES, "- swish", "- swish: null")
    lines = problems_of(tmp_path, text)
    assert len(lines) == 1 and "model.layers[2]: missing 'type'; allowed layers: linear, relu," in lines[0], (
        lines
    )


@pytest.mark.parametrize(
    "optimizer",
    [
        "{type: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 1e-4, decay_type: l1}",
        "{type: adam, lr: 1e-3, betas: [0.8, 0.99], amsgrad: true}",
        "{type: adamw, weight_decay: 0.05}",
        "{type: rmsprop, alpha: 0.9, centered: true, momentum: 0.5}",
        "{type: adagrad, lr_decay: 1e-3, initial_accumulator_value: 0.1}",
    ],
)
@pytest.mark.parametrize(
    "scheduler",
    [
        "null",
        "{type: step, step_size: 10, gamma: 0.5}",
        "{type: multi_step, milestones: [10, 20]}",
        "{type: exponential, gamma: 0.99}",
        "{type: cosine, t_max: 100, eta_min: 1e-5}",
        "{type: linear, start_factor: 0.1, total_iters: 10}",
        "{type: reduce_on_plateau, patience: 3, factor: 0.5}",
    ],
)
def test_round_trip_of_the_resolved_config(tmp_path, optimizer, scheduler):
    text = replace(BASE, "optimizer: {type: sgd, lr: 0.01, momentum: 0.9}", f"optimizer: {optimizer}")
    text = replace(text, "loss: mse", "loss: {type: huber, delta: 0.5}")
    text = replace(
        text, "  drop_last: true\n", "  drop_last: true\n  early_stopping: {patience: 5}\n  grad_clip: 1.0\n"
    )
    text += f"scheduler: {scheduler}\n"
    original = load_config(write(tmp_path, text))
    dumped = yaml.safe_dump(original.resolved(), sort_keys=False)
    again = load_config(write(tmp_path, dumped, "resolved.yaml"))
    assert again == original
    assert again.resolved() == original.resolved()
    # The resolved form is explicit: every default is written out.
    assert set(again.resolved()["optimizer"]) == set(type(original.optimizer).model_fields)


def test_equality_sees_a_changed_value(tmp_path):
    first = load_config(write(tmp_path, BASE))
    second = load_config(write(tmp_path, BASE, "other.yaml"), ["optimizer.lr=0.02"])
    assert first != second
    assert first == load_config(write(tmp_path, BASE, "third.yaml"))


def test_minimal_config_gets_the_documented_defaults(tmp_path):
    text = "data: {x: a.npy, y: b.npy}\nmodel: {widths: [2, 1]}\ntrain: {epochs: 1, batch_size: 1}\n"
    resolved = load_config(write(tmp_path, text)).resolved()
    assert resolved["name"] == "run" and resolved["seed"] == 0 and resolved["dtype"] == "float32"
    assert resolved["loss"] == {"type": "mse", "reduction": "mean"}
    assert resolved["optimizer"]["type"] == "sgd" and resolved["optimizer"]["lr"] == 1e-3
    assert resolved["scheduler"] is None
    assert resolved["data"]["val_fraction"] == 0.0 and resolved["data"]["train_size"] is None
    assert resolved["train"] == {
        "epochs": 1,
        "batch_size": 1,
        "shuffle": True,
        "drop_last": False,
        "grad_clip": None,
        "early_stopping": None,
        "checkpoint_every": 0,
        "compile": True,
    }
    assert resolved["model"]["layers"] == [
        {
            "type": "linear",
            "in_features": 2,
            "out_features": 1,
            "bias": True,
            "weight_init": {"type": "default"},
            "bias_init": {"type": "default"},
        }
    ]


def test_yaml_1_2_floats_reach_the_config(tmp_path):
    config = load_config(write(tmp_path, BASE.replace("lr: 0.01", "lr: 1e-3")))
    assert config.optimizer.lr == 0.001


# --- all problems in one run ----------------------------------------------------------------------
def test_four_problems_in_one_run(tmp_path):
    text = """\
    data:
      x: data/x.npy
      y: data/y.npy
    model:
      widths: [1, 16, 1]
      activation: rleu
    train:
      epoch: 10
      batch_size: -4
      shuffle: "yes"
    """
    lines = problems_of(tmp_path, text)
    path = tmp_path / "c.yaml"
    assert lines == [
        f"{path}:6:15: model.activation: unknown activation 'rleu'; did you mean 'relu'? allowed: "
        + ", ".join(spec_tables.ACTIVATION_VARIANTS),
        f"{path}:8:3: train.epoch: unknown key; did you mean 'epochs'? allowed: epochs, batch_size, shuffle, "
        "drop_last, grad_clip, early_stopping, checkpoint_every, compile",
        f"{path}:9:15: train.batch_size: must be >= 1; got -4 (an integer)",
        f"{path}:10:12: train.shuffle: expected true or false; got 'yes' (a string)",
    ]


# --- typos, types, ranges, names: one located line each ------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "anchor", "expected"),
    [
        # typos at every level (located at the key)
        ("  epochs: 1000", "  epoch: 1000", "train.epoch", "epoch:", "unknown key; did you mean 'epochs'?"),
        ("optimizer:", "optimiser:", "optimiser", "optimiser", "unknown key; did you mean 'optimizer'?"),
        ("0.9}", "0.9, learnin_rate: 0.1}", "optimizer.learnin_rate", "learnin_rate", "did you mean 'lr'?"),
        ("0.9}", "0.9, nesterov: true, dampning: 0}", "optimizer.dampning", "dampning", "'dampening'?"),
        (
            "  train_size: 100",
            "  train_sise: 100",
            "data.train_sise",
            "train_sise",
            "did you mean 'train_size'?",
        ),
        (
            "  activation: relu",
            "  activaton: relu",
            "model.activaton",
            "activaton",
            "did you mean 'activation'?",
        ),
        ("loss: mse", "loss: {type: mse, reducton: sum}", "loss.reducton", "reducton", "'reduction'?"),
        ("seed: 10001", "sed: 10001", "sed", "sed", "did you mean 'seed'?"),
        (
            "  drop_last: true",
            "  early_stopping: {patience: 2, restore: true}",
            "train.early_stopping.restore",
            "restore",
            "did you mean 'restore_best'?",
        ),
        # wrong types (located at the value)
        (
            "epochs: 1000",
            'epochs: "ten"',
            "train.epochs",
            '"ten"',
            "expected an integer; got 'ten' (a string)",
        ),
        (
            "epochs: 1000",
            "epochs: true",
            "train.epochs",
            "true\n",
            "expected an integer; got true (a boolean)",
        ),
        ("batch_size: 4", "batch_size: 32.5", "train.batch_size", "32.5", "expected an integer; got 32.5"),
        ("batch_size: 4", "batch_size: 4.0", "train.batch_size", "4.0", "expected an integer; got 4.0"),
        ("lr: 0.01", "lr: '0.01'", "optimizer.lr", "'0.01'", "expected a number; got '0.01' (a string)"),
        ("lr: 0.01", "lr: true", "optimizer.lr", "true,", "expected a number; got true (a boolean)"),
        (
            "drop_last: true",
            "drop_last: 1",
            "train.drop_last",
            "drop_last: |1",
            "expected true or false; got 1",
        ),
        ("name: sin", "name: 12", "name", "12", "expected a string; got 12 (an integer)"),
        ("  x: data/x.npy", "  x: [1, 2]", "data.x", "[1, 2]", "expected a string; got a list of 2"),
        (
            "  drop_last: true",
            "  early_stopping: 3",
            "train.early_stopping",
            "early_stopping: |3",
            "expected a mapping; got 3",
        ),
        # out of range and non-finite
        ("batch_size: 4", "batch_size: 0", "train.batch_size", "batch_size: |0", "must be >= 1; got 0"),
        ("lr: 0.01", "lr: -1", "optimizer.lr", "-1", "must be >= 0.0; got -1"),
        ("lr: 0.01", "lr: .nan", "optimizer.lr", ".nan", "must be a finite number; got nan"),
        ("lr: 0.01", "lr: .inf", "optimizer.lr", ".inf", "must be a finite number; got inf"),
        ("lr: 0.01", "lr: -.inf", "optimizer.lr", "-.inf", "must be a finite number; got -inf"),
        ("[1, 16, 64, 16, 1]", "[]", "model.widths", "[]", "needs at least 2 item(s); got a list of 0"),
        ("[1, 16, 64, 16, 1]", "[1, 0, 1]", "model.widths[1]", "0, 1]", "must be >= 1; got 0"),
        ("  activation: relu", "  activation: relu\n  dropout: 1.5", "model.dropout", "1.5", "must be < 1.0"),
        ("seed: 10001", "seed: -1", "seed", "-1", "must be >= 0; got -1"),
        ("  train_size: 100", "  train_size: 0", "data.train_size", "train_size: |0", "must be >= 1; got 0"),
        ("  drop_last: true", "  grad_clip: 0", "train.grad_clip", "grad_clip: |0", "must be > 0.0; got 0"),
        ("  drop_last: true", "  checkpoint_every: -1", "train.checkpoint_every", "-1", "must be >= 0"),
        ("momentum: 0.9}", "momentum: -0.9}", "optimizer.momentum", "-0.9", "must be >= 0.0; got -0.9"),
        ("  train_size: 100", "  val_fraction: 1.0", "data.val_fraction", "1.0", "must be < 1.0; got 1.0"),
        ("name: sin", "name: ../up", "name", "../up", "use letters, digits"),
        # unknown names, with the registry's suggestion (located at the value)
        (
            "activation: relu",
            "activation: rellu",
            "model.activation",
            "rellu",
            "unknown activation 'rellu'; did you mean 'relu'?",
        ),
        (
            "activation: relu",
            "activation: dropout",
            "model.activation",
            "dropout",
            "unknown activation 'dropout'",
        ),
        (
            "loss: mse",
            "loss: mes",
            "loss",
            "mes",
            "unknown loss 'mes'; did you mean 'mse'? allowed: mse, l1,",
        ),
        (
            "{type: sgd,",
            "{type: adamm,",
            "optimizer.type",
            "{type: |adamm",
            "unknown optimizer 'adamm'; did you mean 'adam'?",
        ),
        (
            "seed: 10001",
            "scheduler: cosin",
            "scheduler",
            "cosin",
            "unknown scheduler 'cosin'; did you mean 'cosine'?",
        ),
        (
            "  activation: relu",
            "  weight_init: xavier_unifrom",
            "model.weight_init",
            "xavier_unifrom",
            "unknown initializer 'xavier_unifrom'; did you mean 'xavier_uniform'?",
        ),
        (
            "  activation: relu",
            "  weight_init: {std: 1}",
            "model.weight_init",
            "{std",
            "missing 'type'; allowed initializers",
        ),
        (
            "  activation: relu",
            "  bias_init: xavier_normal",
            "model.bias_init",
            "xavier_normal",
            "needs a 2-D weight",
        ),
        (
            "loss: mse",
            "loss: {type: mse, reduction: avg}",
            "loss.reduction",
            "avg",
            "unknown value 'avg'; allowed: mean, sum",
        ),
        ("loss: mse", "loss: {type: mse, reduction: Mean}", "loss.reduction", "Mean", "did you mean 'mean'?"),
        ("0.9}", "0.9, decay_type: l3}", "optimizer.decay_type", "l3", "allowed: l2, l1"),
        ("loss: mse", "loss: {type: huber, delta: 0}", "loss.delta", "0}", "must be > 0.0; got 0"),
        (
            "seed: 10001",
            "dtype: float16",
            "dtype",
            "float16",
            "unknown value 'float16'; did you mean 'float64'? allowed: float32, float64",
        ),
        ("loss: mse", "loss: 7", "loss", "7", "expected a loss name or a mapping with 'type'; got 7"),
        (
            "0.9}",
            "0.9, nesterov: true, dampening: 0.1}",
            "optimizer",
            "{type",
            "nesterov needs momentum > 0 and dampening 0",
        ),
    ],
)
def test_each_bad_value_is_one_located_line(tmp_path, old, new, key, anchor, expected):
    text = replace(BASE, old, new)
    lines = problems_of(tmp_path, text)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{tmp_path / 'c.yaml'}:{located(text, anchor)}: {key}: "), lines[0]
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("loss=mes", "--set loss: unknown loss 'mes'"),
        ("loss={type: mes}", "--set loss.type: unknown loss 'mes'"),
        ("loss.type=mes", "--set loss.type: unknown loss 'mes'"),
    ],
)
def test_an_unknown_name_is_located_where_it_was_written(tmp_path, override, expected):
    lines = problems_of(tmp_path, BASE, [override])
    assert len(lines) == 1 and lines[0].startswith(expected), lines


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  activation: relu",
            "  activation: {type: leaky_relu, slope: 0.1}",
            "did you mean 'negative_slope'?",
        ),
        ("seed: 10001", "dtype: 32", "dtype: allowed: float32, float64; got 32 (an integer)"),
    ],
)
def test_more_suggestions(tmp_path, old, new, expected):
    lines = problems_of(tmp_path, replace(BASE, old, new))
    assert len(lines) == 1 and expected in lines[0], lines


def test_a_key_with_control_characters_stays_on_one_line(tmp_path):
    lines = problems_of(tmp_path, BASE + '"evil\\nkey\\e[2J": 1\n')
    assert lines == [
        f"{tmp_path / 'c.yaml'}:{len(BASE.splitlines()) + 1}:1: evil\\nkey\\x1b[2J: unknown key; "
        "allowed: name, seed, dtype, data, task, preprocess, metrics, model, loss, optimizer, "
        "scheduler, train, sweep"
    ]

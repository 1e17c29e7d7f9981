"""--set overrides, cross-checks, the JSON Schema, the builders, and the specs against the registries."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from runs_helpers import located

from lddl_cli import nn
from lddl_cli.config import (
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
    config_from_dict,
    load_config,
    resolve_layers,
    schema_json,
)
from lddl_cli.config import specs as spec_tables
from lddl_cli.errors import ConfigError
from lddl_cli.nn import registry

BASE = """\
name: sin
seed: 3
data: {x: data/x.npy, y: data/y.npy}
model:
  widths: [1, 16, 64, 16, 1]
  activation: relu
optimizer: {type: sgd, lr: 0.01, momentum: 0.9}
train: {epochs: 10, batch_size: 4}
"""

LAYERS = """\
name: explicit
data: {x: data/x.npy, y: data/y.npy}
model:
  layers:
    - {type: linear, in_features: 2, out_features: 8}
    - relu
    - {type: batch_norm1d, num_features: 8}
    - {type: dropout, p: 0.1}
    - {type: linear, in_features: 8, out_features: 4, weight_init: {type: kaiming_uniform, a: 0.1}}
    - {type: layer_norm, normalized_shape: 4}
    - tanh
    - {type: linear, in_features: 4, out_features: 1, bias_init: {type: constant, value: 0.5}}
train: {epochs: 2, batch_size: 2}
"""


def write(tmp_path, text: str, name: str = "c.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path, overrides=()) -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_config(path, overrides)
    return error.value.lines()


# --- overrides -------------------------------------------------------------------------------------
def test_overrides_apply_like_the_file(tmp_path):
    overrides = [
        "optimizer.lr=1e-3",
        "train.epochs=50",
        "model.widths=[1, 8, 1]",
        "scheduler={type: cosine, t_max: 50}",
        "loss=mae",
        "data.val_fraction=0.2",
        "name=other",
    ]
    config = load_config(write(tmp_path, BASE), overrides)
    assert config.optimizer.lr == 0.001 and config.optimizer.momentum == 0.9
    assert config.train.epochs == 50
    assert [layer["type"] for layer in resolve_layers(config)] == ["linear", "relu", "linear"]
    assert config.scheduler.type == "cosine" and config.scheduler.t_max == 50
    assert config.loss.type == "l1"
    assert config.data.val_fraction == 0.2 and config.name == "other"


def test_override_into_a_bare_name_and_a_list_item(tmp_path):
    text = BASE.replace("optimizer:", "loss: mse\noptimizer:")
    config = load_config(
        write(tmp_path, text), ["loss.reduction=sum", "scheduler.type=exponential", "scheduler.gamma=0.9"]
    )
    assert config.loss.reduction == "sum" and config.scheduler.gamma == 0.9
    config = load_config(write(tmp_path, LAYERS), ["model.layers.3.p=0.3", "model.layers.1=gelu"])
    layers = resolve_layers(config)
    assert layers[3] == {"type": "dropout", "p": 0.3}
    assert layers[1] == {"type": "gelu", "approximate": "none"}


def test_later_override_wins(tmp_path):
    config = load_config(write(tmp_path, BASE), ["train.epochs=5", "train.epochs=7"])
    assert config.train.epochs == 7


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("optimizer.lr=-1", "--set optimizer.lr: must be >= 0.0; got -1 (an integer)"),
        ("optimizer.lr=.nan", "--set optimizer.lr: must be a finite number; got nan"),
        ("train.epochs=ten", "--set train.epochs: expected an integer; got 'ten' (a string)"),
        ("train.epochs=true", "--set train.epochs: expected an integer; got true (a boolean)"),
        ("train.batch_size=32.5", "--set train.batch_size: expected an integer; got 32.5"),
        ("model.widths=[]", "--set model.widths: needs at least 2 item(s)"),
        ("optimizer.learnin_rate=0.1", "--set optimizer.learnin_rate: unknown key; did you mean 'lr'?"),
        ("train.epoch=5", "--set train.epoch: unknown key; did you mean 'epochs'?"),
        ("model.activation=rleu", "--set model.activation: unknown activation 'rleu'; did you mean 'relu'?"),
        ("optimizer={type: sgd, lr: -2}", "--set optimizer.lr: must be >= 0.0; got -2"),
        ("epochs", "--set epochs: expected KEY.PATH=VALUE (e.g. optimizer.lr=0.001); got 'epochs'"),
        ("=3", "--set: expected KEY.PATH=VALUE"),
        ("train..epochs=3", "--set train..epochs: bad key path"),
        ("train.epochs=[1", "--set train.epochs: YAML syntax error"),
        ("train.epochs=!!python/object/apply:os.system [x]", "--set train.epochs: YAML tag"),
        ("seed.value=3", "--set seed.value: cannot set a key inside seed: it is 3 (an integer)"),
        (
            "model.widths.7=3",
            "--set model.widths.7: model.widths is a list of 5 items; use an index from 0 to 4",
        ),
        ("model.widths.9.x=3", "--set model.widths.9.x: index 9 out of range: model.widths has 5 items"),
        ("model.widths.x=3", "--set model.widths.x: model.widths is a list of 5 items"),
    ],
)
def test_override_problems_name_the_override(tmp_path, override, expected):
    lines = problems_of(write(tmp_path, BASE), [override])
    assert len(lines) == 1, lines
    assert lines[0].startswith(expected), lines[0]


def test_file_and_override_problems_together(tmp_path):
    text = BASE.replace("batch_size: 4", "batch_size: 0")
    lines = problems_of(write(tmp_path, text), ["optimizer.lr=-1"])
    assert lines == [
        f"{tmp_path / 'c.yaml'}:{located(text, 'batch_size: |0')}: train.batch_size: must be >= 1; got 0"
        " (an integer)",
        "--set optimizer.lr: must be >= 0.0; got -1 (an integer)",
    ]


# --- model forms and cross-checks -----------------------------------------------------------------
def test_explicit_layers_resolve(tmp_path):
    layers = resolve_layers(load_config(write(tmp_path, LAYERS)))
    assert [layer["type"] for layer in layers] == [
        "linear",
        "relu",
        "batch_norm1d",
        "dropout",
        "linear",
        "layer_norm",
        "tanh",
        "linear",
    ]
    assert layers[2] == {
        "type": "batch_norm1d",
        "num_features": 8,
        "eps": 1e-5,
        "momentum": 0.1,
        "affine": True,
        "track_running_stats": True,
    }
    assert layers[4]["weight_init"] == {
        "type": "kaiming_uniform",
        "a": 0.1,
        "mode": "fan_in",
        "nonlinearity": "leaky_relu",
    }
    assert layers[7]["bias_init"] == {"type": "constant", "value": 0.5}


@pytest.mark.parametrize(
    ("old", "new", "anchor", "expected"),
    [
        # planted width mistakes: each must be caught, located at the offending key's value
        (
            "in_features: 8, out_features: 4",
            "in_features: 7, out_features: 4",
            "in_features: |7",
            "model.layers[4].in_features: in_features must equal the width before it (8, from "
            "layers[0].out_features); got 7",
        ),
        (
            "num_features: 8",
            "num_features: 6",
            "num_features: |6",
            "model.layers[2].num_features: num_features must equal the width before it (8, from "
            "layers[0].out_features); got 6",
        ),
        (
            "normalized_shape: 4",
            "normalized_shape: 5",
            "normalized_shape: |5",
            "model.layers[5].normalized_shape: normalized_shape must equal the width before it (4, from "
            "layers[4].out_features); got 5",
        ),
        (
            "in_features: 4, out_features: 1",
            "in_features: 3, out_features: 1",
            "in_features: |3",
            "model.layers[7].in_features: in_features must equal the width before it (4, from "
            "layers[4].out_features); got 3",
        ),
    ],
)
def test_layer_widths_must_chain(tmp_path, old, new, anchor, expected):
    assert old in LAYERS
    text = LAYERS.replace(old, new)
    lines = problems_of(write(tmp_path, text))
    assert lines == [f"{tmp_path / 'c.yaml'}:{located(text, anchor)}: {expected}"]


def test_all_width_mistakes_are_reported_together(tmp_path):
    text = LAYERS.replace("num_features: 8", "num_features: 6").replace("in_features: 4,", "in_features: 3,")
    assert len(problems_of(write(tmp_path, text))) == 2


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("{widths: [1, 1], layers: [relu]}", "give either 'widths' (compact form) or 'layers'"),
        ("{activation: relu}", "give either 'widths' (compact form) or 'layers'"),
        (
            "{layers: [{type: linear, in_features: 1, out_features: 1}], activation: relu}",
            "activation belong(s) to",
        ),
        ("{layers: []}", "model.layers: needs at least 1 item(s)"),
        ("{layers: [relu, tanh]}", "model.layers: needs at least one linear layer"),
        ("{widths: [1, 2], layers: null, dropout: -0.5}", "model.dropout: must be >= 0"),
    ],
)
def test_model_form_problems(tmp_path, model, expected):
    text = BASE.replace("model:\n  widths: [1, 16, 64, 16, 1]\n  activation: relu\n", f"model: {model}\n")
    lines = problems_of(write(tmp_path, text))
    assert any(expected in line for line in lines), lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("data: {x: a.npy, y: b.npy, val_x: c.npy}", "val_x and val_y go together"),
        ("data: {x: a.npy, y: b.npy, val_x: c.npy, val_y: d.npy, val_fraction: 0.1}", "not both"),
        ("data: {x: '', y: b.npy}", "data.x: must not be empty"),
        ("data: {x: a.npy}", "data: give data.path (a table with a header row) or both data.x and data.y"),
    ],
)
def test_data_section_problems(tmp_path, text, expected):
    lines = problems_of(write(tmp_path, BASE.replace("data: {x: data/x.npy, y: data/y.npy}", text)))
    assert any(expected in line for line in lines), lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scheduler: {type: multi_step, milestones: [20, 10]}", "milestones must be strictly increasing"),
        ("scheduler: {type: step}", "scheduler.step_size: required key is missing (an integer >= 1)"),
        ("weight_init: {type: uniform, a: 1, b: 0}", "a must be <= b"),
    ],
)
def test_cross_field_rules_of_a_spec(tmp_path, text, expected):
    if text.startswith("weight_init"):
        body = BASE.replace("  activation: relu\n", f"  activation: relu\n  {text}\n")
    else:
        body = BASE + text + "\n"
    lines = problems_of(write(tmp_path, body))
    assert len(lines) == 1 and expected in lines[0], lines


@pytest.mark.parametrize("missing", ["data", "model", "train"])
def test_missing_sections(tmp_path, missing):
    lines = [line for line in BASE.splitlines(keepends=True) if not line.startswith(missing)]
    if missing == "model":
        lines = [line for line in lines if not line.startswith("  ")]
    problems = problems_of(write(tmp_path, "".join(lines)))
    assert problems == [f"{tmp_path / 'c.yaml'}:1:1: {missing}: required key is missing (a mapping)"]


def test_config_from_dict_validates_plain_data():
    data = {
        "data": {"x": "a.npy", "y": "b.npy"},
        "model": {"widths": [1, 1]},
        "train": {"epochs": 1, "batch_size": 1},
    }
    assert config_from_dict(data).model.widths == [1, 1]
    data["train"]["epochs"] = 0
    with pytest.raises(ConfigError) as error:
        config_from_dict(data, "model.npz")
    assert error.value.lines() == ["model.npz: train.epochs: must be >= 1; got 0 (an integer)"]


# --- the JSON Schema --------------------------------------------------------------------------------
def test_schema_describes_every_section_and_type():
    schema = schema_json()
    json.dumps(schema)  # plain JSON
    assert set(schema["properties"]) == {
        "name",
        "seed",
        "dtype",
        "data",
        "task",
        "preprocess",
        "metrics",
        "model",
        "loss",
        "optimizer",
        "scheduler",
        "train",
        "sweep",
    }
    assert set(schema["required"]) == {"data", "model", "train"}
    definitions = schema["$defs"]
    assert definitions["SGDSpec"]["additionalProperties"] is False
    assert set(definitions["SGDSpec"]["properties"]) == {
        "type",
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "decay_type",
    }
    for spec in (
        *spec_tables.LAYER_SPECS.values(),
        *spec_tables.OPTIMIZER_SPECS.values(),
        *spec_tables.SCHEDULER_SPECS.values(),
    ):
        assert spec.__name__ in definitions
        assert definitions[spec.__name__]["required"][0] == "type"


def test_schema_accepts_bare_names_only_where_no_other_key_is_needed():
    schema = schema_json()
    bare = [m for m in schema["properties"]["loss"]["oneOf"] if m.get("type") == "string"]
    assert bare == [
        {"type": "string", "enum": ["mse", "l1", "mae", "huber", "cross_entropy", "bce_with_logits"]}
    ]
    items = schema["$defs"]["ModelConfig"]["properties"]["layers"]["anyOf"][0]["items"]["oneOf"]
    (names,) = [m["enum"] for m in items if m.get("type") == "string"]
    assert "relu" in names and "dropout" in names
    assert "linear" not in names and "batch_norm1d" not in names
    assert "swish" in names  # an alias of silu


def test_schema_spells_aliases_in_the_mapping_form_too():
    definitions = schema_json()["$defs"]
    l1_type = definitions["L1LossSpec"]["properties"]["type"]
    assert {k: v for k, v in l1_type.items() if k != "description"} == {
        "enum": ["l1", "mae"],
        "default": "l1",
    }
    assert definitions["MSELossSpec"]["properties"]["type"]["const"] == "mse"


# --- builders -----------------------------------------------------------------------------------------
def test_build_model_from_the_resolved_layers(tmp_path):
    config = load_config(write(tmp_path, LAYERS))
    layers = resolve_layers(config)
    model = build_model(layers, "float64", np.random.default_rng(config.seed))
    assert isinstance(model, nn.Sequential) and len(model) == len(layers)
    state = model.state_dict()
    assert state["0.weight"].shape == (8, 2) and state["0.weight"].dtype == np.float64
    assert state["7.bias"].tolist() == [0.5]
    assert "2.running_mean" in state and state["5.weight"].shape == (4,)
    again = build_model(layers, "float64", np.random.default_rng(config.seed))
    assert all(np.array_equal(state[k], again.state_dict()[k]) for k in state)
    other = build_model(layers, "float64", np.random.default_rng(config.seed + 1))
    assert not np.array_equal(state["0.weight"], other.state_dict()["0.weight"])
    model.eval()
    assert model(np.ones((3, 2))).shape == (3, 1)


def test_build_model_uses_the_initializer_hyperparameters(tmp_path):
    text = BASE.replace(
        "  activation: relu\n", "  activation: relu\n  weight_init: {type: normal, std: 0.01}\n"
    )
    config = load_config(write(tmp_path, text), ["model.widths=[1, 400, 1]"])
    model = build_model(resolve_layers(config), config.dtype, np.random.default_rng(0))
    weight = model.state_dict()["0.weight"]
    assert weight.dtype == np.float32
    assert 0.008 < weight.std() < 0.012


def test_build_loss_optimizer_scheduler(tmp_path):
    text = (
        BASE
        + "loss: {type: huber, delta: 0.5, reduction: sum}\n"
        + "scheduler: {type: cosine, t_max: 7, eta_min: 0.001}\n"
    )
    config = load_config(write(tmp_path, text))
    model = build_model(resolve_layers(config), config.dtype, np.random.default_rng(0))
    loss = build_loss(config.loss)
    assert isinstance(loss, registry.LOSSES["huber"]) and loss.reduction == "sum" and loss.delta == 0.5
    optimizer = build_optimizer(config.optimizer, model.parameters())
    assert isinstance(optimizer, nn.SGD)
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.01 and group["momentum"] == 0.9
    scheduler = build_scheduler(config.scheduler, optimizer)
    assert isinstance(scheduler, registry.SCHEDULERS["cosine"])
    assert scheduler.T_max == 7 and scheduler.eta_min == 0.001
    assert build_scheduler(None, optimizer) is None


def test_build_adam_passes_betas_as_a_tuple(tmp_path):
    config = load_config(write(tmp_path, BASE), ["optimizer={type: adam, betas: [0.8, 0.9]}"])
    model = build_model(resolve_layers(config), config.dtype, np.random.default_rng(0))
    optimizer = build_optimizer(config.optimizer, model.parameters())
    assert tuple(optimizer.param_groups[0]["betas"]) == (0.8, 0.9)


# --- the specs agree with the registries ------------------------------------------------------------
KINDS = [
    ("LAYERS", spec_tables.LAYER_SPECS, spec_tables.LAYER_VARIANTS),
    ("LOSSES", spec_tables.LOSS_SPECS, spec_tables.LOSS_VARIANTS),
    ("OPTIMIZERS", spec_tables.OPTIMIZER_SPECS, spec_tables.OPTIMIZER_VARIANTS),
    ("SCHEDULERS", spec_tables.SCHEDULER_SPECS, spec_tables.SCHEDULER_VARIANTS),
    ("INITIALIZERS", spec_tables.INIT_SPECS, spec_tables.INIT_VARIANTS),
]
NOT_HYPERPARAMETERS = {"self", "params", "optimizer", "shape", "rng", "dtype", "fan_in", "fan_out"}


@pytest.mark.parametrize(("table", "specs", "variants"), KINDS, ids=[k[0] for k in KINDS])
def test_every_registered_name_has_a_hand_written_spec(table, specs, variants):
    names = getattr(registry, table).names()
    assert list(variants) == names
    assert sorted(specs) == sorted(names)


def _spec_defaults_vs_library(table: str, specs: dict) -> list[str]:
    """Differences between each spec's keys/defaults and its library constructor's arguments."""
    differences = []
    for name in getattr(registry, table).names():
        spec = specs[name]
        parameters = inspect.signature(getattr(registry, table)[name]).parameters
        arguments = {
            arg: p
            for arg, p in parameters.items()
            if arg not in NOT_HYPERPARAMETERS and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        keys = {spec_tables.SCHEDULER_ARGUMENTS.get(k, k) for k in spec.model_fields if k != "type"}
        if table == "LAYERS" and name == "linear":
            keys |= {"weight_init", "bias_init"}
        if keys != set(arguments):
            differences.append(f"{name}: spec keys {sorted(keys)} != library arguments {sorted(arguments)}")
            continue
        for key, field in spec.model_fields.items():
            argument = arguments.get(spec_tables.SCHEDULER_ARGUMENTS.get(key, key))
            if argument is None or argument.default is inspect.Parameter.empty or argument.default is None:
                continue
            default = field.default.model_dump() if hasattr(field.default, "model_dump") else field.default
            library = list(argument.default) if isinstance(argument.default, tuple) else argument.default
            if default != library:
                differences.append(f"{name}.{key}: spec default {default!r} != library default {library!r}")
    return differences


@pytest.mark.parametrize(("table", "specs", "variants"), KINDS, ids=[k[0] for k in KINDS])
def test_spec_keys_and_defaults_match_the_library(table, specs, variants):
    assert _spec_defaults_vs_library(table, specs) == []


def test_the_spec_checker_catches_a_planted_drift(monkeypatch):
    planted = dict(spec_tables.OPTIMIZER_SPECS)
    planted["sgd"] = spec_tables._spec_from_signature("sgd", lambda params, lr=0.5, momentum=0: None)
    differences = _spec_defaults_vs_library("OPTIMIZERS", planted)
    assert any(d.startswith("sgd:") for d in differences), differences


def test_a_malformed_override_does_not_hide_the_other_problems(tmp_path):
    lines = problems_of(
        write(tmp_path, BASE.replace("epochs: 10", "epochs: 0")), ["nonsense", "optimizer.lr=-1"]
    )
    assert [line.split(": ")[0] for line in lines] == [
        f"{tmp_path / 'c.yaml'}:{located(BASE, 'epochs: |10')}",
        "--set optimizer.lr",
        "--set nonsense",
    ]


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ([{"type": "lineer"}], "model.layers[0]: unknown layer 'lineer'; did you mean 'linear'?"),
        (
            [{"type": "linear", "in_features": 1, "out_features": 1, "weight_init": {"type": "nrmal"}}],
            "model.layers[0]: unknown initializer 'nrmal'; did you mean 'normal'?",
        ),
        (
            [{"type": "linear", "in_features": 0, "out_features": 1}],
            "model.layers[0]: linear: in_features must be",
        ),
    ],
)
def test_build_model_turns_bad_specs_into_config_errors(layers, expected):
    with pytest.raises(ConfigError) as error:
        build_model(layers, "float32", np.random.default_rng(0))
    assert error.value.lines()[0].startswith(expected), error.value.lines()

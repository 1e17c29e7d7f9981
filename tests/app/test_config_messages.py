"""The translation of pydantic's errors: every entry of the wording table (and every error type
with a function of its own) produced by a real bad config, the fallback for a type not in the
table, and the JSON Schema lookups that supply allowed keys, choices and descriptions."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from lddl_cli.config import config_from_dict, expected, messages
from lddl_cli.config.loader import normalize
from lddl_cli.config.sections import Config
from lddl_cli.errors import ConfigError

VALID = {
    "data": {"x": "x.npy", "y": "y.npy"},
    "model": {"widths": [1, 8, 1]},
    "optimizer": {"type": "adam", "lr": 0.01},
    "train": {"epochs": 2, "batch_size": 4},
}
DELETE = object()
TRAIN_KEYS = "epochs, batch_size, shuffle, drop_last, grad_clip, early_stopping, checkpoint_every, compile"

# error type -> (key path, the value written there, the one line lddl prints)
CASES = {
    "int_type": (("train", "epochs"), 2.5, "train.epochs: expected an integer; got 2.5 (a number)"),
    "float_type": (("optimizer", "lr"), "fast", "optimizer.lr: expected a number; got 'fast' (a string)"),
    "bool_type": (("train", "shuffle"), 1, "train.shuffle: expected true or false; got 1 (an integer)"),
    "string_type": (("data", "x"), 3, "data.x: expected a string; got 3 (an integer)"),
    "list_type": (("model", "widths"), 3, "model.widths: expected a list; got 3 (an integer)"),
    "model_type": (("train",), [1], "train: expected a mapping; got a list of 1"),
    "greater_than": (("train", "grad_clip"), 0, "train.grad_clip: must be > 0.0; got 0 (an integer)"),
    "greater_than_equal": (("train", "epochs"), 0, "train.epochs: must be >= 1; got 0 (an integer)"),
    "less_than": (("data", "val_fraction"), 1, "data.val_fraction: must be < 1.0; got 1 (an integer)"),
    "less_than_equal": (
        ("loss",),
        {"type": "cross_entropy", "label_smoothing": 2},
        "loss.label_smoothing: must be <= 1.0; got 2 (an integer)",
    ),
    "finite_number": (
        ("optimizer", "lr"),
        float("inf"),
        "optimizer.lr: must be a finite number; got inf (a number)",
    ),
    "too_short": (("model", "widths"), [3], "model.widths: needs at least 2 item(s); got a list of 1"),
    "too_long": (
        ("optimizer", "betas"),
        [0.9] * 3,
        "optimizer.betas: takes at most 2 item(s); got a list of 3",
    ),
    "string_too_short": (("data", "x"), "", "data.x: must not be empty; got '' (a string)"),
    "string_too_long": (("name",), "a" * 101, "name: at most 100 characters; got 101"),
    "string_pattern_mismatch": (
        ("name",),
        "-x",
        "name: use letters, digits, '.', '_' and '-' (starting with a letter or digit); got '-x' (a string)",
    ),
    "value_error": (
        ("scheduler",),
        {"type": "multi_step", "milestones": [2, 1]},
        "scheduler: milestones must be strictly increasing; got [2, 1]",
    ),
    # The types worded by a function of their own, with what the JSON Schema says.
    "literal_error": (
        ("dtype",),
        "float16",
        "dtype: unknown value 'float16'; did you mean 'float64'? allowed: float32, float64",
    ),
    "extra_forbidden": (
        ("train", "shufle"),
        True,
        f"train.shufle: unknown key; did you mean 'shuffle'? allowed: {TRAIN_KEYS}",
    ),
    "missing": (
        ("train", "batch_size"),
        DELETE,
        "train.batch_size: required key is missing (an integer >= 1)",
    ),
    "unknown_type": (
        ("loss",),
        "mes",
        "loss: unknown loss 'mes'; did you mean 'mse'? allowed: mse, l1, huber, cross_entropy, "
        "bce_with_logits",
    ),
}
OWN_FUNCTIONS = {"literal_error", "extra_forbidden", "missing", "unknown_type"}


def config_with(path: tuple, value) -> dict:
    data = copy.deepcopy(VALID)
    parent = data
    for key in path[:-1]:
        parent = parent.setdefault(key, {})
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


def pydantic_types(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as error:
        Config.model_validate(normalize(data))
    return [item["type"] for item in error.value.errors()]


def lddl_lines(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as error:
        config_from_dict(data)
    return error.value.lines()


def test_every_error_type_worded_has_a_case():
    assert set(CASES) == set(messages.WORDING) | OWN_FUNCTIONS


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_error_type_is_produced_by_a_bad_config_and_worded(kind):
    path, value, line = CASES[kind]
    data = config_with(path, value)
    # pydantic still calls this error by this name (a rename would silently lose the wording).
    assert pydantic_types(data) == [kind]
    assert lddl_lines(data) == [line]


def test_a_type_missing_from_the_table_keeps_pydantics_message(monkeypatch):
    data = config_with(("optimizer", "lr"), float("inf"))
    with pytest.raises(ValidationError) as error:
        Config.model_validate(normalize(data))
    pydantic_message = error.value.errors()[0]["msg"]
    monkeypatch.delitem(messages.WORDING, "finite_number")
    assert lddl_lines(data) == [f"optimizer.lr: {pydantic_message}; got inf (a number)"]


def test_an_unknown_error_type_falls_back_to_its_msg():
    item = {"type": "no_such_type", "msg": "Input is odd", "input": 3, "ctx": {"odd": True}}
    assert messages.message(item) == "Input is odd; got 3 (an integer)"


def test_choices_the_schema_cannot_place_keep_pydantics_message(monkeypatch):
    data = config_with(("dtype",), "float16")
    with pytest.raises(ValidationError) as error:
        Config.model_validate(normalize(data))
    pydantic_message = error.value.errors()[0]["msg"]
    monkeypatch.setattr(expected, "schema_at", lambda path, data: None)
    assert lddl_lines(data) == [f"dtype: {pydantic_message}; got 'float16' (a string)"]


def test_a_literal_given_as_another_kind_lists_the_choices():
    assert lddl_lines(config_with(("dtype",), 16)) == [
        "dtype: allowed: float32, float64; got 16 (an integer)"
    ]


@pytest.mark.parametrize(
    ("path", "data", "words"),
    [
        (("train", "epochs"), {}, "an integer >= 1"),
        (("model", "widths"), {}, "a list of at least 2 items"),
        (("data", "x"), {}, "a non-empty string"),
        (("data",), {}, "a mapping"),
        (("train", "shuffle"), {}, "true or false"),
        (("data", "val_fraction"), {}, "a number >= 0 < 1"),
        (("scheduler", "step_size"), {"scheduler": {"type": "step"}}, "an integer >= 1"),
        (
            ("model", "layers", 0, "in_features"),
            {"model": {"layers": [{"type": "linear"}]}},
            "an integer >= 1",
        ),
    ],
)
def test_describe_reads_the_schema_at_a_path(path, data, words):
    assert expected.describe(expected.schema_at(path, data)) == words


def test_a_union_member_is_chosen_by_the_type_the_data_names():
    adam = expected.schema_at(("optimizer",), {"optimizer": {"type": "adam"}})
    assert expected.allowed_keys(adam) == ["lr", "betas", "eps", "weight_decay", "amsgrad", "decay_type"]
    assert expected.choices(
        expected.schema_at(("optimizer", "decay_type"), {"optimizer": {"type": "sgd"}})
    ) == [
        "l2",
        "l1",
    ]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (("optimizer",), {"optimizer": {"type": "no_such_optimizer"}}),  # no member has that type
        (("optimizer",), {}),  # a union without data to choose by
        (("no_such_section",), {}),
        (("train", "epochs", "deeper"), {}),
    ],
)
def test_a_path_the_schema_cannot_place_gives_nothing(path, data):
    node = expected.schema_at(path, data)
    assert node is None
    assert (
        expected.allowed_keys(node) == [] and expected.choices(node) == [] and expected.describe(node) == ""
    )


def test_an_untyped_key_is_not_described():
    # A generated spec's argument without a default has the empty schema: say nothing about it.
    assert expected.describe({}) == ""
    assert expected.describe({"type": "integer", "minimum": 1.0}) == "an integer >= 1"

"""LddlError kinds: exit codes and the one-line-per-problem rendering."""

from __future__ import annotations

import pytest

from lddl_cli.errors import (
    ConfigError,
    DataError,
    LddlError,
    Problem,
    TrainingError,
    UsageError,
    WeightsError,
)


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (Problem("c.yaml", 3, 5, "train.epochs", "bad"), "c.yaml:3:5: train.epochs: bad"),
        (Problem("c.yaml", 3, None, "train.epochs", "bad"), "c.yaml:3: train.epochs: bad"),
        (Problem("c.yaml", None, None, "seed", "bad"), "c.yaml: seed: bad"),
        (Problem(None, None, None, "seed", "bad"), "seed: bad"),
        (Problem("c.yaml", 1, 1, "", "empty file"), "c.yaml:1:1: empty file"),
        (Problem(None, 4, 2, "", "bad"), "bad"),
    ],
)
def test_problem_rendering(problem, expected):
    assert str(problem) == expected


def test_config_error_has_one_line_per_problem():
    problems = [Problem("c.yaml", i, 1, f"k{i}", "wrong") for i in range(1, 5)]
    error = ConfigError(problems)
    assert error.lines() == [f"c.yaml:{i}:1: k{i}: wrong" for i in range(1, 5)]
    assert error.problems == problems


def test_config_error_refuses_an_empty_problem_list():
    with pytest.raises(ValueError):
        ConfigError([])


@pytest.mark.parametrize(
    ("kind", "code"),
    [(ConfigError, 2), (DataError, 2), (WeightsError, 2), (UsageError, 2), (TrainingError, 1)],
)
def test_exit_codes(kind, code):
    error = kind([Problem(None, None, None, "k", "m")]) if kind is ConfigError else kind("message")
    assert isinstance(error, LddlError)
    assert error.exit_code == code
    assert len(error.lines()) == 1


def test_plain_error_lines_are_its_message():
    assert DataError("data/x.npy: data.x: missing").lines() == ["data/x.npy: data.x: missing"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [("a\nb", "a\\nb"), ("\x1b[31mred", "\\x1b[31mred"), ("tab\there", "tab\\there"), ("café", "café")],
)
def test_control_characters_are_escaped(key, expected):
    assert str(Problem("c.yaml", 1, 2, key, "unknown key")) == f"c.yaml:1:2: {expected}: unknown key"
    assert ConfigError([Problem("c.yaml", 1, 2, key, "m")]).lines() == [f"c.yaml:1:2: {expected}: m"]


def test_data_error_has_one_line_per_message_even_with_newlines_inside():
    error = DataError("bad\nname.npy: data.x: no such file", "y.npy: data.y: has 3 rows")
    assert error.lines() == ["bad\\nname.npy: data.x: no such file", "y.npy: data.y: has 3 rows"]

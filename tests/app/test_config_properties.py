"""Property tests: a mutated config is refused at the mutated key and nowhere else; arbitrary bytes as a
config, or as a data file, raise only lddl's own errors."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lddl_cli.config import dotted_path, load_config, validate_config
from lddl_cli.config.yaml_loader import parse_yaml
from lddl_cli.errors import ConfigError, DataError
from lddl_cli.files.datafiles import load_array

VALID = {
    "name": "props",
    "seed": 5,
    "dtype": "float64",
    "data": {"x": "x.npy", "y": "y.npy", "train_size": 50, "val_fraction": 0.2},
    "model": {
        "layers": [
            {
                "type": "linear",
                "in_features": 2,
                "out_features": 8,
                "weight_init": {"type": "normal", "std": 0.1},
            },
            "relu",
            {"type": "batch_norm1d", "num_features": 8, "eps": 1e-5},
            {"type": "dropout", "p": 0.2},
            {"type": "linear", "in_features": 8, "out_features": 1, "bias_init": "zeros"},
        ]
    },
    "loss": {"type": "huber", "delta": 0.5},
    "optimizer": {"type": "adam", "lr": 1e-3, "betas": [0.9, 0.99], "weight_decay": 1e-4},
    "scheduler": {"type": "step", "step_size": 5, "gamma": 0.5},
    "train": {
        "epochs": 3,
        "batch_size": 4,
        "grad_clip": 1.0,
        "early_stopping": {"patience": 2, "min_delta": 0.001},
        "checkpoint_every": 1,
    },
}


def paths(value, prefix=()):
    """Every key path and list-item path in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from paths(item, (*prefix, index))


ALL_PATHS = list(paths(VALID))
KEY_PATHS = [p for p in ALL_PATHS if isinstance(p[-1], str)]
NUMBER_PATHS = []
for _path in ALL_PATHS:
    _value = VALID
    for _part in _path:
        _value = _value[_part]
    if isinstance(_value, int | float) and not isinstance(_value, bool):
        NUMBER_PATHS.append(_path)


def copy(value):
    return yaml.safe_load(yaml.safe_dump(value))


def get(data, path):
    for part in path:
        data = data[part]
    return data


def validate(data):
    text = yaml.safe_dump(data, sort_keys=False)
    return validate_config(parse_yaml(text, "c.yaml"))


def assert_only_at(error: ConfigError, path: tuple) -> None:
    """Every problem names ``path`` or one of its ancestors (a spec whose 'type' broke, a section)."""
    target = dotted_path(path)
    for problem in error.problems:
        key = problem.key
        assert key and (target == key or target.startswith(key + ".") or target.startswith(key + "[")), (
            f"mutated {target!r}, got problem at {key!r}: {problem}"
        )
        assert problem.file == "c.yaml" and problem.line is not None


def test_the_base_config_is_valid():
    assert validate(copy(VALID)).resolved()["optimizer"]["betas"] == [0.9, 0.99]


SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(st.sampled_from(KEY_PATHS))
def test_a_deleted_key_is_refused_at_that_key_or_accepted(path):
    data = copy(VALID)
    del get(data, path[:-1])[path[-1]]
    try:
        validate(data)
    except ConfigError as error:
        assert_only_at(error, path)


@SETTINGS
@given(st.sampled_from(KEY_PATHS), st.sampled_from(["_", "s", "x"]))
def test_a_renamed_key_is_refused_at_the_new_name(path, suffix):
    data = copy(VALID)
    parent = get(data, path[:-1])
    parent[path[-1] + suffix] = parent.pop(path[-1])
    new_path = (*path[:-1], path[-1] + suffix)
    try:
        validate(data)
    except ConfigError as error:
        assert_only_at(error, new_path)
        assert any(p.key == dotted_path(new_path) and "unknown key" in p.message for p in error.problems)
    else:
        raise AssertionError(f"renaming {dotted_path(path)} was accepted")


def wrong_kind(value):
    """A value of another kind than ``value``: never valid where ``value`` was."""
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, int | float):
        return "many"
    if isinstance(value, str):
        return 12345
    return "something"


@SETTINGS
@given(st.sampled_from(ALL_PATHS))
def test_a_retyped_value_is_refused_at_that_key(path):
    data = copy(VALID)
    get(data, path[:-1])[path[-1]] = wrong_kind(get(data, path))
    try:
        validate(data)
    except ConfigError as error:
        assert_only_at(error, path)
    else:
        raise AssertionError(f"retyping {dotted_path(path)} was accepted")


@SETTINGS
@given(st.sampled_from(NUMBER_PATHS), st.sampled_from(["negate", "nan", "inf", "-inf"]))
def test_a_bad_number_is_refused_at_that_key(path, how):
    data = copy(VALID)
    value = get(data, path)
    replacement = {"negate": -value - 1, "nan": math.nan, "inf": math.inf, "-inf": -math.inf}[how]
    get(data, path[:-1])[path[-1]] = replacement
    try:
        validate(data)
    except ConfigError as error:
        assert_only_at(error, path)
    else:
        # Only a few numbers may be negative (a normal's mean, say); none may be NaN or infinite.
        assert how == "negate", f"{how} at {dotted_path(path)} was accepted"


# --- arbitrary bytes -------------------------------------------------------------------------------
VALID_TEXT = yaml.safe_dump(VALID, sort_keys=False).encode()
BYTE_SETTINGS = settings(max_examples=400, deadline=None, derandomize=True)


def load_config_bytes(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.yaml"
        path.write_bytes(raw)
        try:
            load_config(path)
        except ConfigError as error:
            assert error.lines() and all("\n" not in line for line in error.lines())


@BYTE_SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_as_a_config_raise_only_config_errors(raw):
    load_config_bytes(raw)


@BYTE_SETTINGS
@given(st.data())
def test_mutated_config_text_raises_only_config_errors(data):
    raw = bytearray(VALID_TEXT)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    load_config_bytes(bytes(raw))


def load_array_bytes(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        path.write_bytes(raw)
        try:
            array = load_array(path, "data.x")
        except DataError as error:
            assert len(error.lines()) == 1
        else:
            assert array.ndim in (1, 2) and array.size > 0 and array.dtype.kind in "iuf"
            if array.dtype.kind == "f":
                assert np.isfinite(array).all()


def valid_npy(rng_seed: int) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "v.npy"
        np.save(path, np.random.default_rng(rng_seed).normal(size=(6, 2)))
        return path.read_bytes()


VALID_NPY = valid_npy(0)


@BYTE_SETTINGS
@given(st.binary(max_size=300), st.sampled_from([".npy", ".csv", ".txt"]))
def test_random_bytes_as_data_raise_only_data_errors(raw, suffix):
    load_array_bytes(raw, suffix)


@BYTE_SETTINGS
@given(st.data())
def test_mutated_npy_raises_only_data_errors(data):
    raw = bytearray(VALID_NPY)
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    for _ in range(data.draw(st.integers(0, 6))):
        if raw:
            position = data.draw(st.integers(0, min(len(raw) - 1, 140)))  # mostly the header
            raw[position] = data.draw(st.integers(0, 255))
    load_array_bytes(bytes(raw), ".npy")

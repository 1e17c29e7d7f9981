"""Property tests (hypothesis): malformed configs, data and weights raise only lddl's own errors.

- Any single mutation of a valid config (a key deleted, renamed, retyped; a number made negative
  or NaN) is either still valid or a ConfigError whose every problem names the mutated key path
  (the path itself, a key inside it, or the mapping that holds it) and nothing else; renames,
  NaN and negative numbers are always refused.
- Random bytes, and valid files mutated byte by byte or member by member, given as a config
  (``load_config``), a data file (``load_array``) or weights (``weights.load_model``) either load or
  raise an LddlError: never another exception type. Mutated configs also go through the real CLI
  (``lddl check``): exit 0, or exit 2 with only located problem lines on stderr.

2,000 inputs in total (``EXAMPLES``). Each property runs in a fresh Python process (this file run
as a script) so that its peak RSS (VmHWM in /proc/self/status) can be held under 200 MB,
and so that the count of inputs actually tried can be checked. Hypothesis is derandomized (the
same inputs every run) and keeps no example database.
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lddl_cli.config import load_config
from lddl_cli.config.yaml_loader import load_yaml_file
from lddl_cli.errors import ConfigError, LddlError
from lddl_cli.files import weights as weights_module
from lddl_cli.files.datafiles import load_array

ROOT = Path(__file__).resolve().parents[2]
BASE_CONFIGS = [ROOT / "tests/bad_inputs/valid.yaml", *sorted((ROOT / "configs").glob("*.yaml"))]
MAX_RSS_BYTES = 200 * 2**20
WORKSPACE_VARIABLE = "LDDL_PROPERTY_WORKSPACE"

EXAMPLES = {
    "config_mutation": 600,
    "config_random_bytes": 150,
    "config_mutated_bytes": 250,
    "data_random_bytes": 150,
    "data_mutated_npy": 250,
    "weights_random_bytes": 100,
    "weights_mutated_bytes": 150,
    "weights_mutated_member": 200,
    "weights_mutated_metadata": 150,
}
TRIED = {name: 0 for name in EXAMPLES}


def _settings(name: str):
    return settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def _scratch() -> Path:
    """One scratch folder per process; each example overwrites its file there."""
    folder = Path(os.environ.get(WORKSPACE_VARIABLE, tempfile.gettempdir())) / f"scratch-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    return folder


# --- the checkers ----------------------------------------------------------------------------
def outcome_of(load, path: Path) -> LddlError | None:
    """None when ``load(path)`` succeeds, the LddlError it raised otherwise; any other exception
    propagates (and fails the property)."""
    try:
        load(path)
    except LddlError as error:
        return error
    return None


def key_path(path: tuple) -> str:
    """('model', 'widths', 1) -> 'model.widths[1]', the way problems name keys."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def is_on(key: str, path: str) -> bool:
    """True when ``key`` is ``path``, inside it, or a mapping that holds it (not the whole config)."""
    inside = key == path or key.startswith(path + ".") or key.startswith(path + "[")
    holder = bool(key) and (path.startswith(key + ".") or path.startswith(key + "["))
    return inside or holder


# Keys whose validity depends on another one: a changed ``task`` may make the metrics, the loss or
# the monitored metric wrong, and the problem is then (rightly) reported at those keys.
DEPENDENTS = {"task": ("metrics", "loss", "train.early_stopping", "model.widths")}


def check_config_outcome(outcome: LddlError | None, mutated: list[str], must_fail: bool) -> None:
    if outcome is None:
        assert not must_fail, f"mutation of {mutated} was accepted"
        return
    assert isinstance(outcome, ConfigError), f"{type(outcome).__name__}: {outcome}"
    named = [*mutated, *(d for path in mutated for d in DEPENDENTS.get(path, ()))]
    for problem in outcome.problems:
        assert any(is_on(problem.key, path) for path in named), f"{problem} does not name {mutated}"


# --- configs ---------------------------------------------------------------------------------
def _base_configs() -> list[dict]:
    return [load_yaml_file(path).data for path in BASE_CONFIGS]


BASES = _base_configs()


def _paths(value, prefix: tuple = ()) -> list[tuple]:
    paths = []
    if isinstance(value, dict):
        for key, item in value.items():
            paths.append((*prefix, key))
            paths += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths.append((*prefix, index))
            paths += _paths(item, (*prefix, index))
    return paths


def _get(data, path: tuple):
    for part in path:
        data = data[part]
    return data


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Keys whose values can never be negative (a negative bias_init mean or leaky slope is fine).
NON_NEGATIVE = {
    "seed",
    "epochs",
    "batch_size",
    "lr",
    "momentum",
    "dampening",
    "weight_decay",
    "std",
    "train_size",
    "val_fraction",
    "in_features",
    "out_features",
    "widths",
    "t_max",
    "step_size",
    "patience",
    "min_delta",
    "eps",
    "p",
    "checkpoint_every",
    "grad_clip",
    "betas",
}

OTHER_VALUES = st.one_of(
    st.text(max_size=12),
    st.booleans(),
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=6), st.integers(0, 5), max_size=2),
)


@st.composite
def config_mutations(draw):
    """(mutated config, the key paths it concerns, whether it must be refused)."""
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    path = draw(st.sampled_from(_paths(data)))
    parent, last = _get(data, path[:-1]), path[-1]
    value = parent[last]
    kinds = ["retype"]
    if isinstance(parent, dict):
        kinds += ["delete", "rename"]
    if _is_number(value):
        kinds += ["negative", "nan"]
    kind = draw(st.sampled_from(kinds))
    mutated = [key_path(path)]
    named = [part for part in path if isinstance(part, str)][-1]
    must_fail = kind in ("rename", "nan") or (kind == "negative" and named in NON_NEGATIVE)
    if kind == "delete":
        del parent[last]
    elif kind == "rename":
        new = last + draw(st.text(alphabet="xyz_", min_size=1, max_size=3))
        parent[new] = parent.pop(last)
        mutated.append(key_path((*path[:-1], new)))
    elif kind == "retype":
        parent[last] = draw(OTHER_VALUES.filter(lambda other: type(other) is not type(value)))
    elif kind == "negative":
        parent[last] = -value if value != 0 else -1
    else:
        parent[last] = math.nan
    return data, mutated, must_fail


@_settings("config_mutation")
@given(config_mutations())
def property_config_mutation(case):
    TRIED["config_mutation"] += 1
    data, mutated, must_fail = case
    path = _scratch() / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    check_config_outcome(outcome_of(load_config, path), mutated, must_fail)


@_settings("config_random_bytes")
@given(st.binary(max_size=4096))
def property_config_random_bytes(content):
    TRIED["config_random_bytes"] += 1
    path = _scratch() / "config.yaml"
    path.write_bytes(content)
    outcome_of(load_config, path)


@st.composite
def mutated_bytes(draw, original: bytes):
    """``original`` with a few bytes flipped, inserted or deleted, or truncated."""
    content = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(len(content) - 1, 0)))
        if kind == "flip" and content:
            content[position] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            content[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del content[position : position + draw(st.integers(1, 8))]
        else:
            del content[position:]
    return bytes(content)


def check_cli_outcome(code: int, stdout: str, stderr: str, file: str) -> None:
    """``lddl check`` either passes or exits 2 with only located problem lines on stderr."""
    shown = f"exit {code}\n--- stdout:\n{stdout}--- stderr:\n{stderr}"
    assert code in (0, 2), shown
    if code == 2:
        assert stdout == "" and stderr.endswith("\n"), shown
        for line in stderr.splitlines():
            assert not line.startswith(("internal error", "Traceback", "Usage", "Error")), shown
            # a problem of the config itself, or of a data file it names (any path): "FILE: data.x: ..."
            data_file = re.search(r": data\.((val_)?[xy]|(test_)?path): ", line)
            assert line.startswith(f"{file}:") or data_file, shown


@_settings("config_mutated_bytes")
@given(st.sampled_from(BASE_CONFIGS).flatmap(lambda path: mutated_bytes(path.read_bytes())))
def property_config_mutated_bytes(content):
    """Through the real CLI (``lddl check``, run in the workspace so that data paths resolve)."""
    from typer.testing import CliRunner

    from lddl_cli.cli import app

    TRIED["config_mutated_bytes"] += 1
    path = _scratch() / "config.yaml"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["check", str(path)], env={"LDDL_DEBUG": None})
    check_cli_outcome(result.exit_code, result.stdout, result.stderr, str(path))


# --- data ------------------------------------------------------------------------------------
def _load_x(path: Path):
    return load_array(path, "data.x")


def _valid_npy() -> list[bytes]:
    arrays = [
        np.linspace(-3, 3, 24).reshape(-1, 1),
        np.arange(12, dtype=np.float32).reshape(4, 3),
        np.arange(6, dtype=np.int64).reshape(3, 2),
        np.asfortranarray(np.ones((3, 2))),
    ]
    blobs = []
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        blobs.append(buffer.getvalue())
    return blobs


VALID_NPY = _valid_npy()


@_settings("data_random_bytes")
@given(st.binary(max_size=2048), st.sampled_from([".npy", ".csv", ".txt"]))
def property_data_random_bytes(content, suffix):
    TRIED["data_random_bytes"] += 1
    path = _scratch() / f"x{suffix}"
    path.write_bytes(content)
    outcome_of(_load_x, path)


@_settings("data_mutated_npy")
@given(st.sampled_from(VALID_NPY).flatmap(mutated_bytes))
def property_data_mutated_npy(content):
    TRIED["data_mutated_npy"] += 1
    path = _scratch() / "x.npy"
    path.write_bytes(content)
    outcome_of(_load_x, path)


# --- weights ---------------------------------------------------------------------------------
VALID_RUNS = ("valid", "norms")


@st.composite
def valid_weights(draw) -> bytes:
    """model.npz of one of the valid runs the workspace holds (see ``property_workspace``)."""
    run = draw(st.sampled_from(VALID_RUNS))
    return (Path(os.environ[WORKSPACE_VARIABLE]) / "runs" / run / "model.npz").read_bytes()


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _load_weights(path: Path):
    return weights_module.load_model(path)


def _write_weights(content: bytes) -> Path:
    path = _scratch() / "model.npz"
    path.write_bytes(content)
    return path


@_settings("weights_random_bytes")
@given(st.one_of(st.binary(max_size=2048), st.binary(max_size=512).map(lambda b: b"PK\x03\x04" + b)))
def property_weights_random_bytes(content):
    TRIED["weights_random_bytes"] += 1
    outcome_of(_load_weights, _write_weights(content))


@st.composite
def weights_bytes_mutations(draw):
    return draw(mutated_bytes(draw(valid_weights())))


@_settings("weights_mutated_bytes")
@given(weights_bytes_mutations())
def property_weights_mutated_bytes(content):
    TRIED["weights_mutated_bytes"] += 1
    outcome_of(_load_weights, _write_weights(content))


@st.composite
def weights_member_mutations(draw):
    """A valid zip (CRCs right) whose members are renamed, dropped or byte-mutated."""
    members = _members(draw(valid_weights()))
    name = draw(st.sampled_from(sorted(members)))
    kind = draw(st.sampled_from(["bytes", "rename", "drop", "duplicate"]))
    if kind == "bytes":
        members[name] = draw(mutated_bytes(members[name]))
    elif kind == "rename":
        new = draw(
            st.text(
                st.characters(exclude_characters="/\\\x00", exclude_categories=("Cs",)),
                min_size=1,
                max_size=12,
            )
        )
        members[new] = members.pop(name)
    elif kind == "drop":
        del members[name]
    else:
        members[draw(st.sampled_from(sorted(members)))] = members[name]
    return _zip(members)


@_settings("weights_mutated_member")
@given(weights_member_mutations())
def property_weights_mutated_member(content):
    TRIED["weights_mutated_member"] += 1
    outcome_of(_load_weights, _write_weights(content))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def weights_metadata_mutations(draw):
    """Valid arrays under metadata with one value replaced anywhere in its JSON tree."""
    members = _members(draw(valid_weights()))
    metadata = json.loads(str(np.load(io.BytesIO(members["__lddl__.npy"]), allow_pickle=False)[()]))
    path = draw(st.sampled_from(_paths(metadata)))
    parent = _get(metadata, path[:-1])
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(metadata)), allow_pickle=False)
    members["__lddl__.npy"] = buffer.getvalue()
    return _zip(members)


@_settings("weights_mutated_metadata")
@given(weights_metadata_mutations())
def property_weights_mutated_metadata(content):
    TRIED["weights_mutated_metadata"] += 1
    outcome_of(_load_weights, _write_weights(content))


PROPERTIES = {
    "config_mutation": property_config_mutation,
    "config_random_bytes": property_config_random_bytes,
    "config_mutated_bytes": property_config_mutated_bytes,
    "data_random_bytes": property_data_random_bytes,
    "data_mutated_npy": property_data_mutated_npy,
    "weights_random_bytes": property_weights_random_bytes,
    "weights_mutated_bytes": property_weights_mutated_bytes,
    "weights_mutated_member": property_weights_mutated_member,
    "weights_mutated_metadata": property_weights_mutated_metadata,
}


# --- pytest: each property in a fresh process ------------------------------------------------
NORMS_CONFIG = """
name: norms
seed: 5
data: {x: data/x.npy, y: data/y.npy}
model:
  layers:
    - {type: linear, in_features: 1, out_features: 8, weight_init: xavier_uniform}
    - {type: batch_norm1d, num_features: 8}
    - tanh
    - {type: dropout, p: 0.1}
    - {type: linear, in_features: 8, out_features: 4}
    - {type: layer_norm, normalized_shape: 4}
    - gelu
    - {type: linear, in_features: 4, out_features: 1}
optimizer: {type: adam, lr: 0.01}
train: {epochs: 2, batch_size: 8}
"""


@pytest.fixture(scope="module")
def property_workspace(tmp_path_factory) -> Path:
    """A folder holding two valid runs written by the real CLI: runs/valid (an MLP) and runs/norms
    (batch norm with its int64 counter, layer norm, dropout)."""
    from typer.testing import CliRunner

    from lddl_cli.cli import app

    root = tmp_path_factory.mktemp("properties")
    (root / "data").mkdir()
    x = np.linspace(-np.pi, np.pi, 32).reshape(-1, 1)
    np.save(root / "data/x.npy", x)
    np.save(root / "data/y.npy", 2 * np.sin(x))
    (root / "valid.yaml").write_bytes(BASE_CONFIGS[0].read_bytes())
    (root / "norms.yaml").write_text(NORMS_CONFIG)
    previous = Path.cwd()
    os.chdir(root)
    try:
        for run in VALID_RUNS:
            result = CliRunner().invoke(app, ["train", f"{run}.yaml", "--out", f"runs/{run}", "--quiet"])
            assert result.exit_code == 0, result.output
    finally:
        os.chdir(previous)
    return root


def test_peak_rss_counts_the_child_alone():
    """A child that allocates 32 MiB reports about that much (plus its imports), even when its
    parent holds 300 MiB: the planted mistake (ru_maxrss) would report the parent's peak."""
    ballast = np.ones(300 * 2**20 // 8)  # touched, so resident in this process
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import numpy as np; "
        "from test_properties import peak_rss_kib; a = np.ones(32 * 2**20 // 8); print(peak_rss_kib())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True, check=True
    )
    assert 32 * 1024 <= int(result.stdout) < 200 * 1024 < ballast.nbytes // 1024


def test_examples_add_up_to_two_thousand():
    assert sum(EXAMPLES.values()) == 2000
    assert set(EXAMPLES) == set(PROPERTIES)


WARM_UP_TEXT_STRATEGY = (
    "from hypothesis import given, settings, strategies as st\n"
    "@settings(max_examples=1, database=None)\n"
    "@given(st.text())\n"
    "def warm_up(text):\n    pass\n"
    "warm_up()\n"
)


@pytest.fixture(scope="module")
def hypothesis_storage(tmp_path_factory) -> Path:
    """A hypothesis storage folder whose Unicode table is already built. The first text strategy run
    in a storage folder builds and caches that table (about 200 MB while building, measured): that
    one-off cost of the test tool is paid here, in a separate process, not inside the measured child."""
    folder = tmp_path_factory.mktemp("hypothesis")
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(folder)}
    subprocess.run([sys.executable, "-c", WARM_UP_TEXT_STRATEGY], env=env, check=True, timeout=300)
    return folder


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_property_in_a_fresh_process(name, property_workspace, hypothesis_storage):
    # A minimal environment: nothing the test session set (CI, make's variables, pytest's) reaches
    # the child, so its inputs and its memory are its own.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if key in os.environ}
    env[WORKSPACE_VARIABLE] = str(property_workspace)
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(hypothesis_storage)
    result = subprocess.run(
        [sys.executable, __file__, name], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["tried"] == EXAMPLES[name], report
    assert report["peak_rss_kib"] * 1024 < MAX_RSS_BYTES, report


# --- the checkers catch planted mistakes ------------------------------------------------------
def test_outcome_of_lets_a_foreign_exception_through(tmp_path):
    def crashing_loader(path):
        raise KeyError("model")

    with pytest.raises(KeyError):
        outcome_of(crashing_loader, tmp_path)


def _config_error(*keys: str) -> ConfigError:
    from lddl_cli.errors import Problem

    return ConfigError([Problem("c.yaml", 1, 1, key, "wrong") for key in keys])


@pytest.mark.parametrize(
    ("keys", "mutated", "must_fail", "passes"),
    [
        (["train.epochs"], ["train.epochs"], True, True),
        (["model"], ["model.widths"], False, True),  # the mapping holding the deleted key
        (["model.widths[1]"], ["model.widths"], True, True),
        (["train.epochsx", "train.epochs"], ["train.epochs", "train.epochsx"], True, True),
        (["train.batch_size"], ["train.epochs"], True, False),  # blames another key
        (["train.epochs", "seed"], ["train.epochs"], True, False),  # and something else too
        (["train.epochs_old"], ["train.epochs"], True, False),  # a sibling sharing a prefix
        ([""], ["train.epochs"], True, False),  # the whole config
        ([], ["optimizer.lr"], True, False),  # accepted although it must be refused
    ],
)
def test_check_config_outcome_catches_planted_mistakes(keys, mutated, must_fail, passes):
    outcome = _config_error(*keys) if keys else None
    if passes:
        check_config_outcome(outcome, mutated, must_fail)
    else:
        with pytest.raises(AssertionError):
            check_config_outcome(outcome, mutated, must_fail)


@pytest.mark.parametrize(
    ("code", "stdout", "stderr", "passes"),
    [
        (0, "c.yaml: ok\n", "", True),
        (2, "", "c.yaml:3:1: seed: wrong\ndata/x.npy: data.x: no such file\n", True),
        (2, "", "eata/y.npy: data.y: no such file\n", True),
        (2, "", "other.yaml:3:1: seed: wrong\n", False),
        (1, "", "internal error: KeyError: 'x'\n", False),
        (2, "", "Traceback (most recent call last):\n", False),
        (2, "partial output\n", "c.yaml:3:1: seed: wrong\n", False),
        (2, "", "", False),
    ],
)
def test_check_cli_outcome_catches_planted_mistakes(code, stdout, stderr, passes):
    if passes:
        check_cli_outcome(code, stdout, stderr, "c.yaml")
    else:
        with pytest.raises(AssertionError):
            check_cli_outcome(code, stdout, stderr, "c.yaml")


def test_check_config_outcome_refuses_another_error_kind():
    from lddl_cli.errors import DataError

    with pytest.raises(AssertionError):
        check_config_outcome(DataError("data/x.npy: data.x: no such file"), ["data.x"], True)


def peak_rss_kib() -> int:
    """This process's own peak RSS: VmHWM of its address space (ru_maxrss is not used because
    Linux carries the parent's peak across fork and exec into it)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def main(name: str) -> None:
    os.chdir(os.environ[WORKSPACE_VARIABLE])
    PROPERTIES[name]()
    report = {"property": name, "tried": TRIED[name], "peak_rss_kib": peak_rss_kib()}
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])

"""A data file the config names that does not exist: located at the config's key, saying that
paths are relative to the current directory, and where the file is when it is beside the config."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from runs_helpers import located
from typer.testing import CliRunner

from lddl_cli.cli import app
from lddl_cli.config import load_config
from lddl_cli.errors import DataError
from lddl_cli.files.datafiles import load_dataset

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """\
data: {x: x.npy, y: y.npy, val_x: vx.npy, val_y: vy.npy}
model: {widths: [1, 8, 1]}
train: {epochs: 1, batch_size: 4}
"""
TABLE = """\
data: {path: iris.csv, target: species}
task: classification
model: {widths: [auto, 4, auto]}
train: {epochs: 1, batch_size: 8}
"""


@pytest.fixture
def project(tmp_path, monkeypatch, rng):
    """A folder with a config and valid arrays; tests remove what they need missing."""
    monkeypatch.chdir(tmp_path)
    for name, rows in (("x", 20), ("y", 20), ("vx", 6), ("vy", 6)):
        np.save(f"{name}.npy", rng.normal(size=(rows, 1)))
    (tmp_path / "c.yaml").write_text(CONFIG)
    return tmp_path


def data_problems(overrides=()) -> list[str]:
    return error_lines(lambda: load_dataset(load_config("c.yaml", list(overrides))))


def check(config: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", config], env={"LDDL_DEBUG": None, "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_missing_files_are_all_reported_at_their_config_key(project):
    (project / "x.npy").unlink()
    (project / "vy.npy").unlink()
    cwd = f"paths are relative to the current directory ({project})"
    assert data_problems() == [
        f"c.yaml:{located(CONFIG, 'x: |x.npy')}: data.x: no such file 'x.npy'; {cwd}",
        f"c.yaml:{located(CONFIG, 'val_y: |vy.npy')}: data.val_y: no such file 'vy.npy'; {cwd}",
    ]


def test_a_missing_file_found_beside_the_config_says_so(project, monkeypatch):
    (project / "proj").mkdir()
    (project / "c.yaml").rename(project / "proj" / "c.yaml")
    (project / "x.npy").rename(project / "proj" / "x.npy")
    lines = error_lines(lambda: load_dataset(load_config("proj/c.yaml")))
    assert lines == [
        f"proj/c.yaml:{located(CONFIG, 'x: |x.npy')}: data.x: no such file 'x.npy'; paths are relative to "
        f"the current directory ({project}); 'x.npy' exists relative to the config's folder: use "
        "'proj/x.npy', or run lddl from 'proj'"
    ]
    # From the config's folder, it is the other files that are missing, and they are not beside it.
    monkeypatch.chdir(project / "proj")
    lines = error_lines(lambda: load_dataset(load_config("c.yaml")))
    assert len(lines) == 3 and not any("config's folder" in line for line in lines), lines


def test_a_missing_file_from_set_or_absolute_names_its_override(project):
    (project / "x.npy").unlink()
    cwd = f"paths are relative to the current directory ({project})"
    assert data_problems(["data.x=x.npy"]) == [f"--set data.x: no such file 'x.npy'; {cwd}"]
    absolute = str(project / "x.npy")
    assert data_problems([f"data.x={absolute}"]) == [f"--set data.x: no such file {absolute!r}"]


def error_lines(call) -> list[str]:
    with pytest.raises(DataError) as error:
        call()
    return error.value.lines()


def test_a_missing_table_beside_the_config_through_lddl_check(tmp_path, monkeypatch):
    (tmp_path / "proj").mkdir()
    shutil.copy(ROOT / "data" / "iris.csv", tmp_path / "proj" / "iris.csv")
    (tmp_path / "proj" / "c.yaml").write_text(TABLE)
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = check("proj/c.yaml")
    assert (code, stdout) == (2, ""), stdout + stderr
    assert stderr.splitlines() == [
        f"proj/c.yaml:{located(TABLE, 'path: |iris')}: data.path: no such file 'iris.csv'; paths are "
        f"relative to the current directory ({tmp_path}); 'iris.csv' exists relative to the config's "
        "folder: use 'proj/iris.csv', or run lddl from 'proj'"
    ]
    monkeypatch.chdir(tmp_path / "proj")  # from the config's folder it trains as written
    assert check("c.yaml")[0] == 0

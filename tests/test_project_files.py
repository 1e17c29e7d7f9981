"""The project's own files keep their promises: the license pyproject names is there, and
``make clean`` removes what the Makefile made but never ``runs/`` (users' trained models)."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_pyproject_names_is_shipped():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def clean_commands(makefile: Path) -> list[str]:
    """The commands ``make clean`` would run (make's dry run), one per line."""
    result = subprocess.run(
        ["make", "-n", "-f", str(makefile), "clean"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout.splitlines()


def removes(commands: list[str], name: str) -> bool:
    return any(line.startswith("rm ") and name in line.split() for line in commands)


def test_make_clean_keeps_runs(tmp_path):
    commands = clean_commands(ROOT / "Makefile")
    assert removes(commands, ".venv") and not removes(commands, "runs"), commands
    planted = tmp_path / "Makefile"
    planted.write_text("clean:\n\trm -rf .venv runs\n", encoding="utf-8")
    assert removes(clean_commands(planted), "runs")

"""pydantic stays inside the config package (its schema, loader and error translation), so the
CLI can import everything else without paying for it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import lddl_cli

PACKAGE = Path(lddl_cli.__file__).parent


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


def test_only_the_config_schema_imports_pydantic():
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "pydantic" in imported_modules(path.read_text(encoding="utf-8"))
    )
    assert importers == [
        "config/loader.py",
        "config/messages.py",
        "config/sections.py",
        "config/specs.py",
        "config/sweep.py",
    ]


def test_the_scan_sees_a_planted_import():
    assert "pydantic" in imported_modules("def f():\n    from pydantic import BaseModel\n")
    assert "pydantic" in imported_modules("import pydantic.fields as f\n")


@pytest.mark.parametrize(
    "module", ["lddl_cli.errors", "lddl_cli.files.datafiles", "lddl_cli.files.predictions"]
)
def test_modules_load_without_pydantic(module):
    code = f"import sys, {module}; print('pydantic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stderr

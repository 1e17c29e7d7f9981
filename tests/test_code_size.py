"""Small files, short functions: no module of lddl_cli over 500 lines, no function over 60 lines.
Each limit is also fed a planted offender."""

from __future__ import annotations

import ast
from pathlib import Path

import lddl_cli

PACKAGE_DIR = Path(lddl_cli.__file__).parent
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """(name, lines) of every function or method longer than ``limit`` lines, decorators excluded."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > limit
    ]


def line_count(source: str) -> int:
    return len(source.splitlines())


SOURCES = {
    path.relative_to(PACKAGE_DIR).as_posix(): path.read_text(encoding="utf-8")
    for path in PACKAGE_DIR.rglob("*.py")
}


def test_no_module_over_500_lines():
    assert {name: line_count(s) for name, s in SOURCES.items() if line_count(s) > MAX_FILE_LINES} == {}


def test_no_function_over_60_lines():
    assert {name: long_functions(s) for name, s in SOURCES.items() if long_functions(s)} == {}


def test_planted_offenders_are_seen():
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}") == [("f", MAX_FUNCTION_LINES + 1)]
    assert (
        long_functions(
            f"class C:\n    def m(self):\n    {body.replace(chr(10) + '    ', chr(10) + '        ')}"
        )
        != []
    )
    assert long_functions("def short():\n    return 1\n") == []
    assert line_count("\n" * (MAX_FILE_LINES + 1)) > MAX_FILE_LINES

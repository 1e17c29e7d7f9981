"""The house's import rules, read from the source: every import of every module in lddl_cli (at the
top and inside functions) is parsed, and

- no two modules import each other, directly or around a circle;
- ``nn`` imports NumPy and the standard library only (and itself);
- a package imports only packages below it: nn < errors < config < files, plotting < training
  < commands, sweep < boundary < cli < __main__ (``lddl_cli/__init__.py``, the version, is below all).

Each rule is also fed a planted violation, so a checker that sees nothing is caught.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import lddl_cli

PACKAGE_DIR = Path(lddl_cli.__file__).parent

# Rank of each room; a module may import its own room and any room of a lower rank.
RANKS = {
    "lddl_cli": 0,  # the package's __init__: __version__ only
    "nn": 1,
    "errors": 2,
    "config": 3,
    "files": 4,
    "plotting": 4,
    "training": 5,
    "export": 5.5,
    "commands": 6,
    "sweep": 6,
    "boundary": 7,
    "cli_data": 7.25,
    "cli": 7.5,
    "__main__": 8,
}
NN_ALLOWED = {"numpy"}


def read_package(folder: Path = PACKAGE_DIR, name: str = "lddl_cli") -> dict[str, str]:
    """{dotted module name: source} of every module in the package folder."""
    sources = {}
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(folder).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        sources[".".join([name, *parts])] = path.read_text(encoding="utf-8")
    return sources


def is_package(module: str, sources: dict[str, str]) -> bool:
    return any(other.startswith(module + ".") for other in sources)


def imports_of(module: str, source: str, sources: dict[str, str]) -> set[str]:
    """Absolute names of everything ``module`` imports, anywhere in its body. ``from X import y``
    counts as importing ``X.y`` when that is a module of the package, else ``X``."""
    found = set()
    package = module if is_package(module, sources) else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in sources else target)
    return found


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """Module -> the package's own modules it imports."""
    return {
        module: {name for name in imports_of(module, source, sources) if name in sources and name != module}
        for module, source in sources.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports (each strongly connected group of two or more modules), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for every import of a room above (or beside) the importer's own."""
    problems = []
    for module, imported in sorted(graph.items()):
        here = room(module)
        for name in sorted(imported):
            there = room(name)
            if there != here and RANKS[there] >= RANKS[here]:
                problems.append(f"{module} -> {name} ({here} may not import {there})")
    return problems


def nn_violations(sources: dict[str, str]) -> list[str]:
    """Imports in ``lddl_cli.nn`` of anything but NumPy, the standard library and nn itself."""
    problems = []
    for module, source in sorted(sources.items()):
        if room(module) != "nn":
            continue
        for name in sorted(imports_of(module, source, sources)):
            top = name.split(".")[0]
            inside_nn = name == "lddl_cli.nn" or name.startswith("lddl_cli.nn.")
            if not (inside_nn or top in NN_ALLOWED or top in sys.stdlib_module_names or top == "__future__"):
                problems.append(f"{module} imports {name}")
    return problems


# --- the package as it is ------------------------------------------------------------------------
SOURCES = read_package()
GRAPH = import_graph(SOURCES)


def test_the_scan_reads_every_room():
    assert {room(m) for m in SOURCES} == set(RANKS)
    assert "lddl_cli.training.trainer" in GRAPH["lddl_cli.training.run"]
    assert "lddl_cli.config" in GRAPH["lddl_cli.files.weights"]  # a function-local import


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_nn_imports_only_numpy_and_the_standard_library():
    assert nn_violations(SOURCES) == []


def test_every_package_imports_only_the_ones_below_it():
    assert layer_violations(GRAPH) == []


@pytest.mark.parametrize(
    "package", sorted({room(m) for m in SOURCES if is_package(m, SOURCES)} - {"lddl_cli"})
)
def test_every_package_says_what_it_owns_and_may_import(package):
    docstring = ast.get_docstring(ast.parse(SOURCES[f"lddl_cli.{package}"])) or ""
    assert len(docstring) > 80, f"lddl_cli/{package}/__init__.py needs a docstring"
    if package != "nn":
        assert "May import" in docstring, package


# --- planted violations --------------------------------------------------------------------------
PLANTED = {
    "lddl_cli": "",
    "lddl_cli.nn": "from . import layers\n",
    "lddl_cli.nn.layers": "import numpy as np\n",
    "lddl_cli.errors": "",
    "lddl_cli.config": "from .loader import load\n",
    "lddl_cli.config.loader": "def load():\n    from ..training import trainer\n",
    "lddl_cli.training": "",
    "lddl_cli.training.trainer": "from ..config import loader\n",
}


def test_a_planted_circle_through_a_function_local_import_is_found():
    graph = import_graph(PLANTED)
    assert cycles(graph) == [["lddl_cli.config.loader", "lddl_cli.training.trainer"]]


def test_a_planted_upward_import_is_found():
    assert layer_violations(import_graph(PLANTED)) == [
        "lddl_cli.config.loader -> lddl_cli.training.trainer (config may not import training)"
    ]


def test_a_planted_import_of_a_third_party_package_in_nn_is_found():
    planted = {**PLANTED, "lddl_cli.nn.layers": "import numpy as np\n\ndef f():\n    import yaml\n"}
    assert nn_violations(planted) == ["lddl_cli.nn.layers imports yaml"]
    planted["lddl_cli.nn.layers"] = "from ..config import loader\n"
    assert nn_violations(planted) == ["lddl_cli.nn.layers imports lddl_cli.config.loader"]

"""No unsafe deserialization or global randomness anywhere in the lddl_cli package.

The scan reads the syntax tree of every module (not the raw text, so docstrings saying "never
unpickles" and ``allow_pickle=False`` do not count) and reports:

- pickle and friends imported or referenced (pickle, _pickle, cPickle, dill, cloudpickle, shelve, marshal);
- ``eval(`` / ``exec(`` calls;
- ``yaml.load`` / ``yaml.load_all`` without a safe loader, ``yaml.unsafe_load``, ``yaml.full_load``,
  and any reference to PyYAML's unsafe loader classes;
- ``allow_pickle=`` given anything but the constant ``False``;
- calls of NumPy's global random state (``np.random.rand(...)``, ``np.random.seed(...)``, or such
  names imported from ``numpy.random``) and of the standard library's global ``random`` module.

Each rule has a planted offender below that the scan must catch, on the line where it is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "lddl_cli"

PICKLE_MODULES = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "shelve", "marshal"}
UNSAFE_YAML_FUNCTIONS = {"unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}
UNSAFE_YAML_LOADERS = {"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader"}
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}
# The explicit-generator API of numpy.random: everything else there uses the hidden global state.
NUMPY_RANDOM_ALLOWED = {
    "default_rng",
    "Generator",
    "BitGenerator",
    "SeedSequence",
    "PCG64",
    "PCG64DXSM",
    "Philox",
    "SFC64",
    "MT19937",
}


def _dotted(node: ast.AST) -> str:
    """'np.random.rand' for the expression np.random.rand; '' when it is not a dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


class _Scanner(ast.NodeVisitor):
    def __init__(self, tree: ast.Module) -> None:
        self.findings: list[tuple[int, str]] = []
        self.numpy_names = {"numpy"}
        self.numpy_random_names: set[str] = set()
        self.yaml_names = {"yaml"}
        self.stdlib_random_names: set[str] = set()
        self.safe_loaders = set(SAFE_YAML_LOADERS)
        self._collect_aliases(tree)

    def _collect_aliases(self, tree: ast.Module) -> None:
        """Names bound to numpy, numpy.random and yaml, and loader classes derived from a safe one."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if alias.name == "numpy":
                        self.numpy_names.add(bound)
                    elif alias.name == "numpy.random" and alias.asname:
                        self.numpy_random_names.add(bound)
                    elif alias.name == "yaml":
                        self.yaml_names.add(bound)
                    elif alias.name == "random":
                        self.stdlib_random_names.add(bound)
            elif isinstance(node, ast.ImportFrom) and node.module == "numpy":
                for alias in node.names:
                    if alias.name == "random":
                        self.numpy_random_names.add(alias.asname or alias.name)
        for node in ast.walk(tree):  # _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                names = {_dotted(n).rsplit(".", 1)[-1] for n in ast.walk(node.value)}
                names |= {n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant)}
                if names & SAFE_YAML_LOADERS and not names & UNSAFE_YAML_LOADERS:
                    self.safe_loaders.add(node.targets[0].id)
        classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        changed = True
        while changed:  # classes deriving (directly or not) from a safe loader are safe loaders
            changed = False
            for node in classes:
                bases = {_dotted(base).rsplit(".", 1)[-1] for base in node.bases}
                if node.name not in self.safe_loaders and bases & self.safe_loaders:
                    self.safe_loaders.add(node.name)
                    changed = True

    def report(self, node: ast.AST, message: str) -> None:
        self.findings.append((node.lineno, message))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in PICKLE_MODULES:
                self.report(node, f"imports {alias.name}")
            if alias.name == "random":
                self.report(node, "imports the standard library's global random module")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if module.split(".")[0] in PICKLE_MODULES:
            self.report(node, f"imports from {module}")
        for alias in node.names:
            if alias.name in PICKLE_MODULES:
                self.report(node, f"imports {alias.name} from {module}")
            if module == "numpy.random" and alias.name not in NUMPY_RANDOM_ALLOWED:
                self.report(node, f"imports numpy.random.{alias.name} (the global random state)")
            if module == "yaml" and alias.name in UNSAFE_YAML_FUNCTIONS | UNSAFE_YAML_LOADERS | {"load"}:
                self.report(node, f"imports yaml.{alias.name}")
            if module == "random":
                self.report(node, "imports from the standard library's global random module")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in PICKLE_MODULES:
            self.report(node, f"uses {node.id}")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = _dotted(node)
        head, _, attr = name.rpartition(".")
        if head in self.yaml_names and attr in UNSAFE_YAML_LOADERS:
            self.report(node, f"uses the unsafe loader {name}")
        if attr in PICKLE_MODULES and head:
            self.report(node, f"uses {name}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        head, _, attr = name.rpartition(".")
        if name in ("eval", "exec", "builtins.eval", "builtins.exec"):
            self.report(node, f"calls {name}()")
        if head in self.yaml_names:
            if attr in UNSAFE_YAML_FUNCTIONS:
                self.report(node, f"calls {name}()")
            elif attr in ("load", "load_all") and not self._has_safe_loader(node):
                self.report(node, f"calls {name}() without a safe Loader")
        for keyword in node.keywords:
            if keyword.arg == "allow_pickle":
                value = keyword.value
                if not (isinstance(value, ast.Constant) and value.value is False):
                    self.report(node, "passes allow_pickle other than False")
        if self._is_global_numpy_random(head, attr):
            self.report(node, f"calls {name}() on NumPy's global random state")
        if head in self.stdlib_random_names:
            self.report(node, f"calls {name}() on the standard library's global random state")
        self.generic_visit(node)

    def _has_safe_loader(self, node: ast.Call) -> bool:
        loader = [kw.value for kw in node.keywords if kw.arg == "Loader"]
        if not loader and len(node.args) >= 2:
            loader = [node.args[1]]
        return bool(loader) and _dotted(loader[0]).rsplit(".", 1)[-1] in self.safe_loaders

    def _is_global_numpy_random(self, head: str, attr: str) -> bool:
        if attr in NUMPY_RANDOM_ALLOWED or not head:
            return False
        if head in self.numpy_random_names:
            return True
        base, _, last = head.rpartition(".")
        return last == "random" and base in self.numpy_names | {"np"}


def scan_source(source: str, filename: str = "<source>") -> list[str]:
    """'FILE:LINE: what' for every unsafe use in one module's source."""
    tree = ast.parse(source, filename=filename)
    scanner = _Scanner(tree)
    scanner.visit(tree)
    return [f"{filename}:{line}: {message}" for line, message in sorted(set(scanner.findings))]


def scan_package(folder: Path) -> list[str]:
    findings = []
    for path in sorted(folder.rglob("*.py")):
        findings += scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(folder.parent)))
    return findings


def test_package_has_no_unsafe_calls():
    modules = list(PACKAGE.rglob("*.py"))
    assert len(modules) >= 10, f"expected the whole package under {PACKAGE}, found {modules}"
    findings = scan_package(PACKAGE)
    assert findings == [], "\n".join(findings)


# Each planted offender: (label, source, the line the finding must point at).
PLANTED = [
    ("import pickle", "import json\nimport pickle\n", 2),
    ("from pickle", "from pickle import loads\n", 1),
    ("import cPickle alias", "import _pickle as fast\n", 1),
    ("marshal", "import marshal\n", 1),
    ("dill", "x = 1\nimport dill\n", 2),
    ("numpy's pickle attribute", "import numpy as np\nnp.core.multiarray.pickle.loads(b'')\n", 2),
    ("eval", "value = eval('1 + 1')\n", 1),
    ("exec", "\n\nexec('x = 1')\n", 3),
    ("yaml.load without Loader", "import yaml\nyaml.load(open('c.yaml'))\n", 2),
    ("yaml.load with the full Loader", "import yaml\nyaml.load('a: 1', Loader=yaml.Loader)\n", 2),
    ("yaml.load positional unsafe loader", "import yaml\nyaml.load('a: 1', yaml.UnsafeLoader)\n", 2),
    ("yaml.load_all without Loader", "import yaml\nlist(yaml.load_all('a: 1'))\n", 2),
    ("yaml.unsafe_load", "import yaml\nyaml.unsafe_load('a: 1')\n", 2),
    ("yaml.full_load", "import yaml as y\ny.full_load('a: 1')\n", 2),
    ("loader subclass of the unsafe Loader", "import yaml\nclass L(yaml.Loader):\n    pass\n", 2),
    ("from yaml import unsafe_load", "from yaml import unsafe_load\n", 1),
    ("allow_pickle=True", "import numpy as np\nnp.load('w.npz', allow_pickle=True)\n", 2),
    (
        "allow_pickle from a variable",
        "import numpy as np\nflag = True\nnp.load('w.npy', allow_pickle=flag)\n",
        3,
    ),
    ("np.random.rand", "import numpy as np\nx = np.random.rand(3)\n", 2),
    ("np.random.seed", "import numpy as np\n\nnp.random.seed(0)\n", 3),
    ("numpy.random.normal", "import numpy\nnumpy.random.normal(size=3)\n", 2),
    ("np.random.shuffle", "import numpy as np\nnp.random.shuffle([1, 2])\n", 2),
    ("from numpy import random", "from numpy import random as npr\nnpr.uniform()\n", 2),
    ("from numpy.random import rand", "from numpy.random import rand\n", 1),
    ("stdlib random", "import random\n", 1),
    ("from random import shuffle", "from random import shuffle\n", 1),
]


@pytest.mark.parametrize(("source", "line"), [(s, n) for _, s, n in PLANTED], ids=[p[0] for p in PLANTED])
def test_scan_catches_a_planted_offender(source, line):
    findings = scan_source(source, "planted.py")
    assert findings, f"the scan missed:\n{source}"
    assert any(finding.startswith(f"planted.py:{line}: ") for finding in findings), findings


def test_scan_catches_a_planted_offender_in_a_package(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Clean."""\n')
    (package / "sub" / "io.py").write_text(
        "import numpy as np\n\n\ndef f(p):\n    return np.load(p, allow_pickle=True)\n"
    )
    assert scan_package(package) == ["pkg/sub/io.py:5: passes allow_pickle other than False"]


SAFE_SOURCE = '''
"""Never unpickles: np.load(path, allow_pickle=False); no eval(, no yaml.load(; np.random.rand( in text."""
import numpy as np
import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MarksLoader(_Base):
    pass


class DeeperLoader(MarksLoader):
    pass


def read(path, text):
    rng = np.random.default_rng(0)
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(1)))
    rng.normal(size=3)
    gen.random()
    arrays = np.load(path, allow_pickle=False)
    yaml.safe_load(text)
    yaml.load(text, Loader=yaml.SafeLoader)
    yaml.load(text, Loader=DeeperLoader)
    list(yaml.load_all(text, MarksLoader))
    list(yaml.parse(text, Loader=MarksLoader))
    annotation: np.random.Generator = rng
    return arrays, annotation, "pickle", "eval(x)"
'''


def test_scan_accepts_safe_usages():
    assert scan_source(SAFE_SOURCE, "safe.py") == []

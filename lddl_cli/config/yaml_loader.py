"""Safe YAML for untrusted config files: plain data plus the line:col of every key and value.

The loader reads the YAML 1.2 core schema, not PyYAML's YAML 1.1 default: ``1e-3``, ``.5``,
``+1e-3``, ``.inf`` and ``.nan`` are floats; only ``true``/``false`` are booleans (``yes``, ``on``
stay strings); ``010`` is ten; dates stay strings. Tags other than the core ones (``!!python/...``
in particular) are refused, never constructed.

Every limit is checked before the work it protects: the file size before reading, the nesting
depth on the parser's event stream before a node tree is built (the composer recurses), and the
number of nodes while aliases are expanded (a "billion laughs" document is refused after
``MAX_NODES`` nodes, not after 10^9). Every failure is a ``ConfigError`` with ``file:line:col``
where the position is known.

Two loaders: libyaml's (``yaml.CSafeLoader``) when PyYAML was built with it, else PyYAML's
pure-Python ``SafeLoader`` (``_CoreLoader`` is whichever exists). They produce the same events,
nodes and marks for valid YAML but not the same errors: libyaml has its own nesting limit (1000
flow levels in recent builds, reached while it looks ahead for a key, before the first event),
and its syntax errors may be worded differently. So when libyaml's event stream fails, the events
are read again with the pure-Python parser (``PyCoreLoader``, which has no nesting limit of its
own and does not recurse): if lddl's depth limit fires first, that is the error shown, and it reads
the same with every PyYAML version, with or without libyaml.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..errors import ConfigError, Problem

MAX_BYTES = 1 << 20  # 1 MiB: a config is a few hundred bytes
MAX_DEPTH = 50  # a config nests about 4 levels
MAX_NODES = 100_000  # after alias expansion

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TAG = "tag:yaml.org,2002:"
NULL, BOOL, INT, FLOAT, STR, SEQ, MAP = (
    TAG + t for t in ("null", "bool", "int", "float", "str", "seq", "map")
)
ALLOWED_TAGS = (NULL, BOOL, INT, FLOAT, STR, SEQ, MAP)

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), in resolution order.
_CORE = [
    (NULL, re.compile(r"~|null|Null|NULL|")),
    (BOOL, re.compile(r"true|True|TRUE|false|False|FALSE")),
    (INT, re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")),
    (FLOAT, re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")),
    (FLOAT, re.compile(r"[-+]?(\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN")),
]

Path_ = tuple[str | int, ...]
Mark = tuple[int, int]


class _CoreResolver:
    """Plain scalars resolve by the YAML 1.2 core schema (mixed into a SafeLoader)."""

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode and implicit[0]:
            for tag, pattern in _CORE:
                if pattern.fullmatch(value):
                    return tag
            return STR
        return super().resolve(kind, value, implicit)


class PyCoreLoader(_CoreResolver, yaml.SafeLoader):
    """PyYAML's pure-Python loader: re-reads the events when libyaml's fail (see the module)."""


class _CoreLoader(_CoreResolver, _BaseLoader):
    """The loader used first: libyaml's when PyYAML has it (faster), else the pure-Python one."""


@dataclass
class YamlDocument:
    """Parsed YAML: ``data`` is plain dicts/lists/scalars; marks are 1-based (line, col).

    ``key_marks[path]`` is where the key of the entry at ``path`` starts (for list items, the
    item itself); ``value_marks[path]`` where its value starts. ``path`` is a tuple of keys and
    list indices from the top, e.g. ``("model", "layers", 0, "type")``.
    """

    data: object
    file: str | None
    key_marks: dict[Path_, Mark] = field(default_factory=dict)
    value_marks: dict[Path_, Mark] = field(default_factory=dict)

    def mark(self, path: Path_, *, key: bool = False) -> Mark | None:
        """The mark of ``path`` (its key's with ``key=True``), else of its closest located ancestor."""
        path = tuple(path)
        first, second = (self.key_marks, self.value_marks) if key else (self.value_marks, self.key_marks)
        while True:
            for table in (first, second):
                if path in table:
                    return table[path]
            if not path:
                return None
            path = path[:-1]


def load_yaml_file(path: str | Path) -> YamlDocument:
    """Read ``path`` as a YAML mapping, with every limit and safety check described above."""
    path = Path(path)
    name = str(path)

    def refuse(message: str, line: int | None = None, col: int | None = None) -> ConfigError:
        return ConfigError([Problem(name, line, col, "", message)])

    if not path.exists():
        raise refuse("no such file")
    if path.is_dir():
        raise refuse("is a directory, expected a YAML file")
    if not path.is_file():
        raise refuse("is not a regular file, expected a YAML file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise refuse(f"file is {size} bytes; a config may be at most {MAX_BYTES} bytes")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise refuse(f"cannot read: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:  # the file grew after stat
        raise refuse(f"file is larger than {MAX_BYTES} bytes")
    document = parse_yaml(_decode(raw, name), name)
    if document.data is None:
        raise refuse("empty config; expected a mapping such as 'model: ...'", 1, 1)
    if not isinstance(document.data, dict):
        kinds = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
        kind = kinds.get(type(document.data), type(document.data).__name__)
        raise refuse(f"the top level must be a mapping of keys; got a {kind}", *(document.mark(()) or (1, 1)))
    return document


def parse_yaml(text: str, file: str | None = None, *, label: str = "") -> YamlDocument:
    """Parse one YAML document from ``text``. ``label`` prefixes error keys (e.g. ``--set lr``)."""
    _check_events(text, file, label)
    loader = _CoreLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        raise ConfigError([_yaml_problem(error, file, label, text)]) from None
    finally:
        loader.dispose()
    document = YamlDocument(data=None, file=file)
    if node is None:
        return document
    builder = _Builder(document, file, label)
    document.value_marks[()] = _mark(node)
    document.data = builder.build(node, (), 0)
    if builder.problems:
        raise ConfigError(builder.problems)
    return document


def parse_value(text: str, label: str) -> object:
    """A ``--set`` value: a YAML scalar or flow collection (``0.001``, ``[1, 8, 1]``, ``{type: sgd}``)."""
    return parse_yaml(text, None, label=label).data


# --- internals ---------------------------------------------------------------------------------
def _decode(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start : error.start + 1].hex()
        raise ConfigError(
            [Problem(name, line, col, "", f"not valid UTF-8 (byte 0x{byte}); save the file as UTF-8")]
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ConfigError([Problem(name, 1, 1, "", "empty config; expected a mapping such as 'model: ...'")])
    return text


def _mark(node) -> Mark:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _yaml_problem(error: yaml.YAMLError, file: str | None, label: str, text: str) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        # A character YAML does not allow (control characters, for one); no mark, only a position.
        position = min(max(error.position, 0), len(text))
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        message = f"YAML syntax error: character {error.character!r} is not allowed in YAML ({error.reason})"
        return Problem(file, line, col, label, " ".join(message.split()))
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    tab = _tab_problem(mark, text, file, label)
    if tab is not None:
        return tab
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = " ".join((f"YAML syntax error: {problem}" + (f" ({context})" if context else "")).split())
    if mark is None:
        return Problem(file, None, None, label, message)
    return Problem(file, mark.line + 1, mark.column + 1, label, message)


_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # PyYAML's line breaks


def _tab_problem(mark, text: str, file: str | None, label: str) -> Problem | None:
    """A syntax error at a tab, worded plainly: PyYAML says "found character '\\t' that cannot start
    any token" (libyaml the same without the character, or "a tab character that violates
    indentation"). None when the error is not at a tab."""
    if mark is None:
        return None
    lines = _LINE_BREAK.split(text)
    line = lines[mark.line] if 0 <= mark.line < len(lines) else ""
    if line[mark.column : mark.column + 1] != "\t":
        return None
    where = "after a key or value" if line[: mark.column].strip(" \t") else "in the indentation"
    message = f"YAML syntax error: a tab {where}; YAML does not allow a tab for indentation (use spaces)"
    return Problem(file, mark.line + 1, mark.column + 1, label, message)


def _check_events(text: str, file: str | None, label: str) -> None:
    """Refuse deep nesting and multiple documents from the event stream, before the composer
    recurses. A libyaml failure is re-checked with the pure-Python parser, so that lddl's own
    depth limit wins over libyaml's (see the module docstring)."""
    try:
        _walk_events(text, file, label, _CoreLoader)
    except yaml.YAMLError as error:
        if not issubclass(_CoreLoader, yaml.SafeLoader):  # libyaml's failed: re-read in Python
            try:
                _walk_events(text, file, label, PyCoreLoader)
            except yaml.YAMLError:
                pass  # a syntax error here too: report libyaml's, as it was found first
        raise ConfigError([_yaml_problem(error, file, label, text)]) from None


def _walk_events(text: str, file: str | None, label: str, loader) -> None:
    """Raise ConfigError at the first collection deeper than ``MAX_DEPTH`` or the second document."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line, col = event.start_mark.line + 1, event.start_mark.column + 1
                message = f"nesting deeper than {MAX_DEPTH} levels; a config needs only a few"
                raise ConfigError([Problem(file, line, col, label, message)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                line, col = event.start_mark.line + 1, event.start_mark.column + 1
                message = "more than one YAML document ('---'); a config is one document"
                raise ConfigError([Problem(file, line, col, label, message)])


class _Builder:
    """Turns a node tree into plain data, recording marks, duplicate keys and refused tags."""

    def __init__(self, document: YamlDocument, file: str | None, label: str) -> None:
        self.document = document
        self.file = file
        self.label = label
        self.problems: list[Problem] = []
        self.nodes = 0

    def problem(self, node, path: Path_, message: str) -> None:
        line, col = _mark(node)
        key = ".".join(str(p) for p in path)
        if self.label:
            key = f"{self.label}.{key}" if key else self.label
        self.problems.append(Problem(self.file, line, col, key, message))

    def build(self, node, path: Path_, depth: int):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            # Aliases can make a small file expand exponentially (or loop): stop early.
            if self.nodes > MAX_NODES:
                message = f"more than {MAX_NODES} values after expanding aliases; a config holds a few dozen"
            else:
                message = (
                    f"nesting deeper than {MAX_DEPTH} levels after expanding aliases (a recursive alias?)"
                )
            line, col = _mark(node)
            raise ConfigError([Problem(self.file, line, col, self.label, message)])
        if node.tag not in ALLOWED_TAGS:
            allowed = ", ".join(_short(t) for t in ALLOWED_TAGS)
            self.problem(node, path, f"YAML tag '{_short(node.tag)}' is not allowed; allowed: {allowed}")
            return None
        if isinstance(node, MappingNode):
            return self.build_mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if node.tag != SEQ:
                self.problem(node, path, f"YAML tag '{_short(node.tag)}' is not allowed on a sequence")
                return None
            items = []
            for index, item in enumerate(node.value):
                item_path = (*path, index)
                self.document.key_marks[item_path] = self.document.value_marks[item_path] = _mark(item)
                items.append(self.build(item, item_path, depth + 1))
            return items
        return self.build_scalar(node, path)

    def build_mapping(self, node, path: Path_, depth: int) -> dict | None:
        if node.tag != MAP:
            self.problem(node, path, f"YAML tag '{_short(node.tag)}' is not allowed on a mapping")
            return None
        result: dict = {}
        first_line: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be a plain scalar, not a list or mapping")
                continue
            if key_node.tag == TAG + "merge" or (key_node.value == "<<" and not key_node.style):
                self.problem(key_node, path, "merge keys ('<<') are not supported; write the keys out")
                continue
            key = self.build_scalar(key_node, path)
            if key in first_line:
                self.problem(
                    key_node, (*path, key), f"duplicate key (first defined on line {first_line[key]})"
                )
                continue
            first_line[key] = key_node.start_mark.line + 1
            item_path = (*path, key)
            self.document.key_marks[item_path] = _mark(key_node)
            self.document.value_marks[item_path] = _mark(value_node)
            result[key] = self.build(value_node, item_path, depth + 1)
        return result

    def build_scalar(self, node, path: Path_):
        value = node.value
        tag = node.tag
        try:
            if tag == NULL:
                if value not in ("~", "null", "Null", "NULL", ""):
                    raise ValueError
                return None
            if tag == BOOL:
                if value.lower() not in ("true", "false"):
                    raise ValueError
                return value.lower() == "true"
            if tag == INT:
                return _to_int(value)
            if tag == FLOAT:
                return _to_float(value)
            if tag == STR:
                return value
        except ValueError:
            self.problem(node, path, f"{value!r} is not a valid {_short(tag)}")
            return None
        self.problem(node, path, f"YAML tag '{_short(tag)}' is not allowed on a scalar")
        return None


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(TAG) if tag.startswith(TAG) else tag


def _to_int(text: str) -> int:
    text = text.strip()
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def _to_float(text: str) -> float:
    lowered = text.strip().lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    return float(lowered)

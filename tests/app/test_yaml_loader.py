"""The safe YAML loader: YAML 1.2 core scalars, marks, and every refusal as a located ConfigError."""

from __future__ import annotations

import math

import pytest
import yaml

from lddl_cli.config import yaml_loader
from lddl_cli.config.yaml_loader import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    load_yaml_file,
    parse_value,
    parse_yaml,
)
from lddl_cli.errors import ConfigError


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def loader(request, monkeypatch):
    """Every test runs with libyaml's loader (when PyYAML has it) and with the pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(yaml_loader, "_CoreLoader", yaml_loader.PyCoreLoader)
    return request.param


def write(tmp_path, text: str | bytes, name: str = "c.yaml"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def only_line(error: pytest.ExceptionInfo) -> str:
    lines = error.value.lines()
    assert len(lines) == 1, lines
    return lines[0]


# --- scalars: the YAML 1.2 core schema ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e-3", 0.001),
        ("1E5", 1e5),
        (".5", 0.5),
        ("+1e-3", 0.001),
        ("-2.5e+2", -250.0),
        ("3.", 3.0),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("12", 12),
        ("-7", -7),
        ("010", 10),
        ("0o17", 15),
        ("0x1f", 31),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("yes", "yes"),
        ("on", "on"),
        ("2026-11-27", "2026-11-27"),
        ("1_000", "1_000"),
        ("'1e-3'", "1e-3"),
        ('"true"', "true"),
        ("relu", "relu"),
        ("!!float 3", 3.0),
        ("!!str 3", "3"),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text, expected):
    value = parse_value(text, "--set k")
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN"])
def test_nan_is_a_float(text):
    value = parse_value(text, "--set k")
    assert isinstance(value, float) and math.isnan(value)


def test_flow_collections_parse_as_plain_data():
    assert parse_value("[1, 8, 1]", "--set k") == [1, 8, 1]
    assert parse_value("{type: sgd, lr: 1e-2}", "--set k") == {"type": "sgd", "lr": 0.01}
    assert parse_value("", "--set k") is None


# --- marks ---------------------------------------------------------------------------------------
def test_marks_of_keys_and_values(tmp_path):
    text = "name: sin\ntrain:\n  epochs: 10\n  sizes: [4, 8]\n"
    document = load_yaml_file(write(tmp_path, text))
    assert document.data == {"name": "sin", "train": {"epochs": 10, "sizes": [4, 8]}}
    assert document.key_marks[("train", "epochs")] == (3, 3)
    assert document.value_marks[("train", "epochs")] == (3, 11)
    assert document.value_marks[("train", "sizes", 1)] == (4, 14)
    assert document.mark(("train", "epochs"), key=True) == (3, 3)
    # An unknown path falls back to its closest located ancestor.
    assert document.mark(("train", "missing", "deeper")) == (3, 3)  # where the train mapping starts


# --- refusals ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "where", "pattern"),
    [
        ("a: 1\nb: 2\na: 3\n", "c.yaml:3:1: a:", "duplicate key (first defined on line 1)"),
        ("t:\n  x: 1\n  x: 2\n", "c.yaml:3:3: t.x:", "duplicate key"),
        ("a: [1, 2\n", "c.yaml:2:1:", "YAML syntax error"),
        ("a: b: c\n", "c.yaml:1:5:", "YAML syntax error"),
        ("a: 1\n---\nb: 2\n", "c.yaml:2:1:", "more than one YAML document"),
        (
            "a: !!python/object/apply:os.system ['true']\n",
            "c.yaml:1:4: a:",
            "'!!python/object/apply:os.system'",
        ),
        ("a: !!python/name:os.system\n", "c.yaml:1:4: a:", "not allowed"),
        ("a: !custom 1\n", "c.yaml:1:4: a:", "YAML tag '!custom' is not allowed"),
        ("a: !!binary aGk=\n", "c.yaml:1:4: a:", "'!!binary' is not allowed"),
        ("a: !!set {x}\n", "c.yaml:1:4: a:", "'!!set' is not allowed"),
        ("a: !!int abc\n", "c.yaml:1:4: a:", "'abc' is not a valid !!int"),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", "c.yaml:3:3: c:", "merge keys"),
        ("? [1, 2]\n: 3\n", "c.yaml:1:3:", "a key must be a plain scalar"),
        ("a: &x [*x]\n", "c.yaml:1:4:", f"nesting deeper than {MAX_DEPTH}"),
        ("- 1\n- 2\n", "c.yaml:1:1:", "the top level must be a mapping of keys; got a list"),
        ("just a string\n", "c.yaml:1:1:", "the top level must be a mapping"),
        ("", "c.yaml:1:1:", "empty config"),
        ("# only a comment\n\n", "c.yaml:1:1:", "empty config"),
        ("~\n", "c.yaml:1:1:", "empty config"),
    ],
)
def test_bad_yaml_gives_one_located_line(tmp_path, monkeypatch, text, where, pattern):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_yaml_file("c.yaml")
    line = only_line(error)
    assert line.startswith(where), line
    assert pattern in line, line


@pytest.mark.parametrize(
    ("text", "where", "place"),
    [
        ("name: a\nmodel:\n\twidths: [1, 2]\n", "c.yaml:3:1:", "in the indentation"),
        ("model:\n  widths: [1]\n  \tactivation: relu\n", "c.yaml:3:3:", "in the indentation"),
        ("train:\n  epochs: 1\n\tbatch_size: 2\n", "c.yaml:3:1:", "in the indentation"),
        ("layers:\n\t- relu\n", "c.yaml:2:1:", "in the indentation"),
        ("\tname: a\n", "c.yaml:1:1:", "in the indentation"),
    ],
)
def test_a_tab_is_named_plainly_at_its_line_and_column(tmp_path, monkeypatch, text, where, place):
    # PyYAML: "found character '\\t' that cannot start any token"; libyaml words it otherwise.
    monkeypatch.chdir(tmp_path)
    write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_yaml_file("c.yaml")
    line = only_line(error)
    assert line == (
        f"{where} YAML syntax error: a tab {place}; YAML does not allow a tab for indentation (use spaces)"
    ), line


def test_a_syntax_error_not_at_a_tab_keeps_pyyamls_words(tmp_path, monkeypatch):
    # A tab elsewhere in the file (here in a comment) does not make an unrelated error a tab error.
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a: 1  # a\tcomment\nb: c: d\n")
    with pytest.raises(ConfigError) as error:
        load_yaml_file("c.yaml")
    assert "tab" not in only_line(error), only_line(error)


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "executed"
    text = (
        f"a: !!python/object/apply:os.system ['touch {marker}']\n"
        f"b: !!python/object/new:os.system ['touch {marker}']\n"
    )
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, text))
    assert len(error.value.lines()) == 2
    assert not marker.exists()


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, billion_laughs()))
    assert f"more than {MAX_NODES} values after expanding aliases" in only_line(error)


def test_a_few_aliases_are_fine(tmp_path):
    text = "init: &i {type: normal, std: 0.01}\nw: *i\nb: *i\n"
    document = load_yaml_file(write(tmp_path, text))
    assert document.data["w"] == document.data["b"] == {"type": "normal", "std": 0.01}


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_a_clean_error(tmp_path, style):
    depth = 2000
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "a:\n" + "- " * depth + "1\n"  # block sequences nested on one line
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, text))
    line = only_line(error)
    assert line.startswith(f"{tmp_path / 'c.yaml'}:{1 if style == 'flow' else 2}:")
    # lddl's own limit, even where libyaml's flow-depth limit (1000) fires first while it looks ahead.
    assert line.endswith(f": nesting deeper than {MAX_DEPTH} levels; a config needs only a few"), line


def test_a_syntax_error_past_deep_nesting_is_still_a_syntax_error(tmp_path):
    # Nesting within the limit, then a syntax error: the pure-Python re-read finds no depth
    # problem and the parser's own error is the one reported.
    text = "a: " + "[" * 10 + "1 : : ]\n"
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, text))
    assert "YAML syntax error:" in only_line(error)


def test_nesting_at_the_limit_is_accepted(tmp_path):
    text = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert load_yaml_file(write(tmp_path, text)).data["a"] is not None


def test_oversized_file_is_refused_before_parsing(tmp_path):
    # Five MiB of something that would also be a syntax error: the size check must come first.
    path = write(tmp_path, b"a: [" * (5 * (1 << 20) // 4))
    with pytest.raises(ConfigError) as error:
        load_yaml_file(path)
    line = only_line(error)
    assert f"a config may be at most {MAX_BYTES} bytes" in line
    assert "syntax" not in line


@pytest.mark.parametrize(
    ("raw", "where"),
    [(b"name: caf\xe9\n", ":1:10:"), (b"a: 1\nb: \xff\xfe\n", ":2:4:"), (b"\x80", ":1:1:")],
)
def test_non_utf8_bytes_are_located(tmp_path, raw, where):
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, raw))
    line = only_line(error)
    assert where in line and "not valid UTF-8" in line


@pytest.mark.parametrize(("raw", "where"), [(b"\x00", ":1:1:"), (b"a: 1\nb: x\x07y\n", ":2:5:")])
def test_control_characters_are_one_located_line(tmp_path, raw, where):
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, raw))
    line = only_line(error)
    assert where in line and "is not allowed in YAML" in line and "\n" not in line


def test_utf8_bom_is_accepted(tmp_path):
    assert load_yaml_file(write(tmp_path, "\ufeffname: café\n")).data == {"name": "café"}


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_yaml_file(tmp_path / "nope.yaml")
    assert only_line(error) == f"{tmp_path / 'nope.yaml'}: no such file"
    with pytest.raises(ConfigError) as error:
        load_yaml_file(tmp_path)
    assert "is a directory" in only_line(error)


def test_a_device_is_not_read(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_yaml_file("/dev/zero")
    assert only_line(error) == "/dev/zero: is not a regular file, expected a YAML file"


def test_several_duplicates_are_all_reported(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, "a: 1\na: 2\nb: 1\nb: 2\n"))
    assert [line.split(": ", 1)[0] for line in error.value.lines()] == [
        f"{tmp_path / 'c.yaml'}:2:1",
        f"{tmp_path / 'c.yaml'}:4:1",
    ]


def test_set_value_errors_name_the_override():
    with pytest.raises(ConfigError) as error:
        parse_value("[1, 2", "--set model.widths")
    assert only_line(error).startswith("--set model.widths: YAML syntax error")
    with pytest.raises(ConfigError) as error:
        parse_yaml("!!python/object:os.system x", None, label="--set seed")
    assert only_line(error).startswith("--set seed: YAML tag")


class _StrictNestingParser:
    """Stands in for a libyaml whose own nesting limit fails before the first event."""

    def __init__(self, stream) -> None:
        pass

    def check_event(self, *choices):
        raise yaml.MarkedYAMLError(problem="exceeded maximum nesting depth")

    def dispose(self) -> None:
        pass


def test_libyaml_failures_are_re_read_so_lddls_depth_limit_wins(tmp_path, monkeypatch):
    monkeypatch.setattr(yaml_loader, "_CoreLoader", _StrictNestingParser)
    deep = "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, deep))
    assert only_line(error).endswith(f"nesting deeper than {MAX_DEPTH} levels; a config needs only a few")
    # Within the limit the re-read finds nothing, and the first parser's error is the one shown.
    with pytest.raises(ConfigError) as error:
        load_yaml_file(write(tmp_path, "a: [[1]]\n"))
    assert only_line(error).endswith(": YAML syntax error: exceeded maximum nesting depth")

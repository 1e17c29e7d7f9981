"""The table reader: what spreadsheets, Python's csv module and pandas write, and located refusals."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest

from lddl_cli.errors import DataError
from lddl_cli.files.tables import read_table

ROWS = [
    {"sepal length": 5.1, "note": "a, b", "label": 'say "hi"'},
    {"sepal length": -0.25, "note": " spaced inside ", "label": "Iris setosa"},
    {"sepal length": 1e-3, "note": "plain", "label": "x"},
]


def write_with_csv(path, delimiter=",", bom=True, line_end="\r\n", trailing_blank=True):
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(ROWS[0]), delimiter=delimiter, lineterminator=line_end
        )
        writer.writeheader()
        writer.writerows(ROWS)
        if trailing_blank:
            handle.write(line_end * 3)


def write_with_pandas(path, delimiter=","):
    pd.DataFrame(ROWS).to_csv(path, index=False, sep=delimiter, encoding="utf-8-sig", lineterminator="\r\n")


def expected_text(name):
    return [row[name].strip() for row in ROWS]


@pytest.mark.parametrize("writer", [write_with_csv, write_with_pandas], ids=["csv module", "pandas"])
@pytest.mark.parametrize(
    ("suffix", "delimiter"), [(".csv", ","), (".csv", ";"), (".csv", "\t"), (".tsv", "\t")]
)
def test_reads_what_writers_write(tmp_path, writer, suffix, delimiter):
    path = tmp_path / f"t{suffix}"
    writer(path, delimiter=delimiter)
    table = read_table(path, "data.path")
    assert table.columns == ["sepal length", "note", "label"]
    assert table.rows == 3 and table.delimiter == delimiter
    assert table.kind("sepal length") == "number" and table.kind("label") == "text"
    assert table.numbers("sepal length", "feature").tolist() == [5.1, -0.25, 1e-3]
    assert table.values["note"].tolist() == expected_text("note")
    assert table.values["label"].tolist() == expected_text("label")


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("line_end", ["\r\n", "\n"])
def test_all_number_table_uses_the_fast_reader_and_matches_pandas(tmp_path, rng, bom, line_end):
    frame = pd.DataFrame(rng.normal(size=(50, 4)), columns=["a", "b c", "d", "e"])
    path = tmp_path / "n.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator=line_end)
    with path.open("a", newline="") as handle:
        handle.write(line_end * 2)  # blank trailing lines
    table = read_table(path, "data.path")
    assert table._lines is None  # the C reader read it: no csv pass
    again = pd.read_csv(path, float_precision="round_trip")
    for name in frame.columns:
        assert np.array_equal(table.numbers(name, "feature"), again[name].to_numpy())
        assert np.array_equal(table.numbers(name, "feature"), frame[name].to_numpy())


def test_blank_lines_inside_keep_line_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("x,y\n1,a\n\n2,b\n\n3,\n")
    table = read_table(path, "data.path")
    assert [table.line(i) for i in range(3)] == [2, 4, 6]


# --- refusals: one located line each ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"t\.csv: empty file"),
        ("\n\n", r"t\.csv: empty file"),
        ("x,y\n", r"t\.csv: data\.path: a header row but no data rows"),
        ("x,y\n\n\n", r"t\.csv: data\.path: a header row but no data rows"),
        ("x,y\n1,2\n3\n", r"t\.csv: line 3: 1 field but the header has 2"),
        ("x,y\n1,2\n3,4,5\n", r"t\.csv: line 3: 3 fields but the header has 2"),
        ("x,x\n1,2\n", r"t\.csv: line 1: data\.path: column name 'x' appears twice \(columns 1 and 2\)"),
        (",x\n0,2\n", r"t\.csv: line 1: data\.path: column 1 has no name \(a pandas index\?"),
    ],
)
def test_refusals(tmp_path, text, pattern):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(DataError) as error:
        read_table(path, "data.path")
    assert len(error.value.lines()) == 1
    assert re.search(pattern, error.value.lines()[0]), error.value.lines()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n3,abc\n", "line 3: column 'y' (feature): 'abc' is not a number"),
        ("x,y\n1,2\n\n3,\n", "line 4: column 'y' (feature): is empty"),
        ("x,y\n1,2\n3,nan\n", "line 3: column 'y' (feature): nan is not a finite number"),
    ],
)
def test_numbers_locate_the_bad_cell(tmp_path, text, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    table = read_table(path, "data.path")
    assert table.numbers("x", "feature").tolist() == [1.0, 3.0]
    with pytest.raises(DataError, match="^" + re.escape(f"{path}: {message}") + "$"):
        table.numbers("y", "feature")


def test_missing_column_has_did_you_mean(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("sepal_length,species\n1,a\n")
    table = read_table(path, "data.path")
    assert table.missing(["specie", "sepal_length"]) == [
        f"no column 'specie' in {path}; did you mean 'species'?"
    ]
    assert "the columns are 'sepal_length', 'species'" in table.missing(["zzz"])[0]


def test_not_utf8_is_located(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"x,y\n1,2\n3,\xff\n")
    with pytest.raises(DataError, match=r"t\.csv: line 3: data\.path: not valid UTF-8"):
        read_table(path, "data.path")


def test_no_such_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "nope.csv", "data.path")

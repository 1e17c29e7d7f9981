"""Tables with a header row: ``.csv`` / ``.tsv`` files as spreadsheets and pandas write them.

``read_table(path, what)`` reads the header (names, none empty, none twice), detects the delimiter
(a ``.tsv`` is tab-separated; otherwise the most frequent of ``,`` ``;`` and tab in the header
line), and then the rows: a UTF-8 byte-order mark, quoted fields (a delimiter, a quote written
twice or spaces inside), CRLF line ends and blank lines all read as a spreadsheet means them.
Every row must have as many fields as the header. A column whose every cell is a number is kept
as float64, any other as text (class labels); ``Table.numbers`` refuses a text column with the
file, line and column name of its first cell that is not a number.

Speed: an all-number table is parsed by NumPy's C reader (``np.loadtxt``), in one pass; a table
with text cells, or one the C reader refuses, is read again with Python's ``csv`` module, which
locates the problem (file, line, column).
"""

from __future__ import annotations

import csv
import difflib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError

MAX_TABLE_BYTES = 4 << 30  # lddl trains small networks; a larger table is refused, not read
DELIMITERS = (",", ";", "\t")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


@dataclass
class Table:
    """A table's columns by header name: float64 arrays (numbers) or str arrays (text)."""

    path: Path
    columns: list[str]
    values: dict[str, np.ndarray]
    delimiter: str
    _lines: np.ndarray | None = field(default=None, repr=False)

    @property
    def rows(self) -> int:
        return len(next(iter(self.values.values())))

    def kind(self, name: str) -> str:
        """'number' or 'text'."""
        return "number" if self.values[name].dtype.kind == "f" else "text"

    def line(self, row: int) -> int:
        """The file line on which data row ``row`` (0-based) ends."""
        if self._lines is None:
            self._lines = _read_with_csv(self.path, self.delimiter).lines
        return int(self._lines[row])

    def missing(self, names: list[str]) -> list[str]:
        """One message per name not in the header, with a "did you mean"."""
        messages = []
        for name in names:
            if name not in self.values:
                close = difflib.get_close_matches(name, self.columns, n=1, cutoff=0.6)
                hint = (
                    f"; did you mean {close[0]!r}?" if close else f"; the columns are {_listed(self.columns)}"
                )
                messages.append(f"no column {name!r} in {self.path}{hint}")
        return messages

    def numbers(self, name: str, what: str) -> np.ndarray:
        """Column ``name`` as finite float64; DataError at the first cell that is not a number."""
        column = self.values[name]
        if column.dtype.kind != "f":
            row = next(i for i, cell in enumerate(column) if not _is_number(cell))
            cell = column[row]
            problem = "is empty" if not cell else f"{str(cell)!r} is not a number"
            raise DataError(f"{self.path}: line {self.line(row)}: column {name!r} ({what}): {problem}")
        finite = np.isfinite(column)
        if not finite.all():
            row = int(np.argmin(finite))
            raise DataError(
                f"{self.path}: line {self.line(row)}: column {name!r} ({what}): "
                f"{column[row]} is not a finite number"
            )
        return column


def read_table(path: str | Path, what: str) -> Table:
    """The table in ``path`` (``what`` names it in messages: ``data.path``, ``--input``)."""
    path = Path(path)
    _check_file(path, what)
    size = path.stat().st_size
    if size > MAX_TABLE_BYTES:
        raise DataError(f"{path}: {what}: file is {size} bytes; a table may be at most {MAX_TABLE_BYTES}")
    try:
        header, delimiter = _header(path)
        columns = _names(header, path, what)
        table = _read_numbers(path, delimiter, columns)
        if table is None:
            parsed = _read_with_csv(path, delimiter, len(columns))
            values = {name: _column(cells) for name, cells in zip(columns, parsed.columns, strict=True)}
            table = Table(path, columns, values, delimiter, parsed.lines)
    except UnicodeDecodeError as error:
        line = path.read_bytes().count(b"\n", 0, error.start) + 1
        raise DataError(f"{path}: line {line}: {what}: not valid UTF-8 text") from None
    except OSError as error:
        raise DataError(f"{path}: {what}: cannot read: {error.strerror or error}") from None
    if table.rows == 0:
        raise DataError(f"{path}: {what}: a header row but no data rows")
    return table


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"{path}: {what}: no such file")
    if not path.is_file():
        raise DataError(f"{path}: {what}: not a regular file, expected a .csv or .tsv table")


def _header(path: Path) -> tuple[list[str], str]:
    """The header's fields and the table's delimiter."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        while first and not first.strip():
            first = handle.readline()
    if not first.strip():
        raise DataError(f"{path}: empty file: expected a header row of column names, then data rows")
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        unquoted = _QUOTED.sub("", first)
        delimiter = max(DELIMITERS, key=unquoted.count) if any(d in unquoted for d in DELIMITERS) else ","
    return next(csv.reader([first], delimiter=delimiter)), delimiter


def _names(header: list[str], path: Path, what: str) -> list[str]:
    names = [name.strip() for name in header]
    for index, name in enumerate(names):
        if not name:
            raise DataError(
                f"{path}: line 1: {what}: column {index + 1} has no name (a pandas index? "
                "write the table with index=False)"
            )
        if name in names[:index]:
            first = names.index(name) + 1
            raise DataError(
                f"{path}: line 1: {what}: column name {name!r} appears twice "
                f"(columns {first} and {index + 1})"
            )
    return names


def _read_numbers(path: Path, delimiter: str, columns: list[str]) -> Table | None:
    """The all-number table through NumPy's C parser; None when a cell is not a number or a row
    does not fit (the csv pass then reads it and says where)."""
    with path.open(encoding="utf-8-sig", newline=None) as handle:
        header = handle.readline()
        while header and not header.strip():
            header = handle.readline()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data": reported as such later
                array = np.loadtxt(
                    handle, delimiter=delimiter, quotechar='"', comments=None, dtype=np.float64, ndmin=2
                )
        except ValueError:
            return None
    if array.shape[1] != len(columns) and array.shape[0] > 0:
        return None
    array = array.reshape(len(array), len(columns))
    return Table(path, columns, {name: array[:, j] for j, name in enumerate(columns)}, delimiter)


@dataclass
class _Parsed:
    columns: list[list[str]]
    lines: np.ndarray


def _read_with_csv(path: Path, delimiter: str, width: int | None = None) -> _Parsed:
    """Every row's cells (stripped) by column, with the line each row ends on; DataError for a
    row whose field count is not the header's."""
    columns: list[list[str]] = []
    lines: list[int] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header_seen = False
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            if not header_seen:
                header_seen = True
                width = width or len(row)
                columns = [[] for _ in range(width)]
                continue
            if len(row) != width:
                raise DataError(
                    f"{path}: line {reader.line_num}: {len(row)} field{'s' if len(row) != 1 else ''} "
                    f"but the header has {width}"
                )
            for cells, cell in zip(columns, row, strict=True):
                cells.append(cell.strip())
            lines.append(reader.line_num)
    return _Parsed(columns, np.array(lines, dtype=np.int64))


def _column(cells: list[str]) -> np.ndarray:
    try:
        return np.array(cells, dtype=np.float64)
    except ValueError:
        return np.array(cells, dtype=str)


def _is_number(text) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _listed(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")

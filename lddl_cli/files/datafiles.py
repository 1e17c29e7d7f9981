"""Data files for training and prediction: .npy read without unpickling, .csv / .txt read as numbers.

Every file is untrusted. A .npy header is parsed and checked against the file size before any
array is allocated (a header that declares 10^12 elements is refused, not attempted); object,
string, complex, boolean and structured dtypes are refused; so are NaN/Inf values (counted, with
the first position), empty arrays and arrays of more than two dimensions. Messages read
``data/x.npy: data.x: what is wrong``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

MAX_TEXT_BYTES = 64 << 20  # a CSV larger than this is better stored as .npy
MAX_NPY_BYTES = 1 << 30  # lddl trains small networks; a larger array is refused, not loaded
NUMERIC_KINDS = {"i": "integer", "u": "unsigned integer", "f": "float"}
REFUSED_KINDS = {
    "O": "object arrays hold pickled Python objects, and lddl never unpickles",
    "U": "string",
    "S": "bytes",
    "c": "complex",
    "b": "boolean",
    "V": "structured/void",
    "M": "datetime",
    "m": "timedelta",
}


@dataclass
class Dataset:
    """Training arrays (x (N, in), y (N, out) or (N,) int64 labels) and the optional validation set."""

    x: np.ndarray
    y: np.ndarray
    val_x: np.ndarray | None = None
    val_y: np.ndarray | None = None


def _fail(path: Path | str, what: str, message: str) -> DataError:
    return DataError(f"{path}: {what}: {message}")


def load_array(path: str | Path, what: str) -> np.ndarray:
    """A finite, non-empty 1-D or 2-D real-number array from a .npy, .csv or .txt file.

    ``what`` names the source in messages (``data.x``, ``--input``).
    """
    path = Path(path)
    if not path.exists():
        raise _fail(path, what, "no such file")
    if path.is_dir():
        raise _fail(path, what, "is a directory, expected a .npy, .csv or .txt file")
    if not path.is_file():
        raise _fail(path, what, "is not a regular file, expected a .npy, .csv or .txt file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            array = _read_npy(path, what)
        elif suffix in (".csv", ".txt"):
            array = _read_text(path, what, "," if suffix == ".csv" else None)
        else:
            raise _fail(
                path, what, f"unsupported file type {suffix or '(none)'!r}; allowed: .npy, .csv, .txt"
            )
    except OSError as error:
        raise _fail(path, what, f"cannot read: {error.strerror or error}") from None
    _check_array(array, path, what)
    return array


def _read_npy(path: Path, what: str) -> np.ndarray:
    size = path.stat().st_size
    with path.open("rb") as handle:
        try:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version in ((2, 0), (3, 0)):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except Exception as error:  # numpy parses the header with Python's tokenizer: many error types
            reason = " ".join(str(error).split())[:200]
            raise _fail(path, what, f"not a valid .npy file ({type(error).__name__}: {reason})") from None
        if any(dim < 0 for dim in shape):
            raise _fail(path, what, f"not a valid .npy file (negative dimension in shape {shape})")
        _check_dtype(dtype, path, what)
        offset = handle.tell()
        count = math.prod(shape)
        needed = count * dtype.itemsize
        available = size - offset
        if needed > MAX_NPY_BYTES:
            raise _fail(
                path,
                what,
                f"the header declares shape {tuple(shape)} ({needed} bytes); lddl reads arrays of at most "
                f"{MAX_NPY_BYTES} bytes",
            )
        if needed > available:
            raise _fail(
                path,
                what,
                f"truncated or corrupt: the header declares shape {tuple(shape)} ({needed} bytes of data) "
                f"but the file holds {available}",
            )
        if needed < available:
            raise _fail(
                path, what, f"{available - needed} unexpected bytes after the array data of shape {shape}"
            )
        array = np.fromfile(handle, dtype=dtype, count=count) if count else np.empty(0, dtype=dtype)
    if array.size != count:
        raise _fail(path, what, "truncated: the file changed while it was read")
    return array.reshape(shape, order="F" if fortran_order else "C")


def _check_dtype(dtype: np.dtype, path: Path, what: str) -> None:
    allowed = ", ".join(NUMERIC_KINDS.values())
    if dtype.hasobject:
        raise _fail(path, what, f"dtype {dtype} is not allowed: {REFUSED_KINDS['O']}; allowed: {allowed}")
    if dtype.fields is not None or dtype.subdtype is not None:
        raise _fail(path, what, f"dtype {dtype} (structured) is not allowed; allowed: {allowed}")
    if dtype.kind in REFUSED_KINDS:
        raise _fail(
            path, what, f"dtype {dtype} ({REFUSED_KINDS[dtype.kind]}) is not allowed; allowed: {allowed}"
        )
    if dtype.kind not in NUMERIC_KINDS:
        raise _fail(path, what, f"dtype {dtype} is not a real number type; allowed: {allowed}")


def _read_text(path: Path, what: str, delimiter: str | None) -> np.ndarray:
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise _fail(path, what, f"file is {size} bytes; text data may be at most {MAX_TEXT_BYTES} (use .npy)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise _fail(path, what, f"line {line}: not valid UTF-8 text") from None
    rows: list[list[float]] = []
    width = None
    width_line = 0
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cells = [cell.strip() for cell in line.split(delimiter)] if delimiter else line.split()
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            bad = next(cell for cell in cells if not _is_float(cell))
            hint = "; a header row? lddl reads numbers only, remove it" if not rows else ""
            raise _fail(path, what, f"line {number}: {bad!r} is not a number{hint}") from None
        if width is None:
            width, width_line = len(values), number
        elif len(values) != width:
            raise _fail(
                path,
                what,
                f"line {number} has {len(values)} columns but line {width_line} has {width} (ragged rows)",
            )
        rows.append(values)
    if not rows:
        raise _fail(path, what, "no data rows")
    return np.array(rows, dtype=np.float64)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_array(array: np.ndarray, path: Path, what: str) -> None:
    if array.ndim == 0 or array.ndim > 2:
        raise _fail(path, what, f"expected a 2-D (rows, columns) array; got shape {array.shape}")
    if array.size == 0:
        raise _fail(path, what, f"no data: shape {array.shape}")
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            bad = np.argwhere(~finite)
            first = tuple(int(i) for i in bad[0])
            where = f"row {first[0]}" + (f", column {first[1]}" if len(first) > 1 else "")
            value = array[first]
            raise _fail(
                path, what, f"{len(bad)} non-finite value(s) (NaN/Inf); the first, {value}, at {where}"
            )


def load_dataset(config) -> Dataset:
    """The config's arrays, cast to its dtype and cross-checked against each other and the model.

    x must be 2-D. A 1-D y is read as one output column for regression losses and kept as int64
    class labels for cross_entropy. Every problem found is reported (one line each).
    """
    from ..config.paths import missing_data_file

    keys = [key for key in ("x", "y", "val_x", "val_y") if getattr(config.data, key) is not None]
    arrays: dict[str, np.ndarray] = {}
    problems: list[str] = []
    for key in keys:
        missing = missing_data_file(config, key)  # located at the config's key, not at the path
        if missing is not None:
            problems.append(missing)
            continue
        try:
            arrays[key] = load_array(getattr(config.data, key), f"data.{key}")
        except DataError as error:
            problems += error.lines()
    if problems:
        raise DataError(*problems)
    checker = _PairChecker(config)
    x, y = checker.check(arrays["x"], arrays["y"], "x", "y")
    val_x = val_y = None
    if "val_x" in arrays:
        val_x, val_y = checker.check(arrays["val_x"], arrays["val_y"], "val_x", "val_y")
    problems = checker.problems or _check_rows(config, len(x))
    if problems:
        raise DataError(*problems)
    return Dataset(x, y, val_x, val_y)


def _check_rows(config, rows: int) -> list[str]:
    """train_size, val_fraction and batch_size against the number of rows of x."""
    data = config.data
    if data.train_size is not None and data.train_size > rows:
        message = f"{data.train_size} is more than the {rows} rows of data.x ({data.x})"
        return [str(config.problem(("data", "train_size"), message))]
    train_rows = data.train_size if data.train_size is not None else rows
    if data.val_fraction > 0:
        held_out = max(round(train_rows * data.val_fraction), 1)
        if held_out >= train_rows:
            message = f"{data.val_fraction} of {train_rows} rows leaves none to train on"
            return [str(config.problem(("data", "val_fraction"), message))]
        train_rows -= held_out
    if config.train.batch_size > train_rows:
        message = (
            f"{config.train.batch_size} is more than the {train_rows} training rows "
            "(after train_size / val_fraction)"
        )
        return [str(config.problem(("train", "batch_size"), message))]
    return []


class _PairChecker:
    """Checks (x, y) pairs against each other and the model's widths, collecting problems."""

    def __init__(self, config) -> None:
        from ..config import model_widths

        self.data = config.data
        self.dtype = np.dtype(config.dtype)
        self.labels = config.loss.type == "cross_entropy"
        # Rows labelled with the loss's ignore_index (torch's -100 by default) are valid data: the
        # loss skips them.
        self.ignore_index = getattr(config.loss, "ignore_index", None) if self.labels else None
        (self.in_width, in_path), (self.out_width, out_path) = model_widths(config)
        self.in_where = config.where(in_path)
        self.out_where = config.where(out_path)
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{getattr(self.data, key)}: data.{key}: {message}")

    def check(self, x: np.ndarray, y: np.ndarray, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
        """x and y checked, and cast: x to the config dtype, y to it or to int64 class labels."""
        if x.ndim != 2:
            self.fail(x_key, f"expected a 2-D (rows, columns) array; got shape {x.shape}")
        elif x.shape[1] != self.in_width:
            self.fail(
                x_key,
                f"has {x.shape[1]} column(s) but the model's first layer takes {self.in_width} "
                f"({self.in_where})",
            )
        if len(x) != len(y):
            self.fail(y_key, f"has {len(y)} rows but data.{x_key} ({getattr(self.data, x_key)}) has {len(x)}")
        y = self.class_labels(y, y_key) if self.labels else self.targets(y, y_key)
        return self.cast(x, x_key), y

    def class_labels(self, y: np.ndarray, key: str) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            self.fail(key, f"cross_entropy needs (N,) class labels; got shape {y.shape}")
            return y
        if y.dtype.kind == "f" and not np.array_equal(y, np.floor(y)):
            self.fail(key, "class labels must be whole numbers")
            return y
        labels = y.astype(np.int64)
        classes = self.out_width
        ignore = self.ignore_index
        counted = labels if ignore is None else labels[labels != ignore]
        if labels.size and not counted.size:
            self.fail(key, f"every label is the loss's ignore_index {ignore}: nothing to learn from")
            return labels
        if counted.size and (counted.min() < 0 or counted.max() >= classes):
            ignored = "" if ignore is None else f" (or the loss's ignore_index {ignore})"
            self.fail(
                key,
                f"class labels must be in [0, {classes}) for {classes} outputs{ignored}; "
                f"got {int(counted.min())}..{int(counted.max())}",
            )
        return labels

    def targets(self, y: np.ndarray, key: str) -> np.ndarray:
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.shape[1] != self.out_width:
            self.fail(
                key,
                f"has {y.shape[1]} column(s) but the model's last layer gives {self.out_width} "
                f"({self.out_where})",
            )
        return self.cast(y, key)

    def cast(self, array: np.ndarray, key: str) -> np.ndarray:
        """``array`` in the config dtype; a value too large for it (1e300 as float32) is a problem."""
        with np.errstate(over="ignore"):
            cast = array.astype(self.dtype, copy=False)
        if cast.dtype.kind == "f" and not np.isfinite(cast).all():
            bad = np.argwhere(~np.isfinite(cast))
            first = tuple(int(i) for i in bad[0])
            limit = np.finfo(self.dtype).max
            self.fail(
                key,
                f"{len(bad)} value(s) too large for {self.dtype} (|v| > {limit:.4g}); "
                f"the first, {array[first]}, at row {first[0]}; use dtype: float64 or rescale the data",
            )
        return cast

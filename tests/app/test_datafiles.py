"""Data files: safe .npy and text loading, every refusal as one DataError line, dataset cross-checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from runs_helpers import located

from lddl_cli.config import load_config
from lddl_cli.errors import DataError
from lddl_cli.files.datafiles import load_array, load_dataset


def npy_header(path, descr: str, shape: tuple, payload: bytes = b"") -> None:
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": descr, "fortran_order": False, "shape": shape})
        handle.write(payload)


def only_line(error: pytest.ExceptionInfo) -> str:
    lines = error.value.lines()
    assert len(lines) == 1, lines
    return lines[0]


# --- arrays that load ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["<f4", "<f8", ">f8", "<i4", "<i8", "<u2"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_round_trip(tmp_path, rng, dtype, order):
    array = np.asarray(rng.integers(0, 50, size=(7, 3)), dtype=dtype, order=order)
    np.save(tmp_path / "a.npy", array)
    loaded = load_array(tmp_path / "a.npy", "data.x")
    assert loaded.dtype == array.dtype and np.array_equal(loaded, array)


def test_one_dimensional_npy_loads(tmp_path, rng):
    array = rng.normal(size=5)
    np.save(tmp_path / "y.npy", array)
    assert np.array_equal(load_array(tmp_path / "y.npy", "data.y"), array)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.csv", "1.5,2\n-3,4e-1\n\n5,6\n"),
        ("a.txt", "# x y\n1.5 2\n-3   4e-1   # comment\n5\t6\n"),
        ("b.csv", "\ufeff1.5, 2\n-3 , 4e-1\n5,6\n"),
    ],
)
def test_text_files_load_as_float64(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    loaded = load_array(tmp_path / name, "data.x")
    assert loaded.dtype == np.float64
    assert loaded.tolist() == [[1.5, 2.0], [-3.0, 0.4], [5.0, 6.0]]


def test_single_column_csv_is_two_dimensional(tmp_path):
    (tmp_path / "a.csv").write_text("1\n2\n3\n")
    assert load_array(tmp_path / "a.csv", "data.x").shape == (3, 1)


# --- refusals ----------------------------------------------------------------------------------------
def make(tmp_path, case: str):
    """Write the bad file for ``case``; return its path."""
    path = tmp_path / "x.npy"
    if case == "object":
        np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    elif case == "string":
        np.save(path, np.array([["1.0"], ["2.0"]]))
    elif case == "bytes":
        np.save(path, np.array([[b"1"]]))
    elif case == "complex":
        np.save(path, np.ones((2, 1), dtype=complex))
    elif case == "bool":
        np.save(path, np.ones((2, 1), dtype=bool))
    elif case == "structured":
        np.save(path, np.zeros(2, dtype=[("a", "<f8"), ("b", "<f8")]))
    elif case == "too_big":
        npy_header(path, "<f8", (200_000, 1000), b"")
    elif case == "datetime":
        np.save(path, np.array(["2026-01-01"], dtype="datetime64[D]"))
    elif case == "huge":
        npy_header(path, "<f8", (10**12, 1), b"\0" * 64)
    elif case == "truncated":
        np.save(path, np.ones((100, 2)))
        path.write_bytes(path.read_bytes()[:-8])
    elif case == "trailing":
        np.save(path, np.ones((4, 1)))
        path.write_bytes(path.read_bytes() + b"junk")
    elif case == "not_npy":
        path.write_bytes(b"PK\x03\x04 this is a zip, not an npy")
    elif case == "bad_header":
        path.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': lol}  \n")
    elif case == "untokenizable_header":
        path.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8',(\n")
    elif case == "negative_shape":
        npy_header(path, "<f8", (-1, -2), b"\0" * 16)
    elif case == "three_d":
        np.save(path, np.ones((2, 2, 2)))
    elif case == "scalar":
        np.save(path, np.float64(3.0))
    elif case == "zero_rows":
        np.save(path, np.ones((0, 1)))
    elif case == "nan":
        array = np.ones((10, 2))
        array[5, 1], array[7, 0], array[8, 1] = np.nan, np.inf, -np.inf
        np.save(path, array)
    elif case == "directory":
        path.mkdir()
    elif case == "suffix":
        path = tmp_path / "x.json"
        path.write_text("[1, 2]")
    elif case == "csv_header":
        path = tmp_path / "x.csv"
        path.write_text("x,y\n1,2\n")
    elif case == "csv_ragged":
        path = tmp_path / "x.csv"
        path.write_text("1,2\n3,4\n5,6,7\n")
    elif case == "csv_word":
        path = tmp_path / "x.csv"
        path.write_text("1,2\n3,abc\n")
    elif case == "csv_empty":
        path = tmp_path / "x.csv"
        path.write_text("# nothing\n\n")
    elif case == "csv_nan":
        path = tmp_path / "x.csv"
        path.write_text("1,2\nnan,4\n")
    elif case == "csv_latin1":
        path = tmp_path / "x.csv"
        path.write_bytes(b"1,2\n3,\xe94\n")
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "x.npy: data.x: no such file"),
        ("directory", "x.npy: data.x: is a directory"),
        ("suffix", "x.json: data.x: unsupported file type '.json'; allowed: .npy, .csv, .txt"),
        (
            "object",
            "x.npy: data.x: dtype object is not allowed: object arrays hold pickled Python objects, "
            "and lddl never unpickles; allowed: integer, unsigned integer, float",
        ),
        (
            "string",
            "x.npy: data.x: dtype <U3 (string) is not allowed; allowed: integer, unsigned integer, float",
        ),
        ("bytes", "(bytes) is not allowed"),
        ("complex", "x.npy: data.x: dtype complex128 (complex) is not allowed"),
        ("bool", "x.npy: data.x: dtype bool (boolean) is not allowed"),
        ("structured", "x.npy: data.x: dtype [('a', '<f8'), ('b', '<f8')] (structured) is not allowed"),
        ("too_big", "x.npy: data.x: the header declares shape (200000, 1000) (1600000000 bytes); lddl reads"),
        ("datetime", "(datetime) is not allowed"),
        (
            "huge",
            "x.npy: data.x: the header declares shape (1000000000000, 1) (8000000000000 bytes); lddl reads "
            "arrays of at most 1073741824 bytes",
        ),
        (
            "truncated",
            "x.npy: data.x: truncated or corrupt: the header declares shape (100, 2) (1600 bytes of data) "
            "but the file holds 1592",
        ),
        ("trailing", "x.npy: data.x: 4 unexpected bytes after the array data"),
        ("not_npy", "x.npy: data.x: not a valid .npy file"),
        ("bad_header", "x.npy: data.x: not a valid .npy file"),
        ("untokenizable_header", "x.npy: data.x: not a valid .npy file"),
        ("negative_shape", "x.npy: data.x: not a valid .npy file (negative dimension in shape (-1, -2))"),
        ("three_d", "x.npy: data.x: expected a 2-D (rows, columns) array; got shape (2, 2, 2)"),
        ("scalar", "x.npy: data.x: expected a 2-D (rows, columns) array; got shape ()"),
        ("zero_rows", "x.npy: data.x: no data: shape (0, 1)"),
        ("nan", "x.npy: data.x: 3 non-finite value(s) (NaN/Inf); the first, nan, at row 5, column 1"),
        (
            "csv_header",
            "x.csv: data.x: line 1: 'x' is not a number; a header row? lddl reads numbers only, remove it",
        ),
        ("csv_ragged", "x.csv: data.x: line 3 has 3 columns but line 1 has 2 (ragged rows)"),
        ("csv_word", "x.csv: data.x: line 2: 'abc' is not a number"),
        ("csv_empty", "x.csv: data.x: no data rows"),
        ("csv_nan", "x.csv: data.x: 1 non-finite value(s) (NaN/Inf); the first, nan, at row 1, column 0"),
        ("csv_latin1", "x.csv: data.x: line 2: not valid UTF-8 text"),
    ],
)
def test_bad_data_file_is_one_line(tmp_path, monkeypatch, case, expected):
    monkeypatch.chdir(tmp_path)
    path = make(tmp_path, case) if case != "missing" else tmp_path / "x.npy"
    with pytest.raises(DataError) as error:
        load_array(path.name, "data.x")
    line = only_line(error)
    assert line.startswith(expected) if expected.startswith("x.") else expected in line, line
    assert "Traceback" not in line


@pytest.mark.parametrize("name", ["x.csv", "x.npy"])
def test_a_device_is_not_read(tmp_path, name):
    (tmp_path / name).symlink_to("/dev/zero")
    with pytest.raises(DataError) as error:
        load_array(tmp_path / name, "data.x")
    assert only_line(error).endswith("is not a regular file, expected a .npy, .csv or .txt file")


def test_a_pickle_payload_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    # A protocol-0 pickle that would run `touch marker` if anything unpickled it.
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    npy_header(tmp_path / "x.npy", "|O", (1,), payload)
    with pytest.raises(DataError) as error:
        load_array(tmp_path / "x.npy", "data.x")
    assert "never unpickles" in only_line(error)
    assert not marker.exists()


def test_a_huge_header_is_refused_before_allocating(tmp_path, monkeypatch):
    npy_header(tmp_path / "x.npy", "<f8", (10**12, 10**3), b"")
    calls = []
    monkeypatch.setattr(np, "fromfile", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(np, "frombuffer", lambda *a, **k: calls.append(a))
    with pytest.raises(DataError):
        load_array(tmp_path / "x.npy", "data.x")
    assert calls == []


# --- datasets ---------------------------------------------------------------------------------------
CONFIG = """\
data: {x: x.npy, y: y.npy, val_x: vx.npy, val_y: vy.npy}
model: {widths: [1, 8, 1]}
train: {epochs: 1, batch_size: 4}
"""


@pytest.fixture
def project(tmp_path, monkeypatch, rng):
    """A folder with a config and valid arrays; tests overwrite what they break."""
    monkeypatch.chdir(tmp_path)
    np.save("x.npy", rng.uniform(-3, 3, size=(20, 1)))
    np.save("y.npy", rng.normal(size=(20, 1)))
    np.save("vx.npy", rng.uniform(-3, 3, size=(6, 1)))
    np.save("vy.npy", rng.normal(size=(6, 1)))
    (tmp_path / "c.yaml").write_text(CONFIG)
    return tmp_path


def dataset(overrides=()):
    return load_dataset(load_config("c.yaml", list(overrides)))


def data_problems(overrides=()) -> list[str]:
    with pytest.raises(DataError) as error:
        dataset(overrides)
    return error.value.lines()


def test_dataset_is_cast_to_the_config_dtype(project):
    data = dataset()
    assert data.x.shape == (20, 1) and data.y.shape == (20, 1) and data.val_x.shape == (6, 1)
    assert {a.dtype for a in (data.x, data.y, data.val_x, data.val_y)} == {np.dtype(np.float32)}
    assert np.array_equal(data.x, np.load("x.npy").astype(np.float32))
    assert dataset(["dtype=float64"]).x.dtype == np.float64


def test_dataset_paths_are_relative_to_the_working_directory(project, monkeypatch):
    (project / "sub").mkdir()
    (project / "c.yaml").rename(project / "sub" / "c.yaml")
    data = load_dataset(load_config("sub/c.yaml"))
    assert data.x.shape == (20, 1)


def test_one_dimensional_y_is_one_output_column(project, rng):
    np.save("y.npy", rng.normal(size=20))
    assert dataset().y.shape == (20, 1)


def test_no_validation_files(project):
    data = dataset(["data={x: x.npy, y: y.npy}"])
    assert data.val_x is None and data.val_y is None


@pytest.mark.parametrize(
    ("break_it", "overrides", "expected"),
    [
        (
            lambda rng: np.save("x.npy", np.ones(20)),
            (),
            ["x.npy: data.x: expected a 2-D (rows, columns) array; got shape (20,)"],
        ),
        (
            lambda rng: np.save("y.npy", np.ones((15, 1))),
            (),
            ["y.npy: data.y: has 15 rows but data.x (x.npy) has 20"],
        ),
        (
            lambda rng: np.save("x.npy", np.ones((20, 3))),
            (),
            [
                "x.npy: data.x: has 3 column(s) but the model's first layer takes 1 "
                f"(model.widths[0] at c.yaml:{located(CONFIG, '[|1, 8, 1]')})"
            ],
        ),
        (
            lambda rng: np.save("y.npy", np.ones((20, 2))),
            (),
            [
                "y.npy: data.y: has 2 column(s) but the model's last layer gives 1 "
                f"(model.widths[2] at c.yaml:{located(CONFIG, '[1, 8, |1]')})"
            ],
        ),
        (lambda rng: np.save("vx.npy", np.ones((6, 2))), (), ["vx.npy: data.val_x: has 2 column(s)"]),
        (
            lambda rng: np.save("vy.npy", np.ones((5, 1))),
            (),
            ["vy.npy: data.val_y: has 5 rows but data.val_x (vx.npy) has 6"],
        ),
        (
            lambda rng: (np.save("x.npy", np.ones((20, 3))), np.save("y.npy", np.ones((12, 1)))),
            (),
            ["x.npy: data.x: has 3 column(s)", "y.npy: data.y: has 12 rows"],
        ),
        (
            None,
            ("data.train_size=30",),
            ["--set data.train_size: 30 is more than the 20 rows of data.x (x.npy)"],
        ),
        (
            None,
            ("train.batch_size=21",),
            [
                "--set train.batch_size: 21 is more than the 20 training rows "
                "(after train_size / val_fraction)"
            ],
        ),
        (
            None,
            ("data.train_size=8", "train.batch_size=9"),
            ["--set train.batch_size: 9 is more than the 8 training rows"],
        ),
        (
            None,
            ("data={x: x.npy, y: y.npy, val_fraction: 0.5}", "train.batch_size=11"),
            ["--set train.batch_size: 11 is more than the 10 training rows"],
        ),
        (
            None,
            ("data={x: x.npy, y: y.npy, val_fraction: 0.99, train_size: 1}", "train.batch_size=1"),
            ["--set data.val_fraction: 0.99 of 1 rows leaves none to train on"],
        ),
    ],
)
def test_dataset_problems(project, rng, break_it, overrides, expected):
    if break_it is not None:
        break_it(rng)
    lines = data_problems(overrides)
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), line


def test_row_problems_point_at_the_config_line(project):
    (project / "c.yaml").write_text(CONFIG.replace("batch_size: 4", "batch_size: 64"))
    col = CONFIG.splitlines()[2].index("4") + 1
    assert data_problems() == [
        f"c.yaml:3:{col}: train.batch_size: 64 is more than the 20 training rows "
        "(after train_size / val_fraction)"
    ]


def test_missing_files_are_all_reported(project):
    # The wording is tested in test_missing_data_files.py.
    (project / "x.npy").unlink()
    (project / "vy.npy").unlink()
    lines = data_problems()
    assert [line.split(": ")[1] for line in lines] == ["data.x", "data.val_y"], lines


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["model.widths=[2, 4, 1]"], "(--set model.widths[0])"),
        (
            [
                "model={layers: [{type: layer_norm, normalized_shape: 2}, "
                "{type: linear, in_features: 2, out_features: 1}]}"
            ],
            "(--set model.layers[0].normalized_shape)",
        ),
    ],
)
def test_width_problems_name_the_model_key(project, overrides, expected):
    lines = data_problems(overrides)
    assert lines == [
        f"x.npy: data.x: has 1 column(s) but the model's first layer takes 2 {expected}",
        f"vx.npy: data.val_x: has 1 column(s) but the model's first layer takes 2 {expected}",
    ]


def test_batch_size_equal_to_training_rows_is_fine(project):
    assert len(dataset(["train.batch_size=20"]).x) == 20


# --- class labels -------------------------------------------------------------------------------------
LABELS = ["loss=cross_entropy", "model.widths=[1, 8, 3]"]


@pytest.mark.parametrize("labels", [np.array([0, 1, 2, 1] * 5), np.array([[0.0], [2.0], [1.0], [1.0]] * 5)])
def test_cross_entropy_keeps_int64_labels(project, labels):
    np.save("y.npy", labels)
    np.save("vy.npy", np.array([0, 1, 2, 0, 1, 2]))
    data = dataset(LABELS)
    assert data.y.dtype == np.int64 and data.y.shape == (20,)
    assert data.y.tolist() == np.asarray(labels).reshape(-1).astype(int).tolist()
    assert data.x.dtype == np.float32


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (
            np.array([0, 1, 3, 1] * 5),
            "y.npy: data.y: class labels must be in [0, 3) for 3 outputs (or the loss's ignore_index -100); "
            "got 0..3",
        ),
        (np.array([-100] * 20), "y.npy: data.y: every label is the loss's ignore_index -100: nothing"),
        (np.array([0, -1, 2, 1] * 5), "y.npy: data.y: class labels must be in [0, 3)"),
        (np.array([0.5, 1, 2, 1] * 5), "y.npy: data.y: class labels must be whole numbers"),
        (np.zeros((20, 3)), "y.npy: data.y: cross_entropy needs (N,) class labels; got shape (20, 3)"),
    ],
)
def test_bad_class_labels(project, labels, expected):
    np.save("y.npy", labels)
    np.save("vy.npy", np.array([0, 1, 2, 0, 1, 2]))
    lines = data_problems(LABELS)
    assert len(lines) == 1 and lines[0].startswith(expected), lines


@pytest.mark.parametrize(
    ("ignore_index", "labels"),
    [(-100, [0, -100, 2, 1]), (5, [0, 5, 2, 1]), (1, [0, 1, 2, 1])],
    ids=["torch's default -100", "a value past the classes", "a class itself"],
)
def test_labels_equal_to_the_loss_ignore_index_are_valid_data(project, ignore_index, labels):
    np.save("y.npy", np.array(labels * 5))
    np.save("vy.npy", np.array([0, 1, 2, 0, 1, 2]))
    overrides = [*LABELS, f"loss={{type: cross_entropy, ignore_index: {ignore_index}}}"]
    assert dataset(overrides).y.tolist() == labels * 5  # loads: no DataError


def test_a_label_outside_the_classes_is_still_refused_with_a_custom_ignore_index(project):
    np.save("y.npy", np.array([0, 5, 7, 1] * 5))
    np.save("vy.npy", np.array([0, 1, 2, 0, 1, 2]))
    lines = data_problems([*LABELS, "loss={type: cross_entropy, ignore_index: 5}"])
    assert lines == [
        "y.npy: data.y: class labels must be in [0, 3) for 3 outputs (or the loss's ignore_index 5); got 0..7"
    ]


def test_values_too_large_for_the_dtype_are_refused(project, rng):
    """1e300 is a finite float64 but overflows to Inf as float32: refused up front, not in training."""
    y = rng.normal(size=(20, 1))
    y[7, 0] = -1e300
    np.save("y.npy", y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cast must not leak NumPy's overflow warning
        lines = data_problems()
    assert lines == [
        "y.npy: data.y: 1 value(s) too large for float32 (|v| > 3.403e+38); the first, -1e+300, "
        "at row 7; use dtype: float64 or rescale the data"
    ]
    assert dataset(["dtype=float64"]).y[7, 0] == -1e300

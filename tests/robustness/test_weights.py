"""lddl_cli.weights: the hardened reader of model.npz, on valid files and on planted defects."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from lddl_cli.config import build_model
from lddl_cli.files import weights
from lddl_cli.nn import state as state_module
from lddl_cli.nn.state import save_state

ARCHITECTURES = {
    "mlp": [
        {"type": "linear", "in_features": 1, "out_features": 16},
        {"type": "relu"},
        {"type": "linear", "in_features": 16, "out_features": 1},
    ],
    "norms and dropout": [
        {"type": "linear", "in_features": 3, "out_features": 8},
        {"type": "batch_norm1d", "num_features": 8},
        {"type": "tanh"},
        {"type": "dropout", "p": 0.25},
        {"type": "linear", "in_features": 8, "out_features": 4},
        {"type": "layer_norm", "normalized_shape": 4},
        {"type": "leaky_relu", "negative_slope": 0.1},
        {"type": "linear", "in_features": 4, "out_features": 2, "bias": False},
    ],
    "wide": [{"type": "linear", "in_features": 300, "out_features": 200}, {"type": "gelu"}],
}


def metadata_for(layers, dtype="float32", **extra):
    return {"format": 1, "dtype": dtype, "model": {"layers": layers}, **extra}


def write_weights(path, layers, rng, dtype="float32"):
    model = build_model(layers, dtype, rng)
    save_state(path, model.state_dict(), metadata_for(layers, dtype, seed=3))
    return model


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def problems_of(path) -> list[str]:
    with pytest.raises(weights.WeightsFileError) as caught:
        weights.load_model(path)
    return caught.value.lines()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_a_valid_file_loads_exactly(name, dtype, tmp_path, rng):
    path = tmp_path / "model.npz"
    original = write_weights(path, ARCHITECTURES[name], rng, dtype)
    model, metadata = weights.load_model(path)
    assert metadata["seed"] == 3 and metadata["model"]["layers"] == ARCHITECTURES[name]
    loaded, expected = model.state_dict(), original.state_dict()
    assert list(loaded) == list(expected)
    for key in expected:
        assert (
            loaded[key].dtype
            == expected[key].dtype
            == (np.int64 if "num_batches" in key else np.dtype(dtype))
        )
        assert np.array_equal(loaded[key], expected[key]), key
    assert not model.training


def test_fortran_order_arrays_read_as_their_values(tmp_path, rng):
    path = tmp_path / "model.npz"
    original = write_weights(path, ARCHITECTURES["mlp"], rng)
    members = members_of(path)
    weight = original.state_dict()["2.weight"]
    members["2.weight.npy"] = npy(np.asfortranarray(weight))
    write_members(path, members)
    assert np.array_equal(weights.read_weights(path).state["2.weight"], weight)


def test_a_deflate_compressed_file_loads(tmp_path, rng):
    path = tmp_path / "model.npz"
    write_weights(path, ARCHITECTURES["mlp"], rng)
    write_members(path, members_of(path), zipfile.ZIP_DEFLATED)
    weights.load_model(path)


@pytest.fixture
def valid(tmp_path, rng):
    path = tmp_path / "model.npz"
    write_weights(path, ARCHITECTURES["mlp"], rng)
    return path


def test_every_problem_is_its_own_line(valid):
    members = members_of(valid)
    members["0.weight.npy"] = npy(np.full((16, 1), np.nan, dtype=np.float32))
    members["2.bias.npy"] = npy(np.zeros(1, dtype=np.int32))
    write_members(valid, members)
    assert problems_of(valid) == [
        f"{valid}: 0.weight: 16 non-finite value(s) (nan or inf), first at index (0, 0)",
        f"{valid}: 2.bias: expected a float32, float64 or int64 array, got dtype int32",
    ]


def test_an_integer_array_where_the_layer_has_floats_is_refused(valid):
    members = members_of(valid)
    members["2.bias.npy"] = npy(np.zeros(1, dtype=np.int64))
    write_members(valid, members)
    assert problems_of(valid) == [
        f"{valid}: 2.bias: layer 2 (linear: in_features=16, out_features=1) expects a "
        f"float array, the file holds int64"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"0.weihgt.npy": "0.weight.npy", "0.weight.npy": None}, "0.weight: missing array for layer 0"),
        (
            {"x/0.bias.npy": "0.bias.npy"},
            "x/0.bias.npy: unexpected member; an lddl .npz holds only KEY.npy",
        ),
        ({"notes.txt": "0.bias.npy"}, "notes.txt: unexpected member"),
    ],
)
def test_member_names_are_checked(valid, change, expected):
    members = members_of(valid)
    for name, source in change.items():
        if source is None:
            members.pop(name)
        else:
            members[name] = members[source]
    write_members(valid, members)
    assert any(line.startswith(f"{valid}: {expected}") for line in problems_of(valid)), problems_of(valid)


def test_a_duplicate_member_is_refused(valid):
    members = members_of(valid)
    with zipfile.ZipFile(valid, "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("0.bias.npy", members["0.bias.npy"])
    assert problems_of(valid) == [f"{valid}: 0.bias: duplicate member"]


def test_an_unsupported_compression_is_refused(valid):
    write_members(valid, members_of(valid), zipfile.ZIP_BZIP2)
    assert all(
        "unsupported compression method 12; allowed: stored, deflate" in line for line in problems_of(valid)
    )


def test_an_encrypted_member_is_refused(valid):
    raw = bytearray(valid.read_bytes())
    with zipfile.ZipFile(valid) as archive:
        start = archive.start_dir
        local = archive.getinfo("0.bias.npy").header_offset
    central = raw.find(b"PK\x01\x02", raw.find(b"0.bias.npy", start) - 46)
    raw[central + 8] |= 0x1  # general purpose flags, bit 0: encrypted (central directory ...)
    raw[local + 6] |= 0x1  # ... and local header)
    valid.write_bytes(bytes(raw))
    assert problems_of(valid) == [f"{valid}: 0.bias: encrypted member; lddl never encrypts its files"]


@pytest.mark.parametrize("limit", ["MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES"])
def test_declared_sizes_over_the_cap_are_refused_before_reading(valid, monkeypatch, limit):
    sizes = {name: len(data) for name, data in members_of(valid).items()}
    monkeypatch.setattr(
        state_module,
        limit,
        max(sizes.values()) - 1 if limit == "MAX_MEMBER_BYTES" else sum(sizes.values()) - 1,
    )

    def refuse_to_read(*args, **kwargs):
        raise AssertionError("a member was read although the directory declares too much")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse_to_read)
    lines = problems_of(valid)
    assert lines and all("uncompressed" in line and "the limit is" in line for line in lines), lines


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (
            np.zeros((16, 1), dtype=np.float16),
            "expected a float32, float64 or int64 array, got dtype float16",
        ),
        (np.zeros((16, 1), dtype=">f4"), "expected a float32, float64 or int64 array, got dtype >f4"),
        (
            np.zeros((16, 1), dtype=np.complex64),
            "expected a float32, float64 or int64 array, got dtype complex64",
        ),
        (np.zeros((16, 1), dtype=bool), "expected a float32, float64 or int64 array, got dtype bool"),
        (np.zeros(16, dtype=[("a", "<f4")]), "structured dtype"),
        (
            np.array([[np.inf]] * 16, dtype=np.float32),
            "16 non-finite value(s) (nan or inf), first at index (0, 0)",
        ),
    ],
)
def test_parameter_dtypes_and_values_are_checked(valid, array, expected):
    members = members_of(valid)
    members["0.weight.npy"] = npy(array)
    write_members(valid, members)
    lines = problems_of(valid)
    assert len(lines) == 1 and lines[0].startswith(f"{valid}: 0.weight: {expected}"), lines


@pytest.mark.parametrize(
    ("blob", "expected"),
    [
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}\n", "not a valid .npy array"),
        (b"\x93NUMPX\x01\x00", "not a valid .npy array"),
        (b"\x93NUMPY\x03\x00" + b"\x00" * 8, "unsupported .npy format version (3, 0)"),
        (b"", "not a valid .npy array"),
    ],
)
def test_malformed_npy_members_are_refused(valid, blob, expected):
    members = members_of(valid)
    members["0.weight.npy"] = blob
    write_members(valid, members)
    lines = problems_of(valid)
    assert lines[0].startswith(f"{valid}: 0.weight: {expected}"), lines


def test_a_header_that_declares_more_than_the_member_holds_is_refused(valid, monkeypatch):
    members = members_of(valid)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**12, 1)}
    )
    members["0.weight.npy"] = header.getvalue() + bytes(64)

    frombuffer = np.frombuffer

    def checked_frombuffer(buffer, dtype, count, offset):
        assert count < 10**6, "an array was allocated from an unchecked header"
        return frombuffer(buffer, dtype=dtype, count=count, offset=offset)

    write_members(valid, members)
    monkeypatch.setattr(np, "frombuffer", checked_frombuffer)
    lines = problems_of(valid)
    assert lines == [
        f"{valid}: 0.weight: header declares shape (1000000000000, 1) of float32 (4000000000000 bytes) "
        "but the member holds 64 bytes"
    ]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("[1, 2]", "__lddl__: expected a JSON object, got list"),
        ('{"format": NaN}', "__lddl__: invalid JSON"),
        (
            '{"format": 2, "dtype": "float32", "model": {"layers": [{"type": "relu"}]}}',
            "__lddl__.format: unsupported",
        ),
        ('{"format": true}', "__lddl__.format: unsupported format version True"),
        ('{"format": 1, "dtype": "int8"}', "__lddl__.dtype: expected 'float32' or 'float64', got 'int8'"),
        ('{"format": 1, "dtype": "float32", "model": []}', "__lddl__.model: expected an object"),
        (
            '{"format": 1, "dtype": "float32", "model": {"layers": []}}',
            "__lddl__.model.layers: expected a non-empty",
        ),
        (
            '{"format": 1, "dtype": "float32", "model": {"layers": [3]}}',
            "__lddl__.model.layers.0: expected an object",
        ),
        (
            '{"format": 1, "dtype": "float32", "model": {"layers": [{"type": "linear", "in_features": 1}]}}',
            "__lddl__.model.layers[0].out_features: required key is missing",
        ),
    ],
)
def test_metadata_is_validated(valid, metadata, expected):
    members = members_of(valid)
    members["__lddl__.npy"] = npy(np.array(metadata))
    write_members(valid, members)
    lines = problems_of(valid)
    assert lines[0].startswith(f"{valid}: {expected}"), lines


def test_metadata_must_be_a_0d_string(valid):
    members = members_of(valid)
    members["__lddl__.npy"] = npy(np.array(["{}"]))
    write_members(valid, members)
    assert problems_of(valid) == [
        f"{valid}: __lddl__: expected a 0-d unicode array of JSON, got <U2 of shape (1,)"
    ]


def test_layer_sizes_that_would_exhaust_memory_are_refused_before_building(valid, monkeypatch):
    from lddl_cli import config

    layers = [
        {"type": "linear", "in_features": 100_000, "out_features": 100_000},
        {"type": "relu"},
        {"type": "linear", "in_features": 100_000, "out_features": 1},
    ]
    members = members_of(valid)
    members["__lddl__.npy"] = npy(np.array(json.dumps(metadata_for(layers))))
    write_members(valid, members)

    def no_build(*args, **kwargs):
        raise AssertionError("the model was built from unchecked layer sizes")

    monkeypatch.setattr(config, "build_model", no_build)
    assert problems_of(valid) == [
        f"{valid}: __lddl__.model.layers: layer sizes declare far more parameters than "
        f"the file holds (49 values)"
    ]


def test_weights_of_another_architecture_name_the_layer_and_both_shapes(tmp_path, rng):
    path = tmp_path / "model.npz"
    write_weights(path, ARCHITECTURES["mlp"], rng)
    members = members_of(path)
    other = build_model(
        [
            {"type": "linear", "in_features": 1, "out_features": 4},
            {"type": "relu"},
            {"type": "linear", "in_features": 4, "out_features": 1},
        ],
        "float32",
        rng,
    ).state_dict()
    members.update({f"{key}.npy": npy(value) for key, value in other.items()})
    write_members(path, members)
    assert problems_of(path) == [
        f"{path}: 0.weight: layer 0 (linear: in_features=1, out_features=16) expects "
        f"shape (16, 1), the file holds (4, 1)",
        f"{path}: 0.bias: layer 0 (linear: in_features=1, out_features=16) expects shape "
        f"(16,), the file holds (4,)",
        f"{path}: 2.weight: layer 2 (linear: in_features=16, out_features=1) expects "
        f"shape (1, 16), the file holds (1, 4)",
    ]


def test_weights_file_error_needs_a_problem():
    with pytest.raises(ValueError):
        weights.WeightsFileError("model.npz", [])


def test_a_pipe_is_refused_without_blocking(tmp_path):
    pipe = tmp_path / "model.npz"
    os.mkfifo(pipe)
    assert problems_of(pipe) == [
        f"{pipe}: is not a regular file (a pipe or device?), expected a weights file (.npz)"
    ]

"""save_state / load_state / atomic_write, and Module.load_state_dict's strictness and dtype policy."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from lddl_cli import nn
from lddl_cli.nn.state import METADATA_KEY, StateError, atomic_write, load_state, save_state


def _model(rng, dtype=np.float32):
    return nn.Sequential(
        nn.Linear(3, 5, dtype=dtype, rng=rng),
        nn.BatchNorm1d(5, dtype=dtype),
        nn.ReLU(),
        nn.LayerNorm(5, dtype=dtype),
        nn.Linear(5, 2, dtype=dtype, rng=rng),
    )


METADATA = {
    "format": 1,
    "dtype": "float32",
    "seed": 10001,
    "metrics": {"val_loss": 0.00123},
    "tags": ["a", "é"],
}


def test_round_trip_preserves_arrays_and_metadata_exactly(tmp_path, rng):
    model = _model(rng)
    model(rng.standard_normal((4, 3)).astype(np.float32))  # non-default running statistics
    state = model.state_dict()
    path = tmp_path / "model.npz"
    save_state(path, state, METADATA)
    loaded, metadata = load_state(path)
    assert metadata == METADATA
    assert list(loaded) == list(state)
    for key, value in state.items():
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape, key
        np.testing.assert_array_equal(loaded[key], value)
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind
    with np.load(path, allow_pickle=False) as archive:
        assert archive[METADATA_KEY].shape == () and archive[METADATA_KEY].dtype.kind == "U"
    with zipfile.ZipFile(path) as archive:  # np.savez, uncompressed
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())


def test_metadata_is_optional(tmp_path):
    save_state(tmp_path / "a.npz", {"w": np.ones(2)})
    assert load_state(tmp_path / "a.npz")[1] is None


def test_loaded_state_gives_the_same_outputs(tmp_path, rng):
    model = _model(rng, np.float64).eval()
    other = _model(np.random.default_rng(99), np.float64).eval()
    x = rng.standard_normal((6, 3))
    save_state(tmp_path / "m.npz", model.state_dict())
    other.load_state_dict(load_state(tmp_path / "m.npz")[0])
    np.testing.assert_array_equal(other(x), model(x))


def _write_npz(path, **arrays):
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("garbage", lambda p: p.write_bytes(b"not a zip at all"), "not an .npz"),
        ("empty", lambda p: p.write_bytes(b""), "not an .npz"),
        ("object", lambda p: _write_npz(p, w=np.array([{"a": 1}], dtype=object)), "'w'"),
        ("strings", lambda p: _write_npz(p, w=np.array(["a", "b"])), "'w'"),
        ("complex", lambda p: _write_npz(p, w=np.ones(2, dtype=np.complex128)), "'w'"),
        ("bool", lambda p: _write_npz(p, w=np.ones(2, dtype=bool)), "'w'"),
        ("nan", lambda p: _write_npz(p, w=np.array([1.0, np.nan])), "non-finite"),
        ("inf", lambda p: _write_npz(p, **{"0.bias": np.array([np.inf])}), "'0.bias'"),
        ("bad json", lambda p: _write_npz(p, w=np.ones(1), __lddl__=np.array("{not json")), "invalid JSON"),
        ("json list", lambda p: _write_npz(p, w=np.ones(1), __lddl__=np.array("[1, 2]")), "JSON object"),
        ("json nan", lambda p: _write_npz(p, w=np.ones(1), __lddl__=np.array('{"a": NaN}')), "invalid JSON"),
        ("metadata array", lambda p: _write_npz(p, __lddl__=np.ones(3)), "0-d unicode"),
        ("truncated", lambda p: (_write_npz(p, w=np.ones(1000)), _truncate(p)), "npz"),
    ],
)
def test_corrupt_files_raise_state_error(tmp_path, name, make, message):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(StateError, match=message) as caught:
        load_state(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_missing_file_raises_state_error(tmp_path):
    with pytest.raises(StateError, match="no such file"):
        load_state(tmp_path / "absent.npz")


def test_state_error_is_a_value_error():
    assert issubclass(StateError, ValueError)


@pytest.mark.parametrize(
    ("state", "metadata", "message"),
    [
        ({"__lddl__": np.ones(1)}, None, "invalid state key"),
        ({"w": np.array([np.nan])}, None, "non-finite"),
        ({"w": np.array(["x"])}, None, "dtype"),
        ({"w": np.ones(1)}, {"when": object()}, "JSON"),
        ({"w": np.ones(1)}, {"x": float("inf")}, "JSON"),
    ],
)
def test_save_refuses_what_load_would_refuse(tmp_path, state, metadata, message):
    with pytest.raises(StateError, match=message):
        save_state(tmp_path / "x.npz", state, metadata)
    assert os.listdir(tmp_path) == []


def test_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write(path, lambda f: f.write(b"first"))
    atomic_write(path, lambda f: f.write(b"second"))
    assert path.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_write_leaves_the_original_untouched_on_failure(tmp_path):
    path = tmp_path / "out.txt"
    path.write_bytes(b"original")

    def fail(handle):
        handle.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(path, fail)
    assert path.read_bytes() == b"original"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_write_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    atomic_write("plain.bin", lambda f: f.write(b"x"))
    assert (tmp_path / "plain.bin").read_bytes() == b"x"


def test_a_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "m.npz"
    save_state(path, {"w": np.ones(2)}, {"v": 1})
    with pytest.raises(StateError):
        save_state(path, {"w": np.array([np.nan])})
    state, metadata = load_state(path)
    assert metadata == {"v": 1} and state["w"].tolist() == [1.0, 1.0]


# --- Module.load_state_dict ----------------------------------------------------------------------


def test_load_state_dict_keeps_the_module_dtype(rng):
    """The tutorial's mistake 7: parameters became float64 while gradients stayed float32."""
    model = _model(rng, np.float32)
    state64 = {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in model.state_dict().items()}
    model.load_state_dict(state64)
    for name, p in model.named_parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32, name
    for name, buffer in model.named_buffers():
        assert buffer.dtype == (np.int64 if name.endswith("num_batches_tracked") else np.float32), name
    model(rng.standard_normal((4, 3)).astype(np.float32))


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys(rng):
    model = _model(rng)
    state = model.state_dict()
    del state["1.running_var"]
    state["9.weight"] = np.ones(2, dtype=np.float32)
    state["0.weight"] = np.ones((3, 5), dtype=np.float32)
    with pytest.raises(ValueError) as caught:
        model.load_state_dict(state)
    text = str(caught.value)
    assert "'1.running_var'" in text and "'9.weight'" in text
    assert "'0.weight'" in text and "(5, 3)" in text and "(3, 5)" in text


def test_load_state_dict_writes_in_place_so_packed_views_survive(rng):
    model = _model(rng, np.float64)
    buffers = nn.pack_parameters(model.parameters())
    weight = model[0].weight.data
    state = {k: v + 1 if v.dtype.kind == "f" else v for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model[0].weight.data is weight
    np.testing.assert_array_equal(buffers.data[: weight.size], state["0.weight"].ravel())


def test_state_dict_returns_copies(rng):
    model = _model(rng)
    state = model.state_dict()
    state["0.weight"][...] = 0
    assert np.any(model[0].weight.data != 0)


def test_state_file_has_json_metadata_readable_without_lddl(tmp_path):
    save_state(tmp_path / "m.npz", {"w": np.zeros(1)}, {"format": 1})
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert json.loads(str(archive["__lddl__"])) == {"format": 1}


def test_atomic_write_gives_a_new_file_the_umask_permissions(tmp_path):
    """mkstemp creates 0600 files; a written run directory must be readable like any other file."""
    umask = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.bin", lambda fh: fh.write(b"x"))
    finally:
        os.umask(umask)
    assert (tmp_path / "new.bin").stat().st_mode & 0o777 == 0o640


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "old.bin"
    target.write_bytes(b"old")
    target.chmod(0o604)
    atomic_write(target, lambda fh: fh.write(b"new"))
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o604

"""nn.state.load_state reads checkpoints and state files as untrusted input (planted defects).

The same reader (``check_archive`` + ``read_member``) serves ``lddl_cli.weights``; these tests go
through ``load_state``, which ``lddl train --resume`` uses for checkpoints.
"""

from __future__ import annotations

import io
import warnings
import zipfile

import numpy as np
import pytest

from lddl_cli.nn import state as state_module
from lddl_cli.nn.state import MemberError, StateError, check_archive, load_state, read_member, save_state


@pytest.fixture
def valid(tmp_path, rng):
    path = tmp_path / "state.npz"
    save_state(path, {"w": rng.standard_normal((64, 8)), "b": rng.standard_normal(8)}, {"epoch": 3})
    return path


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_valid_file_round_trips(valid):
    state, metadata = load_state(valid)
    with np.load(valid, allow_pickle=False) as reference:
        for key in ("w", "b"):
            assert np.array_equal(state[key], reference[key]) and state[key].flags.writeable
    assert metadata == {"epoch": 3}


def test_a_deflate_bomb_is_refused_from_the_directory_before_inflating(valid, monkeypatch):
    members = members_of(valid)
    members["w.npy"] = members["w.npy"] + bytes(8 * 2**20)  # 8 MiB of zeros deflate to ~8 KB
    write_members(valid, members, zipfile.ZIP_DEFLATED)
    monkeypatch.setattr(state_module, "MAX_MEMBER_BYTES", 4 * 2**20)

    def refuse_to_inflate(*args, **kwargs):
        raise AssertionError("a member was opened although the directory declares too much")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse_to_inflate)
    with pytest.raises(
        StateError, match=r"key 'w': declares \d+ bytes uncompressed; the limit is 4194304 bytes"
    ):
        load_state(valid)


def test_the_total_of_declared_sizes_is_capped(valid, monkeypatch):
    monkeypatch.setattr(state_module, "MAX_TOTAL_BYTES", sum(len(d) for d in members_of(valid).values()) - 1)
    with pytest.raises(StateError, match="members declare .* bytes uncompressed in total; the limit is"):
        load_state(valid)


def test_a_member_that_lies_about_its_size_is_not_inflated_past_it(valid):
    """The central directory says 100 bytes; the DEFLATE stream holds megabytes."""
    members = members_of(valid)
    write_members(valid, {**members, "w.npy": members["w.npy"] + bytes(4 * 2**20)}, zipfile.ZIP_DEFLATED)
    raw = bytearray(valid.read_bytes())
    with zipfile.ZipFile(valid) as archive:
        start = archive.start_dir
    central = raw.find(b"PK\x01\x02", raw.find(b"w.npy", start) - 46)
    raw[central + 24 : central + 28] = (100).to_bytes(4, "little")  # uncompressed size
    valid.write_bytes(bytes(raw))
    with zipfile.ZipFile(valid) as archive:
        assert archive.getinfo("w.npy").file_size == 100
        with pytest.raises(MemberError, match=r"corrupt member \(BadZipFile: Bad CRC-32"):
            read_member(archive, archive.getinfo("w.npy"))


def test_a_flipped_byte_is_a_crc_error(valid):
    raw = bytearray(valid.read_bytes())
    state, _ = load_state(valid)
    raw[raw.find(state["w"].tobytes()) + 100] ^= 0x01
    valid.write_bytes(bytes(raw))
    with pytest.raises(StateError, match=r"key 'w': corrupt member \(BadZipFile: Bad CRC-32"):
        load_state(valid)


def test_an_object_member_is_refused_without_unpickling(valid, tmp_path):
    marker = tmp_path / "pwned"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    members = members_of(valid)
    members["w.npy"] = header.getvalue() + b"cos\nmkdir\n(V" + str(marker).encode() + b"\ntR."
    write_members(valid, members)
    with pytest.raises(
        StateError, match="key 'w': holds Python objects, which can only be read by unpickling"
    ):
        load_state(valid)
    assert not marker.exists()


def test_a_header_declaring_10_to_the_12_elements_is_refused_before_allocating(valid, monkeypatch):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    write_members(valid, {**members_of(valid), "w.npy": header.getvalue() + bytes(16)})
    frombuffer = np.frombuffer

    def checked_frombuffer(buffer, dtype, count, offset):
        assert count < 10**6, "an array was allocated from an unchecked header"
        return frombuffer(buffer, dtype=dtype, count=count, offset=offset)

    monkeypatch.setattr(np, "frombuffer", checked_frombuffer)
    with pytest.raises(
        StateError, match=r"key 'w': header declares shape \(1000000000000,\) .* holds 16 bytes"
    ):
        load_state(valid)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("w", "unexpected member"), ("dir/w.npy", "unexpected member"), ("w.npy", "duplicate member")],
)
def test_member_names_are_checked(valid, name, expected):
    with zipfile.ZipFile(valid, "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it is asked to write
        archive.writestr(name, b"x")
    with pytest.raises(StateError, match=expected):
        load_state(valid)


def test_check_archive_reports_every_directory_problem(valid):
    with zipfile.ZipFile(valid, "a") as archive:
        archive.writestr("a/b.npy", b"x")
        archive.writestr("notes.txt", b"x")
    with zipfile.ZipFile(valid) as archive:
        members, problems = check_archive(archive)
    assert sorted(members) == ["__lddl__", "b", "w"]
    assert [problem.key for problem in problems] == ["a/b.npy", "notes.txt"]


def test_a_corrupt_deflate_stream_is_refused(valid):
    write_members(valid, members_of(valid), zipfile.ZIP_DEFLATED)
    raw = bytearray(valid.read_bytes())
    with zipfile.ZipFile(valid) as archive:
        info = archive.getinfo("w.npy")
    start = info.header_offset + 30 + len(b"w.npy")
    raw[start : start + 8] = b"\xff" * 8  # not a DEFLATE block any more: zlib.error inside zipfile
    valid.write_bytes(bytes(raw))
    with pytest.raises(StateError, match=r"key 'w': corrupt member"):
        load_state(valid)

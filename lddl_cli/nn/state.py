"""Saving and loading state dicts as ``.npz`` files: atomic writes, no pickle, strict checks.

A state file is an uncompressed ``np.savez`` archive with one array per ``state_dict`` key plus,
optionally, ``__lddl__``: a 0-d unicode array holding JSON metadata. It loads into
``torch.nn.Sequential.load_state_dict`` after dropping the keys that start with ``__``.
This is the only module of the library that touches the file system.

Reading treats the file as untrusted: the zip directory is checked first (member names, no
encryption, stored or deflate only, declared uncompressed sizes under ``MAX_MEMBER_BYTES`` /
``MAX_TOTAL_BYTES``, so a DEFLATE bomb is refused before anything is inflated), then each member
is read in full (its CRC verified; zipfile never inflates past the declared size) and its
``.npy`` header parsed and compared with the bytes present before an array is made. Nothing is
ever unpickled. ``check_archive`` and ``read_member`` are shared with the app's weights reader.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

METADATA_KEY = "__lddl__"
MAX_MEMBERS = 4096
MAX_MEMBER_BYTES = 256 * 2**20
MAX_TOTAL_BYTES = 256 * 2**20
MAX_HEADER_CHARS = 10_000


class StateError(ValueError):
    """A state file that cannot be read or holds something other than finite real arrays."""


class MemberError(StateError):
    """One member of an archive that cannot be used: ``key`` names it, ``reason`` says why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"key {key!r}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Write a file so that readers see either the old content or the complete new one.

    ``write`` receives a binary file object: a temporary file in the same folder, which is then
    flushed, fsynced and renamed over ``path`` (``os.replace`` is atomic on one file system).
    On any exception the temporary file is removed and ``path`` is left untouched. The new file
    gets the permissions of the file it replaces, or those of a plain ``open`` (0666 less umask),
    not mkstemp's private 0600.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    mode = _file_mode(path)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the platform allows opening a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_array(key: str, value: np.ndarray) -> None:
    if value.dtype.hasobject:
        raise StateError(f"key {key!r}: object arrays are not allowed")
    kind = value.dtype.kind
    if kind not in "fiu":
        raise StateError(f"key {key!r}: expected a float or integer array, got dtype {value.dtype}")
    if kind == "f" and not np.all(np.isfinite(value)):
        raise StateError(f"key {key!r}: contains non-finite values (nan or inf)")


def save_state(path: str | os.PathLike, state: dict[str, np.ndarray], metadata: dict | None = None) -> None:
    """Write ``state`` (name -> array) and optional JSON ``metadata`` to ``path`` atomically.

    Raises StateError for a key that is reserved (starts with ``__``), an array that is not a
    finite float or integer array, or metadata that is not JSON-serializable.
    """
    arrays: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if not isinstance(key, str) or not key or key.startswith("__"):
            raise StateError(f"invalid state key {key!r}: keys are non-empty strings not starting with '__'")
        array = np.asarray(value)
        _check_array(key, array)
        arrays[key] = array
    if metadata is not None:
        try:
            text = json.dumps(metadata, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as error:
            raise StateError(f"metadata is not JSON-serializable: {error}") from error
        arrays[METADATA_KEY] = np.array(text, dtype=np.str_)
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def load_state(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict | None]:
    """Read a state file written by ``save_state``: (name -> array, metadata or None).

    Never unpickles. Raises StateError, naming the file and key, for a missing or unreadable
    file, a file that is not an ``.npz`` archive, members that are malformed, corrupt or declare
    more than ``MAX_MEMBER_BYTES`` / ``MAX_TOTAL_BYTES``, object or non-numeric arrays,
    non-finite values, or metadata that is not a JSON object.
    """
    path = Path(path)
    if not path.is_file():
        raise StateError(f"{path}: no such file")
    state: dict[str, np.ndarray] = {}
    metadata: dict | None = None
    with open_archive(path) as archive:
        members, problems = check_archive(archive)
        if problems:
            raise StateError(f"{path}: {problems[0]}")
        for key, info in members.items():
            try:
                value = read_member(archive, info)
                if key == METADATA_KEY:
                    metadata = _parse_metadata(path, value)
                    continue
                _check_array(key, value)
            except MemberError as error:
                raise StateError(f"{path}: key {key!r}: {error.reason}") from None
            except StateError as error:
                raise StateError(f"{path}: {error}") from None
            state[key] = value
    return state, metadata


def open_archive(path: Path) -> zipfile.ZipFile:
    """The zip archive at ``path``; StateError when it is not one."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise StateError(f"{path}: not an .npz file (not a zip archive: {error})") from None


def check_archive(archive: zipfile.ZipFile) -> tuple[dict[str, zipfile.ZipInfo], list[MemberError]]:
    """(key -> ZipInfo of each usable member, a MemberError per problem) from the zip directory alone.

    A member must be ``KEY.npy`` (no folders, no duplicates), unencrypted, stored or deflated,
    and declare at most ``MAX_MEMBER_BYTES`` uncompressed (``MAX_TOTAL_BYTES`` for all).
    """
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        return {}, [MemberError("", f"holds {len(infos)} members; at most {MAX_MEMBERS} are allowed")]
    members: dict[str, zipfile.ZipInfo] = {}
    problems = []
    total = 0
    for info in infos:
        name = info.filename
        key = name[: -len(".npy")] if name.endswith(".npy") else name
        if not name.endswith(".npy") or not key or "/" in name or "\\" in name or "\x00" in name:
            problems.append(MemberError(name, "unexpected member; an lddl .npz holds only KEY.npy arrays"))
        elif key in members:
            problems.append(MemberError(key, "duplicate member"))
        elif info.flag_bits & 0x1:
            problems.append(MemberError(key, "encrypted member; lddl never encrypts its files"))
        elif info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = info.compress_type
            problems.append(
                MemberError(key, f"unsupported compression method {method}; allowed: stored, deflate")
            )
        elif info.file_size > MAX_MEMBER_BYTES:
            size = info.file_size
            problems.append(
                MemberError(key, f"declares {size} bytes uncompressed; the limit is {MAX_MEMBER_BYTES} bytes")
            )
        else:
            members[key] = info
            total += info.file_size
    if not problems and total > MAX_TOTAL_BYTES:
        message = f"members declare {total} bytes uncompressed in total; the limit is {MAX_TOTAL_BYTES} bytes"
        problems.append(MemberError("", message))
    return members, problems


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """The array in one member: read in full (CRC checked), its header checked before allocating.

    Raises MemberError for a corrupt member, a malformed header, object or structured dtypes
    (which would need pickle) and a header whose shape does not match the bytes present.
    """
    key = info.filename[: -len(".npy")] if info.filename.endswith(".npy") else info.filename
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except Exception as error:  # zlib.error, BadZipFile (CRC), EOFError, OSError, RuntimeError...
        raise MemberError(key, f"corrupt member ({_describe(error)})") from None
    if len(data) != info.file_size:
        raise MemberError(key, f"corrupt member: {len(data)} bytes instead of the declared {info.file_size}")
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream, MAX_HEADER_CHARS)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream, MAX_HEADER_CHARS)
        else:
            raise MemberError(key, f"unsupported .npy format version {version}")
    except MemberError:
        raise
    except Exception as error:  # numpy parses the header with Python's tokenizer: many error types
        raise MemberError(key, f"not a valid .npy array ({_describe(error)})") from None
    if dtype.hasobject:
        raise MemberError(key, "holds Python objects, which can only be read by unpickling; refused")
    if dtype.fields is not None or dtype.subdtype is not None:
        raise MemberError(key, f"structured dtype {dtype} is not allowed")
    if any(size < 0 for size in shape):
        raise MemberError(key, f"negative dimension in shape {shape}")
    count = math.prod(shape)
    offset = stream.tell()
    declared = count * dtype.itemsize
    if declared != len(data) - offset:
        held = len(data) - offset
        message = (
            f"header declares shape {shape} of {dtype} ({declared} bytes) but the member holds {held} bytes"
        )
        raise MemberError(key, message)
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran_order else "C").copy(order="C")


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _parse_metadata(path: Path, value: np.ndarray) -> dict:
    where = f"{path}: key {METADATA_KEY!r}"
    if value.shape != () or value.dtype.kind != "U":
        raise StateError(f"{where}: expected a 0-d unicode array, got {value.dtype} {value.shape}")
    try:
        metadata = json.loads(str(value), parse_constant=_refuse_constant)
    except ValueError as error:
        raise StateError(f"{where}: invalid JSON ({error})") from error
    if not isinstance(metadata, dict):
        raise StateError(f"{where}: expected a JSON object, got {type(metadata).__name__}")
    return metadata


def _refuse_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON constant {name}")


__all__ = [
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "METADATA_KEY",
    "MemberError",
    "StateError",
    "atomic_write",
    "check_archive",
    "load_state",
    "open_archive",
    "read_member",
    "save_state",
]

"""Saving and loading state dicts as ``.npz`` files: atomic writes, no pickle, strict checks.

A state file is an uncompressed ``np.savez`` archive with one array per ``state_dict`` key plus,
optionally, ``__lddl__``: a 0-d unicode array holding JSON metadata. It loads into
``torch.nn.Sequential.load_state_dict`` after dropping the keys that start with ``__``.
This is the only module of the library that touches the file system.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

METADATA_KEY = "__lddl__"


class StateError(ValueError):
    """A state file that cannot be read or holds something other than finite real arrays."""


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
    file, a file that is not an ``.npz`` archive, object or non-numeric arrays, non-finite
    values, or metadata that is not a JSON object.
    """
    path = Path(path)
    if not path.is_file():
        raise StateError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise StateError(f"{path}: not an .npz file (not a zip archive)")
    state: dict[str, np.ndarray] = {}
    metadata: dict | None = None
    try:
        with np.load(path, allow_pickle=False) as archive:
            for key in archive.files:
                try:
                    value = archive[key]
                except ValueError as error:  # object arrays need pickle, which is refused
                    message = f"{path}: key {key!r}: cannot be read without pickle ({error})"
                    raise StateError(message) from error
                if key == METADATA_KEY:
                    metadata = _parse_metadata(path, value)
                    continue
                try:
                    _check_array(key, value)
                except StateError as error:
                    raise StateError(f"{path}: {error}") from None
                state[key] = value
    except StateError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as error:
        raise StateError(f"{path}: cannot read the .npz archive ({type(error).__name__}: {error})") from error
    return state, metadata


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


__all__ = ["METADATA_KEY", "StateError", "atomic_write", "load_state", "save_state"]

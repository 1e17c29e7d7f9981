"""A data path of the config that names no file: where lddl looked, and where the file may be.

Paths in the config are relative to the current directory (as with every command-line tool), not
to the config's folder. A user who runs ``lddl train project/config.yaml`` from the folder above
``project`` gets a message that says so, and, when ``project/data/x.npy`` exists, which path or
folder would work.
"""

from __future__ import annotations

import os
from pathlib import Path


def missing_data_file(config, key: str) -> str | None:
    """The one-line problem for ``data.<key>`` when its file does not exist, else None."""
    text = getattr(config.data, key)
    path = Path(text)
    if path.exists() or path.is_symlink():  # a dangling link is reported by the reader
        return None
    if path.is_absolute():
        return str(config.problem(("data", key), f"no such file {text!r}"))
    message = f"no such file {text!r}; paths are relative to the current directory ({Path.cwd()})"
    folder = _config_folder(config)
    if folder is not None and (folder / path).is_file():
        message += (
            f"; {text!r} exists relative to the config's folder: use {os.path.normpath(folder / path)!r}, "
            f"or run lddl from {str(folder)!r}"
        )
    return str(config.problem(("data", key), message))


def _config_folder(config) -> Path | None:
    """The config file's folder as the user wrote it (relative when they gave a relative path), or
    None when it is the current directory or the config was not read from a file."""
    if config.source is None:
        return None
    folder = Path(config.source).parent
    try:
        if os.path.samefile(folder, Path.cwd()):
            return None
    except OSError:
        return None
    return folder

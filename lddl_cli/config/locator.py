"""Where a key path was written: ``FILE:LINE:COL`` in the YAML file, or the ``--set`` that set it."""

from __future__ import annotations

from ..errors import Problem
from .yaml_loader import YamlDocument


class Locator:
    """Maps a data path to where it came from: FILE:LINE:COL, or the ``--set`` that set it."""

    def __init__(self, document: YamlDocument) -> None:
        self.document = document
        self.overrides: dict[tuple, object] = {}  # path -> the value as given on the command line

    def written(self, path: tuple) -> bool:
        """Whether ``path`` was written out in the file or an override (not implied by a bare name)."""
        if path in self.document.key_marks or path in self.overrides:
            return True
        for length in range(len(path) - 1, -1, -1):
            if path[:length] in self.overrides:
                return lookup_written(self.overrides[path[:length]], path[length:])
        return False

    def problem(self, path: tuple, message: str, *, key: bool = False) -> Problem:
        dotted = dotted_path(path)
        for length in range(len(path), -1, -1):
            if path[:length] in self.overrides:
                return Problem(None, None, None, f"--set {dotted}", message)
        mark = self.document.mark(path, key=key) if self.document.file is not None else None
        line, col = mark if mark else (None, None)
        return Problem(self.document.file, line, col, dotted, message)


def dotted_path(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_MISSING = object()


def lookup(data, path: tuple, default=None):
    """The value at ``path`` in plain data (dicts by key, lists by index), or ``default``."""
    for element in path:
        if isinstance(data, dict) and element in data:
            data = data[element]
        elif isinstance(data, list) and isinstance(element, int) and element < len(data):
            data = data[element]
        else:
            return default
    return data


def lookup_written(value, path: tuple) -> bool:
    """Whether ``path`` is present in ``value``."""
    return lookup(value, path, _MISSING) is not _MISSING

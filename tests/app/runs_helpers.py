"""Shared helpers for the CLI, config and training tests: the small sine project (config small.yaml),
PNG sizes, and where a text sits in a config (``located``)."""

from __future__ import annotations

import struct
from pathlib import Path

from sine_project import SMALL
from sine_project import make_project as _make_project


def make_project(folder: Path, config_text: str = SMALL, name: str = "small.yaml") -> Path:
    """The small sine project (``sine_project.make_project``) with its config named ``name``."""
    return _make_project(folder, config_text, name)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails unless the file really is a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def located(text: str, anchor: str) -> str:
    """'LINE:COL' of the first occurrence of ``anchor`` in ``text`` (1-based); with 'key: |value'
    the position after the '|'."""
    prefix, _, rest = anchor.rpartition("|")
    offset = text.index(prefix + rest) + len(prefix)
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{col}"

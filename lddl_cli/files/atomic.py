"""Files written whole or not at all: a temporary file in the same folder, fsync, ``os.replace``."""

from __future__ import annotations

from pathlib import Path

from ..nn.state import atomic_write


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    atomic_write(Path(path), lambda fh: fh.write(data))
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically; return the path."""
    return write_bytes(path, text.encode("utf-8"))

"""What an lddl file is, from its first bytes and its ``__lddl__`` metadata alone: a weights file,
a checkpoint, or neither; and the one line that tells a user which command reads it.

A command that is handed the wrong kind of lddl file (``lddl check model.npz``, ``lddl predict
--weights checkpoint.npz``) says what the file is instead of a decoding error.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from ..nn.state import METADATA_KEY, MemberError, check_archive, read_member

WEIGHTS = "weights"
CHECKPOINT = "checkpoint"
ZIP_MAGIC = b"PK\x03\x04"

CHECKPOINT_HINT = "this is a checkpoint; use model.npz from the same folder, or lddl train --resume"
WEIGHTS_HINT = (
    "this is a weights file (model.npz); lddl predict --weights, lddl summary and lddl plot --weights read it"
)


def kind_of_metadata(metadata: object) -> str:
    """``CHECKPOINT`` for a checkpoint's metadata, else ``WEIGHTS`` (what model.npz holds)."""
    return CHECKPOINT if isinstance(metadata, dict) and metadata.get("kind") == CHECKPOINT else WEIGHTS


def sniff(path: str | Path) -> str | None:
    """``WEIGHTS`` or ``CHECKPOINT`` for an lddl ``.npz`` file, None for anything else (or unreadable)."""
    path = Path(path)
    if not path.is_file():  # a FIFO would block the open; folders and devices are not lddl files
        return None
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != ZIP_MAGIC:
                return None
        with zipfile.ZipFile(path) as archive:
            members, problems = check_archive(archive)
            info = members.get(METADATA_KEY)
            if problems or info is None:
                return None
            metadata = json.loads(str(read_member(archive, info)[()]))
    except (OSError, zipfile.BadZipFile, MemberError, ValueError, TypeError, IndexError, EOFError):
        return None
    return kind_of_metadata(metadata)


def wrong_kind_line(path: str | Path, wanted: str) -> str | None:
    """``PATH: this is a ...`` when ``path`` is an lddl file of another kind than ``wanted``
    (``"config"`` or ``WEIGHTS``), else None."""
    kind = sniff(path)
    if kind is None or kind == wanted:
        return None
    return f"{path}: {CHECKPOINT_HINT if kind == CHECKPOINT else WEIGHTS_HINT}"

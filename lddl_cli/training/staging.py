"""A run directory written whole: every file of a run goes into a hidden sibling folder first,
which then replaces the run directory in one step, so a run directory never mixes two runs (no
stale ``fit.png`` of an earlier run) and is never seen half-written.

The swap is two renames on the same file system (the old folder aside, the new one in), then the
old folder is deleted; a crash between them leaves the old run aside, intact, next to its place.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def staging_dir(out_dir: Path) -> Path:
    """A new, empty hidden folder next to ``out_dir`` (same file system, so the swap is a rename)."""
    folder = out_dir.parent / f".{out_dir.name}.partial-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    return folder


def swap_in(staging: Path, out_dir: Path, paths: dict[str, Path]) -> dict[str, Path]:
    """Replace ``out_dir`` by ``staging``; return ``paths`` (files in staging) as paths in ``out_dir``."""
    aside = None
    if out_dir.exists():
        aside = out_dir.parent / f".{out_dir.name}.replaced-{uuid.uuid4().hex[:8]}"
        os.rename(out_dir, aside)
    os.rename(staging, out_dir)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return {key: out_dir / path.relative_to(staging) for key, path in paths.items()}


def discard(staging: Path) -> None:
    """Remove a staging folder that was not swapped in (a run that failed before writing)."""
    shutil.rmtree(staging, ignore_errors=True)

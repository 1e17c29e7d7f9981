"""Where a new run goes, so that no earlier run is ever lost without being asked.

- No ``--out``: ``runs/<name>/``; if that folder already holds a run, the first free
  ``runs/<name>-2/``, ``runs/<name>-3/``, ... (as experiment trackers number repeated runs).
- ``--out DIR`` naming a folder that already holds files: refused, unless ``--overwrite`` is given
  or the run resumes a checkpoint from that very folder (it continues the run kept there).
- ``--resume CKPT`` without ``--out``: the checkpoint's own folder.

The folder is claimed (created) before training, so two runs started together never pick the
same one, and the periodic checkpoints of a run have a place to go.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError

MAX_NUMBERED = 10_000


def holds_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def claim_run_dir(
    out: Path | None, name: str, *, overwrite: bool = False, resume: Path | None = None
) -> Path:
    """The run directory of a new run (created, maybe empty); UsageError when it would replace a run."""
    if out is None and resume is not None and Path(resume).resolve().parent != Path.cwd().resolve():
        out = Path(resume).parent
    if out is not None:
        out = Path(out)
        if out.resolve() in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
            raise UsageError(
                f"{out}: the run directory is replaced whole; give a folder of its own with --out"
            )
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out}: exists and is not a folder; give another --out")
        continues = resume is not None and Path(resume).resolve().parent == out.resolve()
        if holds_files(out) and not (overwrite or continues):
            raise UsageError(f"{out}: already holds a run; give --overwrite to replace it, or another --out")
        out.mkdir(parents=True, exist_ok=True)
        return out
    base = Path("runs") / name
    for number in range(1, MAX_NUMBERED):
        candidate = base if number == 1 else base.with_name(f"{name}-{number}")
        if candidate.is_dir() and not holds_files(candidate):
            return candidate  # an empty folder (a run that never started): use it
        if candidate.exists():
            continue
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:  # another run claimed it a moment ago
            continue
        return candidate
    raise UsageError(f"runs/: {MAX_NUMBERED} runs named {name!r} already; give --out")

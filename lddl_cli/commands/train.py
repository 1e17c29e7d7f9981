"""``lddl train``: load, claim the run directory, train with a progress display, print the summary.

Output goes to a stdout that may be closed by its reader (``| head -3``): the run goes on and
writes its files, the output stops (``closed_stdout``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import load_config
from ..training.destination import claim_run_dir
from ..training.progress import make_progress
from ..training.run import TrainingInterrupted, fit_and_write
from ..training.trainer import Trainer
from .closed_stdout import ClosedStdoutTolerant
from .summary import summary_rows, summary_table
from .train_summary import interrupted_lines, resuming_line, run_summary


def train_command(
    config: Path, out: Path | None, overrides: list[str], *, quiet: bool, resume: Path | None, overwrite: bool
) -> int:
    """Run ``lddl train``; the exit code (0, or 130 when interrupted). LddlError for bad input."""
    from rich.console import Console

    console = Console(file=ClosedStdoutTolerant(sys.stdout), highlight=False)
    cfg = load_config(config, overrides)
    trainer = Trainer(cfg)
    if resume is not None:
        trainer.resume(resume)
    out_dir = claim_run_dir(out, cfg.name, overwrite=overwrite, resume=resume)
    if resume is not None:
        console.print(resuming_line(trainer.epoch, cfg.train.epochs), markup=False)
    if not quiet:
        console.print(summary_table(summary_rows(trainer.model, trainer.layers), f"{cfg.name}: model"))
    progress = make_progress(console, quiet)
    if progress is not None:
        trainer.callbacks.append(progress)
    try:
        history = fit_and_write(trainer, out_dir)
    except TrainingInterrupted as interrupt:
        if hasattr(progress, "close"):
            progress.close()
        for line in interrupted_lines(config, overrides, out_dir, interrupt):
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        return 130
    finally:
        if hasattr(progress, "close"):
            progress.close()
    for line in run_summary(cfg.name, trainer.epoch, history):
        console.print(line, soft_wrap=True, markup=False)
    console.file.flush()
    return 0

"""What ``lddl train`` says at the end: the run summary, or the command that resumes an interrupted run."""

from __future__ import annotations

import shlex
from pathlib import Path


def run_summary(name: str, epochs: int, history) -> list[str]:
    """The closing lines of a run: epochs, steps and speed, the final losses, the files written."""
    last = history.records[-1]
    lines = [
        f"trained {name}: {epochs} epochs, {history.steps} steps in {history.seconds:.2f} s "
        f"({history.steps_per_second:,.0f} steps/s)" + (" (stopped early)" if history.stopped_early else ""),
        f"final train loss {last.train_loss:.6g}"
        + ("" if history.final_val_loss is None else f", val loss {history.final_val_loss:.6g}")
        + ("" if history.best_epoch is None else f" (best epoch {history.best_epoch})"),
    ]
    return (
        lines
        + metrics_table(getattr(history, "scores", {}))
        + [f"wrote {path}" for path in history.paths.values()]
    )


def metrics_table(scores: dict[str, dict[str, float]]) -> list[str]:
    """One row per metric, one column per split (train, val, test) that has it."""
    splits = [split for split in ("train", "val", "test") if scores.get(split)]
    if not splits:
        return []
    names = list(scores[splits[0]])
    width = max(len("metric"), *(len(n) for n in names))
    rows = [f"{'metric':<{width}}" + "".join(f"  {split:>10}" for split in splits)]
    for name in names:
        rows.append(f"{name:<{width}}" + "".join(f"  {scores[split][name]:>10.4g}" for split in splits))
    return rows


def interrupted_lines(config: Path, overrides: list[str], out_dir: Path, interrupt) -> list[str]:
    """Where the checkpoint of an interrupted run went, and the command that resumes it."""
    sets = [part for value in overrides for part in ("--set", value)]
    again = shlex.join(["lddl", "train", str(config), *sets, "--out", str(out_dir)])
    return [
        f"interrupted: checkpoint of epoch {interrupt.epoch} written to {interrupt.checkpoint}",
        f"resume with: {again} --resume {shlex.quote(str(interrupt.checkpoint))}",
    ]

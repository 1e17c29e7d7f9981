"""What ``lddl train`` says: the resumed epoch, the closing summary, or what an interrupted run wrote
and the command that resumes it."""

from __future__ import annotations

import shlex
from pathlib import Path


def resuming_line(start_epoch: int, epochs: int) -> str:
    return f"resuming from epoch {start_epoch} of {epochs}"


def model_line(history) -> str:
    """The numbers of the weights written: the restored best epoch's, or the last epoch's, named."""
    record = history.model_record
    if record is None:
        return "no epoch finished"
    which = "best, restored" if history.restored_best else "last"
    val = record.val_loss if history.final_val_loss is None else history.final_val_loss
    val_text = "" if val is None else f", val loss {val:.6g}"
    return f"model.npz holds epoch {record.epoch} ({which}): train loss {record.train_loss:.6g}{val_text}"


def run_summary(name: str, epochs: int, history) -> list[str]:
    """The closing lines of a run: epochs, steps and speed, the model's losses, the files written."""
    lines = [
        f"trained {name}: {epochs} epochs, {history.steps} steps in {history.seconds:.2f} s "
        f"({history.steps_per_second:,.0f} steps/s)" + (" (stopped early)" if history.stopped_early else ""),
        f"training step: {history.step_path}",
        model_line(history),
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
    """What an interrupted run wrote (its last whole epoch), and the command that resumes it."""
    sets = [part for value in overrides for part in ("--set", value)]
    again = shlex.join(["lddl", "train", str(config), *sets, "--out", str(out_dir)])
    names = ", ".join(path.name for key, path in interrupt.paths.items() if key != "checkpoint")
    wrote = f"{names} and " if names else ""
    return [
        f"interrupted: the run of epoch {interrupt.epoch} (the last whole one) written to {out_dir}: "
        f"{wrote}{Path(interrupt.checkpoint).name}",
        f"resume with: {again} --resume {shlex.quote(str(interrupt.checkpoint))}",
    ]

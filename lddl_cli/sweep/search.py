"""``lddl sweep``: validate, join (or create) the study, run its workers, write the outputs;
``show`` prints a study's table from its storage. Nothing is written before every check passed."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UsageError
from . import space
from .extra import require_optuna
from .outputs import trial_rows, write_outputs
from .storage import default_storage, stored_file
from .table import TrialDisplay, trials_table
from .worker import Objective, Plan, join, work, worker_id
from .workers import start_workers, watch


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C: the study is kept; the same command continues it."""


def make_plan(config: Path, trials, workers: int, storage, study, out: Path | None, source_name: str, sweep):
    out_dir = out if out is not None else Path("runs") / f"{source_name}-sweep"
    url = storage or default_storage(out_dir, workers)
    budget = trials if trials is not None else sweep.trials
    if sweep.sampler == "grid":
        budget = min(budget, space.grid_size(sweep.parameters))
    plan = Plan(str(config), url, study or source_name, budget, shared=storage is not None)
    return plan, out_dir


def run_sweep(config: Path, console, *, trials=None, workers=1, storage=None, study=None, out=None) -> dict:
    """Run the sweep of ``config``; the paths written."""
    from ..config.sweep_loader import load_sweep
    from .metric import check_metric

    if workers < 1:
        raise UsageError(f"--workers: must be >= 1; got {workers}")
    require_optuna()  # a missing extra, then every config problem, before any file is touched
    source = load_sweep(config)
    check_metric(source.config)
    plan, out_dir = make_plan(config, trials, workers, storage, study, out, source.config.name, source.sweep)
    local = stored_file(plan.storage)
    if local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _search(plan, workers, out_dir, console)
    except KeyboardInterrupt:
        raise SweepInterrupted() from None


def _search(plan: Plan, workers: int, out_dir: Path, console) -> dict:
    optuna, source, opened = join(plan)
    sweep = source.sweep
    title = f"{source.config.name}: sweep"
    display = TrialDisplay(console, sweep.parameters, sweep.metric, sweep.goal, title)
    refresh = lambda study, *_: display.update(trial_rows(study, sweep.parameters))  # noqa: E731
    with display:
        refresh(opened)
        if workers == 1:
            objective = Objective(optuna, source, worker_id(os.getpid()))
            work(optuna, opened, objective, plan.trials, refresh, heartbeats="://" in plan.storage)
        else:
            codes = watch(optuna, opened, start_workers(plan, workers), refresh)
            if all(code != 0 for code in codes):
                raise UsageError(f"every worker failed (exit codes {codes}); see the lines above")
    return write_outputs(optuna, opened, source, out_dir)


def show(config: Path, console, *, storage=None, study=None, out=None) -> None:
    """Print the table of the study ``config`` (or --storage/--study) names, from its storage."""
    from ..config.sweep_loader import load_sweep

    source = load_sweep(config)
    plan, _ = make_plan(config, None, 1, storage, study, out, source.config.name, source.sweep)
    local = stored_file(plan.storage)
    if local is not None and not local.exists():
        raise UsageError(f"{local}: no study here yet; run `lddl sweep {config}` first")
    optuna, source, opened = join(plan, create=False)
    sweep = source.sweep
    rows = trial_rows(opened, sweep.parameters)
    console.print(trials_table(rows, sweep.parameters, sweep.metric, sweep.goal, f"study {plan.study}"))

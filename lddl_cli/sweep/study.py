"""The study: created once (or joined) with the config's goal and metric, its sampler and pruner,
and counted by what its trials came to."""

from __future__ import annotations

import os

from ..errors import ConfigError, UsageError
from . import space

# A trial that ran and failed on its own (diverged, a refused combination) keeps this user attribute
# and counts as done; one whose worker died or was interrupted has none and is run again.
ERROR_ATTR = "error"


def make_sampler(optuna, sweep, seed: int):
    if sweep.sampler == "grid":
        return optuna.samplers.GridSampler(space.grid(sweep.parameters), seed=seed)
    if sweep.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(optuna, sweep):
    if sweep.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    if sweep.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()


def worker_seed(sweep, index: int, existing: int, shared: bool) -> int:
    """The sampler's seed: the config's for a fresh study's first worker, so one worker is
    reproducible; shifted for every other worker and for a continued study, so none repeats
    another's draws (and with a shared --storage, by the process id too)."""
    seed = sweep.seed + index + 1000 * existing
    return seed + os.getpid() if shared else seed


def open_study(optuna, storage, config, name: str, *, create: bool, seed: int = 0):
    """Load (or create) study ``name``; ConfigError if it was made for another goal or metric."""
    sweep = config.sweep
    try:
        study = optuna.load_study(
            study_name=name,
            storage=storage,
            sampler=make_sampler(optuna, sweep, seed),
            pruner=make_pruner(optuna, sweep),
        )
    except KeyError:
        if not create:
            raise UsageError(f"--study {name}: no such study in this storage") from None
        study = optuna.create_study(
            storage=storage,
            study_name=name,
            direction=sweep.goal,
            load_if_exists=True,
            sampler=make_sampler(optuna, sweep, seed),
            pruner=make_pruner(optuna, sweep),
        )
    check_same_search(study, config, name)
    return study


def check_same_search(study, config, name: str) -> None:
    sweep = config.sweep
    goal = study.direction.name.lower()
    if goal != sweep.goal:
        message = f"study {name!r} exists with goal {goal}; use that goal or another --study name"
        raise ConfigError([config.problem(("sweep", "goal"), message)])
    metric = study.user_attrs.get("metric")
    if metric is None:
        study.set_user_attr("metric", sweep.metric)
    elif metric != sweep.metric:
        message = f"study {name!r} exists with metric {metric}; use that metric or another --study name"
        raise ConfigError([config.problem(("sweep", "metric"), message)])


def counts(optuna, study) -> tuple[int, int]:
    """(done, running): trials complete, pruned or failed on their own; trials running now."""
    state = optuna.trial.TrialState
    done = running = 0
    for trial in study.get_trials(deepcopy=False):
        if trial.state in (state.COMPLETE, state.PRUNED) or (
            trial.state == state.FAIL and ERROR_ATTR in trial.user_attrs
        ):
            done += 1
        elif trial.state == state.RUNNING:
            running += 1
    return done, running

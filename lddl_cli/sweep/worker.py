"""A worker: joins the study and runs trials in its own process until the study holds the requested
number of done trials. ``python -m lddl_cli.sweep.worker PLAN_JSON`` is one local worker process.

A trial whose worker died is neither done nor running once it is marked failed (by its heartbeat,
or by the ``lddl sweep`` that started the worker): the budget is counted again and it is redone.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import warnings
from dataclasses import asdict, dataclass

from ..config.sweep_loader import load_sweep
from ..errors import LddlError
from .extra import require_optuna
from .metric import check_metric
from .objective import Objective, TrialFailed
from .storage import open_storage
from .study import counts, make_sampler, open_study, worker_seed

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Plan:
    """What a worker needs: the config, the storage URL, the study, the budget and its own index."""

    config: str
    storage: str
    study: str
    trials: int
    index: int = 0
    shared: bool = False  # a --storage other machines may join: seeds mix in the process id

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def join(plan: Plan, create: bool = True):
    """(optuna, source, study) for ``plan``; every problem is an LddlError before anything runs."""
    optuna = require_optuna()
    source = load_sweep(plan.config)
    check_metric(source.config)
    storage = open_storage(optuna, plan.storage)
    study = open_study(optuna, storage, source.config, plan.study, create=create)
    existing = len(study.get_trials(deepcopy=False))
    study.sampler = make_sampler(
        optuna, source.sweep, worker_seed(source.sweep, plan.index, existing, plan.shared)
    )
    return optuna, source, study


def worker_id(pid: int) -> str:
    """How a trial names the process running it (the trial's ``worker`` attribute)."""
    return f"{socket.gethostname()}:{pid}"


def work(optuna, study, objective, trials: int, on_trial=None, heartbeats: bool = False) -> None:
    """Run trials until ``trials`` are done. While others finish theirs, wait, failing the trials of
    dead workers (stale heartbeats; processes gone from this host); with heartbeats, also wait at
    the end until no trial is left running, so a dead worker's trial is always marked failed."""
    while True:
        done, running = counts(optuna, study)
        if done >= trials and (running == 0 or not heartbeats):
            return
        if done + running >= trials:
            fail_dead_trials(optuna, study)
            time.sleep(POLL_SECONDS)
            continue
        study.optimize(objective, n_trials=1, catch=(TrialFailed,))
        if on_trial is not None:
            on_trial(study, objective)


def fail_dead_trials(optuna, study) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fail_stale_trials is marked experimental
        optuna.storages.fail_stale_trials(study)
    here = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
        if host == here and pid.isdigit() and not process_alive(int(pid)):
            study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(plan: Plan, on_trial=None) -> None:
    optuna, source, study = join(plan)
    objective = Objective(optuna, source, worker=worker_id(os.getpid()))
    work(optuna, study, objective, plan.trials, on_trial, heartbeats="://" in plan.storage)


def main(argv: list[str]) -> int:
    try:
        run(Plan(**json.loads(argv[1])))
    except LddlError as error:
        for line in error.lines():
            sys.stderr.write(line + "\n")
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

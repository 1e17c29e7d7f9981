"""Several local workers: child processes on one study, watched by the ``lddl sweep`` that
started them. A child that dies (SIGKILL, out of memory) has its running trials marked failed at
once, so the others run them again instead of waiting for a heartbeat the journal file has not."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from .worker import Plan, worker_id

POLL_SECONDS = 0.1
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def start_workers(plan: Plan, count: int) -> list[subprocess.Popen]:
    """``count`` worker processes, each with one BLAS thread (unless the user set a count): one core
    per worker, rather than every worker's BLAS threads contending for the same cores."""
    command = [sys.executable, "-m", "lddl_cli.sweep.worker"]
    env = dict(os.environ)
    for name in BLAS_THREADS:
        env.setdefault(name, "1")
    plans = [Plan(**{**plan.__dict__, "index": index}).to_json() for index in range(count)]
    return [subprocess.Popen([*command, text], stdin=subprocess.DEVNULL, env=env) for text in plans]


def fail_trials_of(optuna, study, pid: int) -> None:
    """Mark failed the trials still running in the dead worker ``pid``."""
    name = worker_id(pid)
    storage = study._storage  # Optuna has no public call to fail another process's trial
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if trial.user_attrs.get("worker") == name:
            storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)


def watch(optuna, study, workers: list[subprocess.Popen], on_poll) -> list[int]:
    """Poll until every worker has ended; the exit codes."""
    handled: set[int] = set()
    while True:
        for process in workers:
            code = process.poll()
            if code is not None and code != 0 and process.pid not in handled:
                handled.add(process.pid)
                fail_trials_of(optuna, study, process.pid)
        on_poll(study)
        if all(process.poll() is not None for process in workers):
            return [process.returncode for process in workers]
        time.sleep(POLL_SECONDS)

"""Several workers on one study, one of them killed with SIGKILL mid-trial: its trial is marked
failed, the others still finish the requested number of done trials, and nothing complete is lost.
Local workers share a journal file; workers of many machines share a PostgreSQL database (a real
server, started by the ``postgres_url`` fixture)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import optuna
from sweep_project import SWEEP, make_sweep_project

from lddl_cli.sweep.storage import open_storage
from lddl_cli.sweep.study import ERROR_ATTR

# Trials of about a second: long enough to be killed in the middle of one.
SLOW = SWEEP.replace("lower: 2, upper: 4, step: 2", "lower: 4000, upper: 4800, step: 800")
TRIALS = 5


def lddl_sweep(folder, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "lddl_cli", "sweep", "sweep.yaml", "--trials", str(TRIALS), *args]
    return subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def running_worker(storage, study_name: str, pids: set[int]) -> tuple[int, int] | None:
    """(pid, trial number) of a trial running now in one of ``pids``, if any."""
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return None
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        pid = int(trial.user_attrs.get("worker", "x:0").rpartition(":")[2])
        if pid in pids:
            return pid, trial.number
    return None


def kill_one_mid_trial(storage, study_name: str, pids: set[int]) -> tuple[int, int]:
    for _ in range(1200):  # at most 2 minutes
        found = running_worker(storage, study_name, pids)
        if found is not None:
            time.sleep(0.2)  # well inside the trial
            os.kill(found[0], signal.SIGKILL)
            return found
        time.sleep(0.1)
    raise AssertionError("no worker ever ran a trial")


def states(storage, study_name: str) -> dict[int, optuna.trial.FrozenTrial]:
    return {t.number: t for t in optuna.load_study(study_name=study_name, storage=storage).get_trials()}


def test_local_workers_survive_a_killed_worker(tmp_path):
    make_sweep_project(tmp_path, SLOW)
    parent = lddl_sweep(tmp_path, "--workers", "2", "--out", "out")
    journal = tmp_path / "out" / "study.journal"
    for _ in range(600):
        if journal.exists():
            break
        time.sleep(0.1)
    storage = open_storage(optuna, str(journal))
    pid, number = kill_one_mid_trial(storage, "small", _children_of(parent.pid))
    stdout, stderr = parent.communicate(timeout=300)
    assert parent.returncode == 0, stderr
    trials = states(storage, "small")
    assert trials[number].state == optuna.trial.TrialState.FAIL
    complete = [t for t in trials.values() if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) >= TRIALS, stdout
    with open(tmp_path / "out" / "trials.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(trials)


def _children_of(pid: int) -> set[int]:
    """The child processes of ``pid`` (the local workers), from /proc."""
    for _ in range(600):
        path = f"/proc/{pid}/task/{pid}/children"
        found = {int(p) for p in open(path).read().split()} if os.path.exists(path) else set()
        if len(found) == 2:
            return found
        time.sleep(0.1)
    raise AssertionError("the local workers did not start")


def test_three_workers_on_postgres_survive_a_killed_worker(tmp_path, postgres_url):
    make_sweep_project(tmp_path, SLOW)
    # All three start together on an empty database: creating its tables must be safe.
    workers = [
        lddl_sweep(tmp_path, "--storage", postgres_url, "--study", "shared", "--out", f"out{i}")
        for i in range(3)
    ]
    storage = open_storage(optuna, postgres_url)
    pid, number = kill_one_mid_trial(storage, "shared", {w.pid for w in workers})
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=300)
        if worker.pid != pid:
            assert worker.returncode == 0, stderr
        else:
            assert worker.returncode == -signal.SIGKILL
    trials = states(storage, "shared")
    assert trials[number].state == optuna.trial.TrialState.FAIL  # by its heartbeat
    assert ERROR_ATTR not in trials[number].user_attrs  # failed by its death, not by its own error
    complete = [t for t in trials.values() if t.state == optuna.trial.TrialState.COMPLETE]
    # A trial that failed on its own (a diverged run: ERROR_ATTR holds its error line) is done too.
    own_failures = [
        t for t in trials.values() if t.state == optuna.trial.TrialState.FAIL and ERROR_ATTR in t.user_attrs
    ]
    done = len(complete) + len(own_failures)
    assert TRIALS <= done <= TRIALS + 1, [(t.state, t.user_attrs) for t in trials.values()]
    # When the survivors take up the failed trial before the study is full, its parameters run again
    # (a retry); when they fill the study first (fast trials), nothing is owed.
    retried = [t for t in complete if t.system_attrs.get("failed_trial") == number]
    assert all(t.params == trials[number].params for t in retried)
    survivors = [i for i, w in enumerate(workers) if w.pid != pid]
    for index in survivors:
        assert (tmp_path / f"out{index}" / "best.yaml").is_file()

"""The study's rules: another metric refused, the default storage, Ctrl-C keeps the study, the table."""

from __future__ import annotations

import contextlib
import csv
import io
import signal
import sqlite3
import subprocess
import sys
import time
from types import SimpleNamespace

import optuna
import pytest
from rich.console import Console
from sweep_project import SWEEP, make_sweep_project

from lddl_cli.errors import ConfigError
from lddl_cli.sweep.storage import default_storage, sqlalchemy_url
from lddl_cli.sweep.study import check_same_search
from lddl_cli.sweep.table import TrialDisplay


def test_a_study_made_for_another_metric_is_refused():
    study = optuna.create_study(direction="minimize")
    study.set_user_attr("metric", "val_rmse")
    config = SimpleNamespace(
        sweep=SimpleNamespace(goal="minimize", metric="val_loss"),
        problem=lambda path, message: f"{'.'.join(path)}: {message}",
    )
    with pytest.raises(ConfigError) as caught:
        check_same_search(study, config, "s")
    assert caught.value.problems == [
        "sweep.metric: study 's' exists with metric val_rmse; use that metric or another --study name"
    ]
    config.sweep.metric = "val_rmse"
    check_same_search(study, config, "s")  # the same metric: joined


def test_the_default_storage(tmp_path):
    assert default_storage(tmp_path, 1) == f"sqlite:///{tmp_path / 'study.db'}"
    assert default_storage(tmp_path, 2) == str(tmp_path / "study.journal")
    (tmp_path / "study.db").touch()
    assert default_storage(tmp_path, 2) == f"sqlite:///{tmp_path / 'study.db'}"  # an existing study wins
    assert sqlalchemy_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"


def running_trials(path) -> int:
    """Trials running now, read with sqlite3 alone: opening the study through Optuna would create
    its tables, racing the sweep that is creating them."""
    if not path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
            return db.execute("SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'").fetchone()[0]
    except sqlite3.OperationalError:  # no tables yet, or the file is being created
        return 0


def test_ctrl_c_keeps_the_study_and_the_same_command_continues_it(tmp_path):
    make_sweep_project(tmp_path, SWEEP.replace("lower: 2, upper: 4, step: 2", "lower: 2000, upper: 2000"))
    command = [sys.executable, "-m", "lddl_cli", "sweep", "sweep.yaml", "--out", "out", "--trials", "2"]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for _ in range(1200):  # until the first trial runs (each trains for seconds)
        if running_trials(tmp_path / "out" / "study.db"):
            break
        time.sleep(0.1)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().endswith(
        "interrupted; the study is kept: run the same command again to continue it"
    )
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    with open(tmp_path / "out" / "trials.csv", newline="") as handle:
        states = [row["state"] for row in csv.DictReader(handle)]
    assert states.count("complete") == 2 and states[0] == "fail", states


def test_the_live_table_draws_on_a_terminal_and_lines_go_to_logs():
    rows = [
        {"number": 0, "state": "complete", "a": 0.5, "value": 0.25, "seconds": 1.0, "error": None},
        {"number": 1, "state": "running", "a": 0.1, "value": None, "seconds": None, "error": None},
    ]
    terminal = io.StringIO()
    with TrialDisplay(
        Console(file=terminal, force_terminal=True, width=100), ["a"], "val_loss", "minimize", "t"
    ) as d:
        d.update(rows)
    assert "┃" in terminal.getvalue() and "0 *" in terminal.getvalue()
    log = io.StringIO()
    display = TrialDisplay(
        Console(file=log, force_terminal=False, width=100), ["a"], "val_loss", "minimize", "t"
    )
    display.update(rows)
    display.update(rows)  # a trial is printed once
    assert log.getvalue() == "trial 0 complete  val_loss 0.25  a=0.5  1 s  best #0 0.25\n"


def test_a_trial_whose_process_is_gone_is_failed_and_a_live_ones_is_not():
    import os
    import socket

    from lddl_cli.sweep.worker import fail_dead_trials

    study = optuna.create_study()
    dead, alive = study.ask(), study.ask()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead.set_user_attr("worker", f"{socket.gethostname()}:{int(gone.stdout)}")
    alive.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    fail_dead_trials(optuna, study)
    states = [t.state for t in study.get_trials()]
    assert states == [optuna.trial.TrialState.FAIL, optuna.trial.TrialState.RUNNING]

"""A process killed with SIGKILL while it saves never leaves a torn file behind.

``save_loop.py`` saves a 4 MB state over the same target in a loop (about 10 ms a save, most of
it inside ``save_state``: writing, fsync, rename). The test has it fork a saver process,
waits for the saver's first complete save, sleeps a seeded random 0-100 ms and SIGKILLs the
saver; 50 times, each a new process.
After every kill the target must load with ``load_state`` and its arrays must match the SHA-256
stored in its own metadata, and it must come from the killed run (no rollback to an older run).

Temporary files: ``atomic_write`` writes to ``.NAME.<random>.tmp`` in the target's folder and
removes it on any exception, but nothing can run on SIGKILL, so a process killed mid-save leaves
exactly that one file behind (hidden, never read by lddl, safe to delete). The test checks that
each kill leaves at most one, i.e. completed saves leave none, then deletes it; it also checks
that some kills did land mid-save (a left-over temp file), so the dangerous window was hit.

The checker itself is tested on a planted mistake: the same loop writing straight into the
target (``in-place`` mode) must be caught with a torn file within a few kills.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lddl_cli.nn.state import StateError, load_state

SAVE_LOOP = Path(__file__).with_name("save_loop.py")
sys.path.insert(0, str(SAVE_LOOP.parent))
from save_loop import COUNTER_VALUES, PAYLOAD_VALUES, digest  # noqa: E402

KILLS = 50
MAX_DELAY_SECONDS = 0.1


class Savers:
    """save_loop.py serving savers: ``kill(run, mode, delay)`` starts one, waits for its first
    complete save, sleeps ``delay`` seconds and SIGKILLs it."""

    def __init__(self, target: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SAVE_LOOP), str(target)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _line(self) -> str:
        line = self.process.stdout.readline()
        if not line:
            self.process.kill()
            pytest.fail(f"save_loop.py stopped: {self.process.stderr.read()}")
        return line

    def kill(self, run: int, mode: str, delay: float) -> None:
        self.process.stdin.write(f"{run} {mode}\n")
        self.process.stdin.flush()
        words = [self._line().split() for _ in range(2)]  # "child PID" and "saved", in any order
        pids = [int(word[1]) for word in words if word[0] == "child"]
        assert sorted(word[0] for word in words) == ["child", "saved"], words
        time.sleep(delay)
        os.kill(pids[0], signal.SIGKILL)
        kind, status = self._line().split()
        assert kind == "reaped" and os.WIFSIGNALED(int(status)), status
        assert os.WTERMSIG(int(status)) == signal.SIGKILL

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def savers(tmp_path):
    """A save_loop.py server over tmp_path/state.npz."""
    server = Savers(tmp_path / "state.npz")
    yield server
    server.close()


def problem_with(target: Path, run: int) -> str | None:
    """None when ``target`` is a complete save of ``run``; otherwise what is wrong with it."""
    try:
        state, metadata = load_state(target)
    except StateError as error:
        return f"unreadable: {error}"
    if metadata is None or set(state) != {"payload", "counter"}:
        return f"incomplete: keys {sorted(state)}, metadata {metadata}"
    if state["payload"].shape != (PAYLOAD_VALUES,) or state["counter"].shape != (COUNTER_VALUES,):
        return "wrong shapes"
    if digest(state["payload"], state["counter"]) != metadata["sha256"]:
        return "checksum mismatch"
    if not np.all(state["counter"] == metadata["save"]):
        return "counter does not match the save number"
    if metadata["run"] != run:
        return f"from run {metadata['run']}, expected the killed run {run}"
    return None


def temp_files(folder: Path, target: Path) -> list[Path]:
    return sorted(folder.glob(f".{target.name}.*.tmp"))


def test_sigkill_during_save_leaves_the_old_or_a_complete_new_file(tmp_path, rng, savers):
    target = tmp_path / "state.npz"
    killed_mid_save = 0
    for run in range(KILLS):
        savers.kill(run, "atomic", float(rng.uniform(0.0, MAX_DELAY_SECONDS)))
        problem = problem_with(target, run)
        assert problem is None, f"kill {run}: {problem}"
        leftovers = temp_files(tmp_path, target)
        assert len(leftovers) <= 1, f"kill {run}: more than the one in-flight temp file: {leftovers}"
        killed_mid_save += len(leftovers)
        for leftover in leftovers:
            leftover.unlink()
        assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    assert killed_mid_save >= 1, "no kill landed inside a save: the test did not exercise the window"


def test_the_check_catches_a_writer_that_is_not_atomic(tmp_path, rng, savers):
    target = tmp_path / "state.npz"
    problems = []
    for run in range(5):
        savers.kill(run, "in-place", float(rng.uniform(0.0, MAX_DELAY_SECONDS)))
        problems.append(problem_with(target, run))
    assert any(problem is not None for problem in problems), "a torn in-place write went unnoticed"

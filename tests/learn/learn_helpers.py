"""The learner commands run as a user's log file sees them: a subprocess with no terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lddl_log(*args: str) -> subprocess.CompletedProcess:
    """``python -m lddl_cli ARGS`` in the repository, 80 columns, no colour settings inherited."""
    command = [sys.executable, "-m", "lddl_cli", *args]
    env = {"COLUMNS": "80", "PATH": ""}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)

"""Save a state of a few MB over the same file, again and again, until killed.

Run by test_atomic_write.py, which SIGKILLs the saving process at random moments:

    python save_loop.py TARGET

reads lines ``RUN MODE`` on stdin; for each it forks a saver (so NumPy is imported once, not
once per kill), prints ``child PID``, and when the saver has died prints ``reaped STATUS``
(the raw wait status). The saver prints ``saved`` once its first save is complete.

Each save holds ``payload`` (4 MB of seeded normal numbers, the same in every save) and
``counter`` (the save number, repeated), and in its metadata the run number, the save number and
the SHA-256 of both arrays, so that a reader can tell a complete file from a torn one. After the
first save completes the script prints ``saved`` on stdout. MODE ``atomic`` writes with
``lddl_cli.nn.state.save_state``; MODE ``in-place`` writes the same content straight into TARGET,
the non-atomic writer the test must be able to catch.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys

import numpy as np

from lddl_cli.nn.state import METADATA_KEY, save_state

PAYLOAD_VALUES = 500_000
COUNTER_VALUES = 1024


def digest(payload: np.ndarray, counter: np.ndarray) -> str:
    return hashlib.sha256(payload.tobytes() + counter.tobytes()).hexdigest()


def main(target: str, run: int, mode: str) -> None:
    payload = np.random.default_rng(20261127).standard_normal(PAYLOAD_VALUES)
    payload_hash = hashlib.sha256(payload.tobytes())
    for save in itertools.count():
        counter = np.full(COUNTER_VALUES, float(save))
        checksum = payload_hash.copy()
        checksum.update(counter.tobytes())
        state = {"payload": payload, "counter": counter}
        metadata = {"run": run, "save": save, "sha256": checksum.hexdigest()}
        if mode == "atomic":
            save_state(target, state, metadata)
        elif mode == "in-place":
            with open(target, "wb") as handle:
                np.savez(handle, **state, **{METADATA_KEY: np.array(json.dumps(metadata))})
        else:
            raise SystemExit(f"unknown mode {mode!r}")
        if save == 0:
            sys.stdout.write("saved\n")
            sys.stdout.flush()


def serve(target: str) -> None:
    for line in sys.stdin:
        run, mode = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                main(target, int(run), mode)
            finally:
                os._exit(1)
        sys.stdout.write(f"child {pid}\n")
        sys.stdout.flush()
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(f"reaped {status}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve(sys.argv[1])

"""Every entry of the bad-input catalogue (tests/bad_inputs/catalogue.py) through the real CLI.

Each one must exit 2 with nothing on stdout and exactly the catalogue's lines on stderr (no
traceback, no "internal error"), and leave every file of the workspace unchanged: the existing run
``runs/catalogue/`` and the ``out/`` folder the command was told to write into included. The
payloads that would run code create ``pwned`` in the workspace when executed; it never appears.
All entries run in-process with typer's CliRunner, and a few also through the installed ``lddl``
executable in a subprocess (whose peak memory is measured, so the DEFLATE bomb is shown not to
inflate).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lddl_cli.cli import app

BAD_INPUTS = Path(__file__).resolve().parents[1] / "bad_inputs"
sys.path.insert(0, str(BAD_INPUTS))
import catalogue  # noqa: E402
import make_bad_inputs  # noqa: E402

LDDL = Path(sys.executable).with_name("lddl")
ENV = {"LDDL_DEBUG": None, "NO_COLOR": "1"}
# The CLI imports NumPy and pydantic (about 80 MB); the bomb alone would need 2.5 GiB.
MAX_SUBPROCESS_RSS_BYTES = 200 * 2**20


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """The catalogue's workspace: valid files, two small valid runs, and every generated bad file."""
    root = tmp_path_factory.mktemp("bad_inputs")
    shutil.copy(BAD_INPUTS / "valid.yaml", root / "valid.yaml")
    shutil.copytree(BAD_INPUTS / "config", root / "config")
    make_bad_inputs.write_valid_data(root)
    with contextlib.chdir(root):
        for out, extra in (("runs/valid", []), ("runs/other", ["--set", "model.widths=[1,4,1]"])):
            code, stdout, stderr = invoke("train", "valid.yaml", "--out", out, "--quiet", *extra)
            assert code == 0, stdout + stderr
    make_bad_inputs.write_bad_configs(root, BAD_INPUTS / "valid.yaml")
    make_bad_inputs.write_bad_data(root)
    make_bad_inputs.write_pipes(root)
    make_bad_inputs.write_bad_weights(root, root / "runs/valid/model.npz", root / "runs/other/model.npz")
    make_bad_inputs.write_bad_runs(root, root / "runs/valid")
    shutil.copytree(root / "runs/valid", root / "runs/catalogue")
    (root / "out").mkdir()
    return root


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under ``folder``: kind, size, inode, mtime and content hash."""
    state = {}
    for path in sorted(folder.rglob("*")):
        info = path.stat()
        if path.is_dir():
            state[str(path.relative_to(folder))] = ("dir", info.st_ino, info.st_mtime_ns)
        elif not path.is_file():  # a named pipe: reading it would block
            state[str(path.relative_to(folder))] = ("other", info.st_ino, info.st_mtime_ns)
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            state[str(path.relative_to(folder))] = (
                "file",
                info.st_size,
                info.st_ino,
                info.st_mtime_ns,
                digest,
            )
    return state


def check_outcome(entry: catalogue.Entry, code: int, stdout: str, stderr: str) -> None:
    """Exit 2, silent stdout, one matching stderr line per expected problem, no traceback."""
    shown = f"exit code {code}\n--- stdout:\n{stdout}--- stderr:\n{stderr}"
    assert code == 2, shown
    assert stdout == "", shown
    assert "Traceback" not in stderr and "internal error" not in stderr, shown
    lines = stderr.splitlines()
    assert len(lines) == len(entry.patterns), f"expected {len(entry.patterns)} line(s)\n{shown}"
    for pattern, line in zip(entry.patterns, lines, strict=True):
        assert re.match(pattern, line), f"line {line!r}\ndoes not match {pattern!r}"


def test_the_catalogue_covers_every_kind_of_input_with_unique_names():
    """At least 30 config, 15 data and 20 weights cases, 40 in all; the subprocess ones are entries."""
    names = [entry.name for entry in catalogue.ENTRIES]
    assert len(names) == len(set(names))
    assert len(catalogue.CONFIG) >= 30 and len(catalogue.DATA) >= 15 and len(catalogue.WEIGHTS_CASES) >= 20
    assert len(catalogue.ENTRIES) >= 40
    assert set(catalogue.SUBPROCESS) <= set(names)


@pytest.mark.parametrize("entry", catalogue.ENTRIES, ids=[entry.name for entry in catalogue.ENTRIES])
def test_bad_input_gives_one_clear_line_per_problem_and_changes_nothing(entry, workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    before = snapshot(workspace)
    code, stdout, stderr = invoke(*entry.args)
    check_outcome(entry, code, stdout, stderr)
    assert not (workspace / make_bad_inputs.MARKER).exists(), "a payload was executed"
    assert snapshot(workspace) == before


# Runs a command as a grandchild and writes "PEAK_KIB EXIT_CODE" to argv[1]. Linux carries a
# parent's peak RSS across fork and exec into ru_maxrss, so lddl is forked from this small
# process, not from pytest: wait4 then reports lddl's own peak.
MEASURED_RUN = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


@pytest.mark.parametrize("name", catalogue.SUBPROCESS)
def test_bad_input_through_the_installed_executable(name, workspace, tmp_path):
    entry = next(entry for entry in catalogue.ENTRIES if entry.name == name)
    env = {key: value for key, value in os.environ.items() if key != "LDDL_DEBUG"}
    before = snapshot(workspace)
    report = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-c", MEASURED_RUN, str(report), str(LDDL), *entry.args],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    peak_kib, code = (int(word) for word in report.read_text().split())
    check_outcome(entry, code, result.stdout, result.stderr)
    assert peak_kib * 1024 < MAX_SUBPROCESS_RSS_BYTES, f"peak RSS {peak_kib} KiB"
    assert not (workspace / make_bad_inputs.MARKER).exists(), "a payload was executed"
    assert snapshot(workspace) == before


def test_the_measured_run_reports_the_command_own_peak(tmp_path):
    """A command allocating 64 MiB is measured at that (plus Python), not at pytest's own peak."""
    ballast = np.ones(300 * 2**20 // 8)  # held by this process while the command runs
    report = tmp_path / "report"
    code = "import numpy as np; a = np.ones(64 * 2**20 // 8); raise SystemExit(3)"
    subprocess.run([sys.executable, "-c", MEASURED_RUN, str(report), sys.executable, "-c", code], check=True)
    peak_kib, exit_code = (int(word) for word in report.read_text().split())
    assert exit_code == 3
    assert 64 * 1024 <= peak_kib < 200 * 1024 < ballast.nbytes // 1024


# --- the checks above can fail ----------------------------------------------------------------
PLANTED_OUTCOMES = [
    ("exit code 1", 1, "", "bad/x.npz: broken\n"),
    ("exit code 0", 0, "", "bad/x.npz: broken\n"),
    ("something on stdout", 2, "predictions\n", "bad/x.npz: broken\n"),
    ("a traceback", 2, "", 'Traceback (most recent call last):\n  File "x.py"\nbad/x.npz: broken\n'),
    ("an internal error", 2, "", "internal error: KeyError: 'x'\n"),
    ("two lines for one problem", 2, "", "bad/x.npz: broken\nbad/x.npz: broken again\n"),
    ("no line", 2, "", ""),
    ("the wrong message", 2, "", "bad/x.npz: all fine\n"),
]


@pytest.mark.parametrize(
    ("code", "stdout", "stderr"), [p[1:] for p in PLANTED_OUTCOMES], ids=[p[0] for p in PLANTED_OUTCOMES]
)
def test_check_outcome_catches_a_planted_mistake(code, stdout, stderr):
    entry = catalogue.Entry("planted", ("predict",), (r"bad/x\.npz: broken$",))
    check_outcome(entry, 2, "", "bad/x.npz: broken\n")  # the correct outcome passes
    with pytest.raises(AssertionError):
        check_outcome(entry, code, stdout, stderr)


def test_snapshot_catches_a_planted_change(tmp_path):
    (tmp_path / "runs").mkdir()
    weights = tmp_path / "runs" / "model.npz"
    weights.write_bytes(b"old")
    before = snapshot(tmp_path)
    (tmp_path / "runs" / "new.png").write_bytes(b"png")
    assert snapshot(tmp_path) != before
    (tmp_path / "runs" / "new.png").unlink()
    replacement = tmp_path / "runs" / ".tmp"
    replacement.write_bytes(b"old")
    os.replace(replacement, weights)  # same content, but rewritten
    assert snapshot(tmp_path) != before


# --- the generated inputs are what they claim to be -------------------------------------------
def test_the_pickle_payload_is_live_when_unpickled(tmp_path):
    """Loading the generated payload the unsafe way does run it: so lddl refusing it matters."""
    marker = tmp_path / "marker"
    payload = tmp_path / "payload.npy"
    payload.write_bytes(make_bad_inputs.pickle_payload_npy(marker))
    with contextlib.suppress(Exception):
        np.load(payload, allow_pickle=True)  # deliberately unsafe, on a payload we wrote
    assert marker.is_dir()


def raw_member(path: Path, name: str) -> tuple[zipfile.ZipInfo, bytes]:
    """A member's directory entry and its stored (still compressed) bytes."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    raw = path.read_bytes()
    name_length, extra_length = struct.unpack("<2H", raw[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    return info, raw[start : start + info.compress_size]


def test_the_deflate_bomb_really_inflates_to_gigabytes(workspace):
    info, stream = raw_member(workspace / "bad/deflate_bomb.npz", "0.weight.npy")
    assert info.compress_size < 4 * 2**20 and info.file_size > 2 * 2**30
    inflater = zlib.decompressobj(-15)
    inflated = 0
    while stream and not inflater.eof:  # 64 MiB at a time, never the whole member in memory
        inflated += len(inflater.decompress(stream, 64 * 2**20))
        stream = inflater.unconsumed_tail
    assert inflater.eof and inflated == info.file_size


def test_the_lying_bomb_inflates_past_its_declared_size(workspace):
    info, stream = raw_member(workspace / "bad/deflate_bomb_lying_size.npz", "0.weight.npy")
    assert len(zlib.decompressobj(-15).decompress(stream)) > 64 * info.file_size

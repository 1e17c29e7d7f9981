"""Case 4: the ``lddl`` command as a user runs it, each number against its own reference.

- ``lddl train configs/sin.yaml --out DIR --quiet`` wall time vs the training loop alone (the
  same config's epochs × batches of forward, loss, backward, step, zero_grad, timed in-process):
  start-up, validation, saving and plots may add at most 30%.
- peak RSS of that child (``ru_maxrss`` from ``wait4``) vs ``python -c "import numpy, matplotlib"``.
- ``lddl --help`` wall time vs ``python -c "import typer"``, and the modules ``--help`` imports.
- the progress display: ``lddl train`` on a pseudo-terminal (so Rich draws its live bar) vs
  ``--quiet``, compared on the child's CPU time (user + sys, which includes Rich's refresh
  thread), less sensitive than wall time to other work on a shared machine.

The speed of these shared machines drifts by up to 2x over seconds, so the training ratios are
paired: each repeat runs the quiet child, the terminal child and the in-process loop back to back,
and a target is the median over repeats of that repeat's ratio.

For scale, ``python -c "import lddl_cli.cli, lddl_cli.config, lddl_cli.training.run"`` is timed too: the
imports any ``lddl train`` run pays before its first step (typer, pydantic, NumPy, PyYAML).
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .timing import CaseResult, Row, Settings, Target, paired_ratio, ratio

NAME = "e2e"
ROOT = Path(__file__).resolve().parents[1]
CONFIG = "configs/sin.yaml"
HELP_FORBIDDEN = ("matplotlib", "pydantic", "lddl_cli.training", "lddl_cli.nn", "torch")
TRAIN_IMPORTS = "import lddl_cli.cli, lddl_cli.config, lddl_cli.training.run"


# A forked child is charged the peak RSS of the process it was forked from (Linux keeps the
# high-water mark across exec), and this benchmark process is large (NumPy, PyTorch). So each
# command runs under this tiny launcher (python -S, a few MiB), which forks, execs, waits, and
# writes "wall cpu maxrss_kib exit_code" of that child alone to the file descriptor argv[1].
LAUNCHER = """
import os, sys, time
report = int(sys.argv[1])
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.close(report)
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
os.write(report, f"{wall!r} {cpu!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}".encode())
"""


# What any process that draws one plot with matplotlib's object API must load and allocate:
# the floor under the peak RSS of `lddl train`, which draws two.
PLOT_FLOOR = """
import io
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
fig = Figure(figsize=(8, 5), dpi=100)
FigureCanvasAgg(fig)
ax = fig.add_subplot(1, 1, 1)
x = np.linspace(-3, 3, 500)
ax.plot(x, np.sin(x), label="sin")
ax.set_xlabel("x")
ax.legend()
fig.savefig(io.BytesIO(), format="png")
"""


@dataclass
class ChildRun:
    wall: float
    cpu: float
    peak_rss_mib: float
    returncode: int
    output: str


def run_child(command: list[str], *, tty: bool = False, env: dict | None = None) -> ChildRun:
    """Run ``command`` from the project root and return its wall time, CPU time and peak RSS.

    With ``tty`` its stdout and stderr are a pseudo-terminal of 120×40 (drained by a thread), so
    programs that draw only on terminals (Rich's live progress) do so.
    """
    env = dict(os.environ if env is None else env)
    env.pop("NO_COLOR", None)
    chunks: list[bytes] = []
    reader = None
    if tty:
        env.setdefault("TERM", "xterm-256color")
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        sink = slave

        def drain() -> None:
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO once the child has closed the terminal
                    return
                if not data:
                    return
                chunks.append(data)

        reader = threading.Thread(target=drain, daemon=True)
    else:
        sink = tempfile.TemporaryFile()
    report_read, report_write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", LAUNCHER, str(report_write), *command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=sink,
        stderr=subprocess.STDOUT,
        pass_fds=(report_write,),
    )
    os.close(report_write)
    if reader is not None:
        os.close(slave)
        reader.start()
    process.wait()
    with os.fdopen(report_read, "rb") as report:
        fields = report.read().split()
    if process.returncode != 0 or len(fields) != 4:
        raise RuntimeError(f"the launcher failed to run {command[0]} (exit {process.returncode})")
    wall, cpu, max_rss_kib, returncode = float(fields[0]), float(fields[1]), int(fields[2]), int(fields[3])
    if reader is not None:
        reader.join(timeout=5)
        os.close(master)
        output = b"".join(chunks).decode(errors="replace")
    else:
        sink.seek(0)
        output = sink.read().decode(errors="replace")
        sink.close()
    return ChildRun(wall, cpu, max_rss_kib / 1024, returncode, output)


def lddl_command() -> list[str] | None:
    """The installed entry point next to this interpreter, or None when lddl has no CLI yet."""
    script = Path(sys.executable).with_name("lddl")
    if importlib.util.find_spec("lddl_cli.cli") is None:
        return None
    return [str(script)] if script.exists() else [sys.executable, "-m", "lddl_cli"]


def training_loop_seconds(overrides: list[str]) -> tuple[float, int]:
    """Time the config's training loop alone, in this process: (seconds, steps).

    The run is built as ``lddl train`` builds it (``lddl_cli.training.trainer.Trainer``: config, data,
    model, loss, optimizer, loader from the one seeded generator); timed are only its epochs
    (``Trainer.train_epoch``: batches of forward, loss, backward, finiteness check, step,
    zero_grad). No validation, no metrics, no files, no plots, no interpreter start-up.
    """
    from lddl_cli.config import load_config
    from lddl_cli.training.trainer import Trainer

    cwd = os.getcwd()
    os.chdir(ROOT)  # the config's data paths are relative to the project root
    try:
        trainer = Trainer(load_config(CONFIG, overrides))
    finally:
        os.chdir(cwd)
    epochs = trainer.config.train.epochs
    steps = 0
    start = time.perf_counter()
    for _ in range(epochs):
        steps += trainer.train_epoch()[1]
    return time.perf_counter() - start, steps


def help_imports(command_python: str) -> list[str]:
    """Modules from HELP_FORBIDDEN that ``lddl --help`` imports (run in a fresh interpreter)."""
    probe = (
        "import sys\n"
        "sys.argv = ['lddl', '--help']\n"
        "from lddl_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)) + '\\n')\n"
    )
    done = subprocess.run(
        [command_python, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    modules = next(
        (line.split()[1:] for line in done.stderr.splitlines() if line.startswith("MODULES ")), None
    )
    if modules is None:
        raise RuntimeError(f"the --help probe failed: {done.stderr.strip().splitlines()[-1:]}")
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in HELP_FORBIDDEN))


def run(settings: Settings) -> CaseResult:
    result = CaseResult()
    lddl = lddl_command()
    python = sys.executable
    # Each training child takes seconds: 5 paired repeats (1 with --quick).
    repeats = 1 if settings.quick else min(settings.repeats, 5)
    overrides = ["train.epochs=50"] if settings.quick else []
    if settings.quick:
        result.notes.append(
            "e2e: --quick trains 50 epochs instead of 1000, so start-up weighs more in the ratios"
        )

    # Interpreter start-up references, interleaved with `lddl --help`.
    help_runs, typer_runs, rss_runs, floor_runs, import_runs = [], [], [], [], []
    for _ in range(max(3, settings.repeats)):
        typer_runs.append(run_child([python, "-c", "import typer"]))
        rss_runs.append(run_child([python, "-c", "import numpy, matplotlib"]))
        floor_runs.append(run_child([python, "-c", PLOT_FLOOR]))
        if lddl is not None:
            help_runs.append(run_child([*lddl, "--help"]))
            import_runs.append(run_child([python, "-c", TRAIN_IMPORTS]))
    typer_wall = statistics.median(r.wall for r in typer_runs)
    reference_rss = statistics.median(r.peak_rss_mib for r in rss_runs)
    result.rows.append(Row(NAME, 'python -c "import typer"', None, wall_seconds=typer_wall))
    result.rows.append(
        Row(
            NAME,
            'python -c "import numpy, matplotlib"',
            None,
            wall_seconds=statistics.median(r.wall for r in rss_runs),
            peak_rss_mib=reference_rss,
        )
    )
    floor_rss = statistics.median(r.peak_rss_mib for r in floor_runs)
    result.rows.append(
        Row(
            NAME,
            "python: one 800×500 matplotlib PNG",
            None,
            wall_seconds=statistics.median(r.wall for r in floor_runs),
            peak_rss_mib=floor_rss,
            note="the floor of any process that draws a plot",
        )
    )
    result.targets.append(
        Target(
            NAME, "one-PNG floor peak RSS / numpy+matplotlib import", ratio(floor_rss, reference_rss), None
        )
    )
    reason = None
    if lddl is None:
        reason = "not available: lddl_cli.cli (the CLI) does not exist yet"
    elif any(r.returncode != 0 for r in help_runs):
        tail = help_runs[0].output.strip().splitlines()[-1:] or ["(no output)"]
        reason = f"not available: lddl --help exited {help_runs[0].returncode}: {tail[0][:120]}"
    if reason is not None:
        result.rows.append(Row(NAME, "lddl train / --help", None, note=reason))
        for name, limit in (
            ("lddl train wall / its training loop", 1.3),
            ("lddl train peak RSS / numpy+matplotlib import", 1.5),
            ("lddl --help wall / import typer", 1.5),
            ("progress display CPU / --quiet CPU", 1.05),
        ):
            result.targets.append(Target(NAME, name, None, limit, note=reason))
        return result

    import_wall = statistics.median(r.wall for r in import_runs)
    result.rows.append(
        Row(
            NAME,
            f'python -c "{TRAIN_IMPORTS}"',
            None,
            wall_seconds=import_wall,
            note="what lddl train imports before its first step",
        )
    )
    help_wall = statistics.median(r.wall for r in help_runs)
    result.rows.append(Row(NAME, "lddl --help", None, wall_seconds=help_wall))
    result.targets.append(Target(NAME, "lddl --help wall / import typer", ratio(help_wall, typer_wall), 1.5))
    try:
        offenders = help_imports(python)
        result.targets.append(
            Target(
                NAME,
                "forbidden modules imported by --help",
                float(len(offenders)),
                0,
                unit="",
                note=(", ".join(offenders[:6]) + (" ..." if len(offenders) > 6 else ""))
                or f"none of {', '.join(HELP_FORBIDDEN)}",
            )
        )
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        result.targets.append(
            Target(NAME, "forbidden modules imported by --help", None, 0, unit="", note=str(error))
        )

    # Training: quiet child, terminal child, in-process loop, interleaved.
    sets = [arg for o in overrides for arg in ("--set", o)]
    quiet_runs, tty_runs, loop_runs = [], [], []
    loop_error = None
    with tempfile.TemporaryDirectory(prefix="lddl-bench-") as tmp:
        for k in range(repeats):
            quiet_runs.append(run_child([*lddl, "train", CONFIG, "--out", f"{tmp}/q{k}", "--quiet", *sets]))
            tty_runs.append(run_child([*lddl, "train", CONFIG, "--out", f"{tmp}/t{k}", *sets], tty=True))
            if loop_error is None:
                try:
                    loop_runs.append(training_loop_seconds(overrides))
                except Exception as error:  # the app layer is still being written: report, don't crash
                    loop_error = f"{type(error).__name__}: {str(error).splitlines()[0][:150]}"
    failed = [r for r in quiet_runs + tty_runs if r.returncode != 0]
    train_error = None
    if failed:
        tail = failed[0].output.strip().splitlines()[-1:] or ["(no output)"]
        train_error = f"lddl train exited {failed[0].returncode}: {tail[0][:150]}"
    quiet_wall = statistics.median(r.wall for r in quiet_runs)
    quiet_cpu = statistics.median(r.cpu for r in quiet_runs)
    tty_wall = statistics.median(r.wall for r in tty_runs)
    tty_cpu = statistics.median(r.cpu for r in tty_runs)
    cpu = {"quiet": [r.cpu for r in quiet_runs], "tty": [r.cpu for r in tty_runs]}
    train_rss = statistics.median(r.peak_rss_mib for r in quiet_runs)
    if loop_runs:
        steps = loop_runs[0][1]
        loop_s = statistics.median(s for s, _ in loop_runs)
        result.rows.append(Row(NAME, "training loop alone (in-process)", loop_s / steps, wall_seconds=loop_s))
    else:
        steps, loop_s = None, None
        result.rows.append(
            Row(NAME, "training loop alone (in-process)", None, note=f"not available: {loop_error}")
        )
    per_step = (lambda wall: wall / steps) if steps else (lambda wall: None)
    note = f"FAILED: {train_error}" if train_error else ""
    result.rows.append(
        Row(
            NAME,
            "lddl train --quiet (child)",
            per_step(quiet_wall),
            wall_seconds=quiet_wall,
            peak_rss_mib=train_rss,
            note=note or f"cpu {quiet_cpu:.2f} s",
        )
    )
    result.rows.append(
        Row(
            NAME,
            "lddl train, Rich progress on a pty",
            per_step(tty_wall),
            wall_seconds=tty_wall,
            peak_rss_mib=statistics.median(r.peak_rss_mib for r in tty_runs),
            note=note or f"cpu {tty_cpu:.2f} s",
        )
    )
    ok = train_error is None
    # Paired per repeat (see timing.paired_ratio); a loop that failed midway pairs its repeats only.
    paired_wall = None
    if loop_runs:
        walls = {"child": [r.wall for r in quiet_runs[: len(loop_runs)]], "loop": [s for s, _ in loop_runs]}
        paired_wall = paired_ratio(walls, "child", "loop")
    result.targets.append(
        Target(
            NAME,
            "lddl train wall / its training loop",
            paired_wall if ok else None,
            1.3,
            note=train_error or loop_error or "median of the repeats' ratios",
        )
    )
    if loop_s:
        result.targets.append(
            Target(
                NAME,
                "(its training loop + lddl train's imports) / its loop",
                (loop_s + import_wall) / loop_s,
                None,
                note="the floor of the ratio above, before any validation, saving or plot",
            )
        )
    result.targets.append(
        Target(
            NAME,
            "lddl train peak RSS / numpy+matplotlib import",
            ratio(train_rss, reference_rss) if ok else None,
            1.5,
            note=train_error or "",
        )
    )
    result.targets.append(
        Target(
            NAME,
            "progress display CPU / --quiet CPU",
            paired_ratio(cpu, "tty", "quiet") if ok else None,
            1.05,
            note=train_error or "median of the repeats' ratios",
        )
    )
    return result

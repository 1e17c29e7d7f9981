"""Drawing a run's plots in a second process that starts before training does.

Why: importing matplotlib and drawing the first figure costs about a second, as much as training
the sine network. ``lddl train`` therefore starts this worker first; it imports matplotlib and
draws a throw-away figure (loading fonts and caches) on the machine's other core while training
runs, then waits. When training ends, the parent sends the finished plot data and the worker only
has to draw.

Protocol: the parent writes one ``.npz`` archive (``allow_pickle=False``) to the worker's stdin and
closes it. Each figure ``i`` is stored as ``i/kind`` ("fit" or "loss"), ``i/path`` (the PNG to
write) and ``i/<argument>`` arrays for ``plots.<kind>_figure``; 0-d unicode arrays hold strings.
The worker writes each PNG atomically and exits 0; on any failure it exits 1, and the parent
draws in-process instead, so a broken worker never costs a plot. Ctrl-C belongs to the parent:
the worker ignores SIGINT and is killed by the parent if it is still running.
"""

from __future__ import annotations

import io
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

KINDS = ("fit", "loss")


class PlotWorker:
    """A started worker process: ``send`` the figures, do other work, then ``wait`` for them."""

    def __init__(self) -> None:
        # Its stdout is a pipe it never writes: the pipe's end of file marks the worker's exit. Its
        # own session (process group) lets one killpg end it together with the copy it forks.
        self._process: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, "-m", "lddl_cli.plot_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def send(self, figures: list[tuple[str, Path, dict]]) -> bool:
        """Hand the worker its ``(kind, path, arguments)`` figures; False if it cannot take them."""
        if self._process is None:
            return False
        try:
            self._process.stdin.write(encode(figures))
            self._process.stdin.close()
        except (OSError, ValueError):
            self.close()
            return False
        return True

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the figures sent; True when the worker wrote them all."""
        process, self._process = self._process, None
        if process is None:
            return False
        try:
            # Popen.wait(timeout) polls with sleeps of up to 50 ms; a selector wakes at the exit itself.
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                if not selector.select(timeout):
                    return False
            return process.wait(timeout) == 0
        except subprocess.TimeoutExpired:
            return False
        finally:
            _end(process)

    def close(self) -> None:
        """End the worker if it was not used (training failed or was interrupted)."""
        process, self._process = self._process, None
        if process is not None:
            _end(process)


def _end(process: subprocess.Popen) -> None:
    """Kill the worker and the copy it may have forked if it still runs (timed out, or
    interrupted), reap it, close its pipe."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its session's group: the worker and its fork
        except ProcessLookupError:
            pass
        process.wait()
    process.stdout.close()


def encode(figures: list[tuple[str, Path, dict]]) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    for i, (kind, path, arguments) in enumerate(figures):
        arrays[f"{i}/kind"] = np.array(kind)
        arrays[f"{i}/path"] = np.array(str(path))
        for name, value in arguments.items():
            if value is not None:
                arrays[f"{i}/{name}"] = np.asarray(value)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def decode(payload: bytes) -> list[tuple[str, Path, dict]]:
    figures: dict[int, dict] = {}
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        for key in archive.files:
            index, _, name = key.partition("/")
            value = archive[key]
            figures.setdefault(int(index), {})[name] = str(value) if value.dtype.kind == "U" else value
    decoded = []
    for index in sorted(figures):
        arguments = figures[index]
        kind = arguments.pop("kind")
        path = Path(arguments.pop("path"))
        if kind not in KINDS:
            raise ValueError(f"unknown figure kind {kind!r}")
        decoded.append((kind, path, arguments))
    return decoded


def draw(figures: list[tuple[str, Path, dict]]) -> None:
    """Draw and write each figure (in whichever process calls this)."""
    from . import plots

    for kind, path, arguments in figures:
        figure = plots.fit_figure(**arguments) if kind == "fit" else plots.loss_figure(**arguments)
        plots.save_png(figure, path)


def warm_up(plots) -> None:
    """Draw one figure of each kind on made-up data: the first drawing of scatter points, a legend,
    log-scale tick labels (mathtext) and each font size costs far more than any later one."""
    epochs = np.arange(1, 101)
    loss = np.exp(-epochs / 20.0) + 1e-3
    grid = np.linspace(-3.0, 3.0, 50).reshape(-1, 1)
    plots.png_bytes(plots.loss_figure(epochs, loss, 2 * loss, title="warm-up"))
    plots.png_bytes(plots.fit_figure(grid, np.sin(grid), grid, np.cos(grid), grid, grid, title="warm-up"))


def draw_on_two_cores(figures: list[tuple[str, Path, dict]]) -> bool:
    """Draw the figures, every second one in a forked copy of this warmed-up process; True if all
    were written. Training is over by now, so both cores are free, and the run waits for the
    slower figure instead of the sum of both."""
    if len(figures) < 2 or not hasattr(os, "fork"):
        draw(figures)
        return True
    pid = os.fork()
    if pid == 0:  # the copy: draw its share and leave at once, whatever happens
        status = 1
        try:
            draw(figures[1::2])
            status = 0
        finally:
            os._exit(status)
    try:
        draw(figures[0::2])
    finally:
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from . import plots

    warm_up(plots)
    payload = sys.stdin.buffer.read()
    if not payload:  # the parent closed the pipe without work: training did not finish
        return 0
    try:
        with np.errstate(all="ignore"):
            return 0 if draw_on_two_cores(decode(payload)) else 1
    except Exception:  # the parent redraws in-process and reports any real error itself
        return 1


if __name__ == "__main__":
    # Every PNG is complete on disk (fsynced and renamed) before main returns, so the worker
    # skips the interpreter's finalization: tearing down matplotlib's modules costs about 0.1 s,
    # all of it on the critical path of `lddl train`, which waits for this process.
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

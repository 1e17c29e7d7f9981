"""Standard output that may be closed by its reader (``lddl train ... | head -3``) without
stopping the command: once a write finds the pipe closed, output is dropped from then on and the
command carries on (a training keeps training and writes its files), exiting as it would have."""

from __future__ import annotations

import os
from typing import TextIO


class ClosedStdoutTolerant:
    """Wraps a text stream; after the first BrokenPipeError every write and flush is a no-op.

    Everything else (``isatty``, ``fileno``, ``encoding``: what Rich asks) is the wrapped stream's.
    The file descriptor is pointed at /dev/null, so that the interpreter's last flush stays quiet.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self.reader_gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # not a real file (a test's buffer)
            pass

    def __getattr__(self, name: str):
        return getattr(self.stream, name)

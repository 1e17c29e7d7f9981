"""lddl's own errors. The CLI turns each into one stderr line per problem and an exit code.

``LddlError.lines()`` gives the lines to print; ``exit_code`` is 2 for bad input (config, data,
weights, command-line arguments) and 1 for a failure at run time (a diverged training).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as known.

    Rendered ``FILE:LINE:COL: key.path: message``; unknown parts (None or "") are left out.
    """

    file: str | None
    line: int | None
    col: int | None
    key: str
    message: str

    def __str__(self) -> str:
        location = ""
        if self.file:
            location = self.file
            if self.line is not None:
                location += f":{self.line}"
                if self.col is not None:
                    location += f":{self.col}"
        parts = [part for part in (location, self.key) if part]
        return printable(": ".join([*parts, self.message]))


def printable(text: str) -> str:
    """``text`` with control characters escaped, so one problem stays one harmless stderr line
    (a key read from YAML may hold a newline or a terminal escape sequence)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class LddlError(Exception):
    """Base of every error lddl reports to the user (never with a traceback)."""

    exit_code = 2

    def lines(self) -> list[str]:
        """One stderr line per problem (a message with several problems has one per line)."""
        return [printable(line) for line in str(self).splitlines()] or [type(self).__name__]


class ConfigError(LddlError):
    """A configuration that cannot be used. Holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class DataError(LddlError):
    """A data file that is missing, unreadable or does not fit the config; one message per problem."""

    def __init__(self, *messages: str) -> None:
        self.messages = [str(m) for m in messages] or ["bad data"]
        super().__init__("\n".join(self.messages))

    def lines(self) -> list[str]:
        return [printable(message) for message in self.messages]


class WeightsError(LddlError):
    """A weights or checkpoint file that is missing, corrupt or does not fit the model."""


class UsageError(LddlError):
    """Bad command-line arguments."""


class TrainingError(LddlError):
    """A training run that cannot continue (non-finite loss or gradient)."""

    exit_code = 1

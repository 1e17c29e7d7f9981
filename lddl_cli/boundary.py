"""The ``lddl`` command's exception boundary and Typer plumbing: usage errors as one stderr line,
lddl's errors as their lines and exit code, a closed stdout released quietly, help epilogs kept verbatim.

Every command goes through ``boundary``: an ``LddlError`` prints its ``lines()`` on stderr and exits
with its ``exit_code`` (2 bad input, 1 run-time failure); any other exception prints one
``internal error: ...`` line and exits 1 (the traceback only with ``LDDL_DEBUG=1``); Ctrl-C exits 130.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback

import typer


def examples(*commands: str) -> str:
    """An epilog listing example commands, kept verbatim by the help formatter (the \\b marker)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {command}" for command in commands)


class OneLineErrors(typer.core.TyperGroup):
    """Usage errors (unknown option, bad value, missing argument) as one stderr line and exit 2,
    like every other bad input, instead of click's usage block."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        from typer.exceptions import Abort, TyperException  # click's exceptions derive from it

        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except TyperException as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # bare `lddl`: the help text, as asked
                error.show()
            else:
                context = getattr(error, "ctx", None)
                where = context.command_path if context is not None else "lddl"
                message = " ".join(error.format_message().split()).rstrip(".")
                stderr_line(f"{where}: {message}; see '{where} --help'")
            sys.exit(error.exit_code)
        except Abort:
            stderr_line("interrupted")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


class PlainUsage(typer.core.TyperCommand):
    """Usage lines name a required argument as ``CONFIG`` (typer would print ``{CONFIG}``)."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, typer.core.TyperArgument) and param.required and param.nargs == 1:
                pieces.append(param.display_name_raw)
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def boundary(command):
    """Turn lddl's errors into stderr lines + exit codes; never show a traceback unless LDDL_DEBUG=1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from .errors import LddlError

        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except LddlError as error:
            for line in error.lines():
                stderr_line(line)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            stderr_line("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`lddl predict ... | head`): stop quietly, as Python's docs advise.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(1) from None
        except OSError as error:
            # A file that cannot be written or read at run time (permissions, a full disk): exit 1.
            where = f"{error.filename}: " if error.filename else ""
            stderr_line(f"{where}{error.strerror or error}")
            raise typer.Exit(1) from None
        except Exception as error:
            if os.environ.get("LDDL_DEBUG") == "1":
                traceback.print_exc(file=sys.stderr)
            message = " ".join(str(error).split()) or type(error).__name__
            stderr_line(f"internal error: {type(error).__name__}: {message}")
            raise typer.Exit(1) from None

    return wrapper


def release_closed_stdout() -> None:
    """If the reader of stdout went away (``lddl schema | head -1``), point stdout at /dev/null, so
    that the interpreter's last flush does not print a BrokenPipeError (Python's documented recipe)."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())

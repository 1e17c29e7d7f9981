"""``python -m benchmarks [--quick] [--only NAME ...] [--repeats N] [--format F] [--check]``.

Prints the machine header, a table of measurements and a table of the speed targets, each a
ratio measured in this run. Exits 0 whatever the numbers (it is a report) unless ``--check`` is
given, in which case any FAIL exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from .machine import header_lines
from .timing import CaseResult, Row, Settings

CASES = {
    "sine": "benchmarks.sine",
    "large": "benchmarks.large",
    "optim": "benchmarks.optimizers",
    "e2e": "benchmarks.end_to_end",
    "sweep": "benchmarks.sweep",
    "export": "benchmarks.export",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and shorter runs")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(CASES),
        metavar="NAME",
        help=f"run only these cases: {', '.join(CASES)}",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed repeats per variant (default 7, quick 3)"
    )
    parser.add_argument(
        "--format", choices=("rich", "plain", "markdown"), default=None, help="default: rich on a tty"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when any target FAILs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.make(args.quick, args.repeats)
    fmt = args.format or ("rich" if sys.stdout.isatty() else "plain")
    rows, targets, notes = [], [], []
    for name in args.only or list(CASES):
        try:
            result: CaseResult = importlib.import_module(CASES[name]).run(settings)
        except Exception as error:  # a broken case is reported, and the others still run
            detail = traceback.format_exception_only(error)[0].strip().splitlines()[0][:200]
            result = CaseResult(rows=[Row(name, "(case failed)", None, note=detail)])
        rows += result.rows
        targets += result.targets
        notes += result.notes
    header = header_lines() + [
        f"settings: {settings.repeats} repeats after {settings.warmup} warm-up, quick={settings.quick}"
    ]
    from .report import render

    render(header, rows, targets, notes, fmt)
    failed = [t for t in targets if t.status == "FAIL"]
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())

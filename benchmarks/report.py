"""Render the header and the two tables (measurements, targets) with Rich, plain text or Markdown."""

from __future__ import annotations

from .timing import Row, Target

ROW_COLUMNS = ("case", "variant", "µs/step", "steps/s", "GFLOP/s", "wall s", "peak RSS MiB", "note")
TARGET_COLUMNS = ("case", "ratio", "measured", "target", "status", "note")


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def row_cells(row: Row) -> list[str]:
    return [
        row.case,
        row.variant,
        _number(row.us_per_step),
        _number(row.steps_per_second),
        _number(row.gflops),
        _number(row.wall_seconds, 2),
        _number(row.peak_rss_mib),
        row.note,
    ]


def target_cells(target: Target) -> list[str]:
    if target.value is None:
        measured = "-"
    elif target.unit:
        measured = f"{target.value:.2f}{target.unit}"
    else:
        measured = f"{target.value:g}"
    return [target.case, target.name, measured, target.target_text, target.status, target.note]


def _plain_table(columns, rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(columns, *rows, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def _markdown_table(columns, rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render(header: list[str], rows: list[Row], targets: list[Target], notes: list[str], fmt: str) -> None:
    """Print everything to stdout in ``fmt``: "rich", "plain" or "markdown"."""
    row_table = [row_cells(r) for r in rows]
    target_table = [target_cells(t) for t in targets]
    if fmt == "rich":
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            fmt = "plain"
        else:
            console = Console()
            for line in header:
                console.print(line, highlight=False, markup=False)
            measured = Table(title="measurements (median of repeats)", title_justify="left")
            for column in ROW_COLUMNS:
                measured.add_column(
                    column, justify="left" if column in ("case", "variant", "note") else "right"
                )
            for cells in row_table:
                measured.add_row(*cells)
            console.print(measured)
            goals = Table(title="targets (each ratio measured in this run)", title_justify="left")
            for column in TARGET_COLUMNS:
                goals.add_column(column)
            styles = {"PASS": "green", "FAIL": "bold red"}
            for target, cells in zip(targets, target_table, strict=True):
                goals.add_row(*cells, style=styles.get(target.status))
            console.print(goals)
            for note in notes:
                console.print(f"note: {note}", highlight=False, markup=False)
            return
    if fmt == "markdown":
        print("\n".join(f"- {line}" for line in header))
        print()
        print(_markdown_table(ROW_COLUMNS, row_table))
        print()
        print(_markdown_table(TARGET_COLUMNS, target_table))
        if notes:
            print()
            print("\n".join(f"- {note}" for note in notes))
        return
    print("\n".join(header))
    print()
    print(_plain_table(ROW_COLUMNS, row_table))
    print()
    print(_plain_table(TARGET_COLUMNS, target_table))
    if notes:
        print()
        print("\n".join(f"note: {note}" for note in notes))

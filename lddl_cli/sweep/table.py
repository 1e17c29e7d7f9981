"""The trials as a table: a live Rich table on a terminal, one plain line per finished trial in
logs and pipes, and the whole table for ``lddl sweep --show``."""

from __future__ import annotations

from rich.table import Table

LIVE_ROWS = 20  # the live table shows the best trial and the latest ones


def _value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def best_number(rows: list[dict], goal: str) -> int | None:
    complete = [r for r in rows if r["state"] == "complete" and r["value"] is not None]
    if not complete:
        return None
    pick = min if goal == "minimize" else max
    return pick(complete, key=lambda r: r["value"])["number"]


def trials_table(rows: list[dict], parameters, metric: str, goal: str, title: str, limit: int | None = None):
    best = best_number(rows, goal)
    table = Table(title=title)
    for header in ("#", "state", *parameters, metric, "seconds"):
        table.add_column(header, justify="left" if header == "state" else "right")
    shown = (
        rows
        if limit is None
        else [r for r in rows if r["number"] == best] + [r for r in rows[-limit:] if r["number"] != best]
    )
    for row in sorted(shown, key=lambda r: r["number"]):
        mark = " *" if row["number"] == best else ""
        cells = [f"{row['number']}{mark}", row["state"], *(_value(row[key]) for key in parameters)]
        table.add_row(*cells, _value(row["value"]), _value(row["seconds"]))
    return table


def trial_line(row: dict, parameters, metric: str, best: dict | None) -> str:
    """``trial 3 complete  val_loss 0.00123  optimizer.lr=0.0012  1.41 s  best #1 0.0011``."""
    drawn = "  ".join(f"{key}={_value(row[key])}" for key in parameters)
    line = f"trial {row['number']} {row['state']}  {metric} {_value(row['value'])}  {drawn}"
    line += f"  {_value(row['seconds'])} s"
    if row.get("error"):
        line += f"  ({row['error']})"
    if best is not None:
        line += f"  best #{best['number']} {_value(best['value'])}"
    return line


class TrialDisplay:
    """``update(rows)`` after a trial or a poll: redraws the live table or prints the new lines."""

    def __init__(self, console, parameters, metric: str, goal: str, title: str) -> None:
        self.console = console
        self.parameters = list(parameters)
        self.metric = metric
        self.goal = goal
        self.title = title
        self.printed: set[int] = set()
        self.live = None
        if console.is_terminal:
            from rich.live import Live

            self.live = Live(console=console, auto_refresh=False)

    def __enter__(self):
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()

    def update(self, rows: list[dict]) -> None:
        if self.live is not None:
            table = trials_table(rows, self.parameters, self.metric, self.goal, self.title, LIVE_ROWS)
            self.live.update(table, refresh=True)
            return
        number = best_number(rows, self.goal)
        best = next((r for r in rows if r["number"] == number), None)
        for row in rows:
            if row["state"] in ("complete", "pruned", "fail") and row["number"] not in self.printed:
                self.printed.add(row["number"])
                self.console.print(trial_line(row, self.parameters, self.metric, best), soft_wrap=True)

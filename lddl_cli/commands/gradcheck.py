"""``lddl gradcheck``: every layer's backward and the loss's gradient of a configured network,
checked against central finite differences (``nn.gradcheck``) on a batch of its real data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..nn import Dropout, gradcheck
from ..nn.gradcheck import Comparison


@dataclass(frozen=True)
class Row:
    layer: str  # "0 Linear(1, 16)" or "loss MSELoss(mean)"
    check: Comparison


def _fixed_mask(layer):
    """A callback that resets a Dropout layer's generator, so every forward draws one mask."""
    if not isinstance(layer, Dropout):
        return None
    state = layer.rng.bit_generator.state
    return lambda: setattr(layer.rng.bit_generator, "state", state)


def check_network(path: Path, batch: int | None, seed: int) -> list[Row]:
    """Build CONFIG in float64 on its preprocessed training rows, then check each layer and the loss."""
    from ..config import build_loss, load_config
    from ..training.data import prepare
    from .summary import layer_label

    config = load_config(path, ["dtype=float64"])
    _, _, model, data = prepare(config)
    rows = min(batch or config.train.batch_size, len(data.x))
    x, target = np.array(data.x[:rows], dtype=np.float64), data.y[:rows]
    if np.issubdtype(np.asarray(target).dtype, np.floating):
        target = np.array(target, dtype=np.float64)
    model.train()  # BatchNorm on batch statistics, Dropout with its (fixed) mask
    rng = np.random.default_rng(seed)
    results = []
    for index, layer in enumerate(model):
        reset = _fixed_mask(layer)
        if reset is not None:
            reset()
        y = layer(x.copy())
        projection = rng.standard_normal(y.shape)
        name = f"{index} {layer_label(layer)}"
        for check in gradcheck.check_layer(layer, x, projection, reset):
            results.append(Row(name, check))
        if reset is not None:
            reset()
        x = layer(x.copy())
    loss = build_loss(data.config.loss)
    results.append(
        Row(f"loss {type(loss).__name__}({loss.reduction})", gradcheck.check_loss(loss, x, target))
    )
    return results


def first_failure(rows: list[Row]) -> Row | None:
    return next((row for row in rows if not row.check.passed), None)


HEADERS = ("layer", "tensor", "max abs err", "max rel err", "result")


def _cells(row: Row) -> tuple[str, ...]:
    check = row.check
    verdict = "pass" if check.passed else "FAIL"
    return (row.layer, check.tensor, f"{check.max_abs_error:.2e}", f"{check.max_rel_error:.2e}", verdict)


def plain_table(rows: list[Row]) -> str:
    """The rows as aligned plain text (for a log file or a pipe): no box characters, no markup."""
    table = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = []
    for line in table:
        pairs = enumerate(zip(line, widths, strict=True))
        cells = [cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in pairs]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def rich_table(rows: list[Row], title: str):
    from rich.table import Table

    table = Table(title=title)
    for index, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if index < 2 else "right", overflow="fold")
    for row in rows:
        cells = list(_cells(row))
        cells[-1] = "[green]pass[/]" if row.check.passed else "[bold red]FAIL[/]"
        table.add_row(*cells[:-1], cells[-1])
    return table


def print_report(rows: list[Row], console, title: str) -> None:
    """A Rich table on a terminal, aligned plain text otherwise; then the tolerances used."""
    if console.is_terminal and not console.is_dumb_terminal:
        console.print(rich_table(rows, title))
    else:
        console.print(title, markup=False, highlight=False)
        console.print(plain_table(rows), markup=False, highlight=False, soft_wrap=True)
    tolerances = (
        f"a: backward, n: central differences, eps {gradcheck.EPS:g}; "
        f"pass: |a-n| <= {gradcheck.ATOL:g} + {gradcheck.RTOL:g}|n|"
    )
    console.print(tolerances, markup=False, highlight=False, soft_wrap=True)


def gradcheck_command(config: Path, batch: int | None, seed: int, console) -> str | None:
    """Check CONFIG's network and print the report; the line naming the first failure, or None."""
    if batch is not None and batch < 1:
        from ..errors import UsageError

        raise UsageError(f"--batch: expected a positive number of rows, got {batch}")
    rows = check_network(config, batch, seed)
    print_report(rows, console, f"gradcheck {config}: float64, {len(rows)} gradients")
    failed = first_failure(rows)
    if failed is None:
        return None
    check = failed.check
    return (
        f"gradcheck failed at {failed.layer}: {check.tensor} differs from central differences "
        f"(max abs error {check.max_abs_error:.2e}, max rel error {check.max_rel_error:.2e})"
    )

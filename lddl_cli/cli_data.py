"""``lddl data``: the sub-command that writes the example data sets (the tutorial's sine)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .boundary import PlainUsage, boundary, examples

data_app = typer.Typer(
    help="Write example data sets.",
    epilog=examples("lddl data sin --out data", "lddl data sin --grid --n 500 --noise 0 --out data"),
    no_args_is_help=True,
    rich_markup_mode=None,
)


# --- data -------------------------------------------------------------------------------------
@data_app.command(
    "sin",
    cls=PlainUsage,
    epilog=examples(
        "lddl data sin --out data                           # x.npy, y.npy: 200 noisy points",
        "lddl data sin --grid --n 500 --noise 0 --out data  # val_x.npy, val_y.npy",
    ),
)
@boundary
def data_sin(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the .npy files into.")],
    n: Annotated[int, typer.Option("--n", help="Number of points.")] = 200,
    noise: Annotated[
        float, typer.Option("--noise", help="Uniform noise amplitude: U[-noise, noise).")
    ] = 0.05,
    grid: Annotated[
        bool, typer.Option("--grid", help="Write val_x.npy / val_y.npy (the validation grid).")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the noise.")] = 0,
) -> None:
    """y = 2 sin(x) + U[-noise, noise) on x evenly spaced over [-pi, pi], as (N, 1) arrays."""
    from .files.datasets import write_sine

    for path in write_sine(out, n, noise, grid=grid, seed=seed):
        typer.echo(f"wrote {path}")

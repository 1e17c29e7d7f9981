"""The ``lddl`` command: thin Typer commands around plain functions.

Every command goes through one exception boundary: an ``LddlError`` prints its ``lines()`` on
stderr and exits with its ``exit_code`` (2 bad input, 1 run-time failure); any other exception
prints one ``internal error: ...`` line and exits 1 (the traceback only with ``LDDL_DEBUG=1``);
Ctrl-C exits 130. Heavy modules (NumPy, matplotlib, pydantic, the config, the trainer) are
imported inside the commands, so ``lddl --help`` stays instant.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from . import __version__


def _examples(*commands: str) -> str:
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
                _stderr(f"{where}: {message}; see '{where} --help'")
            sys.exit(error.exit_code)
        except Abort:
            _stderr("interrupted")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="lddl",
    cls=OneLineErrors,
    help="Train small neural networks written from scratch in NumPy, from a YAML config.",
    epilog=_examples(
        "lddl data sin --out data",
        "lddl data sin --grid --n 500 --noise 0 --out data",
        "lddl train configs/sin.yaml",
        "lddl predict --weights runs/sin/model.npz --x 0.5 --x 1.0",
        "lddl COMMAND --help",
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="Write example data sets.",
    epilog=_examples("lddl data sin --out data", "lddl data sin --grid --n 500 --noise 0 --out data"),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(data_app, name="data")


def _stderr(line: str) -> None:
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
                _stderr(line)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            _stderr("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`lddl predict ... | head`): stop quietly, as Python's docs advise.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(1) from None
        except OSError as error:
            # A file that cannot be written or read at run time (permissions, a full disk): exit 1.
            where = f"{error.filename}: " if error.filename else ""
            _stderr(f"{where}{error.strerror or error}")
            raise typer.Exit(1) from None
        except Exception as error:
            if os.environ.get("LDDL_DEBUG") == "1":
                traceback.print_exc(file=sys.stderr)
            message = " ".join(str(error).split()) or type(error).__name__
            _stderr(f"internal error: {type(error).__name__}: {message}")
            raise typer.Exit(1) from None

    return wrapper


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lddl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Train small neural networks written from scratch in NumPy, from a YAML config."""


# --- train ------------------------------------------------------------------------------------
@app.command(
    epilog=_examples(
        "lddl train configs/sin.yaml",
        "lddl train configs/sin.yaml --out runs/try --set optimizer.lr=0.005 --set train.epochs=200",
        "lddl train configs/adam.yaml --quiet",
        "lddl train configs/sin.yaml --set train.epochs=2000 --resume runs/sin/checkpoint.npz",
    )
)
@boundary
def train(
    config: Annotated[Path, typer.Argument(help="The YAML config file.")],
    out: Annotated[Path | None, typer.Option("--out", help="Run directory (default: runs/<name>).")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Override a config key, e.g. --set optimizer.lr=0.001 (repeatable).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No table, no progress: only the summary.")
    ] = False,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="Continue from a checkpoint.npz of the same config (--set train.epochs may grow).",
        ),
    ] = None,
) -> None:
    """Validate CONFIG and its data, train, write the run directory and print a summary.

    Ctrl-C writes a resumable checkpoint of the last whole epoch and prints the command that resumes it.
    """
    from .commands.summary import summary_rows, summary_table
    from .commands.train_summary import interrupted_lines, run_summary
    from .config import load_config
    from .errors import UsageError
    from .training.progress import make_progress
    from .training.run import TrainingInterrupted, fit_and_write
    from .training.trainer import Trainer

    cfg = load_config(config, list(set_ or []))
    out_dir = out if out is not None else Path("runs") / cfg.name
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder; give another --out")
    console = _console()
    trainer = Trainer(cfg)
    if resume is not None:
        trainer.resume(resume)
    if not quiet:
        console.print(summary_table(summary_rows(trainer.model, trainer.layers), f"{cfg.name}: model"))
    progress = make_progress(console, quiet)
    if progress is not None:
        trainer.callbacks.append(progress)
    try:
        history = fit_and_write(trainer, out_dir)
    except TrainingInterrupted as interrupt:
        if hasattr(progress, "close"):
            progress.close()
        for line in interrupted_lines(config, list(set_ or []), out_dir, interrupt):
            _stderr(line)
        raise typer.Exit(130) from None
    finally:
        if hasattr(progress, "close"):
            progress.close()
    for line in run_summary(cfg.name, trainer.epoch, history):
        console.print(line, soft_wrap=True, markup=False)


# --- predict ----------------------------------------------------------------------------------
@app.command(
    epilog=_examples(
        "lddl predict --weights runs/sin/model.npz --x 0.5 --x 1.0",
        "lddl predict --weights runs/sin/model.npz --input data/val_x.npy --output pred.csv",
    )
)
@boundary
def predict(
    weights: Annotated[Path, typer.Option("--weights", "-w", help="A model.npz written by lddl train.")],
    x: Annotated[
        list[float] | None,
        typer.Option("--x", metavar="VALUE", help="An input value for a 1-input model (repeatable)."),
    ] = None,
    input_: Annotated[
        Path | None, typer.Option("--input", "-i", help="Inputs as .npy or .csv (N, in).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write predictions to .npy or .csv instead of printing."),
    ] = None,
) -> None:
    """Predict with a weights file alone (the model is rebuilt from its metadata)."""
    import numpy as np

    from .errors import UsageError
    from .files.predictions import read_input, write_output
    from .files.weights import load_model
    from .training.inference import predict as run_predict

    if bool(x) == (input_ is not None):
        raise UsageError("give either --x values or --input FILE (exactly one of them)")
    bad = [value for value in x or () if not math.isfinite(value)]
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise UsageError(f"--x: expected finite numbers; got {bad[0]}{more}")
    model, _ = load_model(weights)
    inputs = np.array(x, dtype=float).reshape(-1, 1) if x else read_input(input_)
    y = run_predict(model, inputs)
    if output is not None:
        write_output(output, y)
        typer.echo(f"wrote {len(y)} predictions to {output}")
        return
    rows = y.reshape(len(y), -1)
    for xi, yi in zip(inputs.reshape(len(inputs), -1), rows, strict=True):
        typer.echo(" ".join(f"{v:.6g}" for v in xi) + " -> " + " ".join(f"{v:.6g}" for v in yi))


# --- plot -------------------------------------------------------------------------------------
@app.command(
    epilog=_examples(
        "lddl plot runs/sin",
        "lddl plot --weights runs/sin/model.npz --x data/x.npy --y data/y.npy --out fit.png",
    )
)
@boundary
def plot(
    run_dir: Annotated[Path | None, typer.Argument(help="A run directory written by lddl train.")] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", "-w", help="A model.npz instead of a run.")
    ] = None,
    x: Annotated[
        Path | None, typer.Option("--x", help="Data inputs (.npy/.csv) to draw with --weights.")
    ] = None,
    y: Annotated[
        Path | None, typer.Option("--y", help="Data targets (.npy/.csv) to draw with --weights.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="The fit PNG to write.")] = None,
) -> None:
    """Redraw fit.png and loss.png of RUN_DIR, or the fit of a weights file."""
    from .commands.plot import plot_run, plot_weights
    from .errors import UsageError

    if (run_dir is None) == (weights is None):
        raise UsageError("give either RUN_DIR or --weights FILE (exactly one of them)")
    if out is not None and not out.parent.is_dir():
        raise UsageError(f"--out: folder {str(out.parent)!r} does not exist")
    if run_dir is not None:
        if x is not None or y is not None:
            raise UsageError("--x/--y go with --weights; a run directory plots its own data")
        paths = plot_run(run_dir, out)
    else:
        paths = plot_weights(weights, x, y, out)
    for path in paths:
        typer.echo(f"wrote {path}")


# --- check ------------------------------------------------------------------------------------
@app.command(
    epilog=_examples(
        "lddl check configs/sin.yaml",
        "lddl check configs/sin.yaml --set train.batch_size=8",
    )
)
@boundary
def check(
    config: Annotated[Path, typer.Argument(help="The YAML config file.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a config key (repeatable)."),
    ] = None,
) -> None:
    """Validate CONFIG and its data without training; report every problem at once (exit 0 or 2)."""
    import numpy as np

    from .config import build_model, load_config, resolve_layers
    from .files.datafiles import load_dataset

    cfg = load_config(config, list(set_ or []))
    build_model(resolve_layers(cfg), cfg.dtype, np.random.default_rng(cfg.seed))
    dataset = load_dataset(cfg)
    val = "" if dataset.val_x is None else f", validation {dataset.val_x.shape[0]} rows"
    typer.echo(f"{config}: ok (x {tuple(dataset.x.shape)}, y {tuple(dataset.y.shape)}{val})")


# --- summary ----------------------------------------------------------------------------------
@app.command(
    epilog=_examples(
        "lddl summary configs/sin.yaml",
        "lddl summary runs/sin/model.npz",
    )
)
@boundary
def summary(
    target: Annotated[Path, typer.Argument(help="A YAML config or a model.npz weights file.")],
) -> None:
    """Table of the layers: output shape, parameter count, initializers."""
    from .commands.summary import summary_rows, summary_table
    from .errors import UsageError

    if target.suffix.lower() in (".npy", ".csv", ".txt"):
        raise UsageError(f"{target}: a data file; summary takes a YAML config or a model.npz weights file")
    if target.suffix.lower() == ".npz":
        from .files.weights import load_model

        model, metadata = load_model(target)
        layers = metadata["model"]["layers"]
        title = f"{target}: {metadata.get('config', {}).get('name', 'model')}"
    else:
        import numpy as np

        from .config import build_model, load_config, resolve_layers

        cfg = load_config(target)
        layers = resolve_layers(cfg)
        model = build_model(layers, cfg.dtype, np.random.default_rng(cfg.seed))
        title = f"{cfg.name}: model"
    _console().print(summary_table(summary_rows(model, layers), title))


# --- data -------------------------------------------------------------------------------------
@data_app.command(
    "sin",
    epilog=_examples(
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


# --- sweep ------------------------------------------------------------------------------------
@app.command(
    epilog=_examples(
        "lddl sweep configs/sweep.yaml",
        "lddl sweep configs/sweep.yaml --trials 40 --workers 2",
        "lddl sweep configs/sweep.yaml --storage postgresql://lddl@db:5432/lddl --study sine",
        "lddl sweep configs/sweep.yaml --show",
    )
)
@boundary
def sweep(
    config: Annotated[Path, typer.Argument(help="A YAML config with a sweep: section.")],
    trials: Annotated[
        int | None, typer.Option("--trials", help="Done trials to reach (default: sweep.trials).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Local worker processes on the study.")] = 1,
    storage: Annotated[
        str | None, typer.Option("--storage", help="Study storage URL (default: OUT/study.db, SQLite).")
    ] = None,
    study: Annotated[
        str | None, typer.Option("--study", help="Study name (default: the config's name).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: runs/<name>-sweep).")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the study's trials from its storage and exit.")
    ] = False,
) -> None:
    """Search the config's sweep: parameters with Optuna; write trials.csv, best.yaml, best/ and plots.

    Ctrl-C keeps the study: the same command continues it. Run it on many machines with one
    --storage and --study to share one search.
    """
    from .sweep import search

    console = _console()
    if show:
        search.show(config, console, storage=storage, study=study, out=out)
        return
    try:
        paths = search.run_sweep(
            config, console, trials=trials, workers=workers, storage=storage, study=study, out=out
        )
    except search.SweepInterrupted:
        _stderr("interrupted; the study is kept: run the same command again to continue it")
        raise typer.Exit(130) from None
    for path in paths.values():
        console.print(f"wrote {path}", soft_wrap=True, markup=False, highlight=False)


# --- schema -----------------------------------------------------------------------------------
@app.command(
    epilog=_examples(
        "lddl schema > lddl.schema.json",
    )
)
@boundary
def schema() -> None:
    """Print the config's JSON Schema (for editor autocompletion and validation)."""
    import json

    from .config import schema_json

    typer.echo(json.dumps(schema_json(), indent=2))


def main() -> None:
    """Run the app on ``sys.argv`` (raises SystemExit with the exit code); the ``lddl`` console script."""
    try:
        app()
    finally:
        _release_closed_stdout()


def _release_closed_stdout() -> None:
    """If the reader of stdout went away (``lddl schema | head -1``), point stdout at /dev/null, so
    that the interpreter's last flush does not print a BrokenPipeError (Python's documented recipe)."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())

"""The ``lddl`` command: thin Typer commands around plain functions.

Every command goes through one exception boundary (``boundary.py``): lddl's errors become their
stderr lines and exit code, anything else one ``internal error`` line. Heavy modules (NumPy,
matplotlib, pydantic, the config, the trainer) are imported inside the commands, so ``lddl --help``
stays instant.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .boundary import OneLineErrors, PlainUsage, boundary, examples, release_closed_stdout, stderr_line
from .cli_data import data_app

app = typer.Typer(
    name="lddl",
    cls=OneLineErrors,
    help="Train small neural networks written from scratch in NumPy, from a YAML config.",
    epilog=examples(
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
app.add_typer(data_app, name="data")


def _refuse_lddl_file(path: Path) -> None:
    """A config argument that is a weights file or a checkpoint: say so, and which command reads it."""
    from .errors import UsageError
    from .files.kind import wrong_kind_line

    line = wrong_kind_line(path, "config")
    if line is not None:
        raise UsageError(line)


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
    cls=PlainUsage,
    epilog=examples(
        "lddl train configs/sin.yaml",
        "lddl train configs/sin.yaml --out runs/try --set optimizer.lr=0.005 --set train.epochs=200",
        "lddl train configs/adam.yaml --quiet",
        "lddl train configs/sin.yaml --set train.epochs=2000 --resume runs/sin/checkpoint.npz",
    ),
)
@boundary
def train(
    config: Annotated[Path, typer.Argument(metavar="CONFIG", help="The YAML config file.")],
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
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the run already in --out (kept otherwise).")
    ] = False,
) -> None:
    """Validate CONFIG and its data, train, write the run directory and print a summary.

    The run goes to runs/<name>/, or runs/<name>-2/ (-3, ...) when that already holds a run; an
    existing --out folder is replaced only with --overwrite (or when resuming a checkpoint in it).
    Ctrl-C writes the run of the last whole epoch (model, metrics, plots, checkpoint) and prints
    the command that resumes it.
    """
    from .commands.train import train_command

    _refuse_lddl_file(config)
    code = train_command(config, out, list(set_ or []), quiet=quiet, resume=resume, overwrite=overwrite)
    if code:
        raise typer.Exit(code)


# --- predict ----------------------------------------------------------------------------------
@app.command(
    cls=PlainUsage,
    epilog=examples(
        "lddl predict --weights runs/sin/model.npz --x 0.5 --x 1.0",
        "lddl predict --weights runs/sin/model.npz --input data/val_x.npy --output pred.csv",
    ),
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
    proba: Annotated[
        bool, typer.Option("--proba", help="A table classifier: add one probability column per class.")
    ] = False,
) -> None:
    """Predict with a weights file alone (the model is rebuilt from its metadata).

    A model trained on a table reads a table: columns by name, rows scaled as in training, outputs
    in the target's units or class labels, written as the input's columns plus the target's."""
    import numpy as np

    from .commands import table_io
    from .commands.predict import predict_arrays, prediction_lines
    from .errors import UsageError
    from .files.predictions import read_input, write_output
    from .files.weights import load_model

    if bool(x) == (input_ is not None):
        raise UsageError("give either --x values or --input FILE (exactly one of them)")
    bad = [value for value in x or () if not math.isfinite(value)]
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise UsageError(f"--x: expected finite numbers; got {bad[0]}{more}")
    model, metadata = load_model(weights)
    if input_ is not None and table_io.is_table_model(metadata):
        text = table_io.predict_table(model, metadata, input_, proba)
        if output is None:
            typer.echo(text, nl=False)
            return
        table_io.write_table(output, text)
        typer.echo(f"wrote {len(text.splitlines()) - 1} predictions to {output}")
        return
    if proba:
        raise UsageError("--proba goes with --input TABLE and a model trained on a table")
    inputs = np.array(x, dtype=float).reshape(-1, 1) if x else read_input(input_)
    y = predict_arrays(model, metadata, inputs, str(weights))
    if output is not None:
        write_output(output, y)
        typer.echo(f"wrote {len(y)} predictions to {output}")
        return
    for line in prediction_lines(inputs, y):
        typer.echo(line)


# --- evaluate ---------------------------------------------------------------------------------
@app.command(
    epilog=examples(
        "lddl evaluate --weights runs/iris/model.npz --data data/iris.csv",
        "lddl evaluate --weights runs/sin/model.npz --x data/val_x.npy --y data/val_y.npy --json",
    )
)
@boundary
def evaluate(
    weights: Annotated[Path, typer.Option("--weights", "-w", help="A model.npz written by lddl train.")],
    data: Annotated[Path | None, typer.Option("--data", help="A table with the model's columns.")] = None,
    x: Annotated[Path | None, typer.Option("--x", help="Inputs (.npy/.csv) instead of --data.")] = None,
    y: Annotated[Path | None, typer.Option("--y", help="Targets or class labels for --x.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write a confusion matrix (classifier) or predicted-vs-true PNG."),
    ] = None,
) -> None:
    """The model's metrics on labelled data (the weights file alone, rows scaled as in training)."""
    from .commands import table_io
    from .files.weights import load_model

    model, metadata = load_model(weights)
    inputs, targets = table_io.evaluation_data(metadata, data, x, y)
    scores, values = table_io.evaluate(model, metadata, inputs, targets)
    typer.echo(table_io.scores_text(scores, as_json))
    if plot is not None:
        from .commands.evaluation_plot import write_evaluation_plot

        typer.echo(f"wrote {write_evaluation_plot(plot, metadata, values, targets)}")


# --- plot -------------------------------------------------------------------------------------
@app.command(
    cls=PlainUsage,
    epilog=examples(
        "lddl plot runs/sin",
        "lddl plot --weights runs/sin/model.npz --x data/x.npy --y data/y.npy --out fit.png",
    ),
)
@boundary
def plot(
    run_dir: Annotated[
        Path | None, typer.Argument(metavar="RUN_DIR", help="A run directory written by lddl train.")
    ] = None,
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
    cls=PlainUsage,
    epilog=examples(
        "lddl check configs/sin.yaml",
        "lddl check configs/sin.yaml --set train.batch_size=8",
    ),
)
@boundary
def check(
    config: Annotated[Path, typer.Argument(metavar="CONFIG", help="The YAML config file.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a config key (repeatable)."),
    ] = None,
) -> None:
    """Validate CONFIG and its data without training; report every problem at once (exit 0 or 2)."""
    import numpy as np

    from .config import build_model, load_config, resolve_layers
    from .files.datafiles import load_dataset

    _refuse_lddl_file(config)
    cfg = load_config(config, list(set_ or []))
    if cfg.data.path is not None:
        from .commands.table_check import table_report

        lines = table_report(cfg)
        typer.echo(f"{config}: ok")
        for line in lines:
            typer.echo(f"  {line}")
        return
    build_model(resolve_layers(cfg), cfg.dtype, np.random.default_rng(cfg.seed))
    dataset = load_dataset(cfg)
    val = "" if dataset.val_x is None else f", validation {dataset.val_x.shape[0]} rows"
    typer.echo(f"{config}: ok (x {tuple(dataset.x.shape)}, y {tuple(dataset.y.shape)}{val})")


# --- summary ----------------------------------------------------------------------------------
@app.command(
    cls=PlainUsage,
    epilog=examples(
        "lddl summary configs/sin.yaml",
        "lddl summary runs/sin/model.npz",
    ),
)
@boundary
def summary(
    target: Annotated[
        Path, typer.Argument(metavar="CONFIG|WEIGHTS", help="A YAML config or a model.npz weights file.")
    ],
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
        from .training.data import load_data

        _refuse_lddl_file(target)
        cfg, _ = load_data(load_config(target))  # a table's auto widths come from the table
        layers = resolve_layers(cfg)
        model = build_model(layers, cfg.dtype, np.random.default_rng(cfg.seed))
        title = f"{cfg.name}: model"
    _console().print(summary_table(summary_rows(model, layers), title))


# --- export -----------------------------------------------------------------------------------
@app.command(
    cls=PlainUsage,
    epilog=examples(
        "lddl export --weights runs/sin/model.npz --format onnx",
        "lddl export --weights runs/sin/model.npz --format safetensors --out sin.safetensors",
    ),
)
@boundary
def export(
    weights: Annotated[Path, typer.Option("--weights", "-w", help="A model.npz written by lddl train.")],
    format_: Annotated[str, typer.Option("--format", help="onnx or safetensors.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Default: the weights' name, .onnx/.safetensors.")
    ] = None,
    opset: Annotated[int | None, typer.Option("--opset", help="ONNX opset, 13 to 26 (default 26).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out.")] = False,
) -> None:
    """Write the model as ONNX (scaler, layers and outputs; raw rows in) or as safetensors."""
    from .commands.export import export_command

    typer.echo(f"wrote {export_command(weights, format_, out, opset=opset, overwrite=overwrite)}")


# --- gradcheck --------------------------------------------------------------------------------
@app.command(
    cls=PlainUsage,
    epilog=examples("lddl gradcheck configs/sin.yaml", "lddl gradcheck configs/iris.yaml --batch 8 --seed 1"),
)
@boundary
def gradcheck(
    config: Annotated[Path, typer.Argument(metavar="CONFIG", help="The YAML config file.")],
    batch: Annotated[int | None, typer.Option("--batch", help="Rows (default: train.batch_size).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random projections.")] = 0,
) -> None:
    """Check every layer's backward and the loss's gradient against central differences (float64).

    Tolerances as torch.autograd.gradcheck: eps 1e-6, pass when |a - n| <= 1e-5 + 1e-3 |n|.
    Exit 0 when all pass, 1 naming the first failing layer.
    """
    from .commands.gradcheck import gradcheck_command

    _refuse_lddl_file(config)
    failure = gradcheck_command(config, batch, seed, _console())
    if failure is not None:
        stderr_line(failure)
        raise typer.Exit(1)


# --- sweep ------------------------------------------------------------------------------------
@app.command(
    epilog=examples(
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
        stderr_line("interrupted; the study is kept: run the same command again to continue it")
        raise typer.Exit(130) from None
    for path in paths.values():
        console.print(f"wrote {path}", soft_wrap=True, markup=False, highlight=False)


# --- explain ----------------------------------------------------------------------------------
@app.command(
    cls=PlainUsage, epilog=examples("lddl explain configs/sin.yaml", "lddl explain configs/iris.yaml")
)
@boundary
def explain(
    config: Annotated[Path, typer.Argument(metavar="CONFIG", help="The YAML config file.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="KEY=VALUE", help="Override a config key.")
    ] = None,
) -> None:
    """Print the formulas CONFIG will run: each layer's forward and backward with this config's
    shapes, the loss and its gradient, the optimizer's update rule with its values filled in, the
    schedule and the gradient clip (the text is the library's own docstrings)."""
    from .commands.explain import explain_lines

    _refuse_lddl_file(config)
    typer.echo("\n".join(explain_lines(config, list(set_ or []))))


# --- schema -----------------------------------------------------------------------------------
@app.command(
    cls=PlainUsage,
    epilog=examples(
        "lddl schema > lddl.schema.json",
    ),
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
        release_closed_stdout()

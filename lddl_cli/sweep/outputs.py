"""What a sweep writes, from the study as stored: ``trials.csv``, ``best.yaml`` (the best trial's
resolved config, which ``lddl train`` takes as it is), ``best/`` (its run directory, trained
again: a run is a pure function of its config) and the two figures."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import yaml

from ..files.atomic import write_text
from ..training.run import fit_and_write
from ..training.trainer import Trainer
from . import space


def trial_rows(study, parameters: dict) -> list[dict]:
    """One row per trial: number, state, each parameter (as in the config), value, seconds."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        values = space.drawn_values(parameters, trial.params)
        seconds = None
        if trial.datetime_start is not None and trial.datetime_complete is not None:
            seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
        rows.append(
            {
                "number": trial.number,
                "state": trial.state.name.lower(),
                **{key: values.get(key) for key in parameters},
                "value": trial.value,
                "seconds": seconds,
                "error": trial.user_attrs.get("error"),
            }
        )
    return rows


def trials_csv(rows: list[dict], parameters: dict, metric: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["number", "state", *parameters, metric, "seconds"])
    for row in rows:
        cells = [row["number"], row["state"], *(_cell(row[key]) for key in parameters)]
        writer.writerow([*cells, _cell(row["value"]), _cell(row["seconds"])])
    return buffer.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return yaml.safe_dump(value, default_flow_style=True).strip()
    return str(value)


def best_trial(optuna, study):
    """The best complete trial, or None before the first one."""
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return study.best_trial if complete else None


def write_outputs(optuna, study, source, out_dir: Path, *, train_best: bool = True) -> dict[str, Path]:
    """trials.csv, and once a trial is complete best.yaml, best/, history.png and parameters.png."""
    from ..plotting import save_png
    from ..plotting.sweep import history_figure, parameters_figure

    sweep = source.sweep
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = trial_rows(study, sweep.parameters)
    paths = {"trials": out_dir / "trials.csv"}
    write_text(paths["trials"], trials_csv(rows, sweep.parameters, sweep.metric))
    best = best_trial(optuna, study)
    if best is None:
        return paths
    config = source.trial_config(space.drawn_values(sweep.parameters, best.params))
    text = yaml.safe_dump(config.resolved(), sort_keys=False)
    paths["best_config"] = out_dir / "best.yaml"
    write_text(paths["best_config"], text)
    if train_best:
        best_dir = out_dir / "best"
        written = best_dir / "config.yaml"
        if not (written.exists() and written.read_text(encoding="utf-8") == text):
            fit_and_write(Trainer(config), best_dir)
        paths["best_run"] = best_dir
    complete = [
        r for r in rows if r["state"] == "complete" and r["value"] is not None and math.isfinite(r["value"])
    ]
    numbers = [r["number"] for r in complete]
    values = [r["value"] for r in complete]
    title = f"{config.name}: {sweep.metric} per trial"
    paths["history"] = save_png(
        history_figure(numbers, values, sweep.goal, sweep.metric, title), out_dir / "history.png"
    )
    columns = {key: [r[key] for r in complete] for key in sweep.parameters}
    logs = [p.space == "loguniform" for p in sweep.parameters.values()]
    paths["parameters"] = save_png(
        parameters_figure(columns, values, logs, sweep.metric, f"{config.name}: parameters"),
        out_dir / "parameters.png",
    )
    return paths

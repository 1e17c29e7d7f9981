"""Case 5: ``lddl sweep`` against Optuna driving scikit-learn's ``MLPRegressor``, same search.

Both searches run the same Optuna study setup (RandomSampler with one seed, so both draw the same
learning rates, weight decays and batch sizes, in the same order; an SQLite study file each) over
the sine data of configs/sin.yaml: its 1-16-64-16-1 ReLU network, SGD with momentum 0.9, the same
epochs and the same training rows, scored on the same validation grid. Rounds alternate the two.

- trials per minute, lddl / scikit-learn: target >= 2x (paired: the median of each round's ratio).
- per-trial overhead: (trial wall - its training loop) / trial wall, lddl: target <= 5%.
- two local worker processes vs one, trials per minute (each timed from their start, so both pay
  a worker's start-up): target >= 1.7x on the two cores.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import yaml

from .timing import CaseResult, Row, Settings, Target, paired_ratio

NAME = "sweep"
ROOT = Path(__file__).resolve().parents[1]
SPACE = {
    "optimizer.lr": {"space": "loguniform", "lower": 1.0e-3, "upper": 3.0e-2},
    "optimizer.weight_decay": {"space": "uniform", "lower": 0.0, "upper": 1.0e-3},
    "train.batch_size": {"space": "choice", "categories": [4, 8, 16]},
}


def write_config(folder: Path, trials: int, epochs: int) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "sin.yaml").read_text())
    for key in ("x", "y", "val_x", "val_y"):
        config["data"][key] = str(ROOT / config["data"][key])
    config["train"]["epochs"] = epochs
    sweep = {"trials": trials, "sampler": "random", "pruner": "none", "seed": 0, "parameters": SPACE}
    config["sweep"] = sweep
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def lddl_round(config: Path, folder: Path, trials: int) -> tuple[float, list[float]]:
    """(seconds, per-trial overhead fractions) of ``trials`` lddl trials in this process."""
    from lddl_cli.sweep.objective import Objective
    from lddl_cli.sweep.worker import Plan, join, work

    storage = f"sqlite:///{folder / f'lddl-{time.perf_counter_ns()}.db'}"
    optuna, source, study = join(Plan(str(config), storage, "bench", trials))
    objective = Objective(optuna, source, "bench")
    overheads: list[float] = []

    def on_trial(study, objective):
        last = study.trials[-1]
        wall = (last.datetime_complete - last.datetime_start).total_seconds()
        overheads.append((wall - objective.train_seconds) / wall)

    start = time.perf_counter()
    work(optuna, study, objective, trials, on_trial)
    return time.perf_counter() - start, overheads


def sklearn_round(folder: Path, trials: int, epochs: int, train_size: int, seed: int) -> float:
    """Seconds of ``trials`` MLPRegressor trials driven by Optuna over the same space."""
    import optuna
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    data = ROOT / "data"
    x, y = np.load(data / "x.npy"), np.load(data / "y.npy").ravel()
    rows = np.random.default_rng(seed).choice(len(x), train_size, replace=False)
    x, y = x[rows], y[rows]
    val_x, val_y = np.load(data / "val_x.npy"), np.load(data / "val_y.npy").ravel()

    def objective(trial):
        lr = trial.suggest_float("optimizer.lr", 1.0e-3, 3.0e-2, log=True)
        decay = trial.suggest_float("optimizer.weight_decay", 0.0, 1.0e-3)
        batch = trial.suggest_categorical("train.batch_size", [4, 8, 16])
        model = MLPRegressor(
            hidden_layer_sizes=(16, 64, 16), activation="relu", solver="sgd", learning_rate_init=lr,
            momentum=0.9, nesterovs_momentum=False, alpha=decay, batch_size=batch, max_iter=epochs,
            n_iter_no_change=epochs, tol=0.0, random_state=seed,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y)
        return float(np.mean((model.predict(val_x) - val_y) ** 2))

    storage = f"sqlite:///{folder / f'sklearn-{time.perf_counter_ns()}.db'}"
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start


def workers_round(config: Path, folder: Path, trials: int, workers: int) -> float:
    """Seconds for ``workers`` local worker processes to finish ``trials`` trials of one study."""
    from lddl_cli.sweep.extra import require_optuna
    from lddl_cli.sweep.worker import Plan, join
    from lddl_cli.sweep.workers import start_workers, watch

    storage = str(folder / f"workers-{workers}-{time.perf_counter_ns()}.journal")
    plan = Plan(str(config), storage, "bench", trials)
    optuna, _, study = join(plan)
    start = time.perf_counter()
    codes = watch(require_optuna(), study, start_workers(plan, workers), lambda study: None)
    if any(codes):
        raise RuntimeError(f"a worker failed: {codes}")
    return time.perf_counter() - start


def run(settings: Settings) -> CaseResult:
    # Trials of the length a user runs (configs/sin.yaml trains 1000 epochs): a trial's bookkeeping
    # (about 15 ms on an SQLite file) is then a small part of it, as in a real sweep.
    trials, epochs = (4, 200) if settings.quick else (12, 500)
    rounds = 1 if settings.quick else min(settings.repeats, 3)
    per_minute: dict[str, list[float]] = {"lddl": [], "sklearn": [], "one": [], "two": []}
    overheads: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        config = write_config(folder, trials, epochs)
        source = yaml.safe_load(config.read_text())
        for _ in range(rounds):
            seconds, fractions = lddl_round(config, folder, trials)
            per_minute["lddl"].append(60 * trials / seconds)
            overheads += fractions
            seconds = sklearn_round(folder, trials, epochs, source["data"]["train_size"], source["seed"])
            per_minute["sklearn"].append(60 * trials / seconds)
            per_minute["one"].append(60 * trials / workers_round(config, folder, trials, 1))
            per_minute["two"].append(60 * trials / workers_round(config, folder, trials, 2))
    rows = [
        Row(NAME, label, None, note=f"{statistics.median(per_minute[key]):.1f} trials/min")
        for key, label in (
            ("lddl", "lddl sweep, in-process worker"),
            ("sklearn", "Optuna + scikit-learn MLPRegressor"),
            ("one", "lddl sweep, 1 worker process"),
            ("two", "lddl sweep, 2 worker processes"),
        )
    ]
    note = f"{trials} trials of {epochs} epochs, {rounds} paired rounds"
    targets = [
        Target(
            NAME,
            "lddl / scikit-learn trials per minute",
            paired_ratio(per_minute, "lddl", "sklearn"),
            2.0,
            higher_is_better=True,
            note=note,
        ),  # fmt: skip
        Target(
            NAME,
            "per-trial overhead (trial wall - training loop) / trial wall",
            statistics.median(overheads),
            0.05,
            unit="",
            note="median over trials",
        ),  # fmt: skip
        Target(
            NAME,
            "2 workers / 1 worker trials per minute",
            paired_ratio(per_minute, "two", "one"),
            1.7,
            higher_is_better=True,
            note="each timed from the workers' start",
        ),  # fmt: skip
    ]
    return CaseResult(rows=rows, targets=targets)

"""The shipped tables: lddl's test score next to scikit-learn's MLP in a StandardScaler pipeline with
the same architecture, epochs, batch size, optimizer (adam) and learning rate, on the same test split
(lddl's, read back from its run). Run: ``.venv/bin/python -m benchmarks.tables_vs_sklearn``."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from lddl_cli.config import load_config
from lddl_cli.training.data import prepare

ROOT = Path(__file__).resolve().parent.parent


def compare(config_path: str) -> tuple[str, float, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    config = load_config(ROOT / config_path)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "lddl_cli", "train", config_path, "--quiet", "--out", out],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        import json

        meta = json.loads(str(np.load(Path(out) / "model.npz")["__lddl__"]))["metrics"]
    _, _, _, data = prepare(config)
    x, test_x = data.x_scaler.invert(data.x), data.x_scaler.invert(data.test_x)
    hidden = tuple(data.config.model.widths[1:-1])
    options = dict(
        hidden_layer_sizes=hidden,
        solver="adam",
        learning_rate_init=config.optimizer.lr,
        batch_size=config.train.batch_size,
        max_iter=config.train.epochs,
        alpha=0.0,
        random_state=config.seed,
        early_stopping=False,
        n_iter_no_change=10**9,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if config.task == "classification":
            model = make_pipeline(StandardScaler(), MLPClassifier(**options)).fit(x, data.y)
            return "accuracy", meta["test_accuracy"], accuracy_score(data.test_y, model.predict(test_x))
        y, test_y = data.y_scaler.invert(data.y), data.y_scaler.invert(data.test_y)
        model = make_pipeline(StandardScaler(), MLPRegressor(**options)).fit(x, y.ravel())
        return "r2", meta["test_r2"], r2_score(test_y.ravel(), model.predict(test_x))


def main() -> None:
    print("| table | test metric | lddl | scikit-learn MLP |")
    print("| --- | --- | --- | --- |")
    for path in ("configs/iris.yaml", "configs/diabetes.yaml"):
        name, ours, theirs = compare(path)
        print(f"| {path} | {name} | {ours:.3f} | {theirs:.3f} |")


if __name__ == "__main__":
    main()

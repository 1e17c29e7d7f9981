"""Case ``export``: onnxruntime on the exported sine model against ``lddl predict`` in-process
(``predict_arrays`` on the loaded weights), rows per second at batch 1 and 10,000. Information
only: the ratio (onnxruntime rows/s over lddl's) has no target."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from .timing import CaseResult, Row, Target, interleaved_samples, medians, paired_ratio

NAME = "export"
ROOT = Path(__file__).resolve().parent.parent


def _sine_model(folder: Path, epochs: int) -> Path:
    from typer.testing import CliRunner

    from lddl_cli.cli import app

    out = folder / "run"
    config = str(ROOT / "configs" / "sin.yaml")
    sets = ["--set", f"train.epochs={epochs}"]
    for key in ("x", "y", "val_x", "val_y"):
        sets += ["--set", f"data.{key}={ROOT / 'data' / (key + '.npy')}"]
    result = CliRunner().invoke(app, ["train", config, "--quiet", "--out", str(out), *sets])
    if result.exit_code != 0:
        raise RuntimeError(result.output.strip()[-200:])
    result = CliRunner().invoke(app, ["export", "-w", str(out / "model.npz"), "--format", "onnx"])
    if result.exit_code != 0:
        raise RuntimeError(result.output.strip()[-200:])
    return out


def run(settings) -> CaseResult:
    import onnxruntime

    from lddl_cli.commands.predict import predict_arrays
    from lddl_cli.files.weights import load_model

    rows, targets = [], []
    with tempfile.TemporaryDirectory() as folder:
        out = _sine_model(Path(folder), 20 if settings.quick else 100)
        model, metadata = load_model(out / "model.npz")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one thread, as NumPy's small matrices
        session = onnxruntime.InferenceSession(str(out / "model.onnx"), options)
        for batch, calls in ((1, 300 if settings.quick else 1000), (10_000, 5 if settings.quick else 20)):
            x = np.linspace(-np.pi, np.pi, batch, dtype=np.float32).reshape(-1, 1)

            def lddl(x=x, calls=calls):
                for _ in range(calls):
                    predict_arrays(model, metadata, x, "model.npz")

            def ort(x=x, calls=calls):
                for _ in range(calls):
                    session.run(["output"], {"input": x})

            units = {"lddl": calls * batch, "onnxruntime": calls * batch}
            samples = interleaved_samples({"lddl": lddl, "onnxruntime": ort}, units, settings)
            seconds = medians(samples)
            for name in ("lddl", "onnxruntime"):
                rate = 1 / seconds[name]
                rows.append(Row(NAME, f"{name} batch {batch}", seconds[name], note=f"{rate:,.0f} rows/s"))
            ratio = paired_ratio(samples, "lddl", "onnxruntime")
            targets.append(Target(NAME, f"onnxruntime / lddl rows/s, batch {batch}", ratio, None))
    return CaseResult(rows=rows, targets=targets)

"""``lddl train`` and ``lddl predict`` as a user runs them (the installed command, in a subprocess):
a closed stdout does not stop a training, an existing run is never replaced silently, a run
directory never keeps files of an earlier run, the summary names the epoch whose weights were
written, and a prediction that overflows is a clear error without NumPy's warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "robustness"))
from training_helpers import LDDL, lddl, make_project, metadata  # noqa: E402

from lddl_cli.files.metrics import read_metrics_csv  # noqa: E402
from lddl_cli.nn.state import save_state  # noqa: E402

RUN_FILES = {"model.npz", "config.yaml", "metrics.csv", "loss.png", "fit.png", "checkpoint.npz"}


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(("quiet", "lines"), [([], 3), (["--quiet"], 1)])
def test_a_closed_stdout_stops_the_output_not_the_training(tmp_path, quiet, lines):
    make_project(tmp_path)
    command = [LDDL, "train", "config.yaml", "--out", "run", "--set", "train.epochs=30", *quiet]
    shell = " ".join(command) + f" | head -{lines}; exit ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", shell], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == lines
    assert files(tmp_path / "run") == RUN_FILES
    assert len(read_metrics_csv(tmp_path / "run" / "metrics.csv")["epoch"]) == 30


def test_a_second_run_of_the_same_name_goes_next_to_the_first(tmp_path):
    make_project(tmp_path)
    lddl("train", "config.yaml", "-q", cwd=tmp_path, check_code=0)
    first = (tmp_path / "runs" / "small" / "model.npz").read_bytes()
    out = lddl("train", "config.yaml", "-q", "--set", "seed=4", cwd=tmp_path, check_code=0).stdout
    assert "wrote runs/small-2/model.npz" in out
    assert (tmp_path / "runs" / "small" / "model.npz").read_bytes() == first  # the first run is kept
    assert files(tmp_path / "runs" / "small-2") == RUN_FILES
    lddl("train", "config.yaml", "-q", cwd=tmp_path, check_code=0)
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["small", "small-2", "small-3"]


def test_an_existing_out_folder_is_replaced_only_with_overwrite_and_whole(tmp_path):
    make_project(tmp_path)
    lddl("train", "config.yaml", "--out", "run", "-q", cwd=tmp_path, check_code=0)
    before = {name: (tmp_path / "run" / name).read_bytes() for name in RUN_FILES}
    refused = lddl(
        "train", "config.yaml", "--out", "run", "-q", "--set", "seed=4", cwd=tmp_path, check_code=2
    )
    assert refused.stderr == "run: already holds a run; give --overwrite to replace it, or another --out\n"
    assert {name: (tmp_path / "run" / name).read_bytes() for name in RUN_FILES} == before
    # A 2-D input draws no fit.png: the replaced run must not keep the old one.
    np.save(tmp_path / "data" / "x2.npy", np.load(tmp_path / "data" / "x.npy").repeat(2, axis=1))
    sets = ["--set", "data.x=data/x2.npy", "--set", "data.val_x=null", "--set", "data.val_y=null"]
    sets += ["--set", "model.widths=[2, 8, 1]"]
    lddl("train", "config.yaml", "--out", "run", "-q", "--overwrite", *sets, cwd=tmp_path, check_code=0)
    assert files(tmp_path / "run") == RUN_FILES - {"fit.png"}
    assert hidden(tmp_path) == []  # no staging folder left behind


def test_resuming_reports_the_epoch_and_continues_in_the_checkpoints_folder(tmp_path):
    make_project(tmp_path)
    lddl("train", "config.yaml", "--out", "run", "-q", "--set", "train.epochs=2", cwd=tmp_path, check_code=0)
    out = lddl(
        "train", "config.yaml", "-q", "--resume", "run/checkpoint.npz", cwd=tmp_path, check_code=0
    ).stdout
    assert out.splitlines()[0] == "resuming from epoch 2 of 6"
    assert "wrote run/model.npz" in out
    assert metadata(tmp_path / "run" / "model.npz")["metrics"]["epochs"] == 6


def test_early_stopping_reports_the_restored_epochs_numbers(tmp_path):
    make_project(tmp_path)
    stop = "train.early_stopping={patience: 3, restore_best: true}"
    sets = ["--set", "train.epochs=400", "--set", stop, "--set", "optimizer.lr=0.05"]
    out = lddl("train", "config.yaml", "--out", "run", "-q", *sets, cwd=tmp_path, check_code=0).stdout
    meta = metadata(tmp_path / "run" / "model.npz")["metrics"]
    assert meta["stopped_early"] and meta["restored_best"] and meta["model_epoch"] == meta["best_epoch"]
    assert meta["best_epoch"] < meta["epochs"]
    columns = read_metrics_csv(tmp_path / "run" / "metrics.csv")
    row = list(columns["epoch"]).index(meta["best_epoch"])
    assert meta["final_train_loss"] == columns["train_loss"][row]
    assert meta["final_val_loss"] == pytest.approx(columns["val_loss"][row], rel=1e-6)
    best, loss = meta["best_epoch"], columns["train_loss"][row]
    expected = f"model.npz holds epoch {best} (best, restored): train loss {loss:.6g}"
    assert expected in out, out


def test_a_prediction_that_overflows_is_one_clear_error_without_numpy_warnings(tmp_path):
    make_project(tmp_path)
    lddl("train", "config.yaml", "--out", "run", "-q", cwd=tmp_path, check_code=0)
    with np.load(tmp_path / "run" / "model.npz", allow_pickle=False) as archive:
        state = {k: archive[k] for k in archive.files if not k.startswith("__")}
        meta = json.loads(archive["__lddl__"].item())
    state = {k: v * np.float32(1e15) if k.endswith("weight") else v for k, v in state.items()}
    save_state(tmp_path / "huge.npz", state, meta)  # finite weights whose outputs overflow float32
    done = lddl("predict", "--weights", "huge.npz", "--x", "0.5", "--x", "1e30", cwd=tmp_path, check_code=2)
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "huge.npz: the prediction for input row 1 (x = 0.5) is not finite (2 of 2 rows): "
        "the model's output overflows float32 there"
    ]
    control = lddl("predict", "--weights", "run/model.npz", "--x", "0.5", cwd=tmp_path, check_code=0)
    assert control.stderr == ""


PROBE = (
    "import sys\n"
    "sys.argv = ['lddl', *sys.argv[1:]]\n"
    "from lddl_cli.cli import main\n"
    "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
    "print('MATPLOTLIB', any(m.split('.')[0] == 'matplotlib' for m in sys.modules))\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ("predict", "--weights", "run/model.npz", "--x", "0.5"),
        ("check", "config.yaml"),
        ("summary", "run/model.npz"),
        ("summary", "config.yaml"),
        ("plot", "run"),  # the control: a command that draws does import it
    ],
)
def test_only_commands_that_draw_import_matplotlib(tmp_path, args):
    make_project(tmp_path)
    lddl("train", "config.yaml", "--out", "run", "-q", "--set", "train.epochs=2", cwd=tmp_path, check_code=0)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"MATPLOTLIB {args[0] == 'plot'}"

"""The `lddl` command driven through Typer's CliRunner: every command and option, exit codes,
stdout/stderr, and the files written. One test runs the installed entry point in a subprocess."""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from runs_helpers import make_project, png_size
from typer.testing import CliRunner

from lddl_cli import __version__, cli
from lddl_cli.cli import app

ESC = "\x1b"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A folder with data/ and small.yaml, made the current directory (data paths are CWD-relative)."""
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def trained(project, runner) -> Path:
    result = runner.invoke(app, ["train", "small.yaml", "--out", "run", "--quiet"])
    assert result.exit_code == 0, result.output
    return project / "run"


def invoke(runner, *args, code=0):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (
        f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


# --- entry points, --version, --help ----------------------------------------------------------
def test_version(runner):
    assert invoke(runner, "--version").stdout.strip() == f"lddl {__version__}"


COMMANDS = [["train"], ["predict"], ["plot"], ["check"], ["summary"], ["data"], ["data", "sin"], ["schema"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_examples(runner, command):
    out = invoke(runner, *command, "--help").stdout
    assert "Usage: lddl " + " ".join(command) in out
    assert "Examples:" in out and "lddl " + command[0] in out.split("Examples:")[1]


def test_top_level_help_lists_every_command(runner):
    out = invoke(runner, "--help").stdout
    for command in ("train", "predict", "plot", "check", "summary", "data", "schema"):
        assert f"  {command} " in out


def test_no_arguments_shows_help(runner):
    result = runner.invoke(app, [])
    assert "Usage: lddl" in result.output and result.exit_code in (0, 2)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["predict", "--bogus"], "lddl predict: No such option: --bogus; see 'lddl predict --help'"),
        (["train"], "lddl train: Missing argument 'CONFIG'; see 'lddl train --help'"),
        (["frobnicate"], "lddl: No such command 'frobnicate'; see 'lddl --help'"),
        (
            ["predict", "--weights", "w.npz", "--x", "abc"],
            "lddl predict: Invalid value for '--x': Input should be a valid number, unable to parse string "
            "as a number; see 'lddl predict --help'",
        ),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(runner, args, line):
    result = invoke(runner, *args, code=2)
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


def test_help_imports_no_heavy_module():
    code = (
        "import sys\n"
        "from lddl_cli.cli import main\n"
        "sys.argv = ['lddl', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ['matplotlib', 'pydantic', 'lddl_cli.config', 'lddl_cli.training', 'lddl_cli.nn', 'numpy']\n"
        "sys.stderr.write(repr([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: lddl" in result.stdout
    assert result.stderr == "[]"


def _installed_lddl() -> str:
    found = shutil.which("lddl") or str(Path(sys.executable).with_name("lddl"))
    assert Path(found).is_file(), "the lddl console script is not installed (run `make install`)"
    return found


def test_installed_entry_point(tmp_path):
    lddl = _installed_lddl()
    version = subprocess.run([lddl, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"lddl {__version__}"
    made = subprocess.run(
        [lddl, "data", "sin", "--n", "7", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert np.load(tmp_path / "x.npy").shape == (7, 1)
    bad = subprocess.run([lddl, "check", str(tmp_path / "missing.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2 and "missing.yaml" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("launcher", ["console script", "python -m"])
def test_the_command_delivers_all_output_and_the_exit_code(launcher):
    """A 44 KB output arrives whole, and a usage error exits 2 with its one line."""
    command = [_installed_lddl()] if launcher == "console script" else [sys.executable, "-m", "lddl_cli"]
    schema = subprocess.run([*command, "schema"], capture_output=True, text=True)
    assert schema.returncode == 0, schema.stderr
    assert len(schema.stdout) > 20_000 and "properties" in json.loads(schema.stdout)
    bad = subprocess.run([*command, "train", "--bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1 and bad.stdout == ""


def test_a_reader_that_goes_away_leaves_no_traceback():
    """`lddl schema | head -1`: the pipe closes after one line; lddl stops writing without a word."""
    lddl = shlex.quote(_installed_lddl())
    result = subprocess.run(["bash", "-c", f"{lddl} schema | head -1"], capture_output=True, text=True)
    assert result.stdout == "{\n" and result.stderr == ""


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "lddl_cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"lddl {__version__}"


# --- data sin ---------------------------------------------------------------------------------
def test_data_sin_defaults(runner, tmp_path):
    out = invoke(runner, "data", "sin", "--out", tmp_path).stdout
    assert "x.npy" in out and "y.npy" in out
    x, y = np.load(tmp_path / "x.npy"), np.load(tmp_path / "y.npy")
    assert x.shape == (200, 1) and y.shape == (200, 1)
    residual = y - 2 * np.sin(x)
    assert np.abs(residual).max() <= 0.05 and np.abs(residual).max() > 0.03


def test_data_sin_grid(runner, tmp_path):
    invoke(runner, "data", "sin", "--grid", "--n", 500, "--noise", 0, "--out", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["val_x.npy", "val_y.npy"]
    x, y = np.load(tmp_path / "val_x.npy"), np.load(tmp_path / "val_y.npy")
    assert x.shape == (500, 1) and np.array_equal(y, 2 * np.sin(x))


def test_data_sin_seed(runner, tmp_path):
    for folder, seed in (("a", 1), ("b", 1), ("c", 2)):
        invoke(runner, "data", "sin", "--n", 20, "--seed", seed, "--out", tmp_path / folder)
    a, b, c = (np.load(tmp_path / folder / "y.npy") for folder in "abc")
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize(("option", "value"), [("--n", "0"), ("--noise", "-1"), ("--n", "abc")])
def test_data_sin_bad_arguments(runner, tmp_path, option, value):
    result = invoke(runner, "data", "sin", option, value, "--out", tmp_path, code=2)
    assert result.stdout == "" and option in result.stderr and "Traceback" not in result.stderr


def test_data_sin_requires_out(runner):
    assert "--out" in invoke(runner, "data", "sin", code=2).stderr


# --- train ------------------------------------------------------------------------------------
RUN_FILES = {"model.npz", "config.yaml", "metrics.csv", "loss.png", "fit.png", "checkpoint.npz"}


def test_train_writes_the_run_directory(project, runner):
    result = invoke(runner, "train", "small.yaml", "--out", "out/run")
    run = project / "out" / "run"
    assert RUN_FILES <= {p.name for p in run.iterdir()}
    out = result.stdout
    assert "Linear(1, 8)" in out and "trainable parameters" in out  # summary table
    assert "epoch 1/6" in out and "epoch 6/6" in out  # plain progress lines (stdout is not a terminal)
    assert ESC not in out
    assert "model.npz holds epoch 6 (last): train loss" in out and "val loss" in out and "steps/s" in out
    for name in RUN_FILES:
        assert f"wrote {Path('out') / 'run' / name}" in out
    assert png_size(run / "fit.png") == png_size(run / "loss.png") == (800, 500)
    lines = (run / "metrics.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,val_loss,lr,seconds" and len(lines) == 7
    assert result.stderr == ""


def test_train_default_out_dir_is_runs_name(project, runner):
    invoke(runner, "train", "small.yaml", "--quiet")
    assert RUN_FILES <= {p.name for p in (project / "runs" / "small").iterdir()}


def test_train_quiet_prints_only_the_summary(project, runner):
    out = invoke(runner, "train", "small.yaml", "--out", "run", "--quiet").stdout
    assert "epoch 1/" not in out and "Linear" not in out
    assert out.splitlines()[0].startswith("trained small: 6 epochs")


def test_train_set_overrides_reach_the_run(project, runner):
    invoke(
        runner,
        "train",
        "small.yaml",
        "--out",
        "run",
        "-q",
        "--set",
        "train.epochs=3",
        "--set",
        "optimizer.lr=0.02",
    )
    resolved = yaml.safe_load((project / "run" / "config.yaml").read_text())
    assert resolved["train"]["epochs"] == 3 and resolved["optimizer"]["lr"] == 0.02
    assert len((project / "run" / "metrics.csv").read_text().splitlines()) == 4


def test_train_no_color_output_is_plain(project, runner, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = invoke(runner, "train", "small.yaml", "--out", "run").stdout
    assert ESC not in out and "epoch 6/6" in out


def test_train_bad_override_is_a_config_error(project, runner):
    result = invoke(runner, "train", "small.yaml", "--set", "train.epochs=ten", code=2)
    assert "train.epochs" in result.stderr and result.stdout == ""
    assert not (project / "runs").exists()


def test_train_diverging_exits_1_and_keeps_finite_weights(project, runner):
    result = invoke(runner, "train", "small.yaml", "--out", "run", "-q", "--set", "optimizer.lr=1e6", code=1)
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert "epoch" in message and "batch" in message and "layer" in message and "grad_clip" in message
    with np.load(project / "run" / "model.npz", allow_pickle=False) as saved:
        arrays = [saved[k] for k in saved.files if not k.startswith("__")]
    assert arrays and all(np.isfinite(a).all() for a in arrays)


def test_train_resume_option(project, runner):
    invoke(runner, "train", "small.yaml", "--out", "run", "-q", "--set", "train.epochs=2")
    out = invoke(runner, "train", "small.yaml", "--out", "run", "-q", "--resume", "run/checkpoint.npz").stdout
    assert out.startswith("resuming from epoch 2 of 6\ntrained small: 6 epochs"), out
    assert len((project / "run" / "metrics.csv").read_text().splitlines()) == 7
    refused = invoke(
        runner, "train", "small.yaml", "--set", "seed=1", "--resume", "run/checkpoint.npz", code=2
    )
    assert "different config" in refused.stderr and "seed" in refused.stderr


def test_ctrl_c_writes_a_checkpoint_and_resumes(project):
    lddl = _installed_lddl()
    command = [lddl, "train", "small.yaml", "--out", "run", "--set", "train.epochs=1000000"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("epoch 1/"):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert (
        "resume with: lddl train small.yaml --set train.epochs=1000000 --out run --resume run/checkpoint.npz"
        in stderr
    )
    with np.load(project / "run" / "checkpoint.npz", allow_pickle=False) as archive:
        epoch = json.loads(archive["__lddl__"].item())["epoch"]
    assert epoch >= 1
    finish = [lddl, "train", "small.yaml", "--out", "run", "-q", "--set", f"train.epochs={epoch + 2}"]
    resumed = subprocess.run([*finish, "--resume", "run/checkpoint.npz"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert len((project / "run" / "metrics.csv").read_text().splitlines()) == epoch + 3


def test_diverging_run_prints_exactly_one_stderr_line_in_a_real_process(project):
    # In a real process NumPy's overflow RuntimeWarnings would reach stderr; the trainer silences them.
    command = [_installed_lddl(), "train", "small.yaml", "--out", "run", "-q", "--set", "optimizer.lr=1e6"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("training diverged at epoch 1")


# --- check ------------------------------------------------------------------------------------
def test_check_ok(project, runner):
    out = invoke(runner, "check", "small.yaml").stdout
    assert "ok" in out and "(200, 1)" in out


FOUR_PROBLEMS = """\
name: bad
data: {x: data/x.npy, y: data/y.npy}
model:
  widths: [1, 8, 1]
  activation: rleu
loss: mse
optimizer: {type: sgd, lr: 0.01}
train:
  epochs: ten
  batch_size: -4
  shufle: true
"""


def test_check_reports_every_problem_with_its_line(project, runner):
    (project / "bad.yaml").write_text(FOUR_PROBLEMS)
    result = invoke(runner, "check", "bad.yaml", code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    expected = {5: "model.activation", 9: "train.epochs", 10: "train.batch_size", 11: "train.shufle"}
    for line_number, key in expected.items():
        assert any(line.startswith(f"bad.yaml:{line_number}:") and key in line for line in lines), (
            key,
            lines,
        )
    assert any("did you mean 'relu'" in line for line in lines)
    assert any("did you mean 'shuffle'" in line for line in lines)


def test_check_with_set(project, runner):
    result = invoke(runner, "check", "small.yaml", "--set", "train.batch_size=0", code=2)
    assert "train.batch_size" in result.stderr


def test_check_missing_data_file(project, runner):
    (project / "data" / "y.npy").unlink()
    result = invoke(runner, "check", "small.yaml", code=2)
    assert "y.npy" in result.stderr and "Traceback" not in result.stderr


# --- summary ----------------------------------------------------------------------------------
def _summary_expectations(out: str) -> None:
    # 1-8-8-1: 16 + 72 + 9 parameters
    assert "Linear(8, 8)" in out and "ReLU" in out
    assert "(N, 8)" in out and "(N, 1)" in out and "97 trainable parameters" in out


def test_summary_of_a_config(project, runner):
    out = invoke(runner, "summary", "small.yaml").stdout
    _summary_expectations(out)
    assert "default" in out


def test_summary_of_explicit_layers(project, runner):
    layers = (
        "model={layers: [{type: linear, in_features: 1, out_features: 4, "
        "weight_init: {type: normal, std: 2}}, {type: batch_norm1d, num_features: 4}, tanh, "
        "{type: linear, in_features: 4, out_features: 1}]}"
    )
    (project / "bn.yaml").write_text((project / "small.yaml").read_text())
    invoke(runner, "train", "bn.yaml", "--out", "bn", "-q", "--set", layers, "--set", "train.epochs=1")
    out = invoke(runner, "summary", "bn/model.npz").stdout
    assert "BatchNorm1d(4)" in out and "fixed" in out and "(N, 4)" in out and "21 trainable parameters" in out
    from lddl_cli.commands.summary import summary_rows
    from lddl_cli.files.weights import load_model

    model, metadata = load_model(project / "bn" / "model.npz")
    rows = summary_rows(model, metadata["model"]["layers"])
    assert [(r.layer, r.output_shape, r.parameters) for r in rows] == [
        ("Linear(1, 4)", "(N, 4)", 8),
        ("BatchNorm1d(4)", "(N, 4)", 8),
        ("Tanh()", "(N, 4)", 0),
        ("Linear(4, 1)", "(N, 1)", 5),
    ]
    assert [r.init for r in rows] == ["W normal(mean=0.0, std=2.0); b default", "fixed", "", "default"]


def test_summary_of_weights(trained, runner):
    _summary_expectations(invoke(runner, "summary", trained / "model.npz").stdout)


def test_summary_of_garbage_weights(tmp_path, runner):
    bogus = tmp_path / "bogus.npz"
    bogus.write_bytes(b"not a zip file at all")
    result = invoke(runner, "summary", bogus, code=2)
    assert "bogus.npz" in result.stderr and "Traceback" not in result.stderr


# --- predict ----------------------------------------------------------------------------------
def test_predict_x_values_prints_predictions(trained, runner):
    out = invoke(runner, "predict", "--weights", trained / "model.npz", "--x", 0.5, "--x", "-1").stdout
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("0.5 -> ") and lines[1].startswith("-1 -> ")


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_predict_input_output_files(trained, runner, suffix):
    from lddl_cli.files.weights import load_model
    from lddl_cli.training.inference import predict

    x = np.load("data/val_x.npy")
    source = trained.parent / f"inputs{suffix}"
    if suffix == ".npy":
        np.save(source, x)
    else:
        np.savetxt(source, x, delimiter=",", fmt="%.17g")
    target = trained.parent / f"pred{suffix}"
    invoke(runner, "predict", "-w", trained / "model.npz", "--input", source, "--output", target)
    model, _ = load_model(trained / "model.npz")
    expected = predict(model, x)
    got = np.load(target) if suffix == ".npy" else np.loadtxt(target, delimiter=",", dtype=expected.dtype)
    assert np.array_equal(got.reshape(expected.shape), expected)


def test_predict_prints_when_no_output(trained, runner):
    out = invoke(runner, "predict", "-w", trained / "model.npz", "--input", "data/x.npy").stdout
    assert len(out.strip().splitlines()) == 200


@pytest.mark.parametrize(
    "args",
    [
        [],  # neither --x nor --input
        ["--x", "1", "--input", "data/x.npy"],  # both
        ["--input", "data/x.npy", "--output", "pred.json"],  # unknown output format
        ["--input", "inputs.txt.gz"],  # unknown input format
    ],
)
def test_predict_usage_errors(trained, runner, args):
    result = invoke(runner, "predict", "-w", trained / "model.npz", *args, code=2)
    assert result.stderr and "Traceback" not in result.stderr


def test_predict_into_a_closed_pipe_is_quiet(trained):
    np.save("many.npy", np.linspace(-3, 3, 20000).reshape(-1, 1))  # far more output than a pipe buffers
    command = [_installed_lddl(), "predict", "-w", str(trained / "model.npz"), "--input", "many.npy"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().startswith(b"-3 -> ")
    process.stdout.close()  # like `| head -1`
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert stderr == ""


def test_predict_wrong_input_width(trained, runner):
    np.save("wide.npy", np.zeros((3, 2)))
    result = invoke(runner, "predict", "-w", trained / "model.npz", "--input", "wide.npy", code=2)
    assert "(N, 1)" in result.stderr


def test_predict_missing_weights(runner, tmp_path):
    result = invoke(runner, "predict", "-w", tmp_path / "none.npz", "--x", 1, code=2)
    assert "none.npz" in result.stderr


# --- plot -------------------------------------------------------------------------------------
def test_plot_run_dir_redraws_both(trained, runner):
    for name in ("fit.png", "loss.png"):
        (trained / name).unlink()
    out = invoke(runner, "plot", trained).stdout
    assert "fit.png" in out and "loss.png" in out
    assert png_size(trained / "fit.png") == png_size(trained / "loss.png") == (800, 500)


def test_plot_run_dir_with_out(trained, runner):
    invoke(runner, "plot", trained, "--out", trained.parent / "other.png")
    assert png_size(trained.parent / "other.png") == (800, 500)


def test_plot_weights_with_data(trained, runner):
    invoke(
        runner,
        "plot",
        "-w",
        trained / "model.npz",
        "--x",
        "data/x.npy",
        "--y",
        "data/y.npy",
        "--out",
        "f.png",
    )
    assert png_size(Path("f.png")) == (800, 500)


def test_plot_weights_without_data_uses_the_training_range(trained, runner):
    invoke(runner, "plot", "--weights", trained / "model.npz", "--out", "g.png")
    assert png_size(Path("g.png")) == (800, 500)


@pytest.mark.parametrize(
    "args",
    [
        [],  # neither
        ["RUN", "--weights", "RUN/model.npz"],  # both
        ["RUN", "--x", "data/x.npy"],  # --x with a run directory
        ["--weights", "RUN/model.npz", "--x", "data/x.npy"],  # --x without --y
        ["not-a-run"],
    ],
)
def test_plot_usage_errors(trained, runner, args):
    args = [a.replace("RUN", str(trained)) for a in args]
    result = invoke(runner, "plot", *args, code=2)
    assert result.stderr and "Traceback" not in result.stderr


# --- schema -----------------------------------------------------------------------------------
def test_schema_is_json_schema(runner):
    schema = json.loads(invoke(runner, "schema").stdout)
    assert schema["type"] == "object"
    assert {"data", "model", "optimizer", "train"} <= set(schema["properties"])


# --- the exception boundary -------------------------------------------------------------------
def _raise(error):
    def fail(*args, **kwargs):
        raise error

    return fail


def test_internal_error_is_one_line_without_traceback(project, runner, monkeypatch):
    import lddl_cli.config

    monkeypatch.setattr(lddl_cli.config, "load_config", _raise(RuntimeError("boom\nsecond line")))
    monkeypatch.delenv("LDDL_DEBUG", raising=False)
    result = invoke(runner, "check", "small.yaml", code=1)
    assert result.stderr == "internal error: RuntimeError: boom second line\n"


def test_internal_error_traceback_with_lddl_debug(project, runner, monkeypatch):
    import lddl_cli.config

    monkeypatch.setattr(lddl_cli.config, "load_config", _raise(RuntimeError("boom")))
    monkeypatch.setenv("LDDL_DEBUG", "1")
    result = invoke(runner, "check", "small.yaml", code=1)
    assert "Traceback" in result.stderr and result.stderr.endswith("internal error: RuntimeError: boom\n")


def test_os_error_is_one_line_exit_1(project, runner):
    (project / "blocked").write_text("a file where the run directory should go")
    result = invoke(runner, "train", "small.yaml", "--out", "blocked/run", "-q", code=1)
    assert result.stderr.startswith("blocked/run") and len(result.stderr.splitlines()) == 1
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_keyboard_interrupt_exits_130(project, runner, monkeypatch):
    import lddl_cli.config

    monkeypatch.setattr(lddl_cli.config, "load_config", _raise(KeyboardInterrupt()))
    result = invoke(runner, "check", "small.yaml", code=130)
    assert "Traceback" not in result.stderr


def test_boundary_passes_lddl_error_lines_and_code(runner, monkeypatch):
    from lddl_cli.errors import TrainingError

    @cli.boundary
    def command():
        raise TrainingError("diverged")

    with pytest.raises(cli.typer.Exit) as exit_info:
        command()
    assert exit_info.value.exit_code == 1


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        (["train"], "Usage: lddl train [OPTIONS] CONFIG"),
        (["check"], "Usage: lddl check [OPTIONS] CONFIG"),
        (["summary"], "Usage: lddl summary [OPTIONS] CONFIG|WEIGHTS"),
        (["plot"], "Usage: lddl plot [OPTIONS] [RUN_DIR]"),
    ],
)
def test_usage_lines_name_arguments_in_capitals_without_braces(runner, command, usage):
    out = invoke(runner, *command, "--help").stdout
    assert out.splitlines()[0] == usage, out

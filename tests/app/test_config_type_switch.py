"""``--set SECTION.type=NAME`` alone keeps the old type's keys: one line that says so and gives the
whole section to set instead, through the real CLI (``lddl check``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lddl_cli.cli import app
from lddl_cli.config import load_config
from lddl_cli.errors import ConfigError

CONFIG = """\
data: {x: x.npy, y: y.npy}
model:
  layers:
    - {type: linear, in_features: 1, out_features: 4, weight_init: {type: normal, std: 0.01}}
    - {type: leaky_relu, negative_slope: 0.1}
    - {type: linear, in_features: 4, out_features: 1}
loss: {type: huber, delta: 0.5}
optimizer: {type: sgd, lr: 0.05, momentum: 0.9, nesterov: true}
scheduler: {type: step, step_size: 3}
train: {epochs: 1, batch_size: 4}
"""
KEEPS = "changing 'type' alone keeps the other keys of the"
WHOLE = "set the whole section instead: --set"


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(CONFIG)
    return "c.yaml"


def check(*overrides: str) -> tuple[int, str, str]:
    args = ["check", "c.yaml"]
    for override in overrides:
        args += ["--set", override]
    result = CliRunner().invoke(app, args, env={"LDDL_DEBUG": None, "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("override", "line"),
    [
        (
            "optimizer.type=adam",
            f"--set optimizer.type: {KEEPS} sgd optimizer, and adam does not take momentum, nesterov; "
            f'{WHOLE} "optimizer={{type: adam, lr: 0.05}}"',
        ),
        (
            "loss.type=mse",
            f'--set loss.type: {KEEPS} huber loss, and mse does not take delta; {WHOLE} "loss={{type: mse}}"',
        ),
        (
            "scheduler.type=cosine",
            f"--set scheduler.type: {KEEPS} step scheduler, and cosine does not take step_size and needs "
            f't_max; {WHOLE} "scheduler={{type: cosine, t_max: <t_max>}}"',
        ),
        (
            "model.layers.1.type=relu",
            f"--set model.layers.1.type: {KEEPS} leaky_relu layer, and relu does not take negative_slope; "
            f'{WHOLE} "model.layers.1={{type: relu}}"',
        ),
        (
            "model.layers.0.type=tanh",
            f"--set model.layers.0.type: {KEEPS} linear layer, and tanh does not take in_features, "
            f'out_features, weight_init; {WHOLE} "model.layers.0={{type: tanh}}"',
        ),
        (
            "model.layers.0.weight_init.type=orthogonal",
            f"--set model.layers.0.weight_init.type: {KEEPS} normal initializer, and orthogonal does not "
            f'take std; {WHOLE} "model.layers.0.weight_init={{type: orthogonal}}"',
        ),
    ],
)
def test_a_type_changed_alone_says_to_set_the_whole_section(config, override, line):
    code, stdout, stderr = check(override)
    assert (code, stdout) == (2, ""), stdout + stderr
    assert stderr.splitlines() == [line], stderr


def test_the_suggested_sections_are_accepted(config):
    loaded = load_config(config, ["optimizer={type: adam, lr: 0.05}", "scheduler={type: cosine, t_max: 5}"])
    assert (loaded.optimizer.type, loaded.optimizer.lr, loaded.scheduler.t_max) == ("adam", 0.05, 5)


@pytest.mark.parametrize(
    ("overrides", "type_"),
    [
        (["optimizer={type: sgd, lr: 0.05, momentum: 0.9}", "optimizer.type=rmsprop"], "rmsprop"),
        (["optimizer.type=sgd"], "sgd"),  # the same type: nothing changed
    ],
)
def test_a_type_change_that_fits_the_other_keys_is_no_problem(config, overrides, type_):
    assert load_config(config, overrides).optimizer.type == type_


@pytest.mark.parametrize(
    ("text", "overrides", "line"),
    [
        # An unknown key written in the file, the type unchanged: the ordinary message, at its line.
        (
            CONFIG.replace("momentum: 0.9", "momentun: 0.9"),
            ["optimizer.type=sgd"],
            "c.yaml:8:34: optimizer.momentun: unknown key; did you mean 'momentum'?",
        ),
        # An unknown type name: the registry's message.
        (
            CONFIG,
            ["optimizer.type=adma"],
            "--set optimizer.type: unknown optimizer 'adma'; did you mean 'adam'?",
        ),
        # Not a name at all.
        (
            CONFIG,
            ["optimizer.type=[1]"],
            "--set optimizer.type: 'type' must be an optimizer name; got a list",
        ),
        # A bad value of a key both types take is still reported with the type-change line.
        (CONFIG, ["optimizer.type=adam", "optimizer.lr=-1"], "--set optimizer.lr: must be >= 0"),
    ],
)
def test_other_problems_keep_their_own_message(config, text, overrides, line):
    Path(config).write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(config, overrides)
    lines = error.value.lines()
    assert lines[0].startswith(line), lines

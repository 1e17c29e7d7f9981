"""`lddl explain`: every registered name carries the docstring section explain reads (one source),
the real command runs on every shipped config within 80 columns, and fills in this config's
shapes and hyperparameters."""

from __future__ import annotations

import pytest
from learn_helpers import ROOT, lddl_log

from lddl_cli.commands import explain
from lddl_cli.nn import registry

CONFIGS = sorted(p.name for p in (ROOT / "configs").glob("*.yaml"))


def _explain(*args: str):
    return lddl_log("explain", *args)


def missing_sections() -> list[str]:
    """Registered names whose docstring lacks what explain prints for their kind."""
    wanted = [
        (registry.LAYERS, (explain.forward_text, explain.backward_text)),
        (registry.LOSSES, (explain.forward_text, explain.backward_text)),
        (registry.OPTIMIZERS, (explain.forward_text, explain.update_text)),
        (registry.SCHEDULERS, (explain.forward_text,)),
    ]
    return [
        f"{table.kind} {name}: {reader.__name__}"
        for table, readers in wanted
        for name in table.names()
        for reader in readers
        if not reader(table[name]).strip()
    ]


def test_every_registered_name_has_its_formula_in_its_docstring():
    assert missing_sections() == []


def test_a_planted_missing_backward_paragraph_is_reported(monkeypatch):
    relu = registry.LAYERS["relu"]
    monkeypatch.setattr(relu, "__doc__", "Rectified linear unit: y = max(x, 0).")
    assert missing_sections() == ["layer relu: backward_text"]


@pytest.mark.parametrize("name", CONFIGS)
def test_every_shipped_config_is_explained_within_80_columns(name):
    done = _explain(f"configs/{name}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert "Backward" in done.stdout and "Update per step" in done.stdout
    assert lines[2].startswith("0 Linear(") and "\x1b" not in done.stdout


def test_shapes_reduction_and_hyperparameters_are_filled_in():
    done = _explain("configs/sin.yaml", "--set", "optimizer.lr=0.05", "--set", "loss.reduction=sum")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    batch = 4  # configs/sin.yaml: train.batch_size
    assert f"0 Linear(1, 16): input ({batch}, 1) -> output ({batch}, 16)" in text
    assert "loss MSELoss, reduction sum: s = 1 (sum)" in text
    assert "w = w - 0.05 * g" in text and "b = 0.9 * b + (1 - 0) * g" in text


def test_decoupled_weight_decay_and_the_clip_are_shown():
    adamw = "optimizer={type: adamw, lr: 0.01, weight_decay: 0.02}"
    done = _explain("configs/sin.yaml", "--set", adamw, "--set", "train.grad_clip=1.5")
    assert done.returncode == 0, done.stderr
    assert "w = w * (1 - 0.01 * 0.02)" in done.stdout
    assert "gradient clip: max_norm = 1.5" in done.stdout and "min(1, max_norm" in done.stdout


def test_a_mean_cross_entropy_divides_by_rows_not_elements():
    done = _explain("configs/iris.yaml")
    assert "c_n = 1/16 (mean over 16 rows" in done.stdout


def test_a_bad_config_is_one_line_and_exit_2():
    done = _explain("configs/missing.yaml")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "missing.yaml" in done.stderr


def test_the_readme_transcript_is_what_the_command_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ lddl explain configs/sin.yaml\n", 1)[1].split("```", 1)[0].splitlines()
    printed = _explain("configs/sin.yaml").stdout.splitlines()
    cut = shown.index("...")
    assert shown[:cut] == printed[:cut]
    assert shown[cut + 1 :] == printed[len(printed) - len(shown) + cut + 1 :]

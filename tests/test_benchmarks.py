"""The benchmark harness runs end to end and its verdicts can fail. Nothing here is timed."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import __main__ as runner
from benchmarks import sine
from benchmarks.timing import CaseResult, Row, Settings, Target, interleaved_samples, medians, paired_ratio


@pytest.mark.parametrize(
    ("value", "limit", "higher", "status"),
    [
        (12.0, 10.0, True, "PASS"),
        (8.0, 10.0, True, "FAIL"),
        (1.1, 1.2, False, "PASS"),
        (1.3, 1.2, False, "FAIL"),
        (None, 1.2, False, "n/a"),
        (3.0, None, False, "info"),
    ],
)
def test_target_status(value, limit, higher, status):
    assert Target("case", "ratio", value, limit, higher_is_better=higher).status == status


def test_paired_ratio_follows_each_round_not_the_medians():
    """Two of three rounds give 10; the ratio of the medians would say 2.5."""
    samples = {"torch": [10.0, 10.0, 40.0], "lddl": [1.0, 4.0, 4.0]}
    assert paired_ratio(samples, "torch", "lddl") == pytest.approx(10.0)
    assert paired_ratio(samples, "lddl", "torch") == pytest.approx(0.1)
    assert paired_ratio(samples, "torch", "missing") is None


def test_interleaved_samples_counts_units():
    calls = {"a": 0, "b": 0}

    def bump(name):
        calls[name] += 1

    samples = interleaved_samples(
        {"a": lambda: bump("a"), "b": lambda: bump("b")}, {"a": 1, "b": 1000}, Settings(repeats=3, warmup=1)
    )
    assert calls == {"a": 4, "b": 4}
    assert {name: len(values) for name, values in samples.items()} == {"a": 3, "b": 3}  # warm-up untimed
    seconds = medians(samples)
    assert set(seconds) == {"a", "b"} and all(s >= 0 for s in seconds.values())


@pytest.mark.parametrize(("check", "expected"), [(False, 0), (True, 1)])
def test_check_exits_nonzero_only_on_a_planted_failure(monkeypatch, capsys, check, expected):
    class Planted:
        @staticmethod
        def run(settings):
            return CaseResult(
                rows=[Row("planted", "slow", 1e-3)], targets=[Target("planted", "too slow", 2.0, 1.2)]
            )

    monkeypatch.setitem(runner.CASES, "sine", "planted_case")
    monkeypatch.setattr(runner.importlib, "import_module", lambda name: Planted)
    monkeypatch.setattr(runner, "header_lines", lambda: ["machine: planted"])
    args = ["--only", "sine", "--format", "plain"] + (["--check"] if check else [])
    assert runner.main(args) == expected
    assert "FAIL" in capsys.readouterr().out


def test_quick_sine_run_prints_every_variant(capsys):
    assert runner.main(["--quick", "--repeats", "1", "--only", "sine", "--format", "plain"]) == 0
    out = capsys.readouterr().out
    for text in ("numpy:", "blas:", "hand-fused NumPy", "lddl eager", "lddl / hand-fused", "PyTorch eager"):
        assert text in out, out


@pytest.mark.parametrize(("fmt", "marker"), [("plain", "--"), ("markdown", "| --- |")])
def test_report_formats(capsys, fmt, marker):
    from benchmarks.report import render

    render(["machine: x"], [Row("c", "v", 2e-6, flops=1e4)], [Target("c", "r", 1.5, 1.2)], ["a note"], fmt)
    out = capsys.readouterr().out
    assert marker in out and "FAIL" in out and "a note" in out and "5.0" in out, out


def test_fused_loop_trains_like_pytorch(torch):
    x, y = sine.sine_data()
    weights = sine.initial_weights()
    fused, reference = sine.FusedLoop(weights, x, y), sine.TorchLoop(weights, x, y)
    fused_loss, torch_loss = fused.run(2), reference.run(2)
    np.testing.assert_allclose(fused.flat_parameters(), reference.flat_parameters(), atol=1e-5)
    assert fused_loss == pytest.approx(torch_loss, rel=1e-4)
    assert not np.allclose(fused.flat_parameters(), np.concatenate([w.ravel() for w in weights]))


@pytest.mark.parametrize("compile_", [True, False])
def test_lddl_loop_trains_like_the_fused_loop(compile_):
    x, y = sine.sine_data()
    weights = sine.initial_weights()
    assert sine.batches_agree(x, y)
    lddl, fused = sine.LddlLoop(weights, x, y, compile=compile_), sine.FusedLoop(weights, x, y)
    assert (lddl.step is not None) == compile_
    lddl_loss, fused_loss = lddl.run(2), fused.run(2)
    np.testing.assert_allclose(lddl.flat_parameters(), fused.flat_parameters(), atol=1e-6)
    assert lddl_loss == pytest.approx(fused_loss, rel=1e-5)


def test_parity_catches_a_planted_momentum_bug(monkeypatch):
    """The parity check above must be able to fail: a fused loop without momentum drifts away."""
    x, y = sine.sine_data()
    weights = sine.initial_weights()
    lddl, broken = sine.LddlLoop(weights, x, y), sine.FusedLoop(weights, x, y)
    lddl.run(2)
    monkeypatch.setattr(sine, "MOMENTUM", 0.0)  # the tutorial's mistake 1: the velocity has no effect
    broken.run(2)
    assert np.max(np.abs(lddl.flat_parameters() - broken.flat_parameters())) > 1e-3

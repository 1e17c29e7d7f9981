"""The plot worker: the PNGs it draws equal those drawn in-process, and any failure of it falls
back to drawing in-process, so a run never loses a plot to the worker."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from runs_helpers import make_project, png_size

from lddl_cli.config import load_config
from lddl_cli.plot_worker import PlotWorker, decode, encode
from lddl_cli.plots import HEIGHT, WIDTH
from lddl_cli.train import train


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_encode_decode_round_trip(rng):
    figures = [
        ("loss", Path("a/loss.png"), {"epochs": np.arange(1, 4), "train_loss": rng.random(3), "title": "t"}),
        (
            "fit",
            Path("b/fit.png"),
            {"grid_x": rng.random((5, 1)), "grid_pred": rng.random((5, 1)), "x": None},
        ),
    ]
    decoded = decode(encode(figures))
    assert [(kind, path) for kind, path, _ in decoded] == [
        ("loss", Path("a/loss.png")),
        ("fit", Path("b/fit.png")),
    ]
    assert decoded[0][2]["title"] == "t"
    assert np.array_equal(decoded[0][2]["train_loss"], figures[0][2]["train_loss"])
    assert "x" not in decoded[1][2]  # None arguments are left out, so the figure's default applies


def test_decode_refuses_an_unknown_figure_kind():
    with pytest.raises(ValueError, match="unknown figure kind 'os.system'"):
        decode(encode([("os.system", Path("x.png"), {})]))


def test_worker_draws_the_same_pngs_as_the_parent(project):
    config = load_config("small.yaml")
    in_process = train(config, project / "here")
    in_worker = train(config, project / "worker", plot_worker=True)
    for name in ("loss", "fit"):
        drawn_here, drawn_there = in_process.paths[name], in_worker.paths[name]
        assert drawn_there.read_bytes() == drawn_here.read_bytes(), name
        assert png_size(drawn_there) == (WIDTH, HEIGHT)


def test_a_worker_that_fails_costs_no_plot(project, tmp_path):
    figures = [
        ("loss", tmp_path / "no-such-folder" / "loss.png", {"epochs": [1, 2], "train_loss": [1.0, 0.5]})
    ]
    worker = PlotWorker()
    assert worker.send(figures)
    assert worker.wait() is False  # the worker exits 1; the parent then draws itself

    class Broken:
        def send(self, figures):
            return True

        def wait(self):
            return False

    from lddl_cli import train as train_module

    config = load_config("small.yaml")
    trainer = train_module.Trainer(config)
    history = trainer.fit()
    paths = train_module.write_run(trainer, history, project / "run", worker=Broken())
    assert png_size(paths["loss"]) == (WIDTH, HEIGHT) and png_size(paths["fit"]) == (WIDTH, HEIGHT)


def test_an_unused_worker_is_ended_and_reaped():
    worker = PlotWorker()
    process = worker._process
    worker.close()
    assert process.returncode is not None
    assert worker.send([]) is False and worker.wait() is False


@pytest.mark.parametrize("broken", [0, 1], ids=["first figure (drawn by the worker)", "second (its fork)"])
def test_a_failure_in_either_half_of_the_two_core_drawing_is_reported(tmp_path, broken):
    """The worker draws every second figure in a fork; a failure on either side makes wait() False."""
    figures = [
        (
            "loss",
            tmp_path / ("no-such-folder" if i == broken else "") / f"loss{i}.png",
            {"epochs": [1, 2], "train_loss": [1.0, 0.5]},
        )
        for i in range(2)
    ]
    worker = PlotWorker()
    assert worker.send(figures)
    assert worker.wait() is False
    assert (tmp_path / f"loss{1 - broken}.png").exists()  # the healthy half was still drawn


def test_both_halves_are_written_when_nothing_fails(tmp_path):
    figures = [
        ("loss", tmp_path / f"loss{i}.png", {"epochs": [1, 2], "train_loss": [1.0, 0.5]}) for i in range(3)
    ]
    worker = PlotWorker()
    assert worker.send(figures)
    assert worker.wait() is True
    assert all(png_size(tmp_path / f"loss{i}.png") == (WIDTH, HEIGHT) for i in range(3))


def test_a_worker_that_never_finishes_is_killed_at_the_timeout():
    worker = PlotWorker()
    process = worker._process  # never sent anything: it waits on its stdin forever
    assert worker.wait(timeout=0.5) is False
    assert process.returncode is not None and process.stdout.closed


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from Linux's /proc")
def test_ending_the_worker_also_ends_the_copy_it_forked(tmp_path):
    """Ctrl-C or a timeout while both halves draw must not leave the fork drawing after lddl exits."""
    points = np.arange(1, 2_000_001)
    slow = {"epochs": points, "train_loss": 1.0 + 1.0 / points}
    worker = PlotWorker()
    group = worker._process.pid  # the worker leads its own session and process group
    assert worker.send([("loss", tmp_path / "a.png", slow), ("loss", tmp_path / "b.png", slow)])
    deadline = time.monotonic() + 60
    while len(_group_members(group)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(_group_members(group)) == 2, "the worker never forked its drawing copy"
    worker.close()
    deadline = time.monotonic() + 10
    while _group_members(group) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _group_members(group) == []
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()

"""The training run: ``train(config, out_dir, callbacks) -> History``. Never prints, never exits.

Randomness: ONE ``np.random.Generator`` from ``np.random.default_rng(config.seed)`` is drawn from,
in this order: (1) parameter initialization (``build_model``), (2) the ``data.train_size``
subset, (3) the ``data.val_fraction`` split, (4) the DataLoader's shuffling (a new permutation
per epoch), (5) dropout masks (dropout layers hold the same generator). Same config and seed,
same run.

The per-step hot path is forward, loss, backward, optional clip, ONE vectorized finiteness
check (loss + the flat gradient's dot product with itself), optimizer step and zero_grad. Metrics are a
running sum of Python floats; callbacks run once per epoch. Once per epoch too, the weights (which
a finite gradient times a huge lr may overflow) and the validation loss are checked to be finite.
"""

from __future__ import annotations

import contextlib
import math
import platform
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__, checkpoint, nn
from .errors import TrainingError

METADATA_FORMAT = 1
GRID_POINTS = 500
METRICS_HEADER = "epoch,train_loss,val_loss,lr,seconds"
HINT = "Hint: lower optimizer.lr or set train.grad_clip (e.g. --set train.grad_clip=1.0)"


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training, after the resumable checkpoint of the last whole epoch was written."""

    def __init__(self, checkpoint: Path | None, epoch: int) -> None:
        super().__init__(str(checkpoint))
        self.checkpoint = checkpoint
        self.epoch = epoch


@dataclass(frozen=True)
class RunInfo:
    """What a progress display needs to know before the first epoch."""

    name: str
    epochs: int
    start_epoch: int
    steps_per_epoch: int
    train_rows: int
    val_rows: int


@dataclass(frozen=True)
class EpochRecord:
    """One row of metrics.csv. ``seconds`` is the wall time since the run started."""

    epoch: int
    train_loss: float
    val_loss: float | None
    lr: float
    seconds: float
    steps_per_second: float


@dataclass
class History:
    """The outcome of a run: per-epoch records and what was written."""

    records: list[EpochRecord] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    best_epoch: int | None = None
    stopped_early: bool = False
    restored_best: bool = False
    final_val_loss: float | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    step_path: str = "eager"  # "compiled", or "eager (<why>)": which training step ran

    @property
    def final_train_loss(self) -> float | None:
        return self.records[-1].train_loss if self.records else None

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0


@dataclass
class TrainData:
    x: np.ndarray
    y: np.ndarray
    val_x: np.ndarray | None
    val_y: np.ndarray | None


def split_data(dataset, config, rng: np.random.Generator) -> TrainData:
    """Apply the ``train_size`` subset, then the ``val_fraction`` split (rng steps 2 and 3)."""
    x, y = dataset.x, dataset.y
    if config.data.train_size is not None:
        index = nn.random_subset(len(x), config.data.train_size, rng)
        x, y = x[index], y[index]
    val_x, val_y = dataset.val_x, dataset.val_y
    if val_x is None and config.data.val_fraction > 0:
        train_index, val_index = nn.train_val_split(len(x), config.data.val_fraction, rng)
        x, y, val_x, val_y = x[train_index], y[train_index], x[val_index], y[val_index]
    return TrainData(x, y, val_x, val_y)


def prepare(config):
    """(rng, resolved layers, model, data): steps 1 to 3 of the rng order, shared with ``lddl plot``."""
    from .config import build_model, resolve_layers
    from .datafiles import load_dataset

    rng = np.random.default_rng(config.seed)
    layers = resolve_layers(config)
    model = build_model(layers, config.dtype, rng)
    data = split_data(load_dataset(config), config, rng)
    return rng, layers, model, data


class Trainer:
    """A training run with explicit state: epoch, best weights, history, optimizer, scheduler, rng.

    ``fit()`` runs the remaining epochs; everything a resumable checkpoint needs is an attribute.
    """

    def __init__(self, config, callbacks=()) -> None:
        from .config import build_loss, build_optimizer, build_scheduler

        self.config = config
        self.callbacks = list(callbacks)
        self.rng, self.layers, self.model, self.data = prepare(config)
        self.parameters = self.model.parameters()
        self.history = History()
        self.loss_fn = build_loss(config.loss)
        self.optimizer = build_optimizer(config.optimizer, self.parameters)
        self.scheduler = build_scheduler(config.scheduler, self.optimizer)
        # The optimizer packed the parameters already; this returns the same flat buffers.
        self.flat = nn.pack_parameters(self.parameters)
        # The fused training step when nn supports this run (same math, proven equal), else eager.
        self.train_step = None
        reason = "train.compile is false"
        if config.train.compile:
            parts = (self.model, self.loss_fn, self.optimizer, config.train.grad_clip)
            self.train_step = nn.compile_step(*parts)
            reason = nn.not_compiled_reason(*parts)
        self.history.step_path = "compiled" if self.train_step is not None else f"eager ({reason})"
        # Whether a checkpoint has running statistics to copy (walking the model for none costs
        # more than the rest of the per-epoch snapshot).
        self.has_buffers = any(True for _ in self.model.named_buffers())
        train = config.train
        self.loader = nn.DataLoader(
            nn.ArrayDataset(self.data.x, self.data.y),
            batch_size=train.batch_size,
            shuffle=train.shuffle,
            drop_last=train.drop_last,
            rng=self.rng,
        )
        self.epoch = 0  # epochs completed
        self.batch = 0  # batches completed in the current epoch (for diagnostics)
        self.best_loss = math.inf
        self.best_state: dict[str, np.ndarray] | None = None
        self.bad_epochs = 0
        self.elapsed = 0.0
        # Finite weights as of the last epoch end: a finite gradient times a huge lr can overflow
        # the weights themselves, and no non-finite weight may ever be written.
        self.good_weights = self.flat.data.copy()
        self.rollback = False  # set when a failure is found at an epoch end: keep that epoch's start
        self.resolved = config.resolved()
        self.config_hash = checkpoint.config_hash(config)
        # Everything a checkpoint holds, as of the last epoch end (Ctrl-C may strike mid-step).
        self.snapshot = self.take_snapshot()

    # --- one epoch ---------------------------------------------------------------------------
    def train_epoch(self) -> tuple[float, int]:
        """One pass over the loader: (mean batch loss, steps). Raises TrainingError on non-finite values."""
        model, loss_fn, optimizer, flat = self.model, self.loss_fn, self.optimizer, self.flat
        clip = self.config.train.grad_clip
        parameters = self.parameters
        total = 0.0
        steps = 0
        compiled = self.train_step
        model.train()
        for xb, yb in self.loader:
            if compiled is not None:
                loss = compiled.forward_backward(xb, yb)  # forward, loss, backward and clip, fused
            else:
                loss = loss_fn(model(xb), yb)
            if loss != loss and getattr(loss_fn, "counted_weight", None) == 0:
                continue  # every label of this batch is ignore_index (or weighs 0): nothing to learn
            if compiled is None:
                model.backward(loss_fn.backward())
                if clip is not None:
                    nn.clip_grad_norm(parameters, clip)
            # One vectorized check (a BLAS dot, < 1 us): NaN or Inf anywhere makes it non-finite. A
            # non-finite result is confirmed element-wise, since squares of huge values may overflow.
            grad = flat.grad
            if not math.isfinite(loss + grad.dot(grad)) and self._non_finite(loss):
                self.batch = steps
                raise self._failure(xb, yb, loss)
            if compiled is not None:
                compiled.update()  # optimizer.step() on the same state; the next step overwrites grad
            else:
                optimizer.step()
                optimizer.zero_grad()
            total += loss
            steps += 1
        self.batch = 0
        return (total / steps if steps else math.nan), steps

    def validate(self) -> float | None:
        """Loss on the validation set in eval mode (None without a validation set)."""
        if self.data.val_x is None:
            return None
        self.model.eval()
        try:
            loss = self.loss_fn(self.model(self.data.val_x), self.data.val_y)
        finally:
            self.model.train()
        return float(loss)

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _step_scheduler(self, train_loss: float, val_loss: float | None) -> None:
        if self.scheduler is None:
            return
        if isinstance(self.scheduler, nn.ReduceLROnPlateau):
            self.scheduler.step(val_loss if val_loss is not None else train_loss)
        else:
            self.scheduler.step()

    def _early_stopping(self, monitored: float) -> bool:
        """Track the best epoch; True when patience has run out."""
        stopping = self.config.train.early_stopping
        if stopping is None:
            return False
        if monitored < self.best_loss - stopping.min_delta:
            self.best_loss = monitored
            self.history.best_epoch = self.epoch
            self.bad_epochs = 0
            if stopping.restore_best:
                self.best_state = self.model.state_dict()
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= stopping.patience

    # --- the run -----------------------------------------------------------------------------
    def fit(self) -> History:
        train = self.config.train
        info = RunInfo(
            name=self.config.name,
            epochs=train.epochs,
            start_epoch=self.epoch,
            steps_per_epoch=len(self.loader),
            train_rows=len(self.data.x),
            val_rows=0 if self.data.val_x is None else len(self.data.val_x),
        )
        for callback in self.callbacks:
            callback.on_train_begin(info)
        start = time.perf_counter() - self.elapsed
        # Overflow and NaN are caught by the finite guard and reported as one TrainingError line,
        # so NumPy's RuntimeWarnings would only be noise on stderr.
        with np.errstate(all="ignore"):
            self._run_epochs(start)
        self.history.seconds = self.elapsed
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
            self.history.restored_best = True
        self.history.final_val_loss = self.validate()
        return self.history

    def _run_epochs(self, start: float) -> None:
        train = self.config.train
        while self.epoch < train.epochs and not self.history.stopped_early:
            epoch_start = time.perf_counter()
            lr = self.lr
            train_loss, steps = self.train_epoch()
            # Once per epoch (cold): the last update may have overflowed the weights with a finite
            # gradient, and the validation loss is a loss too. Either ends the run at the last epoch end.
            if not np.isfinite(self.flat.data).all():
                raise self._overflow_failure(steps, train_loss)
            val_loss = self.validate()
            if val_loss is not None and not math.isfinite(val_loss):
                raise self._validation_failure(val_loss)
            self.epoch += 1
            now = time.perf_counter()
            self.elapsed = now - start
            self.history.steps += steps
            record = EpochRecord(
                epoch=self.epoch,
                train_loss=train_loss,
                val_loss=val_loss,
                lr=lr,
                seconds=self.elapsed,
                steps_per_second=steps / max(now - epoch_start, 1e-9),
            )
            self.history.records.append(record)
            np.copyto(self.good_weights, self.flat.data)  # checked finite above
            self._step_scheduler(train_loss, val_loss)
            stop = self._early_stopping(val_loss if val_loss is not None else train_loss)
            if stop:
                self.history.stopped_early = True
            self.snapshot = self.take_snapshot()
            for callback in self.callbacks:
                callback.on_epoch_end(record)
            if stop:
                break

    # --- resumable checkpoints ---------------------------------------------------------------
    def take_snapshot(self) -> dict:
        """The run's state as of now, cheaply (a few copies, no encoding): weights, buffers,
        optimizer and scheduler state, rng state, counters. Taken at every epoch end so that
        Ctrl-C, which may strike mid-step, can still write a consistent checkpoint."""
        return {
            "weights": self.flat.data.copy(),
            "buffers": {name: b.copy() for name, b in self.model.named_buffers()} if self.has_buffers else {},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": self.rng.bit_generator.state,
            "epoch": self.epoch,
            "batch": self.batch,  # 0: snapshots are taken at epoch ends, before the next epoch's shuffle
            "elapsed": self.elapsed,
            "steps": self.history.steps,
            "records": len(self.history.records),  # records are append-only
            "best_state": self.best_state,  # replaced, never mutated: a reference is enough
            "best_loss": self.best_loss,
            "best_epoch": self.history.best_epoch,
            "bad_epochs": self.bad_epochs,
            "stopped_early": self.history.stopped_early,
        }

    def resume(self, path: str | Path) -> None:
        """Continue from a ``checkpoint.npz`` (see ``checkpoint.restore``)."""
        checkpoint.restore(self, Path(path))
        np.copyto(self.good_weights, self.flat.data)
        self.snapshot = self.take_snapshot()

    # --- the finite guard (cold path) --------------------------------------------------------
    def _non_finite(self, loss: float) -> bool:
        return not (math.isfinite(loss) and np.isfinite(self.flat.grad).all())

    def _failure(self, xb: np.ndarray, yb: np.ndarray, loss: float) -> TrainingError:
        where = self._locate_non_finite(xb, yb)
        return TrainingError(
            f"training diverged at epoch {self.epoch + 1}, batch {self.batch + 1}: loss {loss!r}; "
            f"first non-finite value: {where}; the update was not applied. {HINT}"
        )

    def _overflow_failure(self, steps: int, loss: float) -> TrainingError:
        """The epoch's last update overflowed the weights (its loss and gradient were finite)."""
        where = f"the update made {self._non_finite_parameter()} non-finite"
        return self._rollback_failure(f", batch {steps} (the last): loss {loss!r}", where)

    def _validation_failure(self, val_loss: float) -> TrainingError:
        self.model.eval()
        try:
            where = f"{self._locate_forward(self.data.val_x, self.data.val_y)} on the validation set"
        finally:
            self.model.train()
        return self._rollback_failure(f": validation loss {val_loss!r}", where)

    def _rollback_failure(self, what: str, where: str) -> TrainingError:
        """A failure found at the end of epoch ``self.epoch + 1``: roll back to the last epoch end."""
        self.rollback = True
        kept = f"the weights of epoch {self.epoch}" if self.epoch else "the initial weights"
        return TrainingError(
            f"training diverged at epoch {self.epoch + 1}{what}; first non-finite value: {where}; "
            f"{kept} were kept. {HINT}"
        )

    def _non_finite_parameter(self) -> str | None:
        for i, layer in enumerate(self.model):
            for name, p in layer.named_parameters():
                if not np.isfinite(p.data).all():
                    return f"{name} of layer {i} ({type(layer).__name__})"
        return None

    def _locate_forward(self, x: np.ndarray, y: np.ndarray) -> str | None:
        """The first layer output (or the loss) that is non-finite on ``x``; the loss stays cached."""
        h = x
        for i, layer in enumerate(self.model):
            h = layer.forward(h)
            if not np.isfinite(h).all():
                return f"output of layer {i} ({type(layer).__name__})"
        loss = self.loss_fn(h, y)
        if not np.all(np.isfinite(loss)):
            return f"the loss ({type(self.loss_fn).__name__})"
        return None

    def _locate_non_finite(self, xb: np.ndarray, yb: np.ndarray) -> str:
        """Name the first layer whose weights, output or gradient is non-finite on this batch."""
        parameter = self._non_finite_parameter()
        if parameter is not None:
            return f"{parameter} is already non-finite"
        if not np.isfinite(xb).all():
            return "the input batch"
        if not np.isfinite(yb).all():
            return "the target batch"
        where = self._locate_forward(xb, yb)
        if where is not None:
            return where
        g = self.loss_fn.backward()
        if not np.isfinite(g).all():
            return f"gradient of the loss ({type(self.loss_fn).__name__})"
        self.optimizer.zero_grad()
        layers = list(self.model)
        for i in range(len(layers) - 1, -1, -1):
            layer = layers[i]
            g = layer.backward(g)
            bad = [name for name, p in layer.named_parameters() if not np.isfinite(p.grad).all()]
            if bad or not np.isfinite(g).all():
                what = f"gradient of {bad[0]}" if bad else "input gradient"
                return f"{what} of layer {i} ({type(layer).__name__})"
        return "the gradient after clipping"

    def restore_last_good(self) -> None:
        """After a failure: keep the weights and buffers as they were before the failing update if
        all are finite; otherwise (or after a failure found at an epoch end) put back all of them
        as of the last epoch end, so that the model written is one the run really had."""
        buffers = list(self.model.named_buffers())
        finite = np.isfinite(self.flat.data).all() and all(np.isfinite(b).all() for _, b in buffers)
        if self.rollback or not finite:
            self.flat.data[...] = self.good_weights
            for name, buffer in buffers:
                buffer[...] = self.snapshot["buffers"][name]


# --- writing the run directory ------------------------------------------------------------
def metadata(trainer: Trainer, history: History) -> dict:
    """The ``__lddl__`` JSON of model.npz (format 1)."""
    config = trainer.config
    return {
        "format": METADATA_FORMAT,
        "lddl_version": __version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "dtype": config.dtype,
        "seed": config.seed,
        "model": {"layers": trainer.layers},
        "config": config.resolved(),
        "metrics": {
            "epochs": trainer.epoch,
            "steps": history.steps,
            "seconds": history.seconds,
            "final_train_loss": _finite_or_none(history.final_train_loss),
            "final_val_loss": _finite_or_none(history.final_val_loss),
            "best_epoch": history.best_epoch,
            "stopped_early": history.stopped_early,
            "restored_best": history.restored_best,
        },
    }


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def metrics_csv(records: list[EpochRecord]) -> str:
    lines = [METRICS_HEADER]
    for r in records:
        val = "" if r.val_loss is None else repr(r.val_loss)
        lines.append(f"{r.epoch},{r.train_loss!r},{val},{r.lr!r},{r.seconds:.6f}")
    return "\n".join(lines) + "\n"


def read_metrics_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a metrics.csv as float arrays (empty val_loss cells become NaN).

    A file that is not such a table raises DataError naming the file and the line.
    """
    from .errors import DataError

    try:
        text = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read as a UTF-8 text file ({error})") from None
    header = text[0].split(",") if text else []
    if "epoch" not in header or "train_loss" not in header:
        got = repr(text[0]) if text else "an empty file"
        raise DataError(f"{path}: line 1: expected the header {METRICS_HEADER}; got {got}")
    rows = []
    for number, line in enumerate(text[1:], start=2):
        if not line:
            continue
        cells = line.split(",")
        if len(cells) != len(header):
            raise DataError(
                f"{path}: line {number}: {len(cells)} values, expected {len(header)} ({METRICS_HEADER})"
            )
        try:
            rows.append([float(cell) if cell else math.nan for cell in cells])
        except ValueError:
            bad = next(cell for cell in cells if cell and not _is_number(cell))
            raise DataError(f"{path}: line {number}: {bad!r} is not a number") from None
    table = np.array(rows, dtype=float).reshape(len(rows), len(header))
    return {name: table[:, i] for i, name in enumerate(header)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _write_text(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    nn.state.atomic_write(path, lambda fh: fh.write(data))


def fit_plot_arguments(model, data: TrainData, title: str) -> dict | None:
    """``plots.fit_figure`` arguments for a model with a 1-D input and a real-valued output, else None."""
    from .predict import predict

    if data.x.shape[1] != 1 or not np.issubdtype(data.y.dtype, np.floating):
        return None
    xs = [data.x] + ([data.val_x] if data.val_x is not None else [])
    lo = min(float(a.min()) for a in xs)
    hi = max(float(a.max()) for a in xs)
    grid = np.linspace(lo, hi, GRID_POINTS).reshape(-1, 1)
    with np.errstate(all="ignore"):  # huge (finite) weights may overflow between the data points
        pred = predict(model, grid)
    return dict(
        grid_x=grid, grid_pred=pred, x=data.x, y=data.y, val_x=data.val_x, val_y=data.val_y, title=title
    )


def fit_plot(model, data: TrainData, title: str):
    """The fit figure for a model with a 1-D input and a real-valued output, else None."""
    from . import plots

    arguments = fit_plot_arguments(model, data, title)
    return None if arguments is None else plots.fit_figure(**arguments)


def loss_plot_arguments(records_or_columns, title: str) -> dict:
    """``plots.loss_figure`` arguments from EpochRecords or from metrics.csv columns."""
    if isinstance(records_or_columns, dict):
        c = records_or_columns
        return dict(epochs=c["epoch"], train_loss=c["train_loss"], val_loss=c.get("val_loss"), title=title)
    records = records_or_columns
    val = [math.nan if r.val_loss is None else r.val_loss for r in records]
    return dict(
        epochs=[r.epoch for r in records],
        train_loss=[r.train_loss for r in records],
        val_loss=val,
        title=title,
    )


def loss_plot(records_or_columns, title: str):
    from . import plots

    return plots.loss_figure(**loss_plot_arguments(records_or_columns, title))


def write_run(trainer: Trainer, history: History, out_dir: Path, worker=None) -> dict[str, Path]:
    """Write model.npz, config.yaml, metrics.csv, loss.png and (1-D input) fit.png, each atomically.

    The PNGs are drawn by ``worker`` (a started ``PlotWorker``) when given, else in this process.
    """
    import yaml

    from .plot_worker import draw

    out_dir.mkdir(parents=True, exist_ok=True)
    figures = []
    if history.records:
        loss = loss_plot_arguments(history.records, f"{trainer.config.name}: loss")
        figures.append(("loss", out_dir / "loss.png", loss))
    fit = fit_plot_arguments(trainer.model, trainer.data, f"{trainer.config.name}: fit")
    if fit is not None:
        figures.append(("fit", out_dir / "fit.png", fit))
    sent = bool(figures) and worker is not None and worker.send(figures)  # it draws while we save

    paths = {
        "model": out_dir / "model.npz",
        "config": out_dir / "config.yaml",
        "metrics": out_dir / "metrics.csv",
    }
    nn.save_state(paths["model"], trainer.model.state_dict(), metadata(trainer, history))
    _write_text(paths["config"], yaml.safe_dump(trainer.config.resolved(), sort_keys=False))
    _write_text(paths["metrics"], metrics_csv(history.records))
    if figures and not (sent and worker.wait()):
        draw(figures)
    paths.update({kind: path for kind, path, _ in figures})
    return paths


@contextlib.contextmanager
def sigint_ignored():
    """SIGINT is ignored inside (in the main thread; elsewhere signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def fit_and_write(trainer: Trainer, out_dir: str | Path, plot_worker: bool = False) -> History:
    """Run ``trainer`` to the end and write the run directory; see ``train``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)  # fail before training, not after it
    checkpoint_path = out_dir / "checkpoint.npz"
    trainer.callbacks.insert(0, checkpoint.Checkpointer(trainer, checkpoint_path))
    worker = None
    if plot_worker:
        from .plot_worker import PlotWorker

        worker = PlotWorker()
    try:
        history = trainer.fit()
        for callback in trainer.callbacks:
            if hasattr(callback, "on_fit_end"):
                callback.on_fit_end(history)
        history.paths = write_run(trainer, history, out_dir, worker)
        history.paths["checkpoint"] = checkpoint.write_checkpoint(checkpoint_path, trainer)
    except KeyboardInterrupt:
        # The snapshot is the state at the last epoch end, consistent even if Ctrl-C struck mid-step
        # (or while the run directory was being written). A second Ctrl-C does not abort this write.
        with sigint_ignored():
            checkpoint.write_checkpoint(checkpoint_path, trainer)
        raise TrainingInterrupted(checkpoint_path, trainer.snapshot["epoch"]) from None
    except TrainingError:
        trainer.history.seconds = trainer.elapsed
        trainer.restore_last_good()
        try:
            with np.errstate(all="ignore"):  # plots of huge-but-finite weights may overflow
                write_run(trainer, trainer.history, out_dir)
        except nn.state.StateError:  # e.g. non-finite running statistics: keep nothing rather than NaN
            pass
        raise
    finally:
        if worker is not None:
            worker.close()
    for callback in trainer.callbacks:
        callback.on_train_end(history)
    return history


def train(config, out_dir: str | Path, callbacks=(), plot_worker: bool = False) -> History:
    """Train ``config`` and write the run directory ``out_dir``; return the History.

    On a non-finite loss or gradient the run stops before the update, the last good weights
    and the metrics so far are written, and TrainingError is raised. Weights overflowed by an
    update, or a non-finite validation loss, found at an epoch end, roll back to the previous one.
    With ``plot_worker`` the PNGs are drawn by a ``PlotWorker`` process started before training,
    which imports matplotlib on another core meanwhile (see plot_worker.py).
    """
    return fit_and_write(Trainer(config, callbacks), out_dir, plot_worker)

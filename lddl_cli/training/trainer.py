"""The training loop: ``Trainer(config).fit() -> History``. Never prints, never exits, writes no file.

The per-step hot path is forward, loss, backward, optional clip, ONE vectorized finiteness
check (loss + the flat gradient's dot product with itself), optimizer step and zero_grad: fused
into ``nn.compile_step``'s compiled step when the library supports the run (``train.compile``,
default true), else the eager layer-by-layer path; ``History.step_path`` says which ran. Metrics are a
running sum of Python floats; callbacks run once per epoch. Once per epoch too, the weights (which
a finite gradient times a huge lr may overflow) and the validation loss are checked to be finite.

``state_dict()`` is the run as of the last epoch end as plain data (what a checkpoint holds),
``load_state_dict()`` takes it back; ``files.checkpoint`` turns it into a file and back
(``resume(path)`` reads one).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import nn
from ..config import build_loss, build_optimizer, build_scheduler
from ..config.fingerprint import changed_keys, config_hash, hashed_config
from ..errors import TrainingError, WeightsError
from ..files.checkpoint import read_checkpoint
from . import guard
from .data import prepare
from .evaluation import split_scores
from .monitor import monitored_value
from .records import EpochRecord, History, RunInfo


class CheckpointMismatch(ValueError):
    """A checkpoint that cannot continue this run (another config, or more epochs than asked for)."""


class Trainer:
    """A training run with explicit state: epoch, best weights, history, optimizer, scheduler, rng.

    ``fit()`` runs the remaining epochs; ``state_dict()`` / ``load_state_dict()`` give and take
    everything a resumable checkpoint needs.
    """

    def __init__(self, config, callbacks=(), load=None) -> None:
        self.config = config
        self.callbacks = list(callbacks)
        self.rng, self.layers, self.model, self.data = prepare(config, load)  # load: see prepare
        self.config = config = self.data.config  # with a table's ``auto`` widths resolved
        self.parameters = self.model.parameters()
        self.loss_fn = build_loss(config.loss)
        self.optimizer = build_optimizer(config.optimizer, self.parameters)
        self.scheduler = build_scheduler(config.scheduler, self.optimizer)
        # The optimizer packed the parameters already; this returns the same flat buffers.
        self.flat = nn.pack_parameters(self.parameters)
        self.history = History()
        # The fused training step when nn supports this run (same math, proven equal), else eager.
        self.train_step = None
        reason = "train.compile is false"
        if config.train.compile:
            parts = (self.model, self.loss_fn, self.optimizer, config.train.grad_clip)
            self.train_step = nn.compile_step(*parts)
            reason = nn.not_compiled_reason(*parts)
        self.history.step_path = "compiled" if self.train_step is not None else f"eager ({reason})"
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
        self.config_hash = config_hash(self.resolved)
        # Everything a checkpoint holds, as of the last epoch end (Ctrl-C may strike mid-step).
        self.snapshot = self._take_snapshot()

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
                raise self._batch_failure(xb, yb, loss)
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
        self.history.scores = {split: self.scores(split) for split in ("train", "val", "test")}
        return self.history

    def scores(self, split: str) -> dict[str, float]:
        """The config's metrics on the ``train``, ``val`` or ``test`` split ({} without it)."""
        prefix = "" if split == "train" else f"{split}_"
        x, y = getattr(self.data, f"{prefix}x"), getattr(self.data, f"{prefix}y")
        config = self.config
        return split_scores(
            self.model, x, y, config.metrics, config.task, config.loss.type, self.data.y_scaler
        )

    def _run_epochs(self, start: float) -> None:
        while self.epoch < self.config.train.epochs and not self.history.stopped_early:
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
                metrics=self.scores("val"),
            )
            self.history.records.append(record)
            np.copyto(self.good_weights, self.flat.data)  # checked finite above
            self._step_scheduler(train_loss, val_loss)
            stop = self._early_stopping(monitored_value(self.config, record))
            if stop:
                self.history.stopped_early = True
            self.snapshot = self._take_snapshot()
            for callback in self.callbacks:
                callback.on_epoch_end(record)
            if stop:
                break

    # --- resumable state ---------------------------------------------------------------------
    def _take_snapshot(self) -> dict:
        """The run's state as of now, cheaply (a few copies, no encoding): taken at every epoch end
        so that Ctrl-C, which may strike mid-step, can still write a consistent checkpoint."""
        return {
            "model": self.model.state_dict(),
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

    def state_dict(self) -> dict:
        """The run as of the last epoch end, as plain data (arrays, numbers, strings, lists, dicts):
        model and optimizer state (PyTorch's layouts), scheduler, rng state, counters, history,
        early-stopping state and the resolved config with its hash."""
        state = {k: v for k, v in self.snapshot.items() if k != "records"}
        state["history"] = [vars(r) for r in self.history.records[: self.snapshot["records"]]]
        state["config"] = self.resolved
        state["config_hash"] = self.config_hash
        return state

    def load_state_dict(self, state: dict) -> None:
        """Continue from a ``state_dict()``. CheckpointMismatch if it was taken under another config
        (naming the keys that differ; ``train.epochs`` and ``train.checkpoint_every`` may change)
        or has trained more epochs than ``train.epochs``; KeyError, TypeError or ValueError if the
        state does not fit this run's model or optimizer."""
        if state.get("config_hash") != self.config_hash:
            changed = ", ".join(changed_keys(state.get("config"), hashed_config(self.resolved)))
            raise CheckpointMismatch(
                f"the checkpoint was written under a different config (changed: {changed or 'unknown'}); "
                "resume with the same config and --set values"
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.rng.bit_generator.state = state["rng"]
        if state["batch"] != 0:
            raise ValueError(f"batch {state['batch']!r}: only epoch ends (batch 0) can be resumed")
        epoch, epochs = int(state["epoch"]), self.config.train.epochs
        if epoch > epochs:
            raise CheckpointMismatch(
                f"the checkpoint has trained {epoch} epochs, more than train.epochs ({epochs}); "
                f"resume with --set train.epochs={epoch} or more"
            )
        self.epoch = epoch
        self.elapsed = float(state["elapsed"])
        self.history.steps = int(state["steps"])
        self.history.records = [EpochRecord(**r) for r in state["history"]]
        self.history.best_epoch = state["best_epoch"]
        self.history.stopped_early = bool(state["stopped_early"])
        self.best_loss = float(state["best_loss"])
        self.bad_epochs = int(state["bad_epochs"])
        best = state["best_state"]
        self.best_state = None if best is None else {k: v.copy() for k, v in best.items()}
        np.copyto(self.good_weights, self.flat.data)
        self.snapshot = self._take_snapshot()

    def restore_snapshot(self) -> History:
        """After Ctrl-C (which may strike mid-step): the model as of the last epoch end, and the
        History up to that epoch, marked interrupted."""
        snapshot = self.snapshot
        self.model.load_state_dict(snapshot["model"])
        return History(
            records=self.history.records[: snapshot["records"]],
            steps=snapshot["steps"],
            seconds=snapshot["elapsed"],
            best_epoch=snapshot["best_epoch"],
            stopped_early=snapshot["stopped_early"],
            interrupted=True,
        )

    def resume(self, path) -> None:
        """Continue from a ``checkpoint.npz``; WeightsError (``PATH: --resume: ...``) if it cannot."""
        state = read_checkpoint(path)
        try:
            self.load_state_dict(state)
        except CheckpointMismatch as error:
            raise WeightsError(f"{path}: --resume: {error}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise WeightsError(f"{path}: --resume: the checkpoint does not fit this run: {error}") from None

    # --- the finite guard (cold path) --------------------------------------------------------
    def _non_finite(self, loss: float) -> bool:
        return not (math.isfinite(loss) and np.isfinite(self.flat.grad).all())

    def _batch_failure(self, xb: np.ndarray, yb: np.ndarray, loss: float) -> TrainingError:
        where = guard.locate_batch(self.model, self.loss_fn, self.optimizer, xb, yb)
        return guard.batch_failure(self.epoch + 1, self.batch + 1, loss, where)

    def _overflow_failure(self, steps: int, loss: float) -> TrainingError:
        """The epoch's last update overflowed the weights (its loss and gradient were finite)."""
        self.rollback = True
        where = f"the update made {guard.non_finite_parameter(self.model)} non-finite"
        return guard.rollback_failure(self.epoch, f", batch {steps} (the last): loss {loss!r}", where)

    def _validation_failure(self, val_loss: float) -> TrainingError:
        self.rollback = True
        self.model.eval()
        try:
            located = guard.locate_forward(self.model, self.loss_fn, self.data.val_x, self.data.val_y)
        finally:
            self.model.train()
        return guard.rollback_failure(
            self.epoch, f": validation loss {val_loss!r}", f"{located} on the validation set"
        )

    def restore_last_good(self) -> None:
        """After a failure: keep the weights and buffers as they were before the failing update if
        all are finite; otherwise (or after a failure found at an epoch end) put back all of them
        as of the last epoch end, so that the model written is one the run really had."""
        buffers = list(self.model.named_buffers())
        finite = np.isfinite(self.flat.data).all() and all(np.isfinite(b).all() for _, b in buffers)
        if self.rollback or not finite:
            self.flat.data[...] = self.good_weights
            for name, buffer in buffers:
                buffer[...] = self.snapshot["model"][name]

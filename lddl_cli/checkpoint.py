"""Resumable checkpoints: ``checkpoint.npz`` holds everything needed to continue a run bit for bit.

Arrays (no pickle): the parameters and buffers (``model.<key>``), the optimizer's per-parameter
buffers (``optimizer.<index>.<name>``) and the early-stopping best weights (``best.<key>``).
JSON metadata (``__lddl__``): epoch and batch position, elapsed time, steps, the rng's
``bit_generator.state``, the optimizer's scalars and param_groups, the scheduler's state, the
history so far, early-stopping state, the resolved config and its hash. Non-finite floats (a
plateau scheduler's ``best = inf``) are tagged ``{"__float__": "inf"}`` since JSON has no infinity.

Checkpoints are taken at epoch ends: the trainer snapshots its state cheaply after every epoch,
so Ctrl-C (which may strike mid-step) still writes a consistent one. The batch position is thus
always 0 (the next batch is the first of epoch ``epoch + 1``, whose shuffle the saved rng state
draws); it is stored so that a checkpoint states where it stands, and anything else is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from . import __version__, nn
from .errors import WeightsError

CHECKPOINT_FORMAT = 1


# Keys that do not change what an epoch computes: a run may be resumed to train for longer, or
# with another checkpoint interval.
UNHASHED_TRAIN_KEYS = ("epochs", "checkpoint_every", "compile")


def hashed_config(config) -> dict:
    """The resolved config without UNHASHED_TRAIN_KEYS."""
    resolved = json.loads(json.dumps(config.resolved()))
    for key in UNHASHED_TRAIN_KEYS:
        resolved["train"].pop(key, None)
    return resolved


def config_hash(config) -> str:
    """SHA-256 of the resolved config (sorted JSON), without UNHASHED_TRAIN_KEYS."""
    return hashlib.sha256(json.dumps(hashed_config(config), sort_keys=True).encode("utf-8")).hexdigest()


def changed_keys(saved, current, prefix: str = "") -> list[str]:
    """Dotted key paths whose values differ between two resolved configs (hashed keys only)."""
    if isinstance(saved, dict) and isinstance(current, dict):
        saved = {k: v for k, v in saved.items() if not (prefix == "train." and k in UNHASHED_TRAIN_KEYS)}
        keys = sorted(set(saved) | set(current))
        return [c for k in keys for c in changed_keys(saved.get(k), current.get(k), f"{prefix}{k}.")]
    return [] if saved == current else [prefix.rstrip(".")]


def encode(value):
    """JSON-ready data: tuples as lists, str keys, NumPy scalars as numbers, non-finite floats tagged."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    return value


def decode(value):
    """The inverse of ``encode`` (tuples stay lists; their consumers accept both)."""
    if isinstance(value, dict):
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def write_checkpoint(path: Path, trainer) -> Path:
    """Write the trainer's last epoch-end snapshot to ``path`` atomically."""
    arrays, metadata = checkpoint_state(trainer)
    nn.save_state(path, arrays, metadata)
    return path


class Checkpointer:
    """Writes ``checkpoint.npz`` every ``every`` epochs (a callback; 0 = only at the end of the run)."""

    def __init__(self, trainer, path: Path) -> None:
        self.trainer = trainer
        self.path = path
        self.every = trainer.config.train.checkpoint_every

    def on_train_begin(self, info) -> None:
        pass

    def on_epoch_end(self, record) -> None:
        if self.every and record.epoch % self.every == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_checkpoint(self.path, self.trainer)

    def on_train_end(self, history) -> None:
        pass


def checkpoint_state(trainer, snapshot: dict | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, JSON metadata) for checkpoint.npz from a ``Trainer.take_snapshot()`` (default: the
    trainer's last epoch end). Arrays: ``model.<key>``, ``optimizer.<index>.<buffer>``,
    ``best.<key>``; everything else is JSON."""
    snap = trainer.snapshot if snapshot is None else snapshot
    arrays = {}
    offset = 0
    for name, p in trainer.model.named_parameters():
        arrays[f"model.{name}"] = snap["weights"][offset : offset + p.size].reshape(p.shape)
        offset += p.size
    arrays.update({f"model.{k}": v for k, v in snap["buffers"].items()})
    scalars: dict[str, dict] = {}
    for index, entry in snap["optimizer"]["state"].items():
        for name, value in entry.items():
            if isinstance(value, np.ndarray) and value.ndim > 0:
                arrays[f"optimizer.{index}.{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = encode(value)
    if snap["best_state"] is not None:
        arrays.update({f"best.{k}": v for k, v in snap["best_state"].items()})
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "kind": "checkpoint",
        "lddl_version": __version__,
        "config_hash": trainer.config_hash,
        "config": trainer.resolved,
        "epoch": snap["epoch"],
        "batch": snap["batch"],
        "elapsed": snap["elapsed"],
        "steps": snap["steps"],
        "rng": encode(snap["rng"]),
        "optimizer": {"param_groups": encode(snap["optimizer"]["param_groups"]), "scalars": scalars},
        "scheduler": encode(snap["scheduler"]),
        "history": [encode(vars(r)) for r in trainer.history.records[: snap["records"]]],
        "best_loss": encode(snap["best_loss"]),
        "best_epoch": snap["best_epoch"],
        "bad_epochs": snap["bad_epochs"],
        "stopped_early": snap["stopped_early"],
    }
    return arrays, metadata


def restore(trainer, path: Path) -> None:
    """Load ``path`` into a ``train.Trainer``: weights, optimizer, scheduler, rng, history, early stopping.

    Refuses (WeightsError, exit 2) a file that is not a checkpoint, or one written under another
    config (naming the keys that differ); ``train.epochs`` and ``train.checkpoint_every`` may change.
    """
    from .train import EpochRecord  # train imports this module

    try:
        arrays, metadata = nn.load_state(path)
    except nn.state.StateError as error:
        raise WeightsError(f"--resume: {error}") from None
    if not metadata or metadata.get("kind") != "checkpoint":
        raise WeightsError(f"{path}: --resume: not a checkpoint written by lddl train")
    if metadata.get("config_hash") != trainer.config_hash:
        changed = changed_keys(metadata.get("config"), hashed_config(trainer.config))
        raise WeightsError(
            f"{path}: --resume: the checkpoint was written under a different config "
            f"(changed: {', '.join(changed) or 'unknown'}); resume with the same config and --set values"
        )
    try:
        trainer.model.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
        state: dict[int, dict] = {}
        for key, value in arrays.items():
            if key.startswith("optimizer."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = value
        for index, entry in metadata["optimizer"]["scalars"].items():
            state.setdefault(int(index), {}).update(decode(entry))
        trainer.optimizer.load_state_dict(
            {"state": state, "param_groups": decode(metadata["optimizer"]["param_groups"])}
        )
        if trainer.scheduler is not None:
            trainer.scheduler.load_state_dict(decode(metadata["scheduler"]))
        trainer.rng.bit_generator.state = decode(metadata["rng"])
        if metadata["batch"] != 0:
            raise ValueError(f"batch {metadata['batch']!r}: only epoch ends (batch 0) can be resumed")
        trainer.epoch = int(metadata["epoch"])
        epochs = trainer.config.train.epochs
        if trainer.epoch > epochs:
            raise WeightsError(
                f"{path}: --resume: the checkpoint has trained {trainer.epoch} epochs, more than "
                f"train.epochs ({epochs}); resume with --set train.epochs={trainer.epoch} or more"
            )
        trainer.elapsed = float(metadata["elapsed"])
        trainer.history.steps = int(metadata["steps"])
        trainer.history.records = [EpochRecord(**decode(r)) for r in metadata["history"]]
        trainer.history.best_epoch = metadata["best_epoch"]
        trainer.history.stopped_early = bool(metadata["stopped_early"])
        trainer.best_loss = float(decode(metadata["best_loss"]))
        trainer.bad_epochs = int(metadata["bad_epochs"])
        best = {k[5:]: v.copy() for k, v in arrays.items() if k.startswith("best.")}
        trainer.best_state = best or None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise WeightsError(f"{path}: --resume: the checkpoint does not fit this run: {error}") from None

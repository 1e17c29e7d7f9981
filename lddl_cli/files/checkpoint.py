"""``checkpoint.npz``: a run's resumable state (plain data from ``Trainer.state_dict()``) as arrays + JSON.

The state is a dict of plain data: arrays, numbers, strings, lists and dicts. Its arrays are stored
as ``.npy`` members (no pickle): the model's ``model.<key>``, the optimizer's per-parameter
buffers ``optimizer.<index>.<name>`` and the early-stopping best weights ``best.<key>``.
Everything else is the JSON metadata ``__lddl__`` (with ``"kind": "checkpoint"``). JSON has no
infinity, so non-finite floats (a plateau scheduler's ``best = inf``) are tagged
``{"__float__": "inf"}``, and tuples come back as lists (their consumers accept both).
This module knows the file, not the trainer: it converts, and refuses files that are not checkpoints.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import __version__, nn
from ..errors import WeightsError

CHECKPOINT_FORMAT = 1
KIND = "checkpoint"
# The state keys stored as arrays, and the keys the file adds to the metadata.
ARRAY_KEYS = ("model", "optimizer", "best_state")
FILE_KEYS = ("format", "kind", "lddl_version")


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
    """The inverse of ``encode`` (tuples stay lists)."""
    if isinstance(value, dict):
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def to_archive(state: dict) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, JSON metadata) of a trainer state. Arrays: ``state["model"]``, the optimizer's
    per-parameter buffers and ``state["best_state"]``; everything else (the optimizer's scalars such
    as ``step`` and its param_groups included) is JSON."""
    arrays = {f"model.{k}": v for k, v in state["model"].items()}
    scalars: dict[str, dict] = {}
    for index, entry in state["optimizer"]["state"].items():
        for name, value in entry.items():
            if isinstance(value, np.ndarray) and value.ndim > 0:
                arrays[f"optimizer.{index}.{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = encode(value)
    if state["best_state"] is not None:
        arrays.update({f"best.{k}": v for k, v in state["best_state"].items()})
    rest = {k: v for k, v in state.items() if k not in ARRAY_KEYS}
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "kind": KIND,
        "lddl_version": __version__,
        **encode(rest),
        "optimizer": {"param_groups": encode(state["optimizer"]["param_groups"]), "scalars": scalars},
    }
    return arrays, metadata


def from_archive(arrays: dict[str, np.ndarray], metadata: dict) -> dict:
    """The trainer state that ``to_archive`` stored (KeyError, TypeError or ValueError if damaged)."""
    optimizer_state: dict[int, dict] = {}
    for key, value in arrays.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            optimizer_state.setdefault(int(index), {})[name] = value
    for index, entry in metadata["optimizer"]["scalars"].items():
        optimizer_state.setdefault(int(index), {}).update(decode(entry))
    state = {k: decode(v) for k, v in metadata.items() if k not in (*FILE_KEYS, *ARRAY_KEYS)}
    state["model"] = {k[6:]: v for k, v in arrays.items() if k.startswith("model.")}
    state["optimizer"] = {
        "state": optimizer_state,
        "param_groups": decode(metadata["optimizer"]["param_groups"]),
    }
    state["best_state"] = {k[5:]: v for k, v in arrays.items() if k.startswith("best.")} or None
    return state


def write_checkpoint(path: Path, state: dict) -> Path:
    """Write a trainer state to ``path`` atomically."""
    arrays, metadata = to_archive(state)
    nn.save_state(path, arrays, metadata)
    return path


def is_checkpoint(metadata: dict | None) -> bool:
    """Whether a file's ``__lddl__`` metadata is a checkpoint's."""
    return isinstance(metadata, dict) and metadata.get("kind") == KIND


def read_checkpoint(path: Path) -> dict:
    """The trainer state in ``path``; WeightsError (``PATH: --resume: ...``) for anything else."""
    try:
        arrays, metadata = nn.load_state(path)
    except nn.state.StateError as error:
        raise WeightsError(f"--resume: {error}") from None
    if not is_checkpoint(metadata):
        raise WeightsError(f"{path}: --resume: not a checkpoint written by lddl train")
    try:
        return from_archive(arrays, metadata)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise WeightsError(f"{path}: --resume: the checkpoint does not fit this run: {error}") from None

"""A config's fingerprint for resumable checkpoints: the SHA-256 of what changes an epoch's result.

``train.epochs``, ``train.checkpoint_every`` and ``train.compile`` are left out, so a run may be
resumed to train for longer, with another checkpoint interval, or on the other training path;
``changed_keys`` names what else differs.
"""

from __future__ import annotations

import hashlib
import json

# Keys that do not change what an epoch computes.
UNHASHED_TRAIN_KEYS = ("epochs", "checkpoint_every", "compile")


def hashed_config(resolved: dict) -> dict:
    """The resolved config without UNHASHED_TRAIN_KEYS (a JSON-ready copy)."""
    hashed = json.loads(json.dumps(resolved))
    for key in UNHASHED_TRAIN_KEYS:
        hashed["train"].pop(key, None)
    return hashed


def config_hash(resolved: dict) -> str:
    """SHA-256 of the resolved config (sorted JSON), without UNHASHED_TRAIN_KEYS."""
    return hashlib.sha256(json.dumps(hashed_config(resolved), sort_keys=True).encode("utf-8")).hexdigest()


def changed_keys(saved, current, prefix: str = "") -> list[str]:
    """Dotted key paths whose values differ between two resolved configs (hashed keys only)."""
    if isinstance(saved, dict) and isinstance(current, dict):
        saved = {k: v for k, v in saved.items() if not (prefix == "train." and k in UNHASHED_TRAIN_KEYS)}
        keys = sorted(set(saved) | set(current))
        return [c for k in keys for c in changed_keys(saved.get(k), current.get(k), f"{prefix}{k}.")]
    return [] if saved == current else [prefix.rstrip(".")]

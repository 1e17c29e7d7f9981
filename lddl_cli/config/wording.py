"""How messages name things: a value as the user wrote it, and "did you mean" for a misspelt name."""

from __future__ import annotations

import difflib

# Long or common spellings of a key, for "did you mean" when plain string similarity fails.
KEY_ALIASES = {
    "learning_rate": "lr",
    "learningrate": "lr",
    "beta": "betas",
    "epsilon": "eps",
    "num_epochs": "epochs",
    "n_epochs": "epochs",
    "batchsize": "batch_size",
    "tmax": "t_max",
    "init": "weight_init",
    "initializer": "weight_init",
    "kernel_initializer": "weight_init",
    "clip": "grad_clip",
    "clip_grad_norm": "grad_clip",
    "max_norm": "grad_clip",
    "layer": "layers",
    "width": "widths",
    "sizes": "widths",
    "act": "activation",
    "rate": "p",
    "validation_fraction": "val_fraction",
    "random_seed": "seed",
}


def closest(name: str, allowed: list[str]) -> str | None:
    """The allowed name closest to ``name``: by string similarity (with the alias table), else the
    one allowed name that contains it (``slope`` -> ``negative_slope``)."""
    lowered = str(name).lower()
    candidates = {a: a for a in allowed}
    candidates.update({alias: target for alias, target in KEY_ALIASES.items() if target in allowed})
    match = difflib.get_close_matches(lowered, list(candidates), n=1, cutoff=0.6)
    if match:
        return candidates[match[0]]
    containing = [a for a in allowed if len(lowered) >= 3 and lowered in a.lower()]
    return containing[0] if len(containing) == 1 else None


def did_you_mean(name, allowed: list[str]) -> str:
    suggestion = closest(str(name), allowed)
    return f"did you mean {suggestion!r}? " if suggestion else ""


def show(value) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value!r} (a number)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return type(value).__name__

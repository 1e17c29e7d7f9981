"""The search space in Optuna's terms: a drawn value per parameter, and the grid for ``sampler: grid``.

Optuna's categorical values must be None, bool, int, float or str; a category such as a list of
widths is stored as its JSON text and decoded back when the trial's config is made.
"""

from __future__ import annotations

import json
from typing import Any

SCALARS = (type(None), bool, int, float, str)


def encoded(parameter) -> list:
    """The categories as Optuna stores them: as they are, or all as JSON text if any is not a scalar."""
    categories = list(parameter.categories)
    if all(isinstance(value, SCALARS) for value in categories):
        return categories
    return [json.dumps(value) for value in categories]


def decode(parameter, stored: Any) -> Any:
    """The config value for what Optuna stored for ``parameter``."""
    if parameter.space == "choice" and encoded(parameter) != list(parameter.categories):
        return json.loads(stored)
    return stored


def suggest(trial, key: str, parameter) -> Any:
    """Draw ``parameter`` in ``trial``; the config value."""
    space = parameter.space
    if space == "loguniform":
        return trial.suggest_float(key, parameter.lower, parameter.upper, log=True)
    if space == "uniform":
        return trial.suggest_float(key, parameter.lower, parameter.upper, step=parameter.step)
    if space == "int":
        return trial.suggest_int(key, parameter.lower, parameter.upper, step=parameter.step or 1)
    return decode(parameter, trial.suggest_categorical(key, encoded(parameter)))


def grid(parameters: dict) -> dict[str, list]:
    """GridSampler's search space: every category, every int on its step (checked discrete)."""
    space = {}
    for key, parameter in parameters.items():
        if parameter.space == "choice":
            space[key] = encoded(parameter)
        else:
            space[key] = list(range(parameter.lower, parameter.upper + 1, parameter.step or 1))
    return space


def grid_size(parameters: dict) -> int:
    size = 1
    for values in grid(parameters).values():
        size *= len(values)
    return size


def drawn_values(parameters: dict, stored: dict) -> dict:
    """A trial's config values, from Optuna's ``trial.params``."""
    return {key: decode(parameter, stored[key]) for key, parameter in parameters.items() if key in stored}

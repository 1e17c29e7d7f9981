"""Every value a trial of a ``sweep:`` may draw, checked against the schema as ``--set`` would
check it, and ``SweepSource``: the base config a trial starts from.

The checks run with every config's validation (``loader.validate_config``), so ``lddl check`` and
``lddl train`` see a broken sweep too. ``validate`` is ``loader.validate_config``, passed in
because the loader calls these checks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError, Problem
from .locator import Locator
from .overrides import apply_override
from .sections import Config
from .wording import show
from .yaml_loader import YamlDocument


@dataclass
class SweepSource:
    """The validated config (with its ``sweep``) and the base data a trial starts from."""

    config: Config
    base: dict
    validate: Callable

    @property
    def sweep(self):
        return self.config.sweep

    def trial_data(self, values: dict) -> tuple[dict, list[Problem]]:
        """The base data with ``values`` ({dotted key: value}) set, and the problems setting them."""
        data = copy.deepcopy(self.base)
        locator = Locator(YamlDocument(data=data, file=None))
        problems = [apply_override(data, f"{k}={json.dumps(v)}", locator) for k, v in values.items()]
        return data, [p for p in problems if p is not None]

    def trial_config(self, values: dict) -> Config:
        """The config of a trial that drew ``values``; ConfigError if the schema refuses it."""
        data, problems = self.trial_data(values)
        if problems:
            raise ConfigError(problems)
        config = self.validate(YamlDocument(data=data, file=None))
        config._source_dir = self.config.source_dir
        return config


def trial_base(config: Config, data: dict) -> dict:
    """The config data a trial starts from: everything but the ``sweep:`` section, with each
    section left out filled with its defaults, so that ``optimizer.lr`` can be searched in a config
    that relies on the default optimizer (the model stays in its written form)."""
    base = {key: value for key, value in data.items() if key != "sweep"}
    for key, value in config.model_dump(mode="python").items():
        if key not in base and key not in ("model", "sweep") and value is not None:
            base[key] = value
    return base


def sweep_problems(config: Config, base: dict, locator: Locator, validate: Callable) -> list[Problem]:
    """For each parameter, the first value standing for its space (bounds, categories) that the
    config refuses, located at the parameter."""
    source = SweepSource(config, base, validate)
    found: list[Problem] = []
    for key, parameter in config.sweep.parameters.items():
        for value in parameter.corners():
            try:
                source.trial_config({key: value})
            except ConfigError as error:
                found += [_located(locator, key, value, problem) for problem in error.problems]
                break  # one refused value is enough to show what is wrong
    return found


def _located(locator: Locator, key: str, value, problem: Problem) -> Problem:
    label = problem.key.removeprefix("--set ")
    message = f"a trial may draw {show(value)}, which the config refuses: {label}: {problem.message}"
    if problem.message.startswith("unknown key"):
        message = f"{label}: {problem.message}"
    return locator.problem(("sweep", "parameters", key), message)

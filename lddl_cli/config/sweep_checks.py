"""A config with a ``sweep:`` section, read for ``lddl sweep``: the base config as plain data, and
every value a trial may draw checked against the schema, as ``--set`` would check it.

``load_sweep(path, overrides)`` returns a ``SweepSource``; its ``trial_config(values)`` is the
config of one trial (the base with the drawn values set and the ``sweep:`` section left out).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, Problem
from .loader import normalize, validate_config
from .locator import Locator
from .overrides import apply_override
from .sections import Config
from .wording import show
from .yaml_loader import YamlDocument, load_yaml_file


@dataclass
class SweepSource:
    """The validated config (with its ``sweep``) and the base data a trial starts from."""

    config: Config
    base: dict

    @property
    def sweep(self):
        return self.config.sweep

    def trial_data(self, values: dict) -> tuple[dict, list[Problem]]:
        """The base data with ``values`` ({dotted key: value}) set, and the problems setting them."""
        data = copy.deepcopy(self.base)
        locator = Locator(YamlDocument(data=data, file=None))
        problems = [
            apply_override(data, f"{key}={json.dumps(value)}", locator) for key, value in values.items()
        ]
        return data, [p for p in problems if p is not None]

    def trial_config(self, values: dict) -> Config:
        """The config of a trial that drew ``values``; ConfigError if the schema refuses it."""
        data, problems = self.trial_data(values)
        if problems:
            raise ConfigError(problems)
        config = validate_config(YamlDocument(data=data, file=None))
        config._source_dir = self.config.source_dir
        return config


def load_sweep(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> SweepSource:
    """Read and validate a config for ``lddl sweep``; ConfigError lists every problem, located."""
    document = load_yaml_file(path)
    config = validate_config(document, overrides, source_dir=Path(path).resolve().parent)
    if config.sweep is None:
        raise ConfigError(
            [Problem(document.file, None, None, "sweep", "no sweep: section to search; add one")]
        )
    base = normalize(document.data)
    scratch = Locator(YamlDocument(data=base, file=None))
    for override in overrides:
        apply_override(base, override, scratch)  # valid: validate_config accepted them
    base.pop("sweep", None)
    source = SweepSource(config, normalize(base))
    problems = [p for key in config.sweep.parameters for p in _check_parameter(source, key)]
    if problems:
        raise ConfigError(problems)
    return source


def _check_parameter(source: SweepSource, key: str) -> list[Problem]:
    """Each value that stands for the parameter's space (bounds, categories) validated as a trial's."""
    parameter = source.sweep.parameters[key]
    where = ("sweep", "parameters", key)
    found: list[Problem] = []
    for value in parameter.corners():
        try:
            source.trial_config({key: value})
        except ConfigError as error:
            for problem in error.problems:
                label = problem.key.removeprefix("--set ")
                message = (
                    f"a trial may draw {show(value)}, which the config refuses: {label}: {problem.message}"
                )
                if problem.message.startswith("unknown key"):
                    message = f"{label}: {problem.message}"
                found.append(source.config.problem(where, message))
            break  # one refused value is enough to show what is wrong
    return found

"""Reading a config: YAML file -> ``--set`` overrides -> shorthands expanded -> pydantic -> cross-checks.

``load_config(path, overrides)`` reads the file with the safe loader (``yaml_loader``), applies
``--set key.path=value`` overrides, validates everything (strict types, finite numbers, unknown
keys forbidden, every layer / loss / optimizer / scheduler / initializer checked against its
registry and its own keys) and raises one ``ConfigError`` listing every problem, each located at
``FILE:LINE:COL`` (or ``--set key``) with its key path.
"""

from __future__ import annotations

import copy
from pathlib import Path

from pydantic import ValidationError

from ..errors import ConfigError, Problem
from ..nn import registry
from .checks import cross_check
from .locator import Locator
from .messages import sorted_problems, translate
from .overrides import apply_override
from .sections import Config
from .sweep_checks import sweep_problems, trial_base
from .type_switch import replace_type_switches
from .yaml_loader import YamlDocument, load_yaml_file


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read, override and validate a config file; ConfigError lists every problem found."""
    document = load_yaml_file(path)
    return validate_config(document, overrides, source_dir=Path(path).resolve().parent)


def validate_config(
    document: YamlDocument, overrides: list[str] | tuple[str, ...] = (), *, source_dir: Path | None = None
) -> Config:
    """Validate parsed YAML (with its marks) after applying ``overrides``."""
    locator = Locator(document)
    before = normalize(document.data)
    data = copy.deepcopy(before)
    problems: list[Problem] = []
    for override in overrides:
        problem = apply_override(data, override, locator)
        if problem is not None:
            problems.append(problem)
    data = normalize(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        problems = replace_type_switches(translate(error, data, locator) + problems, before, data, locator)
        raise ConfigError(sorted_problems(problems)) from None
    problems += cross_check(config, locator)
    if not problems and config.sweep is not None:  # every value a trial may draw, checked as a config
        problems += sweep_problems(config, trial_base(config, data), locator, validate_config)
    if problems:
        raise ConfigError(sorted_problems(problems))
    config._source_dir = source_dir if source_dir is not None else Path.cwd()
    config._source = document.file
    config._locator = locator
    return config


def config_from_dict(data: dict, name: str | None = None) -> Config:
    """Validate plain data (e.g. the resolved config stored in a weights file)."""
    return validate_config(YamlDocument(data=data, file=name))


# --- shorthands: bare names -> {type: name}, aliases -> canonical names
def normalize(data):
    """A deep copy of ``data`` with spec shorthands expanded; unknown shapes are left for pydantic."""
    data = copy.deepcopy(data)
    if not isinstance(data, dict):
        return data
    for key, kind in (("loss", "LOSSES"), ("optimizer", "OPTIMIZERS"), ("scheduler", "SCHEDULERS")):
        if key in data:
            data[key] = _spec(data[key], kind)
    model = data.get("model")
    if isinstance(model, dict):
        if "activation" in model:
            model["activation"] = _spec(model["activation"], "LAYERS")
        for key in ("weight_init", "bias_init"):
            if key in model:
                model[key] = _spec(model[key], "INITIALIZERS")
        layers = model.get("layers")
        if isinstance(layers, list):
            for index, layer in enumerate(layers):
                layer = layers[index] = _spec(layer, "LAYERS")
                if isinstance(layer, dict):
                    for key in ("weight_init", "bias_init"):
                        if key in layer:
                            layer[key] = _spec(layer[key], "INITIALIZERS")
    return data


def _spec(value, kind: str):
    if isinstance(value, str):
        value = {"type": value}
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        table = getattr(registry, kind)
        if value["type"] in table:
            value["type"] = table.canonical(value["type"])
    return value

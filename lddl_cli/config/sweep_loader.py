"""``load_sweep(path)``: a config read for ``lddl sweep``, which needs a ``sweep:`` section, as a
``SweepSource`` (the validated config and the base data a trial starts from)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, Problem
from .loader import normalize, validate_config
from .locator import Locator
from .overrides import apply_override
from .sweep_checks import SweepSource, trial_base
from .yaml_loader import YamlDocument, load_yaml_file


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
    return SweepSource(config, normalize(trial_base(config, base)), validate_config)

"""The config: YAML -> validated config objects -> library objects.

Owns: the safe YAML reader with line:col marks (``yaml_loader``), the strict schema (``specs``
for each registered layer, loss, optimizer, scheduler and initializer; ``sections`` for the file's
top-level keys), ``--set`` overrides, the translation of validation errors into located Problems
(``locator``, ``wording``, ``messages``, and ``expected``: what the JSON Schema allows at a key
path), checks across keys, the JSON Schema, the config's
fingerprint, and the builders that turn specs into ``nn`` objects.

May import: ``lddl_cli.nn``, ``lddl_cli.errors``, pydantic and PyYAML; nothing else of lddl.
"""

from .builders import build_loss, build_model, build_optimizer, build_scheduler
from .checks import model_widths
from .loader import config_from_dict, load_config, validate_config
from .locator import dotted_path
from .schema import schema_json
from .sections import Config, resolve_layers

__all__ = [
    "Config",
    "build_loss",
    "build_model",
    "build_optimizer",
    "build_scheduler",
    "config_from_dict",
    "dotted_path",
    "load_config",
    "model_widths",
    "resolve_layers",
    "schema_json",
    "validate_config",
]

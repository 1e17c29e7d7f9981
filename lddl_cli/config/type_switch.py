"""``--set optimizer.type=adam``: a spec's type changed on its own, keeping the old type's keys.

``--set`` changes one key and keeps the rest of the section, so ``optimizer.type=adam`` over an
``{type: sgd, lr: 0.01, momentum: 0.9}`` section gives adam an SGD ``momentum``. Pydantic would
report that as an unknown key at the file's line, which hides the cause; this module replaces the
unknown-key and missing-key problems the change explains by one line at the ``--set`` that says
what happened, with the whole section to set instead (the keys the new type takes kept, the ones
it needs as placeholders). Problems with the values of keys both types take stay as they are.
"""

from __future__ import annotations

import re

from ..errors import Problem
from .locator import Locator, dotted_path, lookup
from .messages import SPEC_KINDS

_SECTIONS = ("loss", "optimizer", "scheduler")
_MODEL_SPECS = ("activation", "weight_init", "bias_init")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_PLACEHOLDER = re.compile(r"<[a-z_]+>")  # a key the new type needs, for the user to fill in
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "~"}


def replace_type_switches(problems: list[Problem], before, after, locator: Locator) -> list[Problem]:
    """``problems`` with those inside a section whose type a ``--set`` changed (into a type that does
    not fit the section's other keys) replaced by one problem per such section."""
    for replaced, problem in type_switch_problems(before, after, locator):
        problems = [p for p in problems if p.key.removeprefix("--set ") not in replaced]
        problems.append(problem)
    return problems


def type_switch_problems(before, after, locator: Locator) -> list[tuple[set[str], Problem]]:
    """For each ``--set ....type=NAME`` that leaves its section invalid: the keys of the problems it
    explains (the section itself, the old type's keys and the new type's missing ones) and the
    problem that replaces them. Problems with the values of keys both types take stay."""
    found = []
    for path in locator.overrides:
        section = path[:-1]
        if path[-1:] != ("type",) or _spec_key(section) is None:
            continue
        new = lookup(after, section)
        kind, variants = SPEC_KINDS[_spec_key(section)]
        name = new.get("type") if isinstance(new, dict) else None
        spec = variants.get(name) if isinstance(name, str) else None
        if spec is None:  # not a mapping, or not a registered name: reported as such
            continue
        # The section as it was before the type changed: a --set of the whole section, or the file's.
        old = locator.overrides[section] if section in locator.overrides else lookup(before, section)
        old_type = old.get("type") if isinstance(old, dict) else old if isinstance(old, str) else None
        fields = spec.model_fields
        extra = [str(key) for key in new if key not in fields]
        missing = [key for key, field in fields.items() if field.is_required() and key not in new]
        if old_type == new["type"] or not (extra or missing):
            continue
        message = _message(section, kind, old_type, new, extra, missing)
        replaced = {dotted_path(section)} | {dotted_path((*section, key)) for key in [*extra, *missing]}
        found.append((replaced, Problem(None, None, None, f"--set {_set_key(path)}", message)))
    return found


def _message(section: tuple, kind: str, old_type, new: dict, extra: list, missing: list) -> str:
    name = new["type"]
    reasons = [f"does not take {', '.join(extra)}"] if extra else []
    reasons += [f"needs {', '.join(missing)}"] if missing else []
    if isinstance(old_type, str):
        head = f"changing 'type' alone keeps the other keys of the {old_type} {kind}"
    else:
        head = f"'type' alone does not make a whole {kind}"
    whole = {key: value for key, value in new.items() if str(key) not in extra}
    whole.update({key: f"<{key}>" for key in missing})
    command = f'--set "{_set_key(section)}={_flow(whole)}"'
    return f"{head}, and {name} {' and '.join(reasons)}; set the whole section instead: {command}"


def _spec_key(section: tuple) -> str | None:
    """The ``SPEC_KINDS`` key of a spec's position in the config, or None if it holds no spec."""
    if len(section) == 1 and section[0] in _SECTIONS:
        return section[0]
    if len(section) == 2 and section[0] == "model" and section[1] in _MODEL_SPECS:
        return section[1]
    if len(section) >= 3 and section[:2] == ("model", "layers") and isinstance(section[2], int):
        if len(section) == 3:
            return "layers"
        if len(section) == 4 and section[3] in ("weight_init", "bias_init"):
            return section[3]
    return None


def _set_key(path: tuple) -> str:
    """The path as ``--set`` writes it: list indices joined by '.' too (``model.layers.0``)."""
    return ".".join(str(part) for part in path)


def _flow(value) -> str:
    """``value`` in YAML flow style, as it would be typed after ``--set key=``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, float):
        return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and value.lower() not in _RESERVED
        return value if plain or _PLACEHOLDER.fullmatch(value) else "'" + value.replace("'", "''") + "'"
    return str(value)

"""``--set key.path=value``: one override applied to the parsed YAML, or the Problem with it."""

from __future__ import annotations

import copy
import re
from typing import Any

from ..errors import ConfigError, Problem
from .locator import Locator
from .wording import show
from .yaml_loader import parse_value

_KEY_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")


def apply_override(data: dict, override: str, locator: Locator) -> Problem | None:
    """Set ``key.path=value`` in ``data``; a Problem if the override itself is malformed."""
    key, sep, text = override.partition("=")
    key = key.strip()
    label = f"--set {key}" if key else "--set"
    if not sep or not key:
        return Problem(
            None, None, None, label, f"expected KEY.PATH=VALUE (e.g. optimizer.lr=0.001); got {override!r}"
        )
    parts: list[str | int] = []
    for part in key.split("."):
        if not _KEY_PART.fullmatch(part):
            return Problem(
                None,
                None,
                None,
                label,
                f"bad key path; use names and list indices joined by '.'; got {key!r}",
            )
        parts.append(int(part) if part.isdigit() else part)
    try:
        value = parse_value(text, label)
    except ConfigError as error:
        return error.problems[0]
    target: Any = data
    for depth, part in enumerate(parts[:-1]):
        where = ".".join(str(p) for p in parts[: depth + 1])
        if isinstance(target, dict) and isinstance(part, str):
            if target.get(part) is None:
                target[part] = {}
            target = target[part]
        elif isinstance(target, list) and isinstance(part, int):
            if part >= len(target):
                parent = ".".join(str(p) for p in parts[:depth]) or "the config"
                message = f"index {part} out of range: {parent} has {len(target)} items"
                return Problem(None, None, None, label, message)
            target = target[part]
        else:
            return Problem(None, None, None, label, f"cannot set a key inside {where}: it is not a mapping")
        if not isinstance(target, dict | list):
            return Problem(None, None, None, label, f"cannot set a key inside {where}: it is {show(target)}")
    last = parts[-1]
    if isinstance(target, list):
        if not isinstance(last, int) or last >= len(target):
            parent = ".".join(str(p) for p in parts[:-1])
            message = f"{parent} is a list of {len(target)} items; use an index from 0 to {len(target) - 1}"
            return Problem(None, None, None, label, message)
        target[last] = value
    elif isinstance(last, str):
        target[last] = value
    else:
        return Problem(None, None, None, label, "a list index needs a list")
    locator.overrides[tuple(parts)] = copy.deepcopy(value)
    return None

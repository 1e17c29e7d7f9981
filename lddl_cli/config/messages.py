"""Pydantic's validation errors translated into lddl's Problems: located, worded for a person
editing the YAML, with the allowed keys or names and a "did you mean".

Most errors are worded by ``WORDING``, one template per pydantic error type (the types and their
``ctx`` keys are pydantic's documented ones: https://docs.pydantic.dev/latest/errors/validation_errors/).
Four need more than the error itself and have a function each: an unknown key and a missing key
(the allowed keys and what a key takes, from the JSON Schema via ``expected``), a value outside a
fixed set of choices (the choices, from the same schema) and lddl's own ``unknown_type`` (a spec
naming no registered layer, loss, ...). An error type that is in neither keeps pydantic's message.
A test produces every listed type from a bad config, so a renamed type fails a test.
"""

from __future__ import annotations

from pydantic import ValidationError

from ..errors import Problem
from ..nn import registry
from . import expected
from .locator import Locator
from .specs import (
    ACTIVATION_VARIANTS,
    INIT_VARIANTS,
    LAYER_VARIANTS,
    LOSS_VARIANTS,
    OPTIMIZER_VARIANTS,
    SCHEDULER_VARIANTS,
)
from .wording import closest, did_you_mean, show

# pydantic error type -> message. Fields: the error's ``ctx``, ``got`` (the value as written, e.g.
# "got 0 (an integer)") and ``length`` (the value's length).
WORDING = {
    "int_type": "expected an integer; {got}",
    "float_type": "expected a number; {got}",
    "bool_type": "expected true or false; {got}",
    "string_type": "expected a string; {got}",
    "list_type": "expected a list; {got}",
    "model_type": "expected a mapping; {got}",
    "greater_than": "must be > {gt}; {got}",
    "greater_than_equal": "must be >= {ge}; {got}",
    "less_than": "must be < {lt}; {got}",
    "less_than_equal": "must be <= {le}; {got}",
    "finite_number": "must be a finite number; {got}",
    "too_short": "needs at least {min_length} item(s); {got}",
    "too_long": "takes at most {max_length} item(s); {got}",
    "string_too_short": "must not be empty; {got}",
    "string_too_long": "at most {max_length} characters; got {length}",
    # The one pattern in the config is the run name's.
    "string_pattern_mismatch": (
        "use letters, digits, '.', '_' and '-' (starting with a letter or digit); {got}"
    ),
    "value_error": "{error}",  # a validator's ValueError, already worded for the user
}

# Where a spec sits (the last key of its path) -> its kind, for messages, and its variants.
SPEC_KINDS = {
    "loss": ("loss", LOSS_VARIANTS),
    "optimizer": ("optimizer", OPTIMIZER_VARIANTS),
    "scheduler": ("scheduler", SCHEDULER_VARIANTS),
    "activation": ("activation", ACTIVATION_VARIANTS),
    "weight_init": ("initializer", INIT_VARIANTS),
    "bias_init": ("initializer", INIT_VARIANTS),
    "layers": ("layer", LAYER_VARIANTS),
}


def translate(error: ValidationError, data, locator: Locator) -> list[Problem]:
    """One Problem per pydantic error, located and worded for a person editing the YAML."""
    items = [(_data_path(tuple(item["loc"]), data), item) for item in error.errors(include_url=False)]
    unknown = {path for path, item in items if item["type"] == "extra_forbidden"}
    problems: list[Problem] = []
    for path, item in items:
        kind = item["type"]
        if kind == "extra_forbidden":
            problems.append(_unknown_key(path, data, locator))
        elif kind == "missing":
            typos = [p for p in unknown if p[:-1] == path[:-1] and closest(str(p[-1]), [str(path[-1])])]
            if not typos:  # else reported as the typo: "unknown key 'epoch'; did you mean 'epochs'?"
                problems.append(_missing_key(path, data, locator))
        elif kind == "unknown_type":
            problems.append(_unknown_type_problem(path, item.get("input"), locator))
        elif kind == "literal_error":
            text = _unknown_value(path, data, item.get("input")) or message(item)
            problems.append(locator.problem(path, text))
        else:
            problems.append(locator.problem(path, message(item)))
    return problems


def message(item: dict) -> str:
    """The message for one pydantic error by ``WORDING``, else pydantic's own with the value."""
    value = item.get("input")
    fields = {**(item.get("ctx") or {}), "got": f"got {show(value)}"}
    fields["length"] = len(value) if isinstance(value, str | list | dict) else ""
    template = WORDING.get(item["type"])
    return template.format(**fields) if template is not None else f"{item['msg']}; {fields['got']}"


def _unknown_key(path: tuple, data, locator: Locator) -> Problem:
    allowed = expected.allowed_keys(expected.schema_at(path[:-1], data))
    hint = did_you_mean(path[-1], allowed)
    listing = f"allowed: {', '.join(allowed)}" if allowed else "no other keys are allowed"
    return locator.problem(path, f"unknown key; {hint}{listing}", key=True)


def _missing_key(path: tuple, data, locator: Locator) -> Problem:
    what = expected.describe(expected.schema_at(path, data))
    return locator.problem(path, "required key is missing" + (f" ({what})" if what else ""))


def _unknown_value(path: tuple, data, value) -> str | None:
    """A value outside its fixed choices, with the choices; None if the schema has none there."""
    choices = [str(choice) for choice in expected.choices(expected.schema_at(path, data))]
    if not choices:
        return None
    if isinstance(value, str):
        return f"unknown value {value!r}; {did_you_mean(value, choices)}allowed: {', '.join(choices)}"
    return f"allowed: {', '.join(choices)}; got {show(value)}"


def _data_path(loc: tuple, data) -> tuple:
    """Drop the union tags pydantic inserts into ``loc``, giving the path in the data."""
    path: list = []
    current = data
    for element in loc:
        if isinstance(current, dict) and element in current:
            current = current[element]
        elif isinstance(current, list) and isinstance(element, int) and element < len(current):
            current = current[element]
        elif isinstance(current, dict) and element == current.get("type"):
            continue  # the tag of a discriminated union
        else:
            current = None
        path.append(element)
    return tuple(path)


def _unknown_type_problem(path: tuple, value, locator: Locator) -> Problem:
    """A spec whose 'type' is missing, misspelt as a key, or not a registered name."""
    message = _unknown_type_message(path, value)
    if isinstance(value, dict):
        if "type" not in value:
            typos = [k for k in value if closest(str(k), ["type"])]
            if typos:  # {typ: relu}: point at the misspelt key
                return locator.problem(
                    (*path, typos[0]), f"unknown key; did you mean 'type'? ({message})", key=True
                )
        elif locator.written((*path, "type")):  # {type: lineer}: point at the name
            return locator.problem((*path, "type"), message)
    return locator.problem(path, message)  # a bare name, or not a spec at all


def _unknown_type_message(path: tuple, value) -> str:
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    kind, variants = SPEC_KINDS.get(key, ("type", {}))
    allowed = list(variants)
    if isinstance(value, dict):
        if "type" not in value:
            return f"missing 'type'; allowed {kind}s: {', '.join(allowed)}"
        name = value["type"]
    else:
        if not isinstance(value, str):
            return f"expected {_a(kind)} name or a mapping with 'type'; got {show(value)}"
        name = value
    if not isinstance(name, str):
        return f"'type' must be {_a(kind)} name; got {show(name)}"
    suggestion = registry.closest(name, allowed)
    hint = f"did you mean {suggestion!r}? " if suggestion else ""
    return f"unknown {kind} {name!r}; {hint}allowed: {', '.join(allowed)}"


def _a(kind: str) -> str:
    """``kind`` with its indefinite article: "an optimizer", "a loss"."""
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """File problems by line and column, then the ones without a position, in their order."""
    indexed = list(enumerate(problems))
    indexed.sort(key=lambda pair: (pair[1].line is None, pair[1].line or 0, pair[1].col or 0, pair[0]))
    return [problem for _, problem in indexed]

"""Pydantic's validation errors translated into lddl's Problems: located, worded for a person
editing the YAML, with the allowed keys or names and a "did you mean"."""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from ..nn import registry
from .locator import Locator
from .sections import Config
from .specs import (
    ACTIVATION_VARIANTS,
    INIT_VARIANTS,
    LAYER_VARIANTS,
    LOSS_VARIANTS,
    OPTIMIZER_VARIANTS,
    SCHEDULER_VARIANTS,
)
from .wording import closest, did_you_mean, show

_KINDS = {
    "loss": ("loss", LOSS_VARIANTS),
    "optimizer": ("optimizer", OPTIMIZER_VARIANTS),
    "scheduler": ("scheduler", SCHEDULER_VARIANTS),
    "activation": ("activation", ACTIVATION_VARIANTS),
    "weight_init": ("initializer", INIT_VARIANTS),
    "bias_init": ("initializer", INIT_VARIANTS),
    "layers": ("layer", LAYER_VARIANTS),
}


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


def _lookup(data, path: tuple):
    current = data
    for element in path:
        if isinstance(current, dict) and element in current:
            current = current[element]
        elif isinstance(current, list) and isinstance(element, int) and element < len(current):
            current = current[element]
        else:
            return None
    return current


def _model_at(path: tuple, data) -> type[BaseModel] | None:
    """The pydantic model validating the mapping at ``path`` (for listing its allowed keys)."""
    annotation: Any = Config
    for depth, element in enumerate(path):
        if isinstance(element, int):
            annotation = _list_item(annotation)
            if annotation is None:
                return None
            continue
        model = _unwrap(annotation, _lookup(data, path[:depth]))
        if model is None or element not in model.model_fields:
            return None
        annotation = model.model_fields[element].annotation
    return _unwrap(annotation, _lookup(data, path))


def _list_item(annotation):
    for candidate in _flatten(annotation):
        if typing.get_origin(candidate) is list:
            return typing.get_args(candidate)[0]
    return None


def _flatten(annotation) -> list:
    """The alternatives of an annotation, Annotated/Optional/Union stripped."""
    if typing.get_origin(annotation) is Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _flatten(arg)]
    return [annotation]


def _unwrap(annotation, value) -> type[BaseModel] | None:
    """The model among ``annotation``'s alternatives that ``value`` is validated by."""
    models = [a for a in _flatten(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    if not models:
        return None
    if len(models) == 1:
        return models[0]
    if isinstance(value, dict):
        for model in models:
            field = model.model_fields.get("type")
            if field is not None and field.default == value.get("type"):
                return model
    return None


def translate(error: ValidationError, data, locator: Locator) -> list[Problem]:
    """One Problem per pydantic error, located and worded for a person editing the YAML."""
    problems: list[Problem] = []
    extra: dict[tuple, list[str]] = {}  # parent path -> its unknown keys
    for item in error.errors(include_url=False):
        if item["type"] == "extra_forbidden":
            path = _data_path(tuple(item["loc"]), data)
            extra.setdefault(path[:-1], []).append(str(path[-1]))
    for item in error.errors(include_url=False):
        path = _data_path(tuple(item["loc"]), data)
        kind = item["type"]
        value = item.get("input")
        if kind == "extra_forbidden":
            model = _model_at(path[:-1], data)
            allowed = [k for k in model.model_fields if k != "type"] if model else []
            hint = did_you_mean(path[-1], allowed)
            listing = f"allowed: {', '.join(allowed)}" if allowed else "no other keys are allowed"
            problems.append(locator.problem(path, f"unknown key; {hint}{listing}", key=True))
        elif kind == "missing":
            typos = [k for k in extra.get(path[:-1], []) if closest(k, [str(path[-1])])]
            if typos:
                continue  # reported as the typo: "unknown key 'epoch'; did you mean 'epochs'?"
            model = _model_at(path[:-1], data)
            field = model.model_fields.get(str(path[-1])) if model is not None else None
            expected = f" ({_describe(field)})" if field is not None else ""
            problems.append(locator.problem(path, f"required key is missing{expected}"))
        elif kind == "unknown_type":
            problems.append(_unknown_type_problem(path, value, locator))
        else:
            problems.append(locator.problem(path, _message(item, value)))
    return problems


def _describe(field) -> str:
    """What a field takes, in words: 'an integer >= 1', 'a string', 'a mapping'."""
    annotation = field.annotation
    kinds = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    if annotation in kinds:
        text = kinds[annotation]
    elif typing.get_origin(annotation) is list:
        text = "a list"
    else:
        text = "a mapping"
    bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    for constraint in field.metadata:
        for attribute, sign in bounds.items():
            if getattr(constraint, attribute, None) is not None:
                text += f" {sign} {getattr(constraint, attribute)}"
        length = getattr(constraint, "min_length", None)
        if length == 1:
            text = text.replace("a ", "a non-empty ", 1)
        elif length:
            text += f" of at least {length} items"
    return text


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
    kind, variants = _KINDS.get(key, ("type", {}))
    allowed = list(variants)
    if isinstance(value, dict):
        if "type" not in value:
            return f"missing 'type'; allowed {kind}s: {', '.join(allowed)}"
        name = value["type"]
    else:
        if not isinstance(value, str):
            return f"expected a {kind} name or a mapping with 'type'; got {show(value)}"
        name = value
    if not isinstance(name, str):
        return f"'type' must be a {kind} name; got {show(name)}"
    suggestion = registry.closest(name, allowed)
    hint = f"did you mean {suggestion!r}? " if suggestion else ""
    return f"unknown {kind} {name!r}; {hint}allowed: {', '.join(allowed)}"


_TYPE_NAMES = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "literal_error": None,
}


def _message(item: dict, value) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    got = f"got {show(value)}"
    if kind in _TYPE_NAMES and kind != "literal_error":
        return f"expected {_TYPE_NAMES[kind]}; {got}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        choices = re.findall(r"'([^']*)'", expected)
        if isinstance(value, str):
            return f"unknown value {value!r}; {did_you_mean(value, choices)}allowed: {', '.join(choices)}"
        return f"allowed: {', '.join(choices)}; {got}"
    bounds = {
        "greater_than": "> {gt}",
        "greater_than_equal": ">= {ge}",
        "less_than": "< {lt}",
        "less_than_equal": "<= {le}",
    }
    if kind in bounds:
        return f"must be {bounds[kind].format(**ctx)}; {got}"
    if kind == "finite_number":
        return f"must be a finite number; {got}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s); {got}"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s); {got}"
    if kind == "string_pattern_mismatch":
        return f"use letters, digits, '.', '_' and '-' (starting with a letter or digit); {got}"
    if kind == "string_too_short":
        return f"must not be empty; {got}"
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters; got {len(value)}"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    return f"{item['msg']}; {got}"


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """File problems by line and column, then the ones without a position, in their order."""
    indexed = list(enumerate(problems))
    indexed.sort(key=lambda pair: (pair[1].line is None, pair[1].line or 0, pair[1].col or 0, pair[0]))
    return [problem for _, problem in indexed]

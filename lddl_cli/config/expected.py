"""What the config allows at a key path, read from its JSON Schema (``Config.model_json_schema()``).

The messages need three facts about the place a problem is at: the keys a mapping allows, the
names a fixed-choice value allows, and what a required key takes ("an integer >= 1"). All three
are in the JSON Schema that pydantic derives from the sections and specs, a public and stable
format, so nothing here walks Python type annotations or pydantic's field objects.
"""

from __future__ import annotations

import functools

from .sections import Config

_KIND_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}
_BOUNDS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}


@functools.cache
def _schema() -> dict:
    return Config.model_json_schema()


def schema_at(path: tuple, data) -> dict | None:
    """The schema of the value at ``path`` in ``data``: references followed, ``null`` alternatives
    dropped, and a ``type``-tagged union narrowed to the member the data names (None if unknown)."""
    node: dict | None = _resolve(_schema(), data)
    value = data
    for element in path:
        if node is None:
            return None
        if isinstance(element, int):
            node = node.get("items")
            value = value[element] if isinstance(value, list) and element < len(value) else None
        else:
            node = node.get("properties", {}).get(element)
            value = value.get(element) if isinstance(value, dict) else None
        node = _resolve(node, value) if node is not None else None
    return node


def _resolve(node: dict, value) -> dict | None:
    while True:
        if "$ref" in node:
            node = _schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        members = node.get("anyOf") or node.get("oneOf")
        if not members:
            return node
        members = [m for m in members if m != {"type": "null"}]
        if len(members) == 1:
            node = members[0]
            continue
        tag = value.get("type") if isinstance(value, dict) else None
        resolved = [_resolve(m, value) for m in members]
        tagged = [m for m in resolved if m is not None and tag in choices(_type_of(m))]
        return tagged[0] if len(tagged) == 1 else None


def _type_of(node: dict) -> dict:
    return node.get("properties", {}).get("type", {})


def choices(node: dict | None) -> list:
    """The values a fixed-choice schema allows (its ``enum`` or ``const``), else []."""
    if node is None:
        return []
    if "enum" in node:
        return list(node["enum"])
    return [node["const"]] if "const" in node else []


def allowed_keys(node: dict | None) -> list[str]:
    """The keys a mapping's schema allows, in declaration order, without a spec's ``type``."""
    return [key for key in (node or {}).get("properties", {}) if key != "type"]


def describe(node: dict | None) -> str:
    """What a schema takes, in words: 'an integer >= 1', 'a non-empty string', 'a mapping'; '' when
    the schema says nothing (a generated spec's untyped argument)."""
    if node is None or node.get("type") not in _KIND_WORDS:
        return ""
    text = _KIND_WORDS[node["type"]]
    for keyword, sign in _BOUNDS.items():
        if keyword in node:
            bound = node[keyword]  # pydantic 2.6 writes a float bound 0 as 0.0, 2.14 as 0
            text += f" {sign} {int(bound) if isinstance(bound, float) and bound.is_integer() else bound}"
    length = node.get("minItems", node.get("minLength"))
    if length == 1:
        text = text.replace("a ", "a non-empty ", 1)
    elif length:
        text += f" of at least {length} items"
    return text

"""The config's JSON Schema, for editors (``lddl schema``): pydantic's, plus the aliases of each
registered name, the bare-name shorthand (``loss: mse`` for ``{type: mse}``) and a one-line
``description`` of every key (``descriptions``)."""

from __future__ import annotations

from ..nn import registry
from .descriptions import description
from .sections import Config
from .specs import INIT_VARIANTS, LAYER_VARIANTS, LOSS_VARIANTS, OPTIMIZER_VARIANTS, SCHEDULER_VARIANTS


def schema_json() -> dict:
    """The JSON Schema of the config file, for editors (``lddl schema``)."""
    schema = Config.model_json_schema()
    schema["title"] = "lddl config"
    definitions = schema.get("$defs", {})
    kinds = [
        (LAYER_VARIANTS, registry.LAYERS),
        (LOSS_VARIANTS, registry.LOSSES),
        (OPTIMIZER_VARIANTS, registry.OPTIMIZERS),
        (SCHEDULER_VARIANTS, registry.SCHEDULERS),
        (INIT_VARIANTS, registry.INITIALIZERS),
    ]
    for variants, table in kinds:
        for canonical, spec in variants.items():
            definition = definitions[spec.__name__]
            # The discriminator needs 'type' in the mapping form, default or not.
            definition["required"] = ["type", *[r for r in definition.get("required", []) if r != "type"]]
            aliases = [
                a for a in table.all_names() if a not in table.names() and table.canonical(a) == canonical
            ]
            if aliases:
                definition["properties"]["type"] = {"enum": [canonical, *aliases], "default": canonical}
            definition["properties"]["type"]["description"] = _type_description(table, canonical)
    _allow_bare_names(schema, definitions)
    for owner, node in [("Config", schema), *definitions.items()]:
        for key, property_schema in node.get("properties", {}).items():
            text = property_schema.get("description") or description(owner, key)
            if text is not None:
                property_schema["description"] = text
    return schema


def _type_description(table: registry.Registry, name: str) -> str:
    """The registered name and the first line of its class's (or function's) docstring."""
    doc = (table[name].__doc__ or "").strip().splitlines()
    summary = doc[0].replace("``", "").strip() if doc else ""
    return f"{name}: {summary}" if summary else name


def _allow_bare_names(node, definitions: dict) -> None:
    """Let every spec union also accept the bare name of a spec that needs no other key."""
    if isinstance(node, list):
        for item in node:
            _allow_bare_names(item, definitions)
        return
    if not isinstance(node, dict):
        return
    members = node.get("oneOf")
    if isinstance(members, list) and members and all("$ref" in m for m in members):
        names = []
        for member in members:
            definition = definitions.get(member["$ref"].rsplit("/", 1)[-1], {})
            type_schema = definition.get("properties", {}).get("type", {})
            spelled = type_schema.get("enum") or [type_schema.get("const")]
            if None not in spelled and set(definition.get("required", [])) <= {"type"}:
                names += spelled
        if names:
            node["oneOf"] = [*members, {"type": "string", "enum": names}]
    for key, value in node.items():
        if key != "oneOf":
            _allow_bare_names(value, definitions)

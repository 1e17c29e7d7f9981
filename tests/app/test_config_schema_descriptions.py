"""Every key of ``lddl schema`` has a one-line description (config/descriptions.py, and the first
docstring line of each registered type), read through the real command."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from lddl_cli.cli import app
from lddl_cli.config import descriptions
from lddl_cli.config.sections import Config


def lddl_schema() -> dict:
    result = CliRunner().invoke(app, ["schema"], env={"LDDL_DEBUG": None, "NO_COLOR": "1"})
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def properties(node, where: str = "#"):
    """Every (path, owner, key, schema) of a ``properties`` entry anywhere in ``node``; the owner is
    the ``$defs`` name the property belongs to (``Config`` at the top level)."""
    found = []

    def walk(node, where: str, owner: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}/{index}", owner)
        elif isinstance(node, dict):
            for key, value in (node.get("properties") or {}).items():
                found.append((f"{where}/properties/{key}", owner, key, value))
            for key, value in node.items():
                inner = key if where.endswith("/$defs") else owner
                walk(value, f"{where}/{key}", inner)

    walk(node, where, "Config")
    return found


def undescribed(schema: dict) -> list[str]:
    """The properties without a one-line description: missing, empty, not a string or several lines."""
    bad = []
    for path, _, _, value in properties(schema):
        text = value.get("description") if isinstance(value, dict) else None
        if not isinstance(text, str) or not text.strip() or "\n" in text or len(text) > 160:
            bad.append(path)
    return bad


def unused_entries(schema: dict, raw: dict) -> list:
    """Entries of the description tables that describe no key of ``schema``; ``raw`` is pydantic's
    schema before lddl's additions (a key described there by ``Field(description=...)`` does not
    use the table, so a table entry for it would be a second source)."""
    described_by_pydantic = {path for path, _, _, value in properties(raw) if value.get("description")}
    used = set()
    for path, owner, key, _ in properties(schema):
        if path in described_by_pydantic:
            continue
        used.add((owner, key) if (owner, key) in descriptions.OWNED else key)
    return [entry for entry in [*descriptions.OWNED, *descriptions.SHARED] if entry not in used]


def test_every_key_of_lddl_schema_has_a_one_line_description():
    schema = lddl_schema()
    assert len(properties(schema)) > 150  # every section key, hyperparameter and 'type'
    assert undescribed(schema) == []


def test_a_planted_schema_without_descriptions_fails_the_check():
    schema = lddl_schema()
    planted = copy.deepcopy(schema)
    del planted["$defs"]["AdamSpec"]["properties"]["betas"]["description"]
    planted["properties"]["seed"]["description"] = "two\nlines"
    planted["$defs"]["TrainConfig"]["properties"]["epochs"]["description"] = " "
    assert sorted(undescribed(planted)) == [
        "#/$defs/AdamSpec/properties/betas",
        "#/$defs/TrainConfig/properties/epochs",
        "#/properties/seed",
    ]
    assert undescribed(Config.model_json_schema())  # pydantic's own schema has (almost) none


def test_every_description_table_entry_describes_a_key(monkeypatch):
    schema, raw = lddl_schema(), Config.model_json_schema()
    assert unused_entries(schema, raw) == []
    monkeypatch.setitem(descriptions.SHARED, "learning_rate", "planted: no key has this name")
    monkeypatch.setitem(descriptions.OWNED, ("SGDSpec", "betas"), "planted: SGD has no betas")
    assert unused_entries(schema, raw) == [("SGDSpec", "betas"), "learning_rate"]


@pytest.mark.parametrize(
    ("owner", "key", "words"),
    [
        ("Config", "seed", "seed"),
        ("Config", "data", "relative to the current directory"),
        ("DataConfig", "x", ".npy"),
        ("SGDSpec", "lr", "learning rate"),
        ("AdamWSpec", "weight_decay", "decoupled"),  # its own meaning wins over the shared one
        ("KaimingUniformInit", "a", "negative slope"),
        ("UniformInit", "a", "lower bound"),
    ],
)
def test_a_key_reads_its_own_description(owner, key, words):
    schema = lddl_schema()
    node = schema if owner == "Config" else schema["$defs"][owner]
    text = node["properties"][key]["description"]
    assert words in text, text


def test_a_type_is_described_by_its_docstring():
    definitions = lddl_schema()["$defs"]
    assert definitions["AdamSpec"]["properties"]["type"]["description"].startswith("adam: Adam (Kingma & Ba)")
    assert definitions["L1LossSpec"]["properties"]["type"]["description"].startswith(
        "l1: Mean absolute error"
    )

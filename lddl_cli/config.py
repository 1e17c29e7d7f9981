"""YAML -> validated config objects, and the builders that turn them into library objects.

``load_config(path, overrides)`` reads the file with the safe loader (``yaml_loader``), applies
``--set key.path=value`` overrides, validates everything with pydantic v2 (strict types, finite
numbers, unknown keys forbidden, every layer / loss / optimizer / scheduler / initializer checked
against its registry and its own keys) and raises one ``ConfigError`` listing every problem, each
located at ``FILE:LINE:COL`` (or ``--set key``) with its key path.

Spec objects of the library kinds are written ``{type: name, ...hyperparameters}``; a bare name
(``loss: mse``, ``- relu``, ``weight_init: xavier_uniform``) means ``{type: name}``. Names are
normalized to the registry's canonical name (aliases such as ``mae`` -> ``l1``).

The per-type specs (one model per registered layer, loss, optimizer, scheduler, initializer) live
in ``specs.py``. Pydantic is imported by these two modules only, so the CLI can import them lazily
and keep ``--help`` fast.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import nn
from .errors import ConfigError, Problem
from .nn import registry
from .specs import (
    ACTIVATION_VARIANTS,
    INIT_VARIANTS,
    LAYER_VARIANTS,
    LOSS_VARIANTS,
    OPTIMIZER_VARIANTS,
    SCHEDULER_ARGUMENTS,
    SCHEDULER_VARIANTS,
    STRICT,
    WIDTH_KEYS,
    ActivationSpec,
    DefaultInit,
    DropoutSpec,
    InitSpec,
    LayerSpec,
    LinearSpec,
    LossSpec,
    MSELossSpec,
    NonNegativeFloat,
    NonNegativeInt,
    OptimizerSpec,
    PositiveFloat,
    PositiveInt,
    ReLUSpec,
    SchedulerSpec,
    SGDSpec,
    Spec,
    _check_bias_init,
)
from .yaml_loader import YamlDocument, load_yaml_file, parse_value


# --- the config sections ------------------------------------------------------------------------
class DataConfig(BaseModel):
    """Where the arrays are (paths relative to the current directory) and how to split them."""

    model_config = STRICT
    x: Annotated[str, Field(min_length=1)]
    y: Annotated[str, Field(min_length=1)]
    train_size: PositiveInt | None = None
    val_x: Annotated[str, Field(min_length=1)] | None = None
    val_y: Annotated[str, Field(min_length=1)] | None = None
    val_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0

    @model_validator(mode="after")
    def _validation_source(self):
        if (self.val_x is None) != (self.val_y is None):
            raise ValueError("val_x and val_y go together; give both or neither")
        if self.val_x is not None and self.val_fraction > 0:
            raise ValueError("give either val_x/val_y or val_fraction, not both")
        return self


class ModelConfig(BaseModel):
    """Compact form (``widths`` + ``activation``) or explicit ``layers``, not both."""

    model_config = STRICT
    widths: Annotated[list[PositiveInt], Field(min_length=2)] | None = None
    activation: ActivationSpec | None = None
    weight_init: InitSpec | None = None
    bias_init: InitSpec | None = None
    dropout: Annotated[float, Field(ge=0, lt=1)] | None = None
    layers: Annotated[list[LayerSpec], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_form(self):
        if (self.widths is None) == (self.layers is None):
            raise ValueError("give either 'widths' (compact form) or 'layers' (explicit form), exactly one")
        if self.layers is not None:
            extra = [
                k
                for k in ("activation", "weight_init", "bias_init", "dropout")
                if getattr(self, k) is not None
            ]
            if extra:
                raise ValueError(
                    f"{', '.join(extra)} belong(s) to the compact form; with 'layers' set them per layer"
                )
        return self

    _bias_init = field_validator("bias_init")(lambda spec: _check_bias_init(spec))


class EarlyStopping(BaseModel):
    model_config = STRICT
    patience: PositiveInt
    min_delta: NonNegativeFloat = 0.0
    restore_best: bool = True


class TrainConfig(BaseModel):
    model_config = STRICT
    epochs: PositiveInt
    batch_size: PositiveInt
    shuffle: bool = True
    drop_last: bool = False
    grad_clip: PositiveFloat | None = None
    early_stopping: EarlyStopping | None = None
    checkpoint_every: NonNegativeInt = 0
    compile: bool = True  # the fused training step (nn.compile_step) when it supports the run


class Config(BaseModel):
    """A validated training configuration. ``resolved()`` gives it back as plain data."""

    model_config = STRICT
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)] = "run"
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    dtype: Literal["float32", "float64"] = "float32"
    data: DataConfig
    model: ModelConfig
    loss: LossSpec = MSELossSpec()
    optimizer: OptimizerSpec = SGDSpec()
    scheduler: SchedulerSpec | None = None
    train: TrainConfig

    _source_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str | None = PrivateAttr(default=None)
    _locator: Any = PrivateAttr(default=None)

    @property
    def source_dir(self) -> Path:
        """The folder of the config file (the CWD for a config not read from a file)."""
        return self._source_dir

    @property
    def source(self) -> str | None:
        """The config file's path as given, for messages."""
        return self._source

    def where(self, path: tuple) -> str:
        """Where ``path`` was written, for messages: ``FILE:LINE:COL`` or ``--set key``."""
        problem = self.problem(path, "")
        if problem.file is None:
            return problem.key
        location = problem.file + "".join(f":{n}" for n in (problem.line, problem.col) if n is not None)
        return f"{problem.key} at {location}"

    def problem(self, path: tuple, message: str) -> Problem:
        """A Problem located where ``path`` was written (file line:col, or its ``--set``)."""
        if self._locator is None:
            return Problem(self._source, None, None, dotted_path(path), message)
        return self._locator.problem(tuple(path), message)

    def resolved(self) -> dict:
        """The fully resolved config as plain data: defaults filled, model as explicit layers."""
        data = self.model_dump(mode="python")
        data["model"] = {"layers": resolve_layers(self)}
        return data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self.resolved() == other.resolved()

    __hash__ = None


def resolve_layers(config: Config) -> list[dict]:
    """Explicit layer specs, every default filled (the compact form expanded)."""
    model = config.model
    if model.layers is not None:
        return [layer.model_dump(mode="python") for layer in model.layers]
    activation = model.activation if model.activation is not None else ReLUSpec()
    weight_init = (model.weight_init or DefaultInit()).model_dump(mode="python")
    bias_init = (model.bias_init or DefaultInit()).model_dump(mode="python")
    layers: list[dict] = []
    pairs = list(zip(model.widths, model.widths[1:], strict=False))
    for index, (fan_in, fan_out) in enumerate(pairs):
        layers.append(
            LinearSpec(
                in_features=fan_in,
                out_features=fan_out,
                weight_init=dict(weight_init),
                bias_init=dict(bias_init),
            ).model_dump(mode="python")
        )
        if index < len(pairs) - 1:
            layers.append(activation.model_dump(mode="python"))
            if model.dropout:
                layers.append(DropoutSpec(p=model.dropout).model_dump(mode="python"))
    return layers


# --- loading --------------------------------------------------------------------------------------
def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read, override and validate a config file; ConfigError lists every problem found."""
    document = load_yaml_file(path)
    return validate_config(document, overrides, source_dir=Path(path).resolve().parent)


def validate_config(
    document: YamlDocument, overrides: list[str] | tuple[str, ...] = (), *, source_dir: Path | None = None
) -> Config:
    """Validate parsed YAML (with its marks) after applying ``overrides``."""
    locator = _Locator(document)
    data = _normalize(document.data)
    problems: list[Problem] = []
    for override in overrides:
        problem = _apply_override(data, override, locator)
        if problem is not None:
            problems.append(problem)
    data = _normalize(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_sorted(_translate(error, data, locator) + problems)) from None
    problems += _cross_check(config, locator)
    if problems:
        raise ConfigError(_sorted(problems))
    config._source_dir = source_dir if source_dir is not None else Path.cwd()
    config._source = document.file
    config._locator = locator
    return config


def config_from_dict(data: dict, name: str | None = None) -> Config:
    """Validate plain data (e.g. the resolved config stored in a weights file)."""
    return validate_config(YamlDocument(data=data, file=name))


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
    _allow_bare_names(schema, definitions)
    return schema


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


# --- overrides ------------------------------------------------------------------------------------
_KEY_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")


def _apply_override(data: dict, override: str, locator: _Locator) -> Problem | None:
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
            return Problem(None, None, None, label, f"cannot set a key inside {where}: it is {_show(target)}")
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
    locator.overrides[tuple(parts)] = _copy(value)
    return None


# --- normalization: bare names -> {type: name}, aliases -> canonical names -----------------------
def _normalize(data):
    """A deep copy of ``data`` with spec shorthands expanded; unknown shapes are left for pydantic."""
    data = _copy(data)
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


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# --- error translation ---------------------------------------------------------------------------
# Long or common spellings of a key, for "did you mean" when plain string similarity fails.
KEY_ALIASES = {
    "learning_rate": "lr",
    "learningrate": "lr",
    "beta": "betas",
    "epsilon": "eps",
    "num_epochs": "epochs",
    "n_epochs": "epochs",
    "batchsize": "batch_size",
    "tmax": "t_max",
    "init": "weight_init",
    "initializer": "weight_init",
    "kernel_initializer": "weight_init",
    "clip": "grad_clip",
    "clip_grad_norm": "grad_clip",
    "max_norm": "grad_clip",
    "layer": "layers",
    "width": "widths",
    "sizes": "widths",
    "act": "activation",
    "rate": "p",
    "validation_fraction": "val_fraction",
    "random_seed": "seed",
}

_KINDS = {
    "loss": ("loss", LOSS_VARIANTS),
    "optimizer": ("optimizer", OPTIMIZER_VARIANTS),
    "scheduler": ("scheduler", SCHEDULER_VARIANTS),
    "activation": ("activation", ACTIVATION_VARIANTS),
    "weight_init": ("initializer", INIT_VARIANTS),
    "bias_init": ("initializer", INIT_VARIANTS),
    "layers": ("layer", LAYER_VARIANTS),
}


class _Locator:
    """Maps a data path to where it came from: FILE:LINE:COL, or the ``--set`` that set it."""

    def __init__(self, document: YamlDocument) -> None:
        self.document = document
        self.overrides: dict[tuple, object] = {}  # path -> the value as given on the command line

    def written(self, path: tuple) -> bool:
        """Whether ``path`` was written out in the file or an override (not implied by a bare name)."""
        if path in self.document.key_marks or path in self.overrides:
            return True
        for length in range(len(path) - 1, -1, -1):
            if path[:length] in self.overrides:
                return _lookup_written(self.overrides[path[:length]], path[length:])
        return False

    def problem(self, path: tuple, message: str, *, key: bool = False) -> Problem:
        dotted = dotted_path(path)
        for length in range(len(path), -1, -1):
            if path[:length] in self.overrides:
                return Problem(None, None, None, f"--set {dotted}", message)
        mark = self.document.mark(path, key=key) if self.document.file is not None else None
        line, col = mark if mark else (None, None)
        return Problem(self.document.file, line, col, dotted, message)


def dotted_path(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def closest(name: str, allowed: list[str]) -> str | None:
    """The allowed name closest to ``name``: by string similarity (with the alias table), else the
    one allowed name that contains it (``slope`` -> ``negative_slope``)."""
    lowered = str(name).lower()
    candidates = {a: a for a in allowed}
    candidates.update({alias: target for alias, target in KEY_ALIASES.items() if target in allowed})
    match = difflib.get_close_matches(lowered, list(candidates), n=1, cutoff=0.6)
    if match:
        return candidates[match[0]]
    containing = [a for a in allowed if len(lowered) >= 3 and lowered in a.lower()]
    return containing[0] if len(containing) == 1 else None


def _did_you_mean(name, allowed: list[str]) -> str:
    suggestion = closest(str(name), allowed)
    return f"did you mean {suggestion!r}? " if suggestion else ""


def _show(value) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value!r} (a number)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return type(value).__name__


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


def _lookup_written(value, path: tuple) -> bool:
    for element in path:
        if isinstance(value, dict) and element in value:
            value = value[element]
        elif isinstance(value, list) and isinstance(element, int) and element < len(value):
            value = value[element]
        else:
            return False
    return True


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


def _translate(error: ValidationError, data, locator: _Locator) -> list[Problem]:
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
            hint = _did_you_mean(path[-1], allowed)
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


def _unknown_type_problem(path: tuple, value, locator: _Locator) -> Problem:
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
            return f"expected a {kind} name or a mapping with 'type'; got {_show(value)}"
        name = value
    if not isinstance(name, str):
        return f"'type' must be a {kind} name; got {_show(name)}"
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
    got = f"got {_show(value)}"
    if kind in _TYPE_NAMES and kind != "literal_error":
        return f"expected {_TYPE_NAMES[kind]}; {got}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        choices = re.findall(r"'([^']*)'", expected)
        if isinstance(value, str):
            return f"unknown value {value!r}; {_did_you_mean(value, choices)}allowed: {', '.join(choices)}"
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


def _sorted(problems: list[Problem]) -> list[Problem]:
    """File problems by line and column, then the ones without a position, in their order."""
    indexed = list(enumerate(problems))
    indexed.sort(key=lambda pair: (pair[1].line is None, pair[1].line or 0, pair[1].col or 0, pair[0]))
    return [problem for _, problem in indexed]


# --- cross-checks -----------------------------------------------------------------------------------
def _cross_check(config: Config, locator: _Locator) -> list[Problem]:
    """Checks across keys: layer widths chain; norms match the width before them; the loss's
    per-output weights match the model's output width."""
    problems: list[Problem] = _loss_width_problems(config, locator)
    if config.model.layers is None:
        return problems
    width: int | None = None
    width_from = ""
    for index, layer in enumerate(config.model.layers):
        path = ("model", "layers", index)
        if layer.type == "linear":
            if width is not None and layer.in_features != width:
                message = (
                    f"in_features must equal the width before it ({width}, from {width_from}); "
                    f"got {layer.in_features}"
                )
                problems.append(locator.problem((*path, "in_features"), message))
            width, width_from = layer.out_features, f"layers[{index}].out_features"
        elif layer.type in WIDTH_KEYS:
            key = WIDTH_KEYS[layer.type]
            size = getattr(layer, key)
            if width is not None and size != width:
                message = f"{key} must equal the width before it ({width}, from {width_from}); got {size}"
                problems.append(locator.problem((*path, key), message))
            if width is None:
                width, width_from = size, f"layers[{index}].{key}"
    if not any(layer.type == "linear" for layer in config.model.layers):
        problems.append(locator.problem(("model", "layers"), "needs at least one linear layer"))
    return problems


# The loss keys that hold one value per model output: (key, whether a single value is allowed too).
LOSS_WIDTH_KEYS = {
    "cross_entropy": (("weight", False),),
    "bce_with_logits": (("weight", True), ("pos_weight", True)),
}


def _loss_width_problems(config: Config, locator: _Locator) -> list[Problem]:
    """A class weight / pos_weight list whose length is not the model's output width."""
    keys = [(k, one) for k, one in LOSS_WIDTH_KEYS.get(config.loss.type, ()) if getattr(config.loss, k)]
    output = model_widths(config)[1] if keys else None
    if output is None:  # no weights, or no linear layer (reported by the layer checks)
        return []
    width, width_path = output
    problems = []
    for key, one in keys:
        count = len(getattr(config.loss, key))
        if count != width and not (one and count == 1):
            allowed = f"{width}, or 1 for every output" if one else f"{width}, one per class"
            message = (
                f"has {count} value{'s' if count != 1 else ''} but the model's output width is {width} "
                f"({dotted_path(width_path)}); give {allowed}"
            )
            problems.append(locator.problem(("loss", key), message))
    return problems


def model_widths(config: Config) -> tuple[tuple[int, tuple], tuple[int, tuple]]:
    """((input width, its key path), (output width, its key path)) of the model, for the data checks."""
    if config.model.widths is not None:
        widths = config.model.widths
        return (widths[0], ("model", "widths", 0)), (widths[-1], ("model", "widths", len(widths) - 1))
    first = last = None
    for index, layer in enumerate(config.model.layers):
        if layer.type == "linear":
            first = first or (layer.in_features, ("model", "layers", index, "in_features"))
            last = (layer.out_features, ("model", "layers", index, "out_features"))
        elif layer.type in WIDTH_KEYS and first is None:
            key = WIDTH_KEYS[layer.type]
            first = (getattr(layer, key), ("model", "layers", index, key))
    return first, last  # the cross-check guarantees a linear layer


# --- builders --------------------------------------------------------------------------------------
def _initializer(spec: dict):
    hyper = {k: v for k, v in spec.items() if k != "type"}
    function = registry.INITIALIZERS[spec["type"]]
    return functools.partial(function, **hyper) if hyper else function


def build_model(layers: list[dict], dtype: str, rng: np.random.Generator) -> nn.Sequential:
    """An ``nn.Sequential`` from resolved layer specs; ``rng`` draws every initial value in order."""
    model = nn.Sequential()
    for index, spec in enumerate(layers):
        kind = spec.get("type")
        try:
            model.append(_build_layer(spec, dtype, rng))
        except registry.UnknownNameError as error:
            raise ConfigError([Problem(None, None, None, f"model.layers[{index}]", str(error))]) from None
        except (TypeError, ValueError) as error:
            message = f"{kind}: {error}"
            raise ConfigError([Problem(None, None, None, f"model.layers[{index}]", message)]) from None
    return model


def _build_layer(spec: dict, dtype: str, rng: np.random.Generator) -> nn.Module:
    cls = registry.LAYERS[spec["type"]]
    kwargs = {k: v for k, v in spec.items() if k != "type"}
    for key in ("weight_init", "bias_init"):
        if key in kwargs:
            kwargs[key] = _initializer(
                kwargs[key] if isinstance(kwargs[key], dict) else {"type": kwargs[key]}
            )
    accepted = inspect.signature(cls).parameters
    if "dtype" in accepted:
        kwargs["dtype"] = np.dtype(dtype)
    if "rng" in accepted:
        kwargs["rng"] = rng
    return cls(**kwargs)


def build_loss(spec: Spec):
    """The loss object for a validated loss spec."""
    try:
        return registry.LOSSES[spec.type](**spec.hyper())
    except (TypeError, ValueError) as error:
        raise ConfigError([Problem(None, None, None, "loss", f"{spec.type}: {error}")]) from None


def build_optimizer(spec: Spec, params):
    """The optimizer over ``params`` for a validated optimizer spec."""
    hyper = spec.hyper()
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    try:
        return registry.OPTIMIZERS[spec.type](params, **hyper)
    except (TypeError, ValueError) as error:
        raise ConfigError([Problem(None, None, None, "optimizer", f"{spec.type}: {error}")]) from None


def build_scheduler(spec: Spec | None, optimizer):
    """The LR scheduler for a validated scheduler spec, or None."""
    if spec is None:
        return None
    hyper = {SCHEDULER_ARGUMENTS.get(k, k): v for k, v in spec.hyper().items()}
    try:
        return registry.SCHEDULERS[spec.type](optimizer, **hyper)
    except (TypeError, ValueError) as error:
        raise ConfigError([Problem(None, None, None, "scheduler", f"{spec.type}: {error}")]) from None


def check_data(config: Config):
    """Load and cross-check the data files of ``config``: a ``datafiles.Dataset``."""
    from .datafiles import load_dataset

    return load_dataset(config)

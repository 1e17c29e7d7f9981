"""The config file's sections as strict pydantic models, and ``resolve_layers`` (the compact form
expanded into explicit layers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PlainSerializer,
    PrivateAttr,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)

from ..errors import ConfigError, Problem
from .locator import dotted_path
from .specs import (
    STRICT,
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
    check_bias_init,
)
from .sweep import SweepConfig
from .tables import fill_defaults


class DataConfig(BaseModel):
    """Where the data is (paths relative to the current directory) and how to split it: a table
    with a header row (``path``, ``target``, ``features``) or ``.npy`` arrays (``x``, ``y``)."""

    model_config = STRICT
    path: Annotated[str, Field(min_length=1)] | None = None
    target: (
        Annotated[str, Field(min_length=1)]
        | Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
        | None
    ) = None
    features: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = None
    test_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    test_path: Annotated[str, Field(min_length=1)] | None = None
    x: Annotated[str, Field(min_length=1)] | None = None
    y: Annotated[str, Field(min_length=1)] | None = None
    train_size: PositiveInt | None = None
    val_x: Annotated[str, Field(min_length=1)] | None = None
    val_y: Annotated[str, Field(min_length=1)] | None = None
    val_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0

    @model_validator(mode="after")
    def _validation_source(self):
        if self.path is not None and (self.x is not None or self.y is not None):
            raise ValueError("give either data.path (a table) or data.x/data.y (arrays), not both")
        if self.path is None and (self.x is None or self.y is None):
            raise ValueError("give data.path (a table with a header row) or both data.x and data.y")
        if self.path is not None and self.target is None:
            raise ValueError("data.path needs data.target: the column (or list of columns) to predict")
        arrays_only = [k for k in ("val_x", "val_y") if getattr(self, k) is not None]
        table_only = [k for k in ("target", "features", "test_path") if getattr(self, k) is not None]
        if self.path is not None and arrays_only:
            raise ValueError(f"{', '.join(arrays_only)} go(es) with data.x/data.y; a table uses val_fraction")
        if self.path is None and table_only:
            raise ValueError(f"{', '.join(table_only)} go(es) with data.path (a table)")
        if self.test_path is not None and self.test_fraction > 0:
            raise ValueError("give either test_path or test_fraction, not both")
        if (self.val_x is None) != (self.val_y is None):
            raise ValueError("val_x and val_y go together; give both or neither")
        if self.val_x is not None and self.val_fraction > 0:
            raise ValueError("give either val_x/val_y or val_fraction, not both")
        return self

    @property
    def targets(self) -> list[str]:
        """The target column names (a list even for one)."""
        return [self.target] if isinstance(self.target, str) else list(self.target or [])


def _auto_or_width(value, handler):
    """``auto`` as given; anything else validated as a positive integer (its own error messages)."""
    return value if value == "auto" else handler(value)


# A layer width, or ``auto`` (the number of features / outputs, known once the data is read).
Width = Annotated[
    PositiveInt,
    WrapValidator(_auto_or_width),
    PlainSerializer(lambda value: value, return_type=Any),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"const": "auto"}]}),
]


class ModelConfig(BaseModel):
    """Compact form (``widths`` + ``activation``) or explicit ``layers``, not both."""

    model_config = STRICT
    widths: Annotated[list[Width], Field(min_length=2)] | None = None
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

    _bias_init = field_validator("bias_init")(lambda spec: check_bias_init(spec))


class PreprocessConfig(BaseModel):
    """Scalers fitted on the training split only and stored in model.npz."""

    model_config = STRICT
    x: Literal["standardize", "minmax", "none"] = "standardize"
    y: Literal["none", "standardize"] = "none"


class EarlyStopping(BaseModel):
    model_config = STRICT
    patience: PositiveInt
    min_delta: NonNegativeFloat = 0.0
    restore_best: bool = True
    monitor: Annotated[str, Field(min_length=1)] | None = None  # default val_loss (train_loss without one)
    mode: Literal["min", "max"] | None = None  # default: min for losses, mse, rmse, mae, log_loss


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
    task: Literal["regression", "classification"] = "regression"
    preprocess: PreprocessConfig = PreprocessConfig(x="none")
    metrics: list[str] = []
    model: ModelConfig
    loss: LossSpec = MSELossSpec()
    optimizer: OptimizerSpec = SGDSpec()
    scheduler: SchedulerSpec | None = None
    train: TrainConfig
    sweep: SweepConfig | None = None  # read by `lddl sweep` only; a training run ignores it

    _source_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _fill = model_validator(mode="before")(lambda data: fill_defaults(data))
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
        if data.get("sweep") is None:  # absent, not null: a config without a sweep resolves as before
            data.pop("sweep", None)
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
    if "auto" in model.widths:
        index = model.widths.index("auto")
        message = "auto: the width comes from the data; it is known once the table is read"
        raise ConfigError([config.problem(("model", "widths", index), message)])
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

"""The config's per-type specs: one strict pydantic model per registered initializer, loss,
optimizer, LR scheduler and layer, with PyTorch's argument names and defaults, and the
discriminated unions over them that the config sections use (``sections.py``).

A registered name without a hand-written spec gets one generated from its constructor's
signature; a test keeps the hand-written specs complete. This module imports pydantic (as does
``lddl_cli.config``), so only the commands that read a config import it (``lddl --help`` stays fast).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    create_model,
    field_validator,
    model_validator,
)

from ..nn import registry

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
DecayType = Literal["l2", "l1"]
# The library's losses also take "none" (one loss per element), but training needs one number.
Reduction = Literal["mean", "sum"]


class Spec(BaseModel):
    """Base of every ``{type: name, ...}`` spec: strict, frozen, unknown keys forbidden."""

    model_config = STRICT
    type: str

    def hyper(self) -> dict[str, Any]:
        """The hyperparameters as keyword arguments (everything but ``type``)."""
        return {k: v for k, v in self.model_dump().items() if k != "type"}


# --- per-type specs: PyTorch's arguments and defaults ---------------------------------------------
# Initializers (torch.nn.init). Fan-dependent ones need a 2-D weight; see BIAS_INITIALIZERS.
class DefaultInit(Spec):
    type: Literal["default"] = "default"


class ConstantInit(Spec):
    type: Literal["constant"] = "constant"
    value: float = 0.0


class ZerosInit(Spec):
    type: Literal["zeros"] = "zeros"


class OnesInit(Spec):
    type: Literal["ones"] = "ones"


class NormalInit(Spec):
    type: Literal["normal"] = "normal"
    mean: float = 0.0
    std: NonNegativeFloat = 1.0


class UniformInit(Spec):
    type: Literal["uniform"] = "uniform"
    a: float = 0.0
    b: float = 1.0

    @model_validator(mode="after")
    def _bounds(self):
        if self.a > self.b:
            raise ValueError(f"a must be <= b; got a={self.a}, b={self.b}")
        return self


class XavierUniformInit(Spec):
    type: Literal["xavier_uniform"] = "xavier_uniform"
    gain: PositiveFloat = 1.0


class XavierNormalInit(Spec):
    type: Literal["xavier_normal"] = "xavier_normal"
    gain: PositiveFloat = 1.0


Nonlinearity = Literal[
    "linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "identity"
]


class KaimingUniformInit(Spec):
    type: Literal["kaiming_uniform"] = "kaiming_uniform"
    a: NonNegativeFloat = 0.0
    mode: Literal["fan_in", "fan_out"] = "fan_in"
    nonlinearity: Nonlinearity = "leaky_relu"


class KaimingNormalInit(Spec):
    type: Literal["kaiming_normal"] = "kaiming_normal"
    a: NonNegativeFloat = 0.0
    mode: Literal["fan_in", "fan_out"] = "fan_in"
    nonlinearity: Nonlinearity = "leaky_relu"


class OrthogonalInit(Spec):
    type: Literal["orthogonal"] = "orthogonal"
    gain: PositiveFloat = 1.0


INIT_SPECS: dict[str, type[Spec]] = {
    "default": DefaultInit,
    "constant": ConstantInit,
    "zeros": ZerosInit,
    "ones": OnesInit,
    "normal": NormalInit,
    "uniform": UniformInit,
    "xavier_uniform": XavierUniformInit,
    "xavier_normal": XavierNormalInit,
    "kaiming_uniform": KaimingUniformInit,
    "kaiming_normal": KaimingNormalInit,
    "orthogonal": OrthogonalInit,
}
# Initializers that do not need a weight's two fans, so they can fill a 1-D bias.
BIAS_INITIALIZERS = ("default", "constant", "zeros", "ones", "normal", "uniform")


# Losses (torch.nn).
class MSELossSpec(Spec):
    type: Literal["mse"] = "mse"
    reduction: Reduction = "mean"


class L1LossSpec(Spec):
    type: Literal["l1"] = "l1"
    reduction: Reduction = "mean"


class HuberLossSpec(Spec):
    type: Literal["huber"] = "huber"
    reduction: Reduction = "mean"
    delta: PositiveFloat = 1.0


# Class weights: one finite number >= 0 per output, not all 0 (checked against the model's output
# width in _loss_width_problems).
ClassWeights = Annotated[list[NonNegativeFloat], Field(min_length=1)]


def _some_positive(weights: list[float] | None) -> list[float] | None:
    if weights is not None and not any(weights):
        raise ValueError("needs at least one value > 0 (all 0 weighs every loss term by 0)")
    return weights


class CrossEntropyLossSpec(Spec):
    type: Literal["cross_entropy"] = "cross_entropy"
    reduction: Reduction = "mean"
    weight: ClassWeights | None = None
    ignore_index: int = -100
    label_smoothing: Probability = 0.0

    _weight = field_validator("weight")(lambda weights: _some_positive(weights))


class BCEWithLogitsLossSpec(Spec):
    type: Literal["bce_with_logits"] = "bce_with_logits"
    reduction: Reduction = "mean"
    weight: ClassWeights | None = None
    pos_weight: ClassWeights | None = None

    _weight = field_validator("weight")(lambda weights: _some_positive(weights))


LOSS_SPECS: dict[str, type[Spec]] = {
    "mse": MSELossSpec,
    "l1": L1LossSpec,
    "huber": HuberLossSpec,
    "cross_entropy": CrossEntropyLossSpec,
    "bce_with_logits": BCEWithLogitsLossSpec,
}


# Optimizers (torch.optim), plus lddl's decay_type (l2: g += wd*w as torch; l1: g += wd*sign(w)).
class SGDSpec(Spec):
    type: Literal["sgd"] = "sgd"
    lr: NonNegativeFloat = 1e-3
    momentum: NonNegativeFloat = 0.0
    dampening: float = 0.0
    weight_decay: NonNegativeFloat = 0.0
    nesterov: bool = False
    decay_type: DecayType = "l2"

    @model_validator(mode="after")
    def _nesterov(self):
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"nesterov needs momentum > 0 and dampening 0; got momentum={self.momentum}, "
                f"dampening={self.dampening}"
            )
        return self


Betas = Annotated[list[Annotated[float, Field(ge=0, lt=1)]], Field(min_length=2, max_length=2)]


class AdamSpec(Spec):
    type: Literal["adam"] = "adam"
    lr: NonNegativeFloat = 1e-3
    betas: Betas = [0.9, 0.999]
    eps: NonNegativeFloat = 1e-8
    weight_decay: NonNegativeFloat = 0.0
    amsgrad: bool = False
    decay_type: DecayType = "l2"


class AdamWSpec(Spec):
    type: Literal["adamw"] = "adamw"
    lr: NonNegativeFloat = 1e-3
    betas: Betas = [0.9, 0.999]
    eps: NonNegativeFloat = 1e-8
    weight_decay: NonNegativeFloat = 1e-2
    amsgrad: bool = False


class RMSpropSpec(Spec):
    type: Literal["rmsprop"] = "rmsprop"
    lr: NonNegativeFloat = 1e-2
    alpha: NonNegativeFloat = 0.99
    eps: NonNegativeFloat = 1e-8
    weight_decay: NonNegativeFloat = 0.0
    momentum: NonNegativeFloat = 0.0
    centered: bool = False
    decay_type: DecayType = "l2"


class AdagradSpec(Spec):
    type: Literal["adagrad"] = "adagrad"
    lr: NonNegativeFloat = 1e-2
    lr_decay: NonNegativeFloat = 0.0
    weight_decay: NonNegativeFloat = 0.0
    initial_accumulator_value: NonNegativeFloat = 0.0
    eps: NonNegativeFloat = 1e-10
    decay_type: DecayType = "l2"


OPTIMIZER_SPECS: dict[str, type[Spec]] = {
    "sgd": SGDSpec,
    "adam": AdamSpec,
    "adamw": AdamWSpec,
    "rmsprop": RMSpropSpec,
    "adagrad": AdagradSpec,
}


# LR schedulers (torch.optim.lr_scheduler), stepped once per epoch; snake_case (t_max for T_max).
class StepLRSpec(Spec):
    type: Literal["step"] = "step"
    step_size: PositiveInt
    gamma: PositiveFloat = 0.1


class MultiStepLRSpec(Spec):
    type: Literal["multi_step"] = "multi_step"
    milestones: Annotated[list[PositiveInt], Field(min_length=1)]
    gamma: PositiveFloat = 0.1

    @model_validator(mode="after")
    def _increasing(self):
        if any(b <= a for a, b in zip(self.milestones, self.milestones[1:], strict=False)):
            raise ValueError(f"milestones must be strictly increasing; got {self.milestones}")
        return self


class ExponentialLRSpec(Spec):
    type: Literal["exponential"] = "exponential"
    gamma: PositiveFloat


class CosineAnnealingLRSpec(Spec):
    type: Literal["cosine"] = "cosine"
    t_max: PositiveInt
    eta_min: NonNegativeFloat = 0.0


class LinearLRSpec(Spec):
    type: Literal["linear"] = "linear"
    start_factor: Annotated[float, Field(gt=0, le=1)] = 1.0 / 3.0
    end_factor: Annotated[float, Field(ge=0, le=1)] = 1.0
    total_iters: PositiveInt = 5


class ReduceLROnPlateauSpec(Spec):
    type: Literal["reduce_on_plateau"] = "reduce_on_plateau"
    mode: Literal["min", "max"] = "min"
    factor: Annotated[float, Field(gt=0, lt=1)] = 0.1
    patience: NonNegativeInt = 10
    threshold: NonNegativeFloat = 1e-4
    threshold_mode: Literal["rel", "abs"] = "rel"
    cooldown: NonNegativeInt = 0
    min_lr: NonNegativeFloat = 0.0
    eps: NonNegativeFloat = 1e-8


SCHEDULER_SPECS: dict[str, type[Spec]] = {
    "step": StepLRSpec,
    "multi_step": MultiStepLRSpec,
    "exponential": ExponentialLRSpec,
    "cosine": CosineAnnealingLRSpec,
    "linear": LinearLRSpec,
    "reduce_on_plateau": ReduceLROnPlateauSpec,
}
# YAML snake_case -> the library's PyTorch argument name, where they differ.
SCHEDULER_ARGUMENTS = {"t_max": "T_max"}


# --- the union types: one variant per registered name -----------------------------------------
def _tagged_union(
    specs: dict[str, type[Spec]], table: registry.Registry, only: tuple[str, ...] | None = None
):
    """A pydantic discriminated union with one variant per name registered in ``table``.

    A registered name without a hand-written spec gets one generated from its constructor's
    signature (a test keeps the hand-written specs complete). Returns (annotation, variants).
    """
    variants = {
        name: specs.get(name) or _spec_from_signature(name, table[name])
        for name in table.names()
        if only is None or name in only
    }
    known = tuple(variants)

    def discriminate(value):
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, dict) and value.get("type") in known:
            return value["type"]
        return None  # reported as "unknown_type", translated with the registry's names

    members = tuple(Annotated[model, Tag(name)] for name, model in variants.items())
    union = Union[members] if len(members) > 1 else members[0]  # noqa: UP007 (a tuple of types)
    return Annotated[
        union,
        Discriminator(discriminate, custom_error_type="unknown_type", custom_error_message="unknown type"),
    ], variants


_SKIPPED_ARGUMENTS = {"self", "params", "optimizer", "shape", "rng", "dtype", "fan_in", "fan_out"}


def _spec_from_signature(name: str, target) -> type[Spec]:
    """A strict spec for a registered class or function that has no hand-written spec."""
    fields: dict[str, Any] = {"type": (Literal[name], name)}
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        parameters = []
    for parameter in parameters:
        if parameter.name in _SKIPPED_ARGUMENTS or parameter.kind in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            continue
        default = parameter.default
        if default is inspect.Parameter.empty:
            fields[parameter.name] = (Any, ...)
        elif default is None:
            fields[parameter.name] = (Any, None)
        else:
            fields[parameter.name] = (type(default), default)
    return create_model(f"{name.title().replace('_', '')}Spec", __base__=Spec, **fields)


InitSpec, INIT_VARIANTS = _tagged_union(INIT_SPECS, registry.INITIALIZERS)
LossSpec, LOSS_VARIANTS = _tagged_union(LOSS_SPECS, registry.LOSSES)
OptimizerSpec, OPTIMIZER_VARIANTS = _tagged_union(OPTIMIZER_SPECS, registry.OPTIMIZERS)
SchedulerSpec, SCHEDULER_VARIANTS = _tagged_union(SCHEDULER_SPECS, registry.SCHEDULERS)


# Layers (torch.nn). Linear carries its initializers; activations have no width of their own.
class LinearSpec(Spec):
    type: Literal["linear"] = "linear"
    in_features: PositiveInt
    out_features: PositiveInt
    bias: bool = True
    weight_init: InitSpec = DefaultInit()
    bias_init: InitSpec = DefaultInit()

    _bias_init = field_validator("bias_init")(lambda spec: check_bias_init(spec))


class ReLUSpec(Spec):
    type: Literal["relu"] = "relu"


class LeakyReLUSpec(Spec):
    type: Literal["leaky_relu"] = "leaky_relu"
    negative_slope: float = 0.01


class SigmoidSpec(Spec):
    type: Literal["sigmoid"] = "sigmoid"


class TanhSpec(Spec):
    type: Literal["tanh"] = "tanh"


class GELUSpec(Spec):
    type: Literal["gelu"] = "gelu"
    approximate: Literal["none", "tanh"] = "none"


class ELUSpec(Spec):
    type: Literal["elu"] = "elu"
    alpha: float = 1.0


class SiLUSpec(Spec):
    type: Literal["silu"] = "silu"


class SoftplusSpec(Spec):
    type: Literal["softplus"] = "softplus"
    beta: PositiveFloat = 1.0
    threshold: PositiveFloat = 20.0


class IdentitySpec(Spec):
    type: Literal["identity"] = "identity"


class DropoutSpec(Spec):
    type: Literal["dropout"] = "dropout"
    p: Probability = 0.5


class BatchNorm1dSpec(Spec):
    type: Literal["batch_norm1d"] = "batch_norm1d"
    num_features: PositiveInt
    eps: PositiveFloat = 1e-5
    momentum: Probability = 0.1
    affine: bool = True
    track_running_stats: bool = True


class LayerNormSpec(Spec):
    type: Literal["layer_norm"] = "layer_norm"
    normalized_shape: PositiveInt
    eps: PositiveFloat = 1e-5
    elementwise_affine: bool = True
    bias: bool = True


LAYER_SPECS: dict[str, type[Spec]] = {
    "linear": LinearSpec,
    "relu": ReLUSpec,
    "leaky_relu": LeakyReLUSpec,
    "sigmoid": SigmoidSpec,
    "tanh": TanhSpec,
    "gelu": GELUSpec,
    "elu": ELUSpec,
    "silu": SiLUSpec,
    "softplus": SoftplusSpec,
    "identity": IdentitySpec,
    "dropout": DropoutSpec,
    "batch_norm1d": BatchNorm1dSpec,
    "layer_norm": LayerNormSpec,
}
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "elu", "silu", "softplus", "identity")
# The key that holds a width-dependent layer's size, checked against the width before it.
WIDTH_KEYS = {"batch_norm1d": "num_features", "layer_norm": "normalized_shape"}

LayerSpec, LAYER_VARIANTS = _tagged_union(LAYER_SPECS, registry.LAYERS)
ActivationSpec, ACTIVATION_VARIANTS = _tagged_union(LAYER_SPECS, registry.LAYERS, only=ACTIVATIONS)


def check_bias_init(spec):
    if spec is not None and spec.type not in BIAS_INITIALIZERS:
        raise ValueError(
            f"{spec.type!r} needs a 2-D weight's fans; for a bias use one of {', '.join(BIAS_INITIALIZERS)}"
        )
    return spec

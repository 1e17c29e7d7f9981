"""Validated specs -> library objects: the model, the loss, the optimizer and the scheduler."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from .. import nn
from ..errors import ConfigError, Problem
from ..nn import registry
from .specs import SCHEDULER_ARGUMENTS, Spec


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

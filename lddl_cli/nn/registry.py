"""Name -> class tables that the config uses to build layers, losses, initializers, optimizers
and schedulers. One table per kind, snake_case names as in torch.nn / torch.optim /
torch.nn.init, registered once here; lookups compare names by value and suggest the closest
valid name on a typo.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping


class UnknownNameError(KeyError):
    """A name that is not in a registry. ``str()`` lists the valid names and a suggestion."""

    def __init__(self, kind: str, name: object, valid: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = valid
        self.suggestion = closest(str(name), valid)
        super().__init__(str(name))

    def __str__(self) -> str:
        hint = f"did you mean {self.suggestion!r}? " if self.suggestion else ""
        return f"unknown {self.kind} {self.name!r}; {hint}allowed: {', '.join(self.valid)}"


def closest(name: str, valid: list[str]) -> str | None:
    """The valid name closest to ``name``, if any is close enough to be a likely typo."""
    matches = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=0.6)
    return matches[0] if matches else None


class Registry(Mapping[str, Callable]):
    """An explicit, read-only table from snake_case name to class or function."""

    def __init__(
        self, kind: str, entries: dict[str, Callable], aliases: dict[str, str] | None = None
    ) -> None:
        self.kind = kind
        self._entries = dict(entries)
        self._aliases = dict(aliases or {})
        for alias, target in self._aliases.items():
            if target not in self._entries:
                raise ValueError(f"alias {alias!r} points to unknown {kind} {target!r}")

    def canonical(self, name: str) -> str:
        """The registered name for ``name`` (resolving aliases); UnknownNameError otherwise."""
        if not isinstance(name, str):
            raise UnknownNameError(self.kind, name, self.names())
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        raise UnknownNameError(self.kind, name, self.names())

    def __getitem__(self, name: str) -> Callable:
        return self._entries[self.canonical(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._entries or name in self._aliases)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """Registered names, aliases excluded, in registration order."""
        return list(self._entries)

    def all_names(self) -> list[str]:
        return list(self._entries) + list(self._aliases)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"


# --- the tables -------------------------------------------------------------------------------
# Imported at the bottom so that each module above can be read on its own.
from . import activations, dropout, init, layers, losses, normalization  # noqa: E402

LAYERS = Registry(
    "layer",
    {
        "linear": layers.Linear,
        "relu": activations.ReLU,
        "leaky_relu": activations.LeakyReLU,
        "sigmoid": activations.Sigmoid,
        "tanh": activations.Tanh,
        "gelu": activations.GELU,
        "elu": activations.ELU,
        "silu": activations.SiLU,
        "softplus": activations.Softplus,
        "identity": activations.Identity,
        "dropout": dropout.Dropout,
        "batch_norm1d": normalization.BatchNorm1d,
        "layer_norm": normalization.LayerNorm,
    },
    aliases={"batchnorm1d": "batch_norm1d", "layernorm": "layer_norm", "swish": "silu"},
)

LOSSES = Registry(
    "loss",
    {
        "mse": losses.MSELoss,
        "l1": losses.L1Loss,
        "huber": losses.HuberLoss,
        "cross_entropy": losses.CrossEntropyLoss,
        "bce_with_logits": losses.BCEWithLogitsLoss,
    },
    aliases={"mae": "l1"},
)

INITIALIZERS = Registry(
    "initializer",
    {
        "default": init.linear_default,
        "constant": init.constant,
        "zeros": init.zeros,
        "ones": init.ones,
        "normal": init.normal,
        "uniform": init.uniform,
        "xavier_uniform": init.xavier_uniform,
        "xavier_normal": init.xavier_normal,
        "kaiming_uniform": init.kaiming_uniform,
        "kaiming_normal": init.kaiming_normal,
        "orthogonal": init.orthogonal,
    },
    aliases={"glorot_uniform": "xavier_uniform", "glorot_normal": "xavier_normal"},
)

# Optimizers and LR schedulers (training machinery).
from . import lr_scheduler, optim  # noqa: E402

OPTIMIZERS = Registry(
    "optimizer",
    {
        "sgd": optim.SGD,
        "adam": optim.Adam,
        "adamw": optim.AdamW,
        "rmsprop": optim.RMSprop,
        "adagrad": optim.Adagrad,
    },
)

SCHEDULERS = Registry(
    "scheduler",
    {
        "step": lr_scheduler.StepLR,
        "multi_step": lr_scheduler.MultiStepLR,
        "exponential": lr_scheduler.ExponentialLR,
        "cosine": lr_scheduler.CosineAnnealingLR,
        "linear": lr_scheduler.LinearLR,
        "reduce_on_plateau": lr_scheduler.ReduceLROnPlateau,
    },
    aliases={"step_lr": "step", "cosine_annealing": "cosine", "plateau": "reduce_on_plateau"},
)

"""The ``sweep:`` section: what to search (dotted key paths of the config and their spaces), for
which metric, with which sampler and pruner. Checked here for its own shape; whether every value
a trial may draw is a valid config is ``sweep_checks``'s job."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from .specs import STRICT, NonNegativeInt, PositiveInt

Number = int | float

# Which keys each space takes (besides ``space``).
SPACE_KEYS = {
    "uniform": ("lower", "upper", "step"),
    "loguniform": ("lower", "upper"),
    "int": ("lower", "upper", "step"),
    "choice": ("categories",),
}


class SweepParameter(BaseModel):
    """One searched key: ``{space: loguniform|uniform|int|choice, lower, upper, step, categories}``."""

    model_config = STRICT
    space: Literal["uniform", "loguniform", "int", "choice"]
    lower: Number | None = None
    upper: Number | None = None
    step: Number | None = None
    categories: Annotated[list[Any], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _fits_space(self):
        allowed = SPACE_KEYS[self.space]
        given = [k for k in ("lower", "upper", "step", "categories") if getattr(self, k) is not None]
        extra = [k for k in given if k not in allowed]
        if extra:
            raise ValueError(f"space {self.space} takes {', '.join(allowed)}; not {', '.join(extra)}")
        if self.space == "choice":
            if self.categories is None:
                raise ValueError("space choice needs categories: a list of values")
            return self
        if self.lower is None or self.upper is None:
            raise ValueError(f"space {self.space} needs lower and upper")
        if self.space == "int" and not all(
            isinstance(v, int) for v in (self.lower, self.upper, self.step or 1)
        ):
            raise ValueError("space int needs whole numbers for lower, upper and step")
        if self.lower > self.upper:
            raise ValueError(f"lower must be <= upper; got lower {self.lower}, upper {self.upper}")
        if self.space == "loguniform" and self.lower <= 0:
            raise ValueError(f"space loguniform needs lower > 0; got lower {self.lower}")
        if self.step is not None and not self.step > 0:
            raise ValueError(f"step must be > 0; got {self.step}")
        return self

    def corners(self) -> list[Any]:
        """The values whose validity stands for every value a trial may draw: the bounds (a config
        limit is a bound too), or every category."""
        if self.space == "choice":
            return list(self.categories)
        upper = self.upper
        if self.step is not None:  # the largest value on the grid lower + k * step
            upper = self.lower + math.floor((self.upper - self.lower) / self.step + 1e-9) * self.step
        return [self.lower] if upper == self.lower else [self.lower, upper]


class SweepConfig(BaseModel):
    """``sweep:``: a hyperparameter search over dotted key paths of this config."""

    model_config = STRICT
    metric: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "val_loss"
    goal: Literal["minimize", "maximize"] = "minimize"
    trials: PositiveInt = 20
    sampler: Literal["tpe", "random", "grid"] = "tpe"
    pruner: Literal["none", "median", "hyperband"] = "none"
    seed: NonNegativeInt = 0
    parameters: Annotated[dict[str, SweepParameter], Field(min_length=1)]

    @model_validator(mode="after")
    def _grid_is_discrete(self):
        if self.sampler == "grid":
            continuous = [k for k, p in self.parameters.items() if p.space in ("uniform", "loguniform")]
            if continuous:
                raise ValueError(
                    f"sampler grid needs choice or int spaces; {', '.join(continuous)} are continuous"
                )
        return self

"""Learning-rate schedulers with torch.optim.lr_scheduler's formulas, recursive form as torch.

A scheduler changes ``group["lr"]`` of its optimizer's parameter groups. Build it after the
optimizer (the constructor records ``initial_lr`` and applies epoch 0), call ``step()`` once per
epoch after ``optimizer.step()``; ``get_last_lr()`` gives the learning rates now in effect.
The updates follow torch's chainable (recursive) ``get_lr`` forms, so the values agree with
torch to rounding; the closed form of each is stated in its docstring.
"""

from __future__ import annotations

import math
from collections import Counter

from .optim import Optimizer


def _check_number(value, name: str, condition, expected: str) -> None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or not condition(value):
        raise ValueError(f"Invalid {name}: {value!r} (expected {expected})")


def _check_int(value, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (expected an integer >= {minimum})")


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``/``load_state_dict()``.

    Subclasses implement ``get_lr()``: the new learning rate of each group, computed from the
    current ``group["lr"]`` and ``last_epoch`` (already advanced).
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the parameter groups."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group after the last ``step()``."""
        return list(self._last_lr)

    def _current(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        """Every attribute except the optimizer (plain numbers and lists)."""
        return {
            key: (dict(value) if isinstance(value, Counter) else value)
            for key, value in self.__dict__.items()
            if key != "optimizer"
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict``; unknown keys are an error naming them."""
        unknown = sorted(set(state_dict) - set(self.__dict__))
        if unknown:
            raise ValueError(f"unknown {type(self).__name__} state key(s): {', '.join(map(repr, unknown))}")
        for key, value in state_dict.items():
            if isinstance(getattr(self, key), Counter):
                value = Counter({int(k): v for k, v in dict(value).items()})
            elif isinstance(getattr(self, key), list):
                value = list(value)
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr(t) = base_lr * gamma ** (t // step_size)

    Args:
        optimizer: the optimizer whose groups to schedule.
        step_size: period of the decay, in epochs (integer >= 1).
        gamma: multiplicative factor (default 0.1), > 0.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        _check_int(step_size, "step_size", 1)
        _check_number(gamma, "gamma", lambda v: v > 0, "a number > 0")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch.

    lr(t) = base_lr * gamma ** (number of milestones <= t)

    Args:
        optimizer: the optimizer whose groups to schedule.
        milestones: epochs (integers >= 1, increasing) at which to decay.
        gamma: multiplicative factor (default 0.1), > 0.
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1) -> None:
        milestones = list(milestones)
        for m in milestones:
            _check_int(m, "milestone", 1)
        if milestones != sorted(milestones):
            raise ValueError(f"Invalid milestones: {milestones} (expected an increasing list)")
        _check_number(gamma, "gamma", lambda v: v > 0, "a number > 0")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: lr(t) = base_lr * gamma ** t.

    Args:
        optimizer: the optimizer whose groups to schedule.
        gamma: multiplicative factor, > 0.
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        _check_number(gamma, "gamma", lambda v: v > 0, "a number > 0")
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from base_lr down to ``eta_min`` over ``T_max`` epochs (SGDR without restarts).

    lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, computed recursively as torch::

        lr(t) = eta_min + (lr(t-1) - eta_min) * (1 + cos(pi t / T_max)) / (1 + cos(pi (t-1) / T_max))

    Past T_max the cosine continues (the rate climbs back), as torch.

    Args:
        optimizer: the optimizer whose groups to schedule.
        T_max: half period, in epochs (integer >= 1).
        eta_min: minimum learning rate (default 0).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 (torch's name)
        _check_int(T_max, "T_max", 1)
        _check_number(eta_min, "eta_min", lambda v: v >= 0, "a number >= 0")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current()
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - period) % (2 * period) == 0:
            # At the bottom of the cosine the ratio below is 0/0: step up from the minimum instead.
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / period)) / 2
                for base_lr, lr in zip(self.base_lrs, self._current(), strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current()]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor moving linearly from ``start_factor`` to ``end_factor``.

    lr(t) = base_lr * (start + (end - start) * min(t, total_iters) / total_iters), computed
    recursively as torch. With start < end this is a warm-up.

    Args:
        optimizer: the optimizer whose groups to schedule.
        start_factor: factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: factor from ``total_iters`` on, in [0, 1] (default 1.0).
        total_iters: epochs of the linear change (integer >= 1, default 5).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        _check_number(start_factor, "start_factor", lambda v: 0 < v <= 1, "a number in (0, 1]")
        _check_number(end_factor, "end_factor", lambda v: 0 <= v <= 1, "a number in [0, 1]")
        _check_int(total_iters, "total_iters", 1)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change)
        return [lr * factor for lr in self._current()]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` when a metric stops improving.

    ``step(metric)`` once per epoch. The metric improves when it beats the best so far by the
    threshold: mode "min" + "rel": metric < best * (1 - threshold); "min" + "abs": metric <
    best - threshold; "max" mirrors it. After more than ``patience`` epochs without improvement
    every lr becomes max(lr * factor, min_lr) (skipped if the change is at most ``eps``), then
    ``cooldown`` epochs pass before bad epochs count again.

    Args:
        optimizer: the optimizer whose groups to schedule.
        mode: "min" (default) or "max".
        factor: multiplicative factor, in (0, 1) (default 0.1).
        patience: epochs without improvement tolerated (default 10).
        threshold: improvement margin (default 1e-4).
        threshold_mode: "rel" (default) or "abs".
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: lower bound, one number or one per group (default 0).
        eps: smallest lr change applied (default 1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        # Compare names by value: a string read from YAML equals "min" without being the same object.
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"Invalid threshold_mode: {threshold_mode!r} (expected 'rel' or 'abs')")
        _check_number(factor, "factor", lambda v: 0 < v < 1, "a number in (0, 1)")
        _check_int(patience, "patience", 0)
        _check_number(threshold, "threshold", lambda v: v >= 0, "a number >= 0")
        _check_int(cooldown, "cooldown", 0)
        _check_number(eps, "eps", lambda v: v >= 0, "a number >= 0")
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, list | tuple) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"Invalid min_lr: expected {groups} values (one per group), got {len(min_lrs)}")
        for value in min_lrs:
            _check_number(value, "min_lr", lambda v: v >= 0, "a number >= 0")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lrs = min_lrs
        self.eps = eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = self._current()

    def step(self, metric: float) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the learning rates if it has plateaued."""
        current = float(metric)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old_lr = float(group["lr"])
                new_lr = max(old_lr * self.factor, min_lr)
                if old_lr - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current()

    def is_better(self, metric: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return metric < best * (1.0 - self.threshold)
        if self.mode == "min":
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold

"""Optimizers: SGD, Adam, AdamW, RMSprop and Adagrad, with PyTorch's update rules and defaults.

Each class validates its hyperparameters, holds the state and calls its update rule from
optim_functional.py (``sgd``, ``adam``, ``rmsprop``, ``adagrad``, like torch's functional
optimizers) on the flat arrays of each parameter group (see optimizer.py).

Hyperparameters enter the math as ``float(...)``: a Python float is weakly typed (NEP 50), so a
float32 model computes in float32 even when a hyperparameter arrives as ``np.float64``.
"""

from __future__ import annotations

import numpy as np

from .optim_functional import DECAY_TYPES, adagrad, adam, decayed_gradient, rmsprop, sgd
from .optimizer import (
    FlatGroup,
    Optimizer,
    check,
    check_betas,
    check_decay_type,
    check_flag,
    check_lr,
    check_weight_decay,
    zeros_state,
)

__all__ = ["DECAY_TYPES", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "decayed_gradient"]


# --- the optimizers -----------------------------------------------------------------------------
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay.

    Update per step (torch.optim.SGD)::

        g = grad + wd * w                      (decay_type "l2"; "l1": wd * sign(w))
        b = g on the first step, then b = momentum * b + (1 - dampening) * g   (if momentum != 0)
        g = g + momentum * b  if nesterov  else  b
        w = w - lr * g

    Args:
        params: Parameters or parameter groups.
        lr: learning rate (default 1e-3, as torch).
        momentum: momentum factor (default 0).
        dampening: dampening for momentum, in [0, 1] (default 0).
        weight_decay: penalty factor (default 0).
        nesterov: Nesterov momentum; needs momentum > 0 and dampening 0 (default False).
        decay_type: "l2" (default, torch's) or "l1".

    State: ``momentum_buffer`` (after the first step, when momentum != 0).
    """

    buffer_names = ("momentum_buffer",)
    counts_steps = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        decay_type: str = "l2",
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=float(momentum),
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            decay_type=decay_type,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_lr(group)
        check(lambda v: v >= 0, group["momentum"], "Invalid momentum value")
        check(lambda v: 0 <= v <= 1, group["dampening"], "Invalid dampening value")
        check_weight_decay(group)
        check_flag(group, "nesterov")
        check_decay_type(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, group: dict, flat: FlatGroup) -> None:
        momentum = group["momentum"]
        buffer = flat.state.get("momentum_buffer")
        first_step = False
        if momentum != 0 and buffer is None:
            buffer = flat.state["momentum_buffer"] = np.empty_like(flat.buffers.data)
            first_step = True
        sgd(
            flat.buffers.data,
            flat.buffers.grad,
            buffer,
            lr=float(group["lr"]),
            momentum=float(momentum),
            dampening=float(group["dampening"]),
            weight_decay=float(group["weight_decay"]),
            nesterov=group["nesterov"],
            decay_type=group["decay_type"],
            first_step=first_step,
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba) with L2 (or L1) weight decay added to the gradient, optional AMSGrad.

    Update per step t = 1, 2, ... (torch.optim.Adam)::

        g = grad + wd * w                      (decay_type "l2"; "l1": wd * sign(w))
        m = beta1 * m + (1 - beta1) * g        exp_avg
        v = beta2 * v + (1 - beta2) * g * g    exp_avg_sq
        v_max = max(v_max, v)                  max_exp_avg_sq, used instead of v if amsgrad
        w = w - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: Parameters or parameter groups.
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), each in [0, 1) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: penalty factor (default 0).
        amsgrad: use the running maximum of v (default False).
        decay_type: "l2" (default, torch's) or "l1".

    State: ``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad), from the first step.
    """

    buffer_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        decay_type: str = "l2",
    ) -> None:
        betas = tuple(betas) if isinstance(betas, list | tuple) else betas
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        if not self.decoupled:
            defaults["decay_type"] = decay_type
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_lr(group)
        check(lambda v: v >= 0, group["eps"], "Invalid epsilon value")
        check_betas(group)
        check_weight_decay(group)
        check_flag(group, "amsgrad")
        if not self.decoupled:
            check_decay_type(group)

    def _update(self, group: dict, flat: FlatGroup) -> None:
        if not flat.state:
            zeros_state(flat, "exp_avg", "exp_avg_sq")
        amsgrad = group["amsgrad"]
        if amsgrad and "max_exp_avg_sq" not in flat.state:
            zeros_state(flat, "max_exp_avg_sq")
        beta1, beta2 = group["betas"]
        adam(
            flat.buffers.data,
            flat.buffers.grad,
            flat.state["exp_avg"],
            flat.state["exp_avg_sq"],
            flat.state.get("max_exp_avg_sq"),
            step=flat.step,
            lr=float(group["lr"]),
            beta1=float(beta1),
            beta2=float(beta2),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            amsgrad=amsgrad,
            decoupled=self.decoupled,
            decay_type=group.get("decay_type", "l2"),
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    Update per step t (torch.optim.AdamW)::

        w = w * (1 - lr * wd)
        m, v, v_max and the parameter update exactly as Adam, from the raw gradient.

    Args: as Adam, but weight_decay defaults to 1e-2 and there is no decay_type.
    """

    decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centered and with momentum.

    Update per step (torch.optim.RMSprop)::

        g = grad + wd * w                      (decay_type "l2"; "l1": wd * sign(w))
        s = alpha * s + (1 - alpha) * g * g    square_avg
        a = alpha * a + (1 - alpha) * g        grad_avg (centered only)
        avg = sqrt(s - a * a) + eps  if centered  else  sqrt(s) + eps
        b = momentum * b + g / avg;  w = w - lr * b      if momentum > 0
        w = w - lr * g / avg                             otherwise

    Args:
        params: Parameters or parameter groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant in [0, 1] (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: penalty factor (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by the estimated variance of the gradient (default False).
        decay_type: "l2" (default, torch's) or "l1".

    State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).
    """

    buffer_names = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        decay_type: str = "l2",
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=float(momentum),
            centered=centered,
            decay_type=decay_type,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_lr(group)
        check(lambda v: v >= 0, group["eps"], "Invalid epsilon value")
        check(lambda v: v >= 0, group["momentum"], "Invalid momentum value")
        check_weight_decay(group)
        check(lambda v: 0 <= v <= 1, group["alpha"], "Invalid alpha value")
        check_flag(group, "centered")
        check_decay_type(group)

    def _update(self, group: dict, flat: FlatGroup) -> None:
        if not flat.state:
            zeros_state(flat, "square_avg")
        momentum, centered = group["momentum"], group["centered"]
        if momentum > 0 and "momentum_buffer" not in flat.state:
            zeros_state(flat, "momentum_buffer")
        if centered and "grad_avg" not in flat.state:
            zeros_state(flat, "grad_avg")
        rmsprop(
            flat.buffers.data,
            flat.buffers.grad,
            flat.state["square_avg"],
            flat.state.get("grad_avg"),
            flat.state.get("momentum_buffer"),
            lr=float(group["lr"]),
            alpha=float(group["alpha"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            momentum=float(momentum),
            centered=centered,
            decay_type=group["decay_type"],
        )


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): per-coordinate steps scaled by the root of the summed squared gradients.

    Update per step t = 1, 2, ... (torch.optim.Adagrad)::

        g = grad + wd * w                      (decay_type "l2"; "l1": wd * sign(w))
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g
        w = w - clr * g / (sqrt(sum) + eps)

    Args:
        params: Parameters or parameter groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay (default 0).
        weight_decay: penalty factor (default 0).
        initial_accumulator_value: starting value of ``sum`` (default 0).
        eps: added to the denominator (default 1e-10).
        decay_type: "l2" (default, torch's) or "l1".

    State: ``step`` and ``sum``, created at construction as torch does.
    """

    buffer_names = ("sum",)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        decay_type: str = "l2",
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            decay_type=decay_type,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_lr(group)
        check(lambda v: v >= 0, group["lr_decay"], "Invalid lr_decay value")
        check_weight_decay(group)
        initial = group["initial_accumulator_value"]
        check(lambda v: v >= 0, initial, "Invalid initial_accumulator_value value")
        check(lambda v: v >= 0, group["eps"], "Invalid epsilon value")
        check_decay_type(group)

    def _init_eager_state(self, group: dict, flat: FlatGroup) -> None:
        flat.state["sum"] = np.full_like(flat.buffers.data, group["initial_accumulator_value"])

    def _update(self, group: dict, flat: FlatGroup) -> None:
        adagrad(
            flat.buffers.data,
            flat.buffers.grad,
            flat.state["sum"],
            step=flat.step,
            lr=float(group["lr"]),
            lr_decay=float(group["lr_decay"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            decay_type=group["decay_type"],
        )

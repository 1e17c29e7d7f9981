"""The optimizer updates of the compiled training step: the rules of optim_functional.py, in place.

Each ``*_update`` performs the same arithmetic, operation for operation, as its textbook twin in
optim_functional.py (so both paths give the same parameters), but writes every intermediate into
preallocated scratch arrays (``out=``) instead of allocating temporaries, on the flat arrays of
one parameter group. ``FlatGroup.state`` is the optimizer's own state: a step taken here is a
step of the optimizer, and its ``state_dict`` is the same whichever path took it.
"""

from __future__ import annotations

import math

import numpy as np

from .optim import SGD, Adagrad, Adam, AdamW, RMSprop
from .optimizer import FlatGroup, zeros_state

FLUSH_EVERY = 32  # steps between two flushes of subnormal state values


def flush_subnormals_(buffer: np.ndarray) -> None:
    """Set the subnormal entries of ``buffer`` (0 < |b| < the dtype's smallest normal) to 0, in place.

    Why: a state buffer whose gradient is exactly 0 (a dead ReLU unit) decays geometrically,
    b <- 0.9 b, into the subnormal range and then sticks there, since 0.9 b rounds back to b below
    5 units of the last place. Every later ufunc on that buffer pays a microcode assist per
    subnormal lane on x86. The values are below 1.2e-38 (float32); their contribution to an
    update (lr * b) is far below the parameters' last bit.
    """
    np.copyto(buffer, 0, where=np.abs(buffer) < np.finfo(buffer.dtype).tiny)


class Scratch:
    """A group's flat ``data`` and ``grad``, and the work arrays of its updates."""

    __slots__ = (
        "data",
        "grad",
        "work",
        "tmp",
        "decoupled",
        "pair",
        "pair_rows",
        "moments",
        "rows",
        "betas",
        "columns",
        "constants",
    )

    def __init__(self, flat: FlatGroup) -> None:
        self.data, self.grad = flat.buffers.data, flat.buffers.grad
        self.work = np.empty_like(self.data)
        self.tmp = np.empty_like(self.data)
        self.decoupled = False
        self.constants = tuple(np.zeros((), self.data.dtype) for _ in range(3))  # step constants, 0-d
        # Adam's: exp_avg and exp_avg_sq as the rows of ``moments``, a (2, n) work array ``pair``
        # and the views of their rows (see _stacked_moments), made on its first step.
        self.pair: np.ndarray | None = None
        self.pair_rows: tuple[np.ndarray, np.ndarray] | None = None
        self.moments: np.ndarray | None = None
        self.rows: tuple[np.ndarray, np.ndarray] | None = None
        self.betas: tuple[float, float] | None = None
        self.columns: tuple[np.ndarray, np.ndarray] | None = None


def decayed_gradient_(param, grad, weight_decay: float, decay_type: str, work: np.ndarray) -> np.ndarray:
    """grad + wd * w (l2) or grad + wd * sign(w) (l1) into ``work``; ``grad`` itself when wd = 0."""
    if weight_decay == 0:
        return grad
    if decay_type == "l2":
        np.multiply(param, weight_decay, out=work)
    else:
        np.sign(param, out=work)
        work *= weight_decay
    work += grad
    return work


CHUNK = 65536  # elements per block of a large SGD update (the block's arrays stay in the cache)


def sgd_update(group: dict, flat: FlatGroup, scratch: Scratch) -> None:
    """optim_functional.sgd, in place; a large group in blocks of CHUNK elements, so that its
    four passes over the arrays read memory once (a large MLP's update is memory-bound)."""
    param, g, tmp = scratch.data, scratch.grad, scratch.tmp
    if group["weight_decay"] != 0:
        g = decayed_gradient_(param, g, float(group["weight_decay"]), group["decay_type"], scratch.work)
    momentum, lr = float(group["momentum"]), float(group["lr"])
    buffer = None
    if momentum != 0:
        buffer = flat.state.get("momentum_buffer")
        if buffer is None:  # the first step: b = g
            flat.state["momentum_buffer"] = g.copy()
            _sgd_block(
                param, g, flat.state["momentum_buffer"], tmp, momentum, lr, None, bool(group["nesterov"])
            )
            return
    dampening, nesterov = float(group["dampening"]), group["nesterov"]
    # momentum and lr as 0-d arrays of the dtype: a ufunc converts a Python float at every call
    momentum_0d, lr_0d, _ = scratch.constants
    momentum_0d.fill(momentum)
    lr_0d.fill(lr)
    momentum, lr = momentum_0d, lr_0d
    if param.size <= 2 * CHUNK:
        _sgd_block(param, g, buffer, tmp, momentum, lr, dampening, nesterov)
        return
    for start in range(0, param.size, CHUNK):
        block = slice(start, start + CHUNK)
        part = None if buffer is None else buffer[block]
        size = min(CHUNK, param.size - start)
        # One block of scratch for every block: it stays in the cache, and is never written back.
        _sgd_block(param[block], g[block], part, tmp[:size], momentum, lr, dampening, nesterov)


def _sgd_block(param, g, buffer, tmp, momentum: float, lr: float, dampening, nesterov: bool) -> None:
    """The SGD rule on one block; ``dampening`` None: the first step (b = g, already copied)."""
    if buffer is not None:
        if dampening is not None:
            np.multiply(buffer, momentum, buffer)
            if dampening == 0:
                np.add(buffer, g, buffer)  # (1 - 0) * g is g, exactly
            else:
                np.multiply(g, 1 - dampening, tmp)
                np.add(buffer, tmp, buffer)
        if nesterov:
            np.multiply(buffer, momentum, tmp)
            np.add(tmp, g, tmp)
            g = tmp
        else:
            g = buffer
    np.multiply(g, lr, tmp)
    np.subtract(param, tmp, param)


def _stacked_moments(flat: FlatGroup, scratch: Scratch) -> None:
    """Make exp_avg and exp_avg_sq the two rows of one (2, n) array ``scratch.moments``, so that
    both moments update in one call each: the state entries become views of its rows (zeros
    before the first step). Done again whenever the state was replaced (``load_state_dict``)."""
    state = flat.state
    moments = scratch.moments = np.zeros((2, scratch.data.size), dtype=scratch.data.dtype)
    for row, name in enumerate(("exp_avg", "exp_avg_sq")):
        if name in state:
            moments[row] = state[name]
        state[name] = moments[row]
    scratch.rows = (state["exp_avg"], state["exp_avg_sq"])
    if scratch.pair is None:
        scratch.pair = np.empty((2, scratch.data.size), dtype=scratch.data.dtype)
        scratch.pair_rows = (scratch.pair[0], scratch.pair[1])


def _columns(scratch: Scratch, betas: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(beta1, beta2) and (1 - beta1, 1 - beta2) as (2, n) arrays of the data's dtype, row by row,
    cached. (Full arrays, not (2, 1) columns: a broadcast operand costs NumPy 2.5 times as much.)"""
    if scratch.betas != betas:
        shape, dtype = (2, scratch.data.size), scratch.data.dtype
        scratch.betas = betas
        scratch.columns = (
            np.broadcast_to(np.array([[betas[0]], [betas[1]]], dtype=dtype), shape).copy(),
            np.broadcast_to(np.array([[1 - betas[0]], [1 - betas[1]]], dtype=dtype), shape).copy(),
        )
    return scratch.columns


def adam_update(group: dict, flat: FlatGroup, scratch: Scratch) -> None:
    """optim_functional.adam, in place, with both moments in one (2, n) array; AdamW's decoupled
    decay when ``scratch.decoupled``.

    The last two lines of the rule are evaluated as w - c * m / (sqrt(v) + eps * sqrt(1 - beta2**t))
    with c = lr * sqrt(1 - beta2**t) / (1 - beta1**t): the same value (to rounding), one call fewer.
    """
    param, g, tmp = scratch.data, scratch.grad, scratch.tmp
    lr, weight_decay, betas = float(group["lr"]), float(group["weight_decay"]), group["betas"]
    state, rows = flat.state, scratch.rows
    if rows is None or state.get("exp_avg") is not rows[0] or state.get("exp_avg_sq") is not rows[1]:
        _stacked_moments(flat, scratch)
        rows = scratch.rows
    exp_avg, exp_avg_sq = rows
    if betas != scratch.betas:
        _columns(scratch, (float(betas[0]), float(betas[1])))
    beta1, beta2 = scratch.betas
    eps_term, step_size, decay = scratch.constants
    if scratch.decoupled:
        if weight_decay != 0:
            decay.fill(1 - lr * weight_decay)
            np.multiply(param, decay, param)
    elif weight_decay != 0:
        g = decayed_gradient_(param, g, weight_decay, group.get("decay_type", "l2"), scratch.work)
    moments, pair = scratch.moments, scratch.pair
    beta_rows, one_minus_beta_rows = scratch.columns
    pair0, pair1 = scratch.pair_rows
    pair0[...] = g  # a copy (cheaper than np.copyto's Python-level dispatch)
    np.multiply(g, g, pair1)
    np.multiply(pair, one_minus_beta_rows, pair)  # (1 - beta1) g and (1 - beta2) g * g
    np.multiply(moments, beta_rows, moments)
    np.add(moments, pair, moments)  # m and v, each as its rule
    second_moment = exp_avg_sq
    if group["amsgrad"]:
        if "max_exp_avg_sq" not in state:
            zeros_state(flat, "max_exp_avg_sq")
        second_moment = state["max_exp_avg_sq"]
        np.maximum(second_moment, exp_avg_sq, out=second_moment)
    step = flat.step
    correction2 = math.sqrt(1 - beta2**step)
    # The step's constants as 0-d arrays of the dtype: a ufunc converts a Python float per call.
    eps_term.fill(float(group["eps"]) * correction2)
    step_size.fill(lr * correction2 / (1 - beta1**step))
    np.sqrt(second_moment, tmp)
    np.add(tmp, eps_term, tmp)
    np.divide(exp_avg, tmp, tmp)
    np.multiply(tmp, step_size, tmp)
    np.subtract(param, tmp, param)


def rmsprop_update(group: dict, flat: FlatGroup, scratch: Scratch) -> None:
    """optim_functional.rmsprop, in place."""
    param, tmp = flat.buffers.data, scratch.tmp
    alpha, eps, momentum = float(group["alpha"]), float(group["eps"]), float(group["momentum"])
    if not flat.state:
        zeros_state(flat, "square_avg")
    if momentum > 0 and "momentum_buffer" not in flat.state:
        zeros_state(flat, "momentum_buffer")
    if group["centered"] and "grad_avg" not in flat.state:
        zeros_state(flat, "grad_avg")
    g = decayed_gradient_(
        param, flat.buffers.grad, float(group["weight_decay"]), group["decay_type"], scratch.work
    )
    square_avg = flat.state["square_avg"]
    np.multiply(g, g, out=tmp)
    tmp *= 1 - alpha
    square_avg *= alpha
    square_avg += tmp
    if group["centered"]:
        grad_avg = flat.state["grad_avg"]
        np.multiply(g, 1 - alpha, out=tmp)
        grad_avg *= alpha
        grad_avg += tmp
        np.multiply(grad_avg, grad_avg, out=tmp)
        np.subtract(square_avg, tmp, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(square_avg, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)
    if momentum > 0:
        buffer = flat.state["momentum_buffer"]
        buffer *= momentum
        buffer += tmp
        np.multiply(buffer, float(group["lr"]), out=tmp)
    else:
        tmp *= float(group["lr"])
    param -= tmp


def adagrad_update(group: dict, flat: FlatGroup, scratch: Scratch) -> None:
    """optim_functional.adagrad, in place."""
    param, tmp = flat.buffers.data, scratch.tmp
    g = decayed_gradient_(
        param, flat.buffers.grad, float(group["weight_decay"]), group["decay_type"], scratch.work
    )
    clr = float(group["lr"]) / (1 + (flat.step - 1) * float(group["lr_decay"]))
    state_sum = flat.state["sum"]
    np.multiply(g, g, out=tmp)
    state_sum += tmp
    np.sqrt(state_sum, out=tmp)
    tmp += float(group["eps"])
    np.divide(g, tmp, out=tmp)
    tmp *= clr
    param -= tmp


class FusedUpdate:
    """``optimizer.step()`` of a supported optimizer, computed in place with scratch arrays.

    Updates the optimizer's own flat state and step counts, reading its hyperparameters afresh
    at every call (schedulers change ``group["lr"]``), so that the eager ``step()`` and this one
    can take turns on one optimizer.
    """

    def __init__(self, optimizer) -> None:
        self.optimizer = optimizer
        self.rule = UPDATES[type(optimizer)]
        self.scratch = [Scratch(flat) for flat in optimizer.flat_groups]
        for scratch in self.scratch:
            scratch.decoupled = bool(getattr(optimizer, "decoupled", False))  # AdamW
        # The trainer's case, one group, without the loop (load_state_dict keeps the FlatGroup).
        self.single = optimizer.flat_groups[0] if len(optimizer.flat_groups) == 1 else None

    def __call__(self) -> None:
        flat = self.single
        if flat is not None:
            step = flat.step = flat.step + 1
            self.rule(self.optimizer.param_groups[0], flat, self.scratch[0])
            if not step % FLUSH_EVERY:
                for buffer in flat.state.values():
                    flush_subnormals_(buffer)
            return
        groups = self.optimizer.param_groups
        for group, flat, scratch in zip(groups, self.optimizer.flat_groups, self.scratch, strict=True):
            flat.step += 1
            self.rule(group, flat, scratch)
            if flat.step % FLUSH_EVERY == 0:
                for buffer in flat.state.values():
                    flush_subnormals_(buffer)


UPDATES = {
    SGD: sgd_update,
    Adam: adam_update,
    AdamW: adam_update,  # with scratch.decoupled
    RMSprop: rmsprop_update,
    Adagrad: adagrad_update,
}

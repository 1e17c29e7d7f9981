"""Optimizers: SGD, Adam, AdamW, RMSprop and Adagrad, with PyTorch's update rules and defaults.

The update math lives in pure functions (``sgd``, ``adam``, ``rmsprop``, ``adagrad``, like
torch's functional optimizers): they take arrays and update the parameter and its state buffers
in place. The classes hold the state. For speed, an optimizer packs each parameter group into one
flat data buffer and one flat grad buffer (``pack_parameters``) and keeps every state buffer as
ONE flat array per group, so a step is a dozen vectorized NumPy calls whatever the number of
tensors, and ``zero_grad`` only flags the gradients as zero (the next backward overwrites them).
``state_dict`` still speaks PyTorch's layout, one entry per parameter under torch's buffer names.

Weight decay: ``decay_type="l2"`` (PyTorch's behaviour) adds weight_decay * w to the gradient;
``"l1"`` adds weight_decay * sign(w), the gradient of weight_decay * |w|. AdamW decays the weights
directly (decoupled), w <- w * (1 - lr * weight_decay), before the Adam update.

Hyperparameters enter the NumPy calls as ``float(...)``: a Python float is weakly typed (NEP 50),
so a float32 model computes in float32 even when a hyperparameter arrives as ``np.float64``, and
it costs less per call than building a NumPy scalar of the buffer's dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from .tensor import FlatBuffers, Parameter, pack_parameters

DECAY_TYPES = ("l2", "l1")
FLUSH_EVERY = 32  # steps between two flushes of subnormal state values


def flush_subnormals_(buffer: np.ndarray) -> None:
    """Set the subnormal entries of ``buffer`` (0 < |b| < the dtype's smallest normal) to 0, in place.

    Why: a state buffer whose gradient is exactly 0 (a dead ReLU unit) decays geometrically,
    b <- 0.9 b, into the subnormal range and then sticks there, since 0.9 b rounds back to b below
    5 units of the last place. Every later ufunc on that buffer pays a microcode assist per
    subnormal lane on x86, which made a quarter of the sine MLP's step (issue 5). The values are
    below 1.2e-38 (float32): the parameters' trajectory is unchanged (bit-identical on the sine
    MLP after 10,000 steps); only such dust in the state buffers becomes an exact 0.
    """
    np.copyto(buffer, 0, where=np.abs(buffer) < np.finfo(buffer.dtype).tiny)


# --- the update math ----------------------------------------------------------------------------
def decayed_gradient(
    param: np.ndarray, grad: np.ndarray, weight_decay: float, decay_type: str, out: np.ndarray
) -> np.ndarray:
    """The gradient with the weight-decay penalty added: g + wd * w ("l2") or g + wd * sign(w) ("l1").

    Returns ``grad`` itself when weight_decay is 0, otherwise ``out`` (never writes into ``grad``).
    """
    if weight_decay == 0:
        return grad
    weight_decay = float(weight_decay)
    # Compare by value: a name read from YAML is equal to "l1" but need not be the same object.
    if decay_type == "l2":
        np.multiply(param, weight_decay, out=out)
    elif decay_type == "l1":
        np.sign(param, out=out)
        out *= weight_decay
    else:
        raise ValueError(f"decay_type must be one of {', '.join(DECAY_TYPES)}; got {decay_type!r}")
    out += grad
    return out


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """start <- start + weight * (end - start), in place, evaluated as torch's ``lerp_`` does."""
    np.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= float(weight)
        start += tmp
    else:
        tmp *= float(1.0 - weight)
        np.subtract(end, tmp, out=start)


def sgd(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    decay_type: str = "l2",
    first_step: bool = False,
    work: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """One SGD step, in place on ``param`` and ``momentum_buffer`` (torch.optim.SGD)::

        g = grad + wd * w                      (l2; l1: wd * sign(w); skipped when wd = 0)
        if momentum != 0:
            b = g                              on the first step (no dampening)
            b = momentum * b + (1 - dampening) * g   afterwards
            g = g + momentum * b  if nesterov  else  b
        w = w - lr * g

    ``work`` and ``tmp`` are scratch arrays shaped like ``param``.
    """
    g = decayed_gradient(param, grad, weight_decay, decay_type, work)
    if momentum != 0:
        if first_step:
            np.copyto(momentum_buffer, g)
        else:
            momentum_buffer *= float(momentum)
            if dampening == 0:
                momentum_buffer += g
            else:
                np.multiply(g, float(1.0 - dampening), out=tmp)
                momentum_buffer += tmp
        if nesterov:
            np.multiply(momentum_buffer, float(momentum), out=tmp)
            tmp += g
            g = tmp
        else:
            g = momentum_buffer
    np.multiply(g, float(lr), out=tmp)
    param -= tmp


def adam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    decoupled: bool = False,
    decay_type: str = "l2",
    work: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """One Adam / AdamW step (``step`` counts from 1), in place (torch.optim.Adam / AdamW)::

    w = w * (1 - lr * wd)                  if decoupled (AdamW)
    g = grad + wd * w                      otherwise (l2; l1: wd * sign(w); skipped when wd = 0)
    m = m + (1 - beta1) * (g - m)          exp_avg
    v = beta2 * v + (1 - beta2) * g * g    exp_avg_sq
    v_max = max(v_max, v)                  if amsgrad, and v_max replaces v below
    denom = sqrt(v) / sqrt(1 - beta2**step) + eps
    w = w - lr / (1 - beta1**step) * m / denom

    The last two lines are evaluated as w - c * m / (sqrt(v) + eps * sqrt(1 - beta2**step)) with
    c = lr * sqrt(1 - beta2**step) / (1 - beta1**step): the same value, one pass fewer.
    """
    if weight_decay != 0 and decoupled:
        param *= float(1.0 - lr * weight_decay)
        g = grad
    else:
        g = decayed_gradient(param, grad, weight_decay, decay_type, work)
    _lerp_(exp_avg, g, 1.0 - beta1, tmp)
    exp_avg_sq *= float(beta2)
    np.multiply(g, g, out=tmp)
    tmp *= float(1.0 - beta2)
    exp_avg_sq += tmp

    bias_correction1 = 1.0 - beta1**step
    bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
    second_moment = exp_avg_sq
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq
    np.sqrt(second_moment, out=tmp)
    tmp += float(eps * bias_correction2_sqrt)
    np.divide(exp_avg, tmp, out=tmp)
    tmp *= float(lr * bias_correction2_sqrt / bias_correction1)
    param -= tmp


def rmsprop(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    decay_type: str = "l2",
    work: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """One RMSprop step, in place (torch.optim.RMSprop)::

    g = grad + wd * w                      (l2; l1: wd * sign(w); skipped when wd = 0)
    s = alpha * s + (1 - alpha) * g * g    square_avg
    if centered:
        a = a + (1 - alpha) * (g - a)      grad_avg
        avg = sqrt(s - a * a) + eps
    else:
        avg = sqrt(s) + eps
    if momentum > 0:
        b = momentum * b + g / avg         momentum_buffer
        w = w - lr * b
    else:
        w = w - lr * g / avg
    """
    g = decayed_gradient(param, grad, weight_decay, decay_type, work)
    square_avg *= float(alpha)
    np.multiply(g, g, out=tmp)
    tmp *= float(1.0 - alpha)
    square_avg += tmp
    if centered:
        _lerp_(grad_avg, g, 1.0 - alpha, tmp)
        np.multiply(grad_avg, grad_avg, out=tmp)
        np.subtract(square_avg, tmp, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(square_avg, out=tmp)
    tmp += float(eps)
    np.divide(g, tmp, out=tmp)
    if momentum > 0:
        momentum_buffer *= float(momentum)
        momentum_buffer += tmp
        np.multiply(momentum_buffer, float(lr), out=tmp)
    else:
        tmp *= float(lr)
    param -= tmp


def adagrad(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    *,
    step: int,
    lr: float,
    lr_decay: float,
    eps: float,
    weight_decay: float,
    decay_type: str = "l2",
    work: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """One Adagrad step (``step`` counts from 1), in place (torch.optim.Adagrad)::

    g = grad + wd * w                      (l2; l1: wd * sign(w); skipped when wd = 0)
    clr = lr / (1 + (step - 1) * lr_decay)
    sum = sum + g * g
    w = w - clr * g / (sqrt(sum) + eps)
    """
    g = decayed_gradient(param, grad, weight_decay, decay_type, work)
    clr = lr / (1 + (step - 1) * lr_decay)
    np.multiply(g, g, out=tmp)
    state_sum += tmp
    np.sqrt(state_sum, out=tmp)
    tmp += float(eps)
    np.divide(g, tmp, out=tmp)
    tmp *= float(clr)
    param -= tmp


# --- hyperparameter checks ----------------------------------------------------------------------
def _is_number(value) -> bool:
    real = isinstance(value, int | float | np.integer | np.floating)
    return real and not isinstance(value, bool | np.bool_)


def _check(condition: Callable[[float], bool], value, message: str) -> None:
    """Raise ``ValueError("<message>: <value>")`` unless ``value`` is finite and passes ``condition``."""
    if not _is_number(value):
        raise ValueError(f"{message}: {value!r} (expected a number)")
    if not math.isfinite(value) or not condition(value):
        raise ValueError(f"{message}: {value}")


def _check_lr(group: dict) -> None:
    _check(lambda v: v >= 0, group["lr"], "Invalid learning rate")


def _check_weight_decay(group: dict) -> None:
    _check(lambda v: v >= 0, group["weight_decay"], "Invalid weight_decay value")


def _check_decay_type(group: dict) -> None:
    decay_type = group["decay_type"]
    if not isinstance(decay_type, str) or decay_type not in DECAY_TYPES:
        raise ValueError(f"Invalid decay_type: {decay_type!r}; allowed: {', '.join(DECAY_TYPES)}")


def _check_flag(group: dict, name: str) -> None:
    if not isinstance(group[name], bool | np.bool_):
        raise ValueError(f"Invalid {name} value: {group[name]!r} (expected True or False)")


def _check_betas(group: dict) -> None:
    betas = group["betas"]
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r} (expected two numbers in [0, 1))")
    for index, beta in enumerate(betas):
        _check(lambda v: 0 <= v < 1, beta, f"Invalid beta parameter at index {index}")


# --- the optimizer base -------------------------------------------------------------------------
class _GroupState:
    """The flat arrays behind one parameter group: packed data/grad, state buffers, scratch."""

    __slots__ = ("buffers", "params", "state", "step", "work", "tmp")

    def __init__(self, buffers: FlatBuffers) -> None:
        self.buffers = buffers
        self.params = buffers.parameters
        self.state: dict[str, np.ndarray] = {}  # buffer name -> flat array, torch's names
        self.step = 0  # steps taken by every parameter of the group
        self.work = np.empty_like(buffers.data)  # the decayed gradient
        self.tmp = np.empty_like(buffers.data)

    def check_packing(self) -> None:
        # Cheap guard (first and last parameter): a later pack_parameters() call on a different
        # list would move the parameters to new buffers and leave this optimizer updating stale memory.
        first, last = self.params[0], self.params[-1]
        if first._packing is not self.buffers or last._packing is not self.buffers:
            raise RuntimeError(
                "the optimizer's parameters were re-packed into other buffers after it was built; "
                "pack the model's parameters once (or build the optimizer after packing)"
            )


class Optimizer:
    """Base class: parameter groups, flat state, ``zero_grad``, ``state_dict``/``load_state_dict``.

    Args:
        params: a list of Parameters, or a list of dicts (parameter groups) each with a
            ``"params"`` list and any hyperparameter overriding ``defaults``, as in PyTorch.
        defaults: hyperparameter name -> default value.

    Attributes:
        param_groups: list of dicts, ``"params"`` plus every hyperparameter. Schedulers change
            ``group["lr"]``; ``step()`` reads the values afresh each time.
        state: Parameter -> {buffer name: view into the flat buffer, "step": n}, as torch's.
    """

    #: state buffers of this optimizer, in torch's order; subclasses set it.
    buffer_names: tuple[str, ...] = ()
    #: whether torch keeps a per-parameter "step" for this optimizer.
    counts_steps: bool = True

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self._groups: list[_GroupState] = []
        if isinstance(params, Parameter):
            raise TypeError("params must be a list of Parameters or of dicts, got a single Parameter")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    # --- groups ------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group: fill in defaults, validate, pack its parameters into flat buffers."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        params = [params] if isinstance(params, Parameter) else list(params or [])
        if not params:
            raise ValueError("a parameter group needs a non-empty 'params' list")
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer can only optimize Parameters, got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        unknown = sorted(set(group) - set(self.defaults) - {"params", "initial_lr"})
        if unknown:
            raise ValueError(
                f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for {type(self).__name__}; "
                f"allowed: {', '.join(self.defaults)}"
            )
        self._validate(group)
        flat = _GroupState(pack_parameters(params))
        self.param_groups.append(group)
        self._groups.append(flat)
        self._init_eager_state(group, flat)

    def _validate(self, group: dict) -> None:
        """Raise ValueError naming the first invalid hyperparameter of ``group``."""
        raise NotImplementedError

    def _init_eager_state(self, group: dict, flat: _GroupState) -> None:
        """State created at construction (Adagrad); most optimizers create it on the first step."""

    # --- the step ------------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every gradient to 0, lazily: see ``tensor.FlatBuffers.zero_grad``."""
        for flat in self._groups:
            flat.buffers.zero_grad()

    def step(self, closure: Callable[[], float] | None = None):
        """Update every parameter once from its ``.grad``; returns ``closure()`` if given."""
        loss = closure() if closure is not None else None
        for group, flat in zip(self.param_groups, self._groups, strict=True):
            flat.check_packing()
            flat.step += 1
            self._update(group, flat)
            if flat.step % FLUSH_EVERY == 0:
                for buffer in flat.state.values():
                    flush_subnormals_(buffer)
        return loss

    def _update(self, group: dict, flat: _GroupState) -> None:
        raise NotImplementedError

    # --- state -------------------------------------------------------------------------------
    @property
    def state(self) -> dict[Parameter, dict]:
        """Parameter -> {"step": n, buffer name: view (writes go to the flat buffer)}."""
        result: dict[Parameter, dict] = {}
        for flat in self._groups:
            for p, entry in zip(flat.params, self._per_parameter(flat, copy=False), strict=True):
                if entry:
                    result[p] = entry
        return result

    def _per_parameter(self, flat: _GroupState, *, copy: bool) -> list[dict]:
        """One dict per parameter of the group, torch's keys; empty before the state exists."""
        if not flat.state:
            return [{} for _ in flat.params]
        entries = []
        offset = 0
        for p in flat.params:
            end = offset + p.size
            entry: dict = {"step": float(flat.step)} if self.counts_steps else {}
            for name in self.buffer_names:
                if name in flat.state:
                    view = flat.state[name][offset:end].reshape(p.shape)
                    entry[name] = view.copy() if copy else view
            entries.append(entry)
            offset = end
        return entries

    def state_dict(self) -> dict:
        """A snapshot in PyTorch's layout::

            {"state": {0: {"step": 3.0, "exp_avg": array, ...}, 1: {...}},
             "param_groups": [{"lr": ..., ..., "params": [0, 1]}]}

        Parameters are numbered across groups in order; arrays are copies.
        """
        state: dict[int, dict] = {}
        groups = []
        index = 0
        for group, flat in zip(self.param_groups, self._groups, strict=True):
            indices = list(range(index, index + len(flat.params)))
            for i, entry in zip(indices, self._per_parameter(flat, copy=True), strict=True):
                if entry:
                    state[i] = entry
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = indices
            groups.append(saved)
            index += len(indices)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` into the flat buffers.

        The groups must have the same sizes and the arrays the parameters' shapes; every error
        names the parameter index and the key. Keys of ``"state"`` may be ints or digit strings.
        """
        saved_groups = state_dict.get("param_groups")
        saved_state = state_dict.get("state")
        if not isinstance(saved_groups, list | tuple) or not isinstance(saved_state, dict):
            raise ValueError("optimizer state_dict must have a 'state' dict and a 'param_groups' list")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        state = {int(k): v for k, v in saved_state.items()}
        new_groups: list[dict] = []
        new_states: list[tuple[dict[str, np.ndarray], int]] = []
        index = 0
        for g, (saved, flat) in enumerate(zip(saved_groups, self._groups, strict=True)):
            if len(saved.get("params", ())) != len(flat.params):
                raise ValueError(
                    f"parameter group {g}: loaded state has {len(saved.get('params', ()))} parameters, "
                    f"the optimizer has {len(flat.params)}"
                )
            group = {k: v for k, v in saved.items() if k != "params"}
            if "betas" in group:
                group["betas"] = tuple(group["betas"])
            group["params"] = flat.params
            unknown = sorted(set(group) - set(self.defaults) - {"params", "initial_lr"})
            if unknown:
                names = ", ".join(map(repr, unknown))
                raise ValueError(f"parameter group {g}: unknown hyperparameter(s) {names}")
            missing = sorted(set(self.defaults) - set(group))
            if missing:
                names = ", ".join(map(repr, missing))
                raise ValueError(f"parameter group {g}: missing hyperparameter(s) {names}")
            self._validate(group)
            new_groups.append(group)
            entries = [state.get(i, {}) for i in range(index, index + len(flat.params))]
            new_states.append(self._gather(g, index, flat, entries))
            index += len(flat.params)
        loaded = zip(new_groups, self._groups, new_states, strict=True)
        for g, (group, flat, (buffers, step)) in enumerate(loaded):
            self.param_groups[g] = group
            flat.state = buffers
            flat.step = step
            if not buffers:
                self._init_eager_state(group, flat)

    def _gather(self, g: int, first: int, flat: _GroupState, entries: list[dict]) -> tuple[dict, int]:
        """Check the per-parameter entries of one group and pack them into new flat buffers."""
        keys = {frozenset(entry) for entry in entries}
        if len(keys) != 1:
            raise ValueError(f"parameter group {g}: parameters have different state keys")
        names = set(next(iter(keys))) - {"step"}
        unknown = sorted(names - set(self.buffer_names))
        if unknown:
            raise ValueError(f"parameter group {g}: unknown state buffer(s) {', '.join(map(repr, unknown))}")
        if not entries[0]:
            return {}, 0
        if self.counts_steps and "step" not in entries[0]:
            raise ValueError(f"parameter group {g}: state has no 'step'")
        steps = {float(entry["step"]) for entry in entries} if self.counts_steps else {float(flat.step)}
        if len(steps) != 1:
            raise ValueError(f"parameter group {g}: parameters have different steps {sorted(steps)}")
        step = steps.pop()
        if step < 0 or step != int(step):
            raise ValueError(f"parameter group {g}: invalid step {step}")
        buffers = {}
        for name in (n for n in self.buffer_names if n in names):
            flat_buffer = np.empty_like(flat.buffers.data)
            offset = 0
            for i, (p, entry) in enumerate(zip(flat.params, entries, strict=True)):
                value = np.asarray(entry[name])
                if value.shape != p.shape:
                    raise ValueError(
                        f"state of parameter {first + i}, key {name!r}: "
                        f"expected shape {p.shape}, got {value.shape}"
                    )
                if not np.issubdtype(value.dtype, np.floating):
                    raise ValueError(
                        f"state of parameter {first + i}, key {name!r}: expected floats, got {value.dtype}"
                    )
                flat_buffer[offset : offset + p.size] = value.ravel()
                offset += p.size
            buffers[name] = flat_buffer
        return buffers, int(step)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in group.items() if k != "params"]
        return "\n".join(lines) + "\n)"


def _zeros(flat: _GroupState, *names: str) -> None:
    for name in names:
        flat.state[name] = np.zeros_like(flat.buffers.data)


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
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            decay_type=decay_type,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        _check_lr(group)
        _check(lambda v: v >= 0, group["momentum"], "Invalid momentum value")
        _check(lambda v: 0 <= v <= 1, group["dampening"], "Invalid dampening value")
        _check_weight_decay(group)
        _check_flag(group, "nesterov")
        _check_decay_type(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, group: dict, flat: _GroupState) -> None:
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
            lr=group["lr"],
            momentum=momentum,
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            decay_type=group["decay_type"],
            first_step=first_step,
            work=flat.work,
            tmp=flat.tmp,
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
        _check_lr(group)
        _check(lambda v: v >= 0, group["eps"], "Invalid epsilon value")
        _check_betas(group)
        _check_weight_decay(group)
        _check_flag(group, "amsgrad")
        if not self.decoupled:
            _check_decay_type(group)

    def _update(self, group: dict, flat: _GroupState) -> None:
        if not flat.state:
            _zeros(flat, "exp_avg", "exp_avg_sq")
        amsgrad = group["amsgrad"]
        if amsgrad and "max_exp_avg_sq" not in flat.state:
            _zeros(flat, "max_exp_avg_sq")
        beta1, beta2 = group["betas"]
        adam(
            flat.buffers.data,
            flat.buffers.grad,
            flat.state["exp_avg"],
            flat.state["exp_avg_sq"],
            flat.state.get("max_exp_avg_sq"),
            step=flat.step,
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=amsgrad,
            decoupled=self.decoupled,
            decay_type=group.get("decay_type", "l2"),
            work=flat.work,
            tmp=flat.tmp,
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
            momentum=momentum,
            centered=centered,
            decay_type=decay_type,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        _check_lr(group)
        _check(lambda v: v >= 0, group["eps"], "Invalid epsilon value")
        _check(lambda v: v >= 0, group["momentum"], "Invalid momentum value")
        _check_weight_decay(group)
        _check(lambda v: 0 <= v <= 1, group["alpha"], "Invalid alpha value")
        _check_flag(group, "centered")
        _check_decay_type(group)

    def _update(self, group: dict, flat: _GroupState) -> None:
        if not flat.state:
            _zeros(flat, "square_avg")
        momentum, centered = group["momentum"], group["centered"]
        if momentum > 0 and "momentum_buffer" not in flat.state:
            _zeros(flat, "momentum_buffer")
        if centered and "grad_avg" not in flat.state:
            _zeros(flat, "grad_avg")
        rmsprop(
            flat.buffers.data,
            flat.buffers.grad,
            flat.state["square_avg"],
            flat.state.get("grad_avg"),
            flat.state.get("momentum_buffer"),
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=momentum,
            centered=centered,
            decay_type=group["decay_type"],
            work=flat.work,
            tmp=flat.tmp,
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
        _check_lr(group)
        _check(lambda v: v >= 0, group["lr_decay"], "Invalid lr_decay value")
        _check_weight_decay(group)
        initial = group["initial_accumulator_value"]
        _check(lambda v: v >= 0, initial, "Invalid initial_accumulator_value value")
        _check(lambda v: v >= 0, group["eps"], "Invalid epsilon value")
        _check_decay_type(group)

    def _init_eager_state(self, group: dict, flat: _GroupState) -> None:
        flat.state["sum"] = np.full_like(flat.buffers.data, group["initial_accumulator_value"])

    def _update(self, group: dict, flat: _GroupState) -> None:
        adagrad(
            flat.buffers.data,
            flat.buffers.grad,
            flat.state["sum"],
            step=flat.step,
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decay_type=group["decay_type"],
            work=flat.work,
            tmp=flat.tmp,
        )

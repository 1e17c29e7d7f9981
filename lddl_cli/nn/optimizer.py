"""The optimizer base class: parameter groups, flat state, ``zero_grad``, ``state_dict``.

The concrete optimizers (SGD, Adam, ...) are in optim.py and their update math in
optim_functional.py. Each parameter group is packed into one flat data buffer and one flat grad
buffer (``pack_parameters``) and each state buffer is ONE flat array per group, so that a step is
a few NumPy calls whatever the number of tensors; ``state_dict`` still speaks PyTorch's layout,
one entry per parameter under torch's buffer names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from .optim_functional import DECAY_TYPES
from .tensor import FlatBuffers, Parameter, pack_parameters


# --- hyperparameter checks ----------------------------------------------------------------------
def is_number(value) -> bool:
    real = isinstance(value, int | float | np.integer | np.floating)
    return real and not isinstance(value, bool | np.bool_)


def check(condition: Callable[[float], bool], value, message: str) -> None:
    """Raise ``ValueError("<message>: <value>")`` unless ``value`` is finite and passes ``condition``."""
    if not is_number(value):
        raise ValueError(f"{message}: {value!r} (expected a number)")
    if not math.isfinite(value) or not condition(value):
        raise ValueError(f"{message}: {value}")


def check_lr(group: dict) -> None:
    check(lambda v: v >= 0, group["lr"], "Invalid learning rate")


def check_weight_decay(group: dict) -> None:
    check(lambda v: v >= 0, group["weight_decay"], "Invalid weight_decay value")


def check_decay_type(group: dict) -> None:
    decay_type = group["decay_type"]
    if not isinstance(decay_type, str) or decay_type not in DECAY_TYPES:
        raise ValueError(f"Invalid decay_type: {decay_type!r}; allowed: {', '.join(DECAY_TYPES)}")


def check_flag(group: dict, name: str) -> None:
    if not isinstance(group[name], bool | np.bool_):
        raise ValueError(f"Invalid {name} value: {group[name]!r} (expected True or False)")


def check_betas(group: dict) -> None:
    betas = group["betas"]
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r} (expected two numbers in [0, 1))")
    for index, beta in enumerate(betas):
        check(lambda v: 0 <= v < 1, beta, f"Invalid beta parameter at index {index}")


# --- the optimizer base -------------------------------------------------------------------------
class FlatGroup:
    """The flat arrays behind one parameter group: the packed data and grad, and the state.

    ``state`` maps torch's buffer names to ONE flat array per group (``state_dict`` cuts it into
    per-parameter entries); ``step`` counts the group's steps. The compiled training step
    (compiled.py) updates these same arrays, so both paths share one optimizer state.
    """

    __slots__ = ("buffers", "params", "state", "step")

    def __init__(self, buffers: FlatBuffers) -> None:
        self.buffers = buffers
        self.params = buffers.parameters
        self.state: dict[str, np.ndarray] = {}  # buffer name -> flat array, torch's names
        self.step = 0  # steps taken by every parameter of the group

    def check_packing(self) -> None:
        # Cheap guard (first and last parameter): a later pack_parameters() call on a different
        # list would move the parameters to new buffers and leave this optimizer updating stale memory.
        first, last = self.params[0], self.params[-1]
        if first.packing is not self.buffers or last.packing is not self.buffers:
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
        self.flat_groups: list[FlatGroup] = []  # one per param group, in order
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
        flat = FlatGroup(pack_parameters(params))
        self.param_groups.append(group)
        self.flat_groups.append(flat)
        self._init_eager_state(group, flat)

    def _validate(self, group: dict) -> None:
        """Raise ValueError naming the first invalid hyperparameter of ``group``."""
        raise NotImplementedError

    def _init_eager_state(self, group: dict, flat: FlatGroup) -> None:
        """State created at construction (Adagrad); most optimizers create it on the first step."""

    # --- the step ------------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every gradient to 0."""
        for flat in self.flat_groups:
            flat.buffers.zero_grad()

    def step(self, closure: Callable[[], float] | None = None):
        """Update every parameter once from its ``.grad``; returns ``closure()`` if given."""
        loss = closure() if closure is not None else None
        for group, flat in zip(self.param_groups, self.flat_groups, strict=True):
            flat.check_packing()
            flat.step += 1
            self._update(group, flat)
        return loss

    def _update(self, group: dict, flat: FlatGroup) -> None:
        raise NotImplementedError

    # --- state -------------------------------------------------------------------------------
    @property
    def state(self) -> dict[Parameter, dict]:
        """Parameter -> {"step": n, buffer name: view (writes go to the flat buffer)}."""
        result: dict[Parameter, dict] = {}
        for flat in self.flat_groups:
            for p, entry in zip(flat.params, self._per_parameter(flat, copy=False), strict=True):
                if entry:
                    result[p] = entry
        return result

    def _per_parameter(self, flat: FlatGroup, *, copy: bool) -> list[dict]:
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
        for group, flat in zip(self.param_groups, self.flat_groups, strict=True):
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
        for g, (saved, flat) in enumerate(zip(saved_groups, self.flat_groups, strict=True)):
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
        loaded = zip(new_groups, self.flat_groups, new_states, strict=True)
        for g, (group, flat, (buffers, step)) in enumerate(loaded):
            self.param_groups[g] = group
            flat.state = buffers
            flat.step = step
            if not buffers:
                self._init_eager_state(group, flat)

    def _gather(self, g: int, first: int, flat: FlatGroup, entries: list[dict]) -> tuple[dict, int]:
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


def zeros_state(flat: FlatGroup, *names: str) -> None:
    for name in names:
        flat.state[name] = np.zeros_like(flat.buffers.data)

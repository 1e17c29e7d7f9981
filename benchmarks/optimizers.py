"""Case 3: the cost of Adam, AdamW and RMSprop relative to SGD on the sine MLP.

Two readings of "an optimizer step", both reported:
- ``step()`` alone: each optimizer gets its own copy of the network with the same fixed,
  non-zero gradients, and only ``step()`` is timed (reported, not targeted);
- a whole training step (batch, forward, loss, backward, update) with that optimizer, taken
  by the compiled step as lddl's trainer does, which is what a user's epoch costs.
``step()`` is timed for the eager ``optimizer.step()`` and for the compiled update.
The reference is SGD with momentum 0.9, the sine training setting; plain SGD is listed too.

For scale, the same updates are also written by hand as the shortest sequences of in-place NumPy
calls (4 for SGD with momentum, 12 for Adam): with 2,177 parameters a call costs about the same
whatever it computes, so their ratio is the floor any NumPy optimizer can reach.
"""

from __future__ import annotations

import numpy as np

from .timing import (
    CaseResult,
    Row,
    Settings,
    Target,
    interleaved_samples,
    medians,
    paired_ratio,
)

NAME = "optim"
CONFIGS = {
    "SGD momentum 0.9": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "SGD plain": ("SGD", {"lr": 0.01}),
    "Adam": ("Adam", {"lr": 1e-3}),
    "AdamW": ("AdamW", {"lr": 1e-3}),
    "RMSprop": ("RMSprop", {"lr": 1e-2}),
}
REFERENCE = "SGD momentum 0.9"


def make_optimizer(class_name: str, hyper: dict, weights):
    from lddl_cli import nn

    from .sine import build_lddl_model

    model = build_lddl_model(weights)
    rng = np.random.default_rng(7)
    for p in model.parameters():
        p.grad = rng.uniform(0.5, 1.0, size=p.shape).astype(p.dtype) * rng.choice([-1, 1], size=p.shape)
    return getattr(nn, class_name)(model.parameters(), **hyper)


class HandUpdates:
    """The minimal in-place NumPy update sequences on one flat float32 buffer of ``size``."""

    def __init__(self, size: int, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        f32 = np.float32
        self.param = rng.standard_normal(size).astype(f32)
        self.grad = rng.uniform(0.5, 1.0, size).astype(f32)
        self.buf, self.m, self.v, self.tmp = (np.zeros(size, f32) for _ in range(4))
        self.t = 0
        self.lr, self.momentum = f32(0.01), f32(0.9)

    def sgd_momentum(self) -> None:
        buf, tmp = self.buf, self.tmp
        buf *= self.momentum
        buf += self.grad
        np.multiply(buf, self.lr, out=tmp)
        self.param -= tmp

    def adam(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        f32, m, v, tmp, g = np.float32, self.m, self.v, self.tmp, self.grad
        self.t += 1
        correction2 = (1.0 - beta2**self.t) ** 0.5
        np.multiply(g, f32(1.0 - beta1), out=tmp)
        m *= f32(beta1)
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= f32(1.0 - beta2)
        v *= f32(beta2)
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += f32(eps * correction2)
        np.divide(m, tmp, out=tmp)
        tmp *= f32(lr * correction2 / (1.0 - beta1**self.t))
        self.param -= tmp


def run(settings: Settings) -> CaseResult:
    from lddl_cli import nn

    from .sine import initial_weights

    result = CaseResult()
    weights = initial_weights()
    steps = 500 if settings.quick else 2000
    optimizers, missing = {}, {}
    for label, (class_name, hyper) in CONFIGS.items():
        if hasattr(nn, class_name):
            optimizers[label] = make_optimizer(class_name, hyper, weights)
        else:
            missing[label] = f"not available: lddl lacks nn.{class_name}"

    from lddl_cli.nn.compiled_optim import FusedUpdate

    def stepper(optimizer, compiled=False):
        step = FusedUpdate(optimizer) if compiled else optimizer.step

        def run_steps() -> None:
            for _ in range(steps):
                step()

        return run_steps

    runners = {label: stepper(opt) for label, opt in optimizers.items()}
    fused = {label: make_optimizer(*CONFIGS[label], weights) for label in optimizers}
    runners.update({f"{label} (compiled)": stepper(opt, compiled=True) for label, opt in fused.items()})
    samples = interleaved_samples(runners, dict.fromkeys(runners, steps), settings)
    seconds = medians(samples)
    for label in CONFIGS:
        result.rows.append(Row(NAME, f"{label}: step()", seconds.get(label), note=missing.get(label, "")))
        result.rows.append(Row(NAME, f"{label}: compiled update", seconds.get(f"{label} (compiled)")))
    for label in ("Adam", "AdamW", "RMSprop"):
        for suffix, what in (("", "step()"), (" (compiled)", "compiled update")):
            result.targets.append(
                Target(
                    NAME,
                    f"{label} {what} / {REFERENCE} {what}",
                    paired_ratio(samples, label + suffix, REFERENCE + suffix),
                    None,
                    note="reported, not targeted",
                )
            )

    # The NumPy floor of the same two updates, written by hand.
    size = sum(w.size for w in weights)
    hand = HandUpdates(size)

    def repeat(update):
        def run_steps() -> None:
            for _ in range(steps):
                update()

        return run_steps

    hand_samples = interleaved_samples(
        {"SGD momentum": repeat(hand.sgd_momentum), "Adam": repeat(hand.adam)},
        {"SGD momentum": steps, "Adam": steps},
        settings,
    )
    hand_seconds = medians(hand_samples)
    for label, value in hand_seconds.items():
        result.rows.append(Row(NAME, f"hand-written NumPy {label} update", value, note=f"{size} parameters"))
    result.targets.append(
        Target(
            NAME,
            "hand-written Adam / SGD momentum update",
            paired_ratio(hand_samples, "Adam", "SGD momentum"),
            None,
            note="the NumPy floor of the step() ratio",
        )
    )

    # The same optimizers inside the whole training step of the sine MLP.
    from .sine import LddlLoop, lddl_available, sine_data

    if lddl_available() is None and optimizers:
        x, y = sine_data()
        epochs = 8 if settings.quick else 40
        loops = {label: LddlLoop(weights, x, y, optimizer=CONFIGS[label]) for label in optimizers}
        loop_samples = interleaved_samples(
            {label: (lambda loop=loop: loop.run(epochs)) for label, loop in loops.items()},
            {label: epochs * loop.steps_per_epoch for label, loop in loops.items()},
            settings,
        )
        loop_seconds = medians(loop_samples)
        for label in loops:
            result.rows.append(Row(NAME, f"{label}: training step", loop_seconds[label]))
        for label in ("Adam", "AdamW", "RMSprop"):
            result.targets.append(
                Target(
                    NAME,
                    f"{label} training step / {REFERENCE} training step",
                    paired_ratio(loop_samples, label, REFERENCE),
                    1.25,
                    note="compiled step, as the trainer; median of the rounds' ratios",
                )
            )
    return result

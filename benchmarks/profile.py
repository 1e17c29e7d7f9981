"""Where an lddl sine step spends its time, next to the hand-fused NumPy loop.

``python -m benchmarks.profile [--epochs N] [--top K]`` prints

1. a phase table: µs per step in batch fetch, forward + loss + backward, and the optimizer
   update, for lddl's compiled step (what the trainer runs) and for the hand-fused loop split at
   the same points (one ``perf_counter`` per phase boundary in both, so the timer cost is
   shared), median of rounds;
2. the ``cProfile`` functions with the most own time in lddl's loop.

This is a diagnostic, not a benchmark with targets.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
from time import perf_counter

import numpy as np

from .sine import BATCH_SIZE, LR, MOMENTUM, FusedLoop, LddlLoop, initial_weights, sine_data

PHASES = ("batch", "fwd+loss+bwd", "update")


def lddl_phases(loop: LddlLoop, epochs: int) -> np.ndarray:
    """Seconds per phase, summed over ``epochs`` epochs of the compiled step."""
    forward_backward, update, loader = loop.step.forward_backward, loop.step.update, loop.loader
    totals = np.zeros(len(PHASES))
    for _ in range(epochs):
        iterator = iter(loader)
        while True:
            t0 = perf_counter()
            batch = next(iterator, None)
            if batch is None:
                break
            xb, yb = batch
            t1 = perf_counter()
            forward_backward(xb, yb)
            t2 = perf_counter()
            update()
            t3 = perf_counter()
            totals += (t1 - t0, t2 - t1, t3 - t2)
    return totals


def fused_phases(loop: FusedLoop, epochs: int) -> np.ndarray:
    """The hand-fused step of ``FusedLoop.run_tuned`` (lddl's primitives, so the difference is the
    framework's own cost), with the same phase boundaries as lddl's."""
    x, y, rng = loop.x, loop.y, loop.rng
    w1, b1, w2, b2, w3, b3, w4, b4 = loop.params
    gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4 = loop.grads
    data, grad, buf, scratch = loop.data, loop.grad, loop.momentum_buffer, loop.scratch
    zero = np.zeros((), dtype=data.dtype)
    ones = np.ones(BATCH_SIZE, dtype=data.dtype)
    sign = np.sign
    n = len(x)
    stop = n - n % BATCH_SIZE
    totals = np.zeros(len(PHASES))
    for _ in range(epochs):
        t6 = perf_counter()
        perm = rng.permutation(n)
        for start in range(0, stop, BATCH_SIZE):
            t0 = t6
            idx = perm[start : start + BATCH_SIZE]
            xb, yb = x.take(idx, axis=0), y.take(idx, axis=0)
            t1 = perf_counter()
            h1 = xb.dot(w1.T)
            h1 += b1
            np.maximum(h1, zero, out=h1)
            h2 = h1.dot(w2.T)
            h2 += b2
            np.maximum(h2, zero, out=h2)
            h3 = h2.dot(w3.T)
            h3 += b3
            np.maximum(h3, zero, out=h3)
            out = h3.dot(w4.T)
            out += b4
            out -= yb
            float(np.vdot(out, out)) / out.size
            g = out * (2.0 / out.size)
            g.T.dot(h3, gw4)
            ones.dot(g, gb4)
            g = g.dot(w4) * sign(h3)
            g.T.dot(h2, gw3)
            ones.dot(g, gb3)
            g = g.dot(w3) * sign(h2)
            g.T.dot(h1, gw2)
            ones.dot(g, gb2)
            g = g.dot(w2) * sign(h1)
            g.T.dot(xb, gw1)
            ones.dot(g, gb1)
            t2 = perf_counter()
            buf *= MOMENTUM
            buf += grad
            np.multiply(buf, LR, out=scratch)
            data -= scratch
            loop.steps += 1
            if loop.steps % 32 == 0:
                np.copyto(buf, 0, where=np.abs(buf) < np.finfo(buf.dtype).tiny)
            t3 = perf_counter()
            totals += (t1 - t0, t2 - t1, t3 - t2)
            t6 = t3
    return totals


def phase_table(epochs: int, rounds: int) -> str:
    x, y = sine_data()
    weights = initial_weights()
    lddl, fused = LddlLoop(weights, x, y), FusedLoop(weights, x, y, tuned=True)
    steps = epochs * lddl.steps_per_epoch
    samples: dict[str, list[np.ndarray]] = {"lddl": [], "fused": []}
    gc.disable()
    try:
        for round_index in range(rounds + 1):
            lddl_totals = lddl_phases(lddl, epochs)
            fused_totals = fused_phases(fused, epochs)
            if round_index:  # the first round is the warm-up
                samples["lddl"].append(lddl_totals / steps)
                samples["fused"].append(fused_totals / steps)
    finally:
        gc.enable()
    median = {k: np.median(np.array(v), axis=0) * 1e6 for k, v in samples.items()}
    lines = [f"{'phase':<12} {'lddl µs':>8} {'fused µs':>9} {'extra µs':>9}"]
    for i, phase in enumerate(PHASES):
        a, b = median["lddl"][i], median["fused"][i]
        lines.append(f"{phase:<12} {a:8.2f} {b:9.2f} {a - b:9.2f}")
    a, b = median["lddl"].sum(), median["fused"].sum()
    lines.append(f"{'total':<12} {a:8.2f} {b:9.2f} {a - b:9.2f}   (ratio {a / b:.2f})")
    return "\n".join(lines)


def profile_table(epochs: int, top: int) -> str:
    x, y = sine_data()
    loop = LddlLoop(initial_weights(), x, y)
    loop.run(1)
    profiler = cProfile.Profile()
    profiler.enable()
    loop.run(epochs)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs per round (25 steps each)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds for the phase table")
    parser.add_argument("--top", type=int, default=20, help="functions listed from cProfile")
    args = parser.parse_args(argv)
    print("µs per step by phase (median of rounds), lddl vs the hand-fused loop with its primitives:")
    print(phase_table(args.epochs, args.rounds))
    print()
    print(profile_table(args.epochs, args.top))


if __name__ == "__main__":
    main()

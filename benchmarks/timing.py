"""Timing primitives and the result records every case returns."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    """How hard to measure: ``repeats`` timed rounds after ``warmup`` untimed ones."""

    quick: bool = False
    repeats: int = 7
    warmup: int = 1

    @classmethod
    def make(cls, quick: bool, repeats: int | None) -> Settings:
        default = 3 if quick else 7
        return cls(quick=quick, repeats=max(1, repeats or default), warmup=1)


@dataclass
class Row:
    """One measured variant: seconds per step (median), optional FLOPs per step and peak RSS."""

    case: str
    variant: str
    seconds: float | None
    flops: float | None = None
    peak_rss_mib: float | None = None
    note: str = ""
    wall_seconds: float | None = None

    @property
    def us_per_step(self) -> float | None:
        return None if self.seconds is None else self.seconds * 1e6

    @property
    def steps_per_second(self) -> float | None:
        return None if not self.seconds else 1.0 / self.seconds

    @property
    def gflops(self) -> float | None:
        return None if self.flops is None or not self.seconds else self.flops / self.seconds / 1e9


@dataclass
class Target:
    """A speed target: a ratio measured against its reference in the same run.

    ``higher_is_better`` says which side of ``limit`` passes; a target whose value could not be
    measured (a missing dependency or command) has ``value`` None and reports "n/a".
    """

    case: str
    name: str
    value: float | None
    limit: float | None
    higher_is_better: bool = False
    unit: str = "×"
    note: str = ""

    @property
    def status(self) -> str:
        if self.value is None:
            return "n/a"
        if self.limit is None:
            return "info"
        ok = self.value >= self.limit if self.higher_is_better else self.value <= self.limit
        return "PASS" if ok else "FAIL"

    @property
    def target_text(self) -> str:
        if self.limit is None:
            return "-"
        return f"{'≥' if self.higher_is_better else '≤'} {self.limit:g}{self.unit}"


@dataclass
class CaseResult:
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def medians(samples: dict[str, list[float]]) -> dict[str, float]:
    """Each variant's median over the rounds of ``interleaved_samples``: the value of its row."""
    return {name: statistics.median(values) for name, values in samples.items()}


def paired_ratio(samples: dict[str, list[float]], numerator: str, denominator: str) -> float | None:
    """The median over rounds of one round's ratio numerator / denominator.

    The machines drift by up to 2x over seconds; two variants timed in the same round share the
    phase, so the ratio of each round moves less than the ratio of the two medians.
    """
    if numerator not in samples or denominator not in samples:
        return None
    pairs = zip(samples[numerator], samples[denominator], strict=True)
    return statistics.median(a / b for a, b in pairs)


def interleaved_samples(
    runners: dict[str, Callable[[], None]], units: dict[str, int], settings: Settings
) -> dict[str, list[float]]:
    """Seconds per unit of each runner in each timed round, runners alternating within a round.

    Every round runs each runner once (after ``settings.warmup`` untimed rounds), so slow
    phases of a shared machine hit all variants alike; ``units[name]`` is how many steps one
    call of that runner performs. The garbage collector is paused while timing, as ``timeit`` does.
    """
    samples: dict[str, list[float]] = {name: [] for name in runners}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for round_index in range(settings.warmup + settings.repeats):
            for name, run in runners.items():
                start = time.perf_counter()
                run()
                elapsed = time.perf_counter() - start
                if round_index >= settings.warmup:
                    samples[name].append(elapsed / units[name])
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator

"""Shared output for the benchmark scripts: every figure is printed next to a named baseline
measured in the same process on the same data, as a ratio."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Timing:
    name: str
    seconds: float
    units: float  # lines, objects, bytes... whatever the rate is "per"

    @property
    def rate(self) -> float:
        return self.units / self.seconds if self.seconds else float("inf")


def timed(name: str, units: float, work: Callable[[], T], *, repeat: int = 1) -> tuple[Timing, T]:
    """Run ``work`` ``repeat`` times and keep the fastest run (the least disturbed one)."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    assert result is not None or repeat == 0
    return Timing(name, best, units), result  # type: ignore[return-value]


def header(title: str) -> None:
    print(f"# {title}")
    print(f"# python {platform.python_version()} on {platform.machine()}, {platform.system()}")


def print_table(baseline: Timing, others: list[Timing], unit: str) -> None:
    """One row per measurement: seconds, rate, and speed relative to the baseline."""
    width = max(len(t.name) for t in [baseline, *others])
    print(f"{'':{width}}  {'seconds':>9}  {unit + '/s':>14}  {'vs baseline':>11}")
    for timing in [baseline, *others]:
        ratio = timing.rate / baseline.rate if baseline.rate else float("nan")
        label = "(baseline)" if timing is baseline else f"{ratio:.2f}x"
        print(f"{timing.name:{width}}  {timing.seconds:9.3f}  {timing.rate:14,.0f}  {label:>11}")

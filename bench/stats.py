"""Summaries of repeated measurements, and the record of one benchmark figure."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Summary:
    """Median and spread of samples (seconds, letters per second, bytes: whatever was measured)."""

    median: float
    p25: float
    p75: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> "Summary":
        if not samples:
            raise ValueError("no samples")
        xs = sorted(samples)
        if len(xs) == 1:
            q1 = q3 = xs[0]
        else:
            q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
        return cls(statistics.median(xs), q1, q3, xs[0], xs[-1], len(xs))

    def scaled(self, factor: float) -> "Summary":
        """The same summary in another unit (e.g. seconds to milliseconds)."""
        return Summary(self.median * factor, self.p25 * factor, self.p75 * factor, self.min * factor,
                       self.max * factor, self.n)

    def inverted(self, numerator: float = 1.0) -> "Summary":
        """numerator / x for every statistic (durations to rates); quartiles swap places."""
        return Summary(numerator / self.median, numerator / self.p75, numerator / self.p25, numerator / self.max,
                       numerator / self.min, self.n)


class Laps:
    """Seconds spent per named stage: ``lap(name)`` closes the stage that ran since the last lap."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._t = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = now - self._t
        self._t = now


def timed(fn: Callable[[], Any], repeat: int, *, warmup: int = 1) -> list[float]:
    """Seconds per call of ``fn``, ``repeat`` times after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


@dataclass
class Figure:
    """One row of RESULTS.md: Naskah and its peer, measured side by side in the same run.

    ``ratio`` is computed by the module that measured the figure and ``ratio_text`` says which
    way it reads (``5.3x faster``, ``0.87x the peer's time``); ``met`` compares with ``target``.
    """

    group: str
    name: str
    unit: str
    naskah: Summary
    peer: Summary
    peer_name: str
    ratio: float
    ratio_text: str
    target: str
    met: bool | None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def spread(s: Summary, fmt: str) -> str:
    """``IQR a-b, range c-d (n=..)`` in the figure's unit."""
    return f"IQR {fmt.format(s.p25)}–{fmt.format(s.p75)}, range {fmt.format(s.min)}–{fmt.format(s.max)} (n={s.n})"

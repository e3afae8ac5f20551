"""What a printed figure can stand for: an interval from its digits and its wording.

The consistency review compares intervals, never a flat percentage:

- a level printed as 4,292,000 stands for [4,291,500, 4,292,500], and "4.29 million"
  for [4,285,000, 4,295,000] (`rounding_unit`: half a step either side);
- "about" widens that to at least 1% of the value either side, because the wording says so;
- "over 7 million" is [7,000,000, +inf) and "under 50,000" is (-inf, 50,000];
- a growth rate printed as 12.7 (percent) stands for [12.65, 12.75], and 21 for [20.5, 21.5];
  the level rule applies to rates too, so a rate of 100% or more with trailing zeros is read to
  two significant digits: 170 ("2.7 times") is [165, 175] and 100 ("doubled") is [95, 105];
- a level implied by a growth rate, value / (1 + rate/100), takes the worst cases of both.

Two figures agree when their intervals meet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from forecast.domain import Observation, Qualifier, rounding_unit

APPROX_SHARE = 0.01  # "about", "nearly": at least 1% either side


@dataclass(frozen=True)
class Interval:
    """The closed range [low, high] of values a figure can stand for (bounds may be infinite)."""

    low: float
    high: float

    def meets(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.low + other.low, self.high + other.high)

    def __str__(self) -> str:
        return f"{_number(self.low)} to {_number(self.high)}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "no limit"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def level_interval(figure: Observation) -> Interval:
    """The values a reported level can stand for, from its rounding step and its qualifier."""
    value = figure.value
    half = rounding_unit(value) / 2
    if figure.qualifier is Qualifier.LOWER_BOUND:
        return Interval(value, math.inf)
    if figure.qualifier is Qualifier.UPPER_BOUND:
        return Interval(-math.inf, value)
    if figure.qualifier is Qualifier.APPROX:
        half = max(half, APPROX_SHARE * abs(value))
    return Interval(value - half, value + half)


def rate_interval(pct: float) -> Interval:
    """The growth rates (percent) a printed rate can stand for: 12.7 -> [12.65, 12.75], 170 -> [165, 175]."""
    half = rounding_unit(pct) / 2
    return Interval(pct - half, pct + half)


def implied_base(level: Interval, rate: Interval) -> Interval:
    """Base-period levels that `level` can have grown from at `rate` percent.

    The lowest base is the lowest level over the highest growth factor, the
    highest base the highest level over the lowest factor. A rate that can
    reach -100% says nothing about the base.
    """
    low_factor, high_factor = 1 + rate.low / 100, 1 + rate.high / 100
    if low_factor <= 0:
        return Interval(-math.inf, math.inf)
    return Interval(level.low / high_factor, level.high / low_factor)


def implied_rate(level: Interval, base: Interval) -> Interval:
    """Growth rates (percent) that a level and its base can give between them."""
    if base.low <= 0:
        return Interval(-math.inf, math.inf)
    return Interval((level.low / base.high - 1) * 100, (level.high / base.low - 1) * 100)


@dataclass(frozen=True)
class Figure:
    """A reported or derived level with every value it can stand for.

    `row_key` is the key of the observations.csv row it comes from: its own, or for a
    derived figure the row whose growth rate implies it. `implied_by` says how a derived
    figure was made ("4,292,000 for ... at +12.7% (SteelOrbis) implies ...").
    """

    observation: Observation
    interval: Interval
    implied_by: str = ""
    grown_to: Interval | None = None  # for a derived figure: the level its growth rate leads to

    @classmethod
    def reported(cls, observation: Observation) -> Figure:
        return cls(observation, level_interval(observation))

    @property
    def row_key(self) -> str:
        return self.observation.derived_from[0] if self.observation.is_derived else self.observation.key

    @property
    def publisher(self) -> str:
        return self.observation.source.publisher

    def agrees(self, other: Figure) -> bool:
        return self.interval.meets(other.interval)


def agree(a: Observation, b: Observation) -> bool:
    """Whether two reported figures for one cell can both be true."""
    return level_interval(a).meets(level_interval(b))

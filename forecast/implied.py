"""Levels implied by growth rates, and the two checks that read them.

- derived_vs_reported: the base a printed rate implies against the figure reported
  for that base period. CAAM's January-August 2025 4,292,000 at +12.7% implies
  3,807,000 to 3,809,000 for January-August 2024; a reported 3,773,000 gives
  +13.7% to +13.8% and is flagged. The tolerance is what the printed digits allow
  (12.7 is 12.65 to 12.75, 4,292,000 is 4,291,500 to 4,292,500), not a flat 1%.
- basis_mixup: a figure that matches, within rounding, the other basis' figure for
  the same period (CAAM against customs), while it is at odds with its own series:
  with another publisher's figure for the cell, or with the base that a later row's
  growth rate implies. China Daily's customs 977,300 for 2013 equals CAAM's count,
  and customs' own 2014 row (897,000, -2.8%) implies about 922,800 for 2013.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from forecast.domain import Aggregation, Conflict, Kind, Observation, Period, Qualifier, Series
from forecast.tolerance import Figure, Interval, agree, implied_rate, level_interval, rate_interval
from forecast.tolerance import implied_base as base_interval

SameCell = tuple[str, Period, Aggregation]


@dataclass(frozen=True)
class ImpliedBase:
    """A base-period level implied by one reported row's growth rate."""

    figure: Observation  # the derived figure (`forecast.data.derive_base_observations`)
    source: Observation  # the reported row whose rate implies it
    rate: float  # percent, as printed
    interval: Interval  # every base the row's printed value and rate allow

    @property
    def where(self) -> SameCell:
        return (self.figure.series_id, self.figure.period, self.figure.aggregation)

    def as_figure(self) -> Figure:
        return Figure(self.figure, self.interval, self.describe(), level_interval(self.source))

    def describe(self) -> str:
        return (
            f"{self.source.value:,.0f} for {self.source.period} at {self.rate:+g}% ({self.source.source.publisher}) implies {self.interval}"
        )


def implied_bases(derived: Sequence[Observation], reported: Sequence[Observation]) -> list[ImpliedBase]:
    """Pair each derived figure with the row and rate it came from, and the interval they allow."""
    by_key = {o.key: o for o in reported}
    bases = []
    for figure in derived:
        source = by_key.get(figure.derived_from[0]) if figure.derived_from else None
        if source is None:
            continue
        rate = source.yoy_pct if figure.period == source.period.shifted_years(-1) else source.mom_pct
        if rate is None:
            continue
        bases.append(ImpliedBase(figure, source, rate, base_interval(level_interval(source), rate_interval(rate))))
    return bases


def rate_conflicts(bases: Sequence[ImpliedBase], chosen: Mapping[tuple[str, Period, Aggregation, Kind], Observation]) -> list[Conflict]:
    """derived_vs_reported: each implied base against the figure the review chose for that cell."""
    conflicts = []
    for base in bases:
        reported = chosen.get(base.figure.cell)
        if reported is None or base.interval.meets(level_interval(reported)):
            continue
        levels_give = implied_rate(level_interval(base.source), level_interval(reported))
        conflicts.append(
            Conflict(
                check="derived_vs_reported",
                series_id=base.figure.series_id,
                period=base.figure.period,
                observation_keys=(base.source.key, reported.key),
                detail=(
                    f"{base.describe()}; reported {reported.value:,.0f} ({reported.source.publisher}), "
                    f"with which the levels give {levels_give}%"
                ),
                resolution="the reported figure is used; the rate was likely computed on a revised base",
                kept_key=reported.key,
            )
        )
    return conflicts


def basis_mixups(
    levels: Sequence[Observation], bases: Sequence[ImpliedBase], series: Mapping[str, Series], identity: Mapping[str, str]
) -> list[Conflict]:
    """A figure matching the other basis' figure for its period, and at odds with its own series."""
    by_cell: dict[SameCell, list[Observation]] = defaultdict(list)
    for observation in levels:
        by_cell[(observation.series_id, observation.period, observation.aggregation)].append(observation)
    rates: dict[SameCell, list[ImpliedBase]] = defaultdict(list)
    for base in bases:
        if not base.source.disputed:
            rates[base.where].append(base)
    conflicts = []
    for observation in levels:
        if observation.disputed or observation.qualifier is not Qualifier.EXACT:
            continue
        own = (observation.series_id, observation.period, observation.aggregation)
        who = identity[observation.source.publisher]
        figures = [o for o in by_cell[own] if not o.disputed and identity[o.source.publisher] != who and not agree(o, observation)]
        implied = [
            b for b in rates[own] if identity[b.source.source.publisher] != who and not b.interval.meets(level_interval(observation))
        ]
        match = _sibling_match(observation, by_cell, series) if figures or implied else None
        if match is not None:
            conflicts.append(_mixup(observation, match, figures, implied, series))
    return conflicts


def _sibling_match(
    observation: Observation, by_cell: Mapping[SameCell, list[Observation]], series: Mapping[str, Series]
) -> Observation | None:
    """An exact figure for the same period in a series with the same entity, measure and segment, within rounding."""
    meta = series[observation.series_id]
    for other in series.values():
        if other.id == observation.series_id or (other.entity, other.measure, other.segment) != (meta.entity, meta.measure, meta.segment):
            continue
        for candidate in by_cell.get((other.id, observation.period, observation.aggregation), []):
            if not candidate.disputed and candidate.qualifier is Qualifier.EXACT and agree(candidate, observation):
                return candidate
    return None


def _mixup(
    observation: Observation,
    match: Observation,
    figures: Sequence[Observation],
    implied: Sequence[ImpliedBase],
    series: Mapping[str, Series],
) -> Conflict:
    other_basis = series[match.series_id].basis.value
    evidence = [f"{o.value:,.0f} ({o.source.publisher})" for o in figures] + [b.describe() for b in implied]
    return Conflict(
        check="basis_mixup",
        series_id=observation.series_id,
        period=observation.period,
        observation_keys=(observation.key, match.key, *(o.key for o in figures), *(b.source.key for b in implied)),
        detail=(
            f"{observation.value:,.0f} ({observation.source.publisher}) matches the {other_basis} figure "
            f"{match.value:,.0f} ({match.source.publisher}) and is at odds with its own series: " + "; ".join(evidence)
        ),
        resolution=f"not used for {observation.series_id}: most likely the {other_basis} count credited to the wrong body",
    )

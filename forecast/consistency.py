"""Consistency checks across reported figures, and the rules that decide between them.

Checks (each yields a Conflict that stays visible with its resolution):
- disagreement: the same series, period and aggregation from two sources beyond rounding;
- ytd_sum: a year-to-date total against the months (and earlier total) it is made of;
- ytd_decreasing: a year-to-date total smaller than an earlier one of the same year;
- year_below_ytd: a year smaller than one of its year-to-date totals;
- derived_vs_reported: a base period implied by a growth rate against the figure reported for it;
- basis_mixup: a figure equal to the other basis' figure for the same period (CAAM vs customs).

Resolution rules, in order (documented in data/README.md):
1. a figure the curator marked disputed loses to any undisputed one;
2. a figure flagged as a basis mix-up loses;
3. the value more independent publishers agree on wins;
4. the issuing body's own release (CAAM, customs) beats reposts;
5. the later publication wins (a later release revises an earlier one);
6. among agreeing figures, the most precise (finest rounding) stands for the cell.
Reported figures always beat derived ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from forecast.domain import (
    Aggregation,
    Conflict,
    Kind,
    Observation,
    Period,
    Qualifier,
    ResolvedCell,
    Series,
    agree_within_rounding,
    month_end,
    rounding_unit,
)

ISSUER_WORDS = {"caam": ("caam",), "customs": ("customs", "gac")}


@dataclass(frozen=True)
class Review:
    """What the checks found and what the fit will use."""

    cells: tuple[ResolvedCell, ...]
    conflicts: tuple[Conflict, ...]

    def conflicts_for(self, key: str) -> list[Conflict]:
        return [conflict for conflict in self.conflicts if key in conflict.observation_keys]


def review(
    reported: Sequence[Observation], derived: Sequence[Observation], series: Mapping[str, Series]
) -> Review:
    """Run every check and pick one figure per cell for the fit."""
    levels = [o for o in reported if o.kind is Kind.LEVEL]
    mixups = _basis_mixups(levels, series)
    mixed_up = {key for conflict in mixups for key in conflict.observation_keys[:1]}
    cells, disagreements = _resolve_cells(levels, mixed_up)
    chosen = {cell.chosen.cell: cell for cell in cells}
    derived_cells, derived_conflicts = _resolve_derived(derived, chosen)
    all_cells = {**{cell.chosen.cell: cell for cell in derived_cells}, **chosen}
    aggregate_conflicts = _aggregate_checks([cell.chosen for cell in chosen.values()])
    conflicts = (*mixups, *disagreements, *derived_conflicts, *aggregate_conflicts)
    ordered = sorted(all_cells.values(), key=lambda c: (c.chosen.series_id, c.chosen.period, c.chosen.aggregation.value))
    return Review(tuple(ordered), tuple(conflicts))


def _is_issuer(observation: Observation, basis: str) -> bool:
    publisher = observation.source.publisher.lower()
    return any(word in publisher for word in ISSUER_WORDS.get(basis, ())) and "repost" not in publisher


def _cluster(observations: Sequence[Observation]) -> list[list[Observation]]:
    """Group figures that agree within rounding (single linkage)."""
    clusters: list[list[Observation]] = []
    for observation in observations:
        home = [c for c in clusters if any(agree_within_rounding(observation, other) for other in c)]
        merged = [observation]
        for cluster in home:
            merged.extend(cluster)
            clusters.remove(cluster)
        clusters.append(merged)
    return clusters


def _precision_order(observation: Observation) -> tuple[int, float, float, date]:
    bound = observation.qualifier in (Qualifier.LOWER_BOUND, Qualifier.UPPER_BOUND)
    approx = observation.qualifier is Qualifier.APPROX
    return (int(bound) + int(approx), rounding_unit(observation.value), -observation.vintage.toordinal(), observation.vintage)


def _resolve_cells(
    levels: Sequence[Observation], mixed_up: set[str]
) -> tuple[list[ResolvedCell], list[Conflict]]:
    by_cell: dict[tuple[str, Period, Aggregation, Kind], list[Observation]] = defaultdict(list)
    for observation in levels:
        by_cell[observation.cell].append(observation)
    cells, conflicts = [], []
    for (series_id, period, _, _), group in by_cell.items():
        usable = [o for o in group if not o.disputed and o.key not in mixed_up]
        if not usable:
            continue  # every figure for the cell is disputed: nothing reliable to fit
        clusters = _cluster(usable)
        winner = max(clusters, key=lambda c: _cluster_rank(c, series_id))
        chosen = min(winner, key=_precision_order)
        alternatives = tuple(o for o in group if o is not chosen)
        cells.append(ResolvedCell(chosen, alternatives))
        losers = [o for o in group if o not in winner]
        if losers:
            conflicts.append(
                Conflict(
                    check="disagreement",
                    series_id=series_id,
                    period=period,
                    observation_keys=tuple(o.key for o in (*losers, chosen)),
                    detail="; ".join(f"{o.value:,.0f} ({o.source.publisher})" for o in group),
                    resolution=_why_winner(winner, losers, series_id, mixed_up),
                    kept_key=chosen.key,
                )
            )
    return cells, conflicts


def _cluster_rank(cluster: Sequence[Observation], series_id: str) -> tuple[int, int, date]:
    basis = series_id.rsplit("_", 1)[-1]
    basis = {"gac": "customs"}.get(basis, basis)
    publishers = len({o.source.publisher for o in cluster})
    issuer = int(any(_is_issuer(o, basis) for o in cluster))
    latest = max(o.vintage for o in cluster)
    return (publishers, issuer, latest)


def _why_winner(
    winner: Sequence[Observation], losers: Sequence[Observation], series_id: str, mixed_up: set[str]
) -> str:
    if any(o.disputed for o in losers):
        return "rule 1: the figure the curator marked disputed is not used"
    if any(o.key in mixed_up for o in losers):
        return "rule 2: a figure credited to the wrong basis is not used"
    publishers = len({o.source.publisher for o in winner})
    loser_publishers = len({o.source.publisher for o in losers})
    if publishers != loser_publishers:
        return f"rule 3: kept the value {publishers} publisher(s) agree on over one {loser_publishers} report(s)"
    return "rules 4-5: kept the issuing body's own or the later release"


def _resolve_derived(
    derived: Sequence[Observation], chosen: Mapping[tuple[str, Period, Aggregation, Kind], ResolvedCell]
) -> tuple[list[ResolvedCell], list[Conflict]]:
    """Derived figures fill cells nobody reported, and are checked against those somebody did."""
    by_cell: dict[tuple[str, Period, Aggregation, Kind], list[Observation]] = defaultdict(list)
    for observation in derived:
        by_cell[observation.cell].append(observation)
    cells, conflicts = [], []
    for cell, group in by_cell.items():
        reported = chosen.get(cell)
        if reported is None:
            usable = [o for o in group if not o.disputed]
            if usable:
                best = min(usable, key=lambda o: o.uncertainty)
                cells.append(ResolvedCell(best, tuple(o for o in group if o is not best)))
            continue
        for observation in group:
            if observation.disputed:
                continue  # the disputed source is already flagged; its implied base adds only noise
            if not agree_within_rounding(observation, reported.chosen):
                conflicts.append(
                    Conflict(
                        check="derived_vs_reported",
                        series_id=cell[0],
                        period=cell[1],
                        observation_keys=(observation.derived_from[0], reported.chosen.key),
                        detail=(
                            f"growth rate implies {observation.value:,.0f} (+-{observation.uncertainty:,.0f}); "
                            f"reported {reported.chosen.value:,.0f}"
                        ),
                        resolution="the reported figure is used; the rate was likely computed on a revised base",
                        kept_key=reported.chosen.key,
                    )
                )
    return cells, conflicts


def _aggregate_checks(chosen: Iterable[Observation]) -> list[Conflict]:
    """Year-to-date totals against their months, each other and the year."""
    by_series_year: dict[tuple[str, int], dict[tuple[Aggregation, int], Observation]] = defaultdict(dict)
    for observation in chosen:
        if observation.aggregation in (Aggregation.MONTH, Aggregation.YTD, Aggregation.YEAR) and observation.period.ends_on_month_end:
            month = observation.period.end.month
            aggregation = Aggregation.YTD if observation.aggregation is Aggregation.YEAR else observation.aggregation
            by_series_year[(observation.series_id, observation.period.end.year)][(aggregation, month)] = observation
    conflicts = []
    for (series_id, year), figures in by_series_year.items():
        totals = sorted((m, o) for (agg, m), o in figures.items() if agg is Aggregation.YTD)
        months = {m: o for (agg, m), o in figures.items() if agg is Aggregation.MONTH}
        previous: tuple[int, Observation | None] = (0, None)
        for month, total in totals:
            start_month, earlier = previous
            between = range(start_month + 1, month + 1)
            if all(m in months for m in between):
                parts = [months[m] for m in between]
                expected = sum(p.value for p in parts) + (earlier.value if earlier else 0.0)
                involved = [*parts, *([earlier] if earlier else [])]
                tolerance = (rounding_unit(total.value) + sum(rounding_unit(p.value) for p in involved)) / 2
                tolerance = max(tolerance, 0.01 * total.value) if _loose(total, involved) else tolerance
                if abs(expected - total.value) > tolerance and not _bound_satisfied(total, expected):
                    conflicts.append(
                        Conflict(
                            check="ytd_sum",
                            series_id=series_id,
                            period=Period(total.period.start, month_end(year, month)),
                            observation_keys=(total.key, *(o.key for o in involved)),
                            detail=f"total {total.value:,.0f} but its parts add to {expected:,.0f}",
                            resolution="all kept; the fit weighs each by its rounding, so a revision shows as a residual",
                        )
                    )
            if earlier is not None and total.value < earlier.value - (rounding_unit(total.value) + rounding_unit(earlier.value)) / 2:
                conflicts.append(
                    Conflict(
                        check="ytd_decreasing" if month < 12 else "year_below_ytd",
                        series_id=series_id,
                        period=total.period,
                        observation_keys=(total.key, earlier.key),
                        detail=f"{total.value:,.0f} to {total.period.end} is below {earlier.value:,.0f} to {earlier.period.end}",
                        resolution="all kept and flagged; a year-to-date total cannot fall within a year",
                    )
                )
            previous = (month, total)
    return conflicts


def _loose(total: Observation, parts: Sequence[Observation]) -> bool:
    return any(o.qualifier is not Qualifier.EXACT for o in (total, *parts))


def _bound_satisfied(total: Observation, expected: float) -> bool:
    return total.qualifier is Qualifier.LOWER_BOUND and expected >= total.value


def _basis_mixups(levels: Sequence[Observation], series: Mapping[str, Series]) -> list[Conflict]:
    """A figure equal to another basis' figure for the same period, and at odds with its own basis."""
    siblings: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for item in series.values():
        siblings[(item.entity, item.measure, item.segment)].append(item.id)
    by_cell: dict[tuple[str, Period, Aggregation], list[Observation]] = defaultdict(list)
    for observation in levels:
        by_cell[(observation.series_id, observation.period, observation.aggregation)].append(observation)
    conflicts = []
    for observation in levels:
        if observation.disputed or observation.qualifier is not Qualifier.EXACT:
            continue
        meta = series[observation.series_id]
        for other_id in siblings[(meta.entity, meta.measure, meta.segment)]:
            if other_id == observation.series_id:
                continue
            others = [o for o in by_cell[(other_id, observation.period, observation.aggregation)] if not o.disputed]
            same_basis = [
                o for o in by_cell[(observation.series_id, observation.period, observation.aggregation)]
                if o.source.publisher != observation.source.publisher and not o.disputed
            ]
            matches = [o for o in others if o.value == observation.value]
            at_odds = [o for o in same_basis if not agree_within_rounding(o, observation)]
            if matches and at_odds:
                conflicts.append(
                    Conflict(
                        check="basis_mixup",
                        series_id=observation.series_id,
                        period=observation.period,
                        observation_keys=(observation.key, matches[0].key, at_odds[0].key),
                        detail=(
                            f"{observation.value:,.0f} ({observation.source.publisher}) equals the {series[other_id].basis.value} "
                            f"figure and differs from {at_odds[0].value:,.0f} ({at_odds[0].source.publisher})"
                        ),
                        resolution=f"not used for {observation.series_id}: most likely the {series[other_id].basis.value} count credited to the wrong body",
                        kept_key=at_odds[0].key,
                    )
                )
                break
    return conflicts

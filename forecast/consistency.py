"""Consistency checks across reported figures, and the rules that decide between them.

Checks (each yields a Conflict that stays visible with its resolution):
- disagreement: the same series, period and aggregation from two sources beyond rounding;
- ytd_sum: a year-to-date total against the months (and earlier total) it is made of;
- ytd_decreasing: a year-to-date total smaller than an earlier one of the same year;
- year_below_ytd: a year smaller than one of its year-to-date totals;
- derived_vs_reported: a base period implied by a growth rate against the figure reported for it;
- basis_mixup: a figure that matches the other basis' figure for the same period (CAAM vs customs)
  and is at odds with its own series (another publisher's figure, or the base a growth rate implies).

Tolerances come from what each figure can stand for (`forecast.tolerance`): its rounding,
its wording and, for a growth rate, its printed digits. The year-to-date checks test every
usable figure printed for a cell, not only the chosen one (`forecast.totals`). Publishers are
counted once however they are spelled (`forecast.publishers`).

Resolution rules, in order (documented in data/README.md):
1. a figure the curator marked disputed loses to any undisputed one;
2. a figure flagged as a basis mix-up loses;
3. the value more independent publishers agree on wins;
4. the issuing body's own release (CAAM, customs) beats reposts;
5. the later publication wins (a later release revises an earlier one); on a full tie, the
   group holding the most precise figure;
6. among agreeing figures, the most precise (finest rounding) stands for the cell.
Figures agree as a group only when every pair of them agrees: a loose figure ("over 7 million")
can sit in two groups, but never joins two figures that disagree into one.
Reported figures always beat derived ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
)
from forecast.implied import ImpliedBase, basis_mixups, implied_bases, rate_conflicts
from forecast.publishers import publisher_identities
from forecast.tolerance import Figure
from forecast.totals import Candidates, aggregate_checks

ISSUER_WORDS = {"caam": ("caam",), "customs": ("customs", "gac")}
RULES = (
    "rule 3: kept the value more publishers agree on",
    "rule 4: kept the issuing body's own release",
    "rule 5: kept the later release",
    "rule 5: on a full tie, kept the group with the most precise figure",
)

CellKey = tuple[str, Period, Aggregation, Kind]


@dataclass(frozen=True)
class Review:
    """What the checks found and what the fit will use."""

    cells: tuple[ResolvedCell, ...]
    conflicts: tuple[Conflict, ...]

    def conflicts_for(self, key: str) -> list[Conflict]:
        return [conflict for conflict in self.conflicts if key in conflict.observation_keys]


@dataclass(frozen=True)
class _Context:
    series: Mapping[str, Series]
    identity: Mapping[str, str]  # publisher spelling -> one label per publisher
    mixed_up: frozenset[str]  # keys of figures flagged as a basis mix-up

    def publishers(self, figures: Sequence[Figure]) -> int:
        return len({self.identity[f.publisher] for f in figures})

    def usable(self, figure: Observation) -> bool:
        return not figure.disputed and figure.key not in self.mixed_up


@dataclass(frozen=True)
class _Cell:
    resolved: ResolvedCell
    candidates: Candidates


def review(reported: Sequence[Observation], derived: Sequence[Observation], series: Mapping[str, Series]) -> Review:
    """Run every check and pick one figure per cell for the fit."""
    levels = [o for o in reported if o.kind is Kind.LEVEL]
    identity = publisher_identities(reported)
    implied = implied_bases(derived, reported)
    mixups = basis_mixups(levels, implied, series, identity)
    context = _Context(series, identity, frozenset(c.observation_keys[0] for c in mixups))
    reported_cells, disagreements = _resolve_cells(levels, context)
    chosen = {cell.resolved.chosen.cell: cell.resolved.chosen for cell in reported_cells}
    trusted = [base for base in implied if context.usable(base.source)]
    derived_cells = _resolve_derived([base for base in trusted if base.figure.cell not in chosen], context)
    cells = [*reported_cells, *derived_cells]
    checks = (*rate_conflicts(trusted, chosen), *aggregate_checks(cell.candidates for cell in cells))
    resolved = {cell.resolved.chosen.cell: cell.resolved for cell in cells}
    kept = [replace(c, kept_key=_kept(resolved, c)) for c in mixups]
    ordered = sorted(resolved.values(), key=lambda c: (c.chosen.series_id, c.chosen.period, c.chosen.aggregation.value))
    return Review(tuple(ordered), (*kept, *disagreements, *checks))


def _kept(cells: Mapping[CellKey, ResolvedCell], conflict: Conflict) -> str | None:
    """The figure the fit uses for the cell of a mixed-up figure, reported or derived, if any."""
    for cell, resolved in cells.items():
        if cell[0] == conflict.series_id and cell[1] == conflict.period and resolved.chosen.key != conflict.observation_keys[0]:
            return resolved.chosen.key
    return None


def _is_issuer(publisher: str, basis: str) -> bool:
    return any(word in publisher.lower() for word in ISSUER_WORDS.get(basis, ())) and "repost" not in publisher.lower()


def agreeing_groups(figures: Sequence[Figure]) -> list[list[Figure]]:
    """Every largest set of figures that all agree with each other (maximal cliques, Bron-Kerbosch).

    Unlike single linkage, 7,060,000 and 7,098,000 are never one group because both
    clear "over 7 million": the bound belongs to both groups instead.
    """
    near = [{j for j, other in enumerate(figures) if j != i and figure.agrees(other)} for i, figure in enumerate(figures)]
    found: list[list[int]] = []

    def grow(clique: set[int], candidates: set[int], excluded: set[int]) -> None:
        if not candidates and not excluded:
            found.append(sorted(clique))
        for index in sorted(candidates):
            grow(clique | {index}, candidates & near[index], excluded & near[index])
            candidates = candidates - {index}
            excluded = excluded | {index}

    grow(set(), set(range(len(figures))), set())
    return [[figures[i] for i in clique] for clique in sorted(found)]


def _precision_order(figure: Figure) -> tuple[int, float, float, date]:
    observation = figure.observation
    bound = observation.qualifier in (Qualifier.LOWER_BOUND, Qualifier.UPPER_BOUND)
    approx = observation.qualifier is Qualifier.APPROX
    return (int(bound) + int(approx), figure.interval.high - figure.interval.low, -observation.vintage.toordinal(), observation.vintage)


def _group_rank(group: Sequence[Figure], context: _Context) -> tuple[int, int, date, float]:
    basis = context.series[group[0].observation.series_id].basis.value
    issuer = int(any(_is_issuer(f.publisher, basis) for f in group))
    narrowest = min(f.interval.high - f.interval.low for f in group)
    return (context.publishers(group), issuer, max(f.observation.vintage for f in group), -narrowest)


def _ranked_groups(figures: Sequence[Figure], context: _Context) -> list[list[Figure]]:
    return sorted(agreeing_groups(figures), key=lambda g: _group_rank(g, context), reverse=True)


def _resolve_cells(levels: Sequence[Observation], context: _Context) -> tuple[list[_Cell], list[Conflict]]:
    by_cell: dict[CellKey, list[Observation]] = defaultdict(list)
    for observation in levels:
        by_cell[observation.cell].append(observation)
    cells, conflicts = [], []
    for (series_id, period, _, _), group in by_cell.items():
        usable = [Figure.reported(o) for o in group if context.usable(o)]
        if not usable:
            continue  # every figure for the cell is disputed or mixed up: nothing reliable to fit
        groups = _ranked_groups(usable, context)
        chosen = min(groups[0], key=_precision_order)
        others = tuple(f for f in usable if f is not chosen)
        cells.append(
            _Cell(ResolvedCell(chosen.observation, tuple(o for o in group if o is not chosen.observation)), Candidates(chosen, others))
        )
        winners = {id(f.observation) for f in groups[0]}
        losers = [o for o in group if id(o) not in winners]
        if losers:
            conflicts.append(
                Conflict(
                    check="disagreement",
                    series_id=series_id,
                    period=period,
                    observation_keys=tuple(o.key for o in (*losers, chosen.observation)),
                    detail="; ".join(f"{o.value:,.0f} ({o.source.publisher})" for o in group),
                    resolution=_why_winner(groups, losers, context),
                    kept_key=chosen.observation.key,
                )
            )
    return cells, conflicts


def _why_winner(groups: Sequence[Sequence[Figure]], losers: Sequence[Observation], context: _Context) -> str:
    reasons = []
    if any(o.disputed for o in losers):
        reasons.append("rule 1: the figure the curator marked disputed is not used")
    if any(o.key in context.mixed_up for o in losers):
        reasons.append("rule 2: a figure credited to the wrong basis is not used")
    if len(groups) > 1:
        winner, runner_up = groups[0], groups[1]
        ranks = zip(_group_rank(winner, context), _group_rank(runner_up, context), strict=True)
        decided = next((i for i, (a, b) in enumerate(ranks) if a != b), None)
        if decided is None:
            return "; ".join([*reasons, "rules 3-5 tie: kept the group whose figure comes first in observations.csv"])
        shared = [f for f in winner if f in runner_up]
        reasons.append(
            f"{RULES[decided]} ({context.publishers(winner)} publisher(s) against {context.publishers(runner_up)}"
            + (f", counting {len(shared)} loose figure(s) that fit both" if shared else "")
            + ")"
        )
    return "; ".join(reasons)


def _resolve_derived(bases: Sequence[ImpliedBase], context: _Context) -> list[_Cell]:
    """Figures implied by growth rates fill cells nobody reported (or whose figures are all disputed or mixed up).

    Where rates imply different bases, the same rules pick a group, and the
    narrowest figure in it stands for the cell. A base implied by a bound ("over
    1.1 million, +58%") is only a bound, so it is used only when no rate gives a
    point figure for the cell.
    """
    by_cell: dict[CellKey, list[Figure]] = defaultdict(list)
    for base in bases:
        by_cell[base.figure.cell].append(base.as_figure())
    cells = []
    for everything in by_cell.values():
        points = [f for f in everything if f.observation.qualifier is not Qualifier.LOWER_BOUND]
        figures = points or everything
        best = min(_ranked_groups(figures, context)[0], key=lambda f: f.interval.high - f.interval.low)
        others = tuple(f for f in everything if f is not best)
        cells.append(_Cell(ResolvedCell(best.observation, tuple(f.observation for f in others)), Candidates(best, others)))
    return cells

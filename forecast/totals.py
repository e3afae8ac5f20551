"""Year-to-date totals against their months, each other and the year.

Every figure printed for a cell is tested, not only the one the fit uses: a
total of 7,060,000 that sits beside 7,098,000 is checked against the months
too. Each test puts one printed figure in place of the chosen one and keeps
the chosen figures everywhere else. Figures are compared as intervals
(`forecast.tolerance`), so a "more than" total is met by any larger sum and an
exact total must fall within the rounding of its parts.

Cells nobody reported take part through the figures growth rates imply for
them. When such an implied figure is the one that does not add up, the
conflict is a `derived_vs_reported`: the printed rate against the rate the
levels give (CAAM's January-August 2025 at +12.7% against January-July 2024
and August 2024, which give about +13.7%).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce

from forecast.domain import Aggregation, Conflict, Period, month_end
from forecast.tolerance import Figure, Interval, implied_rate

SUM_KEPT = "all kept; the fit weighs each by its rounding, so a revision shows as a residual"
ALTERNATIVE_KEPT = "kept and shown; not used for the fit: the figure chosen for its cell is used"
RATE_KEPT = "the rate's implied figure is not used; the one chosen for the cell is"
RATES_KEPT = "all kept; a growth rate rests on the base its publisher used, which may since have been revised"


@dataclass(frozen=True)
class Candidates:
    """The figure chosen for one cell and the other usable figures printed (or implied) for it."""

    chosen: Figure
    others: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class _Trial:
    figures: tuple[Figure, ...]  # one per cell of the relation, in the relation's order
    index: int = -1  # the cell whose chosen figure was replaced (-1: none)
    tested: tuple[Figure, ...] = ()  # the figures put in its place (one value, maybe several publishers)
    replaced: Figure | None = None  # the chosen figure they stand in for


def aggregate_checks(cells: Iterable[Candidates]) -> list[Conflict]:
    """ytd_sum, ytd_decreasing and year_below_ytd (and derived_vs_reported for implied cells) over every series and year."""
    by_series_year: dict[tuple[str, int], dict[tuple[Aggregation, int], Candidates]] = defaultdict(dict)
    for cell in cells:
        figure = cell.chosen.observation
        if figure.aggregation in (Aggregation.MONTH, Aggregation.YTD, Aggregation.YEAR) and figure.period.ends_on_month_end:
            aggregation = Aggregation.YTD if figure.aggregation is Aggregation.YEAR else figure.aggregation
            by_series_year[(figure.series_id, figure.period.end.year)][(aggregation, figure.period.end.month)] = cell
    conflicts = []
    for (series_id, year), figures in by_series_year.items():
        conflicts.extend(_year_conflicts(series_id, year, figures))
    return conflicts


def _year_conflicts(series_id: str, year: int, figures: dict[tuple[Aggregation, int], Candidates]) -> list[Conflict]:
    totals = sorted((month, cell) for (aggregation, month), cell in figures.items() if aggregation is Aggregation.YTD)
    months = {month: cell for (aggregation, month), cell in figures.items() if aggregation is Aggregation.MONTH}
    conflicts: dict[tuple[str, ...], Conflict] = {}  # a tested figure is reported once, at its first failing relation
    start_month, earlier = 0, None
    for month, total in totals:
        between = range(start_month + 1, month + 1)
        if all(m in months for m in between):
            relation = (total, *([earlier] if earlier else []), *(months[m] for m in between))
            period = Period(total.chosen.observation.period.start, month_end(year, month))
            for trial in _trials(relation):
                if not _adds_up(trial):
                    conflicts.setdefault(_identity(trial, "sum", month), _sum_conflict(series_id, period, trial))
        if earlier is not None:
            check = "ytd_decreasing" if month < 12 else "year_below_ytd"
            for trial in _trials((total, earlier)):
                if _falls(trial):
                    conflicts.setdefault(_identity(trial, check, month), _order_conflict(check, series_id, trial))
        start_month, earlier = month, total
    return list(conflicts.values())


def _identity(trial: _Trial, check: str, month: int) -> tuple[str, ...]:
    if trial.tested:
        return (check, *(f.row_key for f in trial.tested))
    return (check, str(month))


def _trials(relation: Sequence[Candidates]) -> Iterator[_Trial]:
    """The chosen figures, then each other value in turn in place of its cell's chosen one.

    Publishers printing the same value with the same wording are one test.
    """
    chosen = tuple(cell.chosen for cell in relation)
    yield _Trial(chosen)
    for index, cell in enumerate(relation):
        same: dict[Interval, list[Figure]] = defaultdict(list)
        for other in cell.others:
            if other.interval != cell.chosen.interval:
                same[other.interval].append(other)
        for printed in same.values():
            yield _Trial((*chosen[:index], printed[0], *chosen[index + 1 :]), index, tuple(printed), cell.chosen)


def _sum(figures: Iterable[Figure]) -> Interval:
    return reduce(Interval.__add__, (figure.interval for figure in figures), Interval(0.0, 0.0))


def _adds_up(trial: _Trial) -> bool:
    total, *parts = trial.figures
    return total.interval.meets(_sum(parts))


def _falls(trial: _Trial) -> bool:
    total, earlier = trial.figures
    return total.interval.high < earlier.interval.low


def _needed(trial: _Trial) -> Interval:
    """What the replaced cell would have to be for the sum to hold, given the chosen figures elsewhere."""
    total, *parts = trial.figures
    if trial.index == 0:
        return _sum(parts)
    others = _sum(part for i, part in enumerate(parts, start=1) if i != trial.index)
    return Interval(total.interval.low - others.high, total.interval.high - others.low)


def _chosen_key(trial: _Trial) -> str | None:
    """The figure used for the cell whose alternative was tested (None when the chosen ones were tested)."""
    return trial.replaced.observation.key if trial.replaced is not None else None


def _keys(trial: _Trial) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*(f.row_key for f in trial.tested), *(f.row_key for f in trial.figures)]))


def _tested(trial: _Trial) -> str:
    if not trial.tested:
        return ""
    figure = trial.tested[0].observation
    publishers = ", ".join(f.publisher for f in trial.tested)
    return f" (testing {figure.value:,.0f} for {figure.period} from {publishers}, not the figure used)"


def _implied(trial: _Trial) -> str:
    """How the figures taken from growth rates were made, for a relation that has some."""
    made = [f.implied_by for f in trial.figures if f.implied_by and f not in trial.tested]
    return f"; from growth rates: {'; '.join(made)}" if made else ""


def _sum_conflict(series_id: str, period: Period, trial: _Trial) -> Conflict:
    total, *parts = trial.figures
    expected = sum(part.observation.value for part in parts)
    tested = trial.tested[0] if trial.tested else None
    if tested is not None and tested.grown_to is not None:
        needed = _needed(trial)
        return Conflict(
            check="derived_vs_reported",
            series_id=tested.observation.series_id,
            period=tested.observation.period,
            observation_keys=_keys(trial),
            detail=(
                f"{tested.implied_by}; the levels around it ({period}: total {total.observation.value:,.0f}, parts adding to "
                f"{expected:,.0f}) need {needed}, a rate of {implied_rate(tested.grown_to, needed)}%"
            ),
            resolution=RATE_KEPT,
            kept_key=_chosen_key(trial),
        )
    return Conflict(
        check="ytd_sum",
        series_id=series_id,
        period=period,
        observation_keys=_keys(trial),
        detail=f"total {total.observation.value:,.0f} but its parts add to {expected:,.0f}" + _tested(trial) + _implied(trial),
        resolution=ALTERNATIVE_KEPT if trial.tested else (RATES_KEPT if _implied(trial) else SUM_KEPT),
        kept_key=_chosen_key(trial),
    )


def _order_conflict(check: str, series_id: str, trial: _Trial) -> Conflict:
    total, earlier = (figure.observation for figure in trial.figures)
    return Conflict(
        check=check,
        series_id=series_id,
        period=total.period,
        observation_keys=_keys(trial),
        detail=f"{total.value:,.0f} to {total.period.end} is below {earlier.value:,.0f} to {earlier.period.end}" + _tested(trial),
        resolution=ALTERNATIVE_KEPT if trial.tested else "all kept and flagged; a year-to-date total cannot fall within a year",
        kept_key=_chosen_key(trial),
    )

"""Progress against stated targets: projection at the deadline, probability, required growth, status.

Probabilities are counted over joint simulated paths, never from a normal
approximation around a point. A share target (Chongqing >= 10% of China's
exports) is projected as one model of the share times one of the total
(docs/decisions.md, "Design notes cited by the code"), so numerator and denominator move together.

Status rule (in the spirit of open-sdg's ratio of actual to required growth,
stated as a probability): on_track when P(meet) >= 0.7, at_risk when
0.3 <= P < 0.7, off_track below 0.3; after the deadline, achieved or missed
from the reported figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np

from forecast.backtest import shrunk_sd
from forecast.domain import Target, cagr, meets, required_cagr
from forecast.engine.annual import log_drift
from forecast.engine.projection import LAST_PROJECTION_YEAR, SeriesForecast, summarise_draws
from forecast.estimators.curves import AnnualCurve, BorrowedDampedGrowth, ConstantGrowth, growth_persistence, growth_since

ON_TRACK, AT_RISK = 0.7, 0.3
WHAT_IF_GROWTH = (0.05, 0.10, 0.15, 0.20, 0.30)


@dataclass
class Assessment:
    id: str
    description: str
    entity: str
    deadline_year: int
    comparator: str
    threshold: float
    unit: str
    stated_on: str
    source: dict[str, object]
    series_id: str
    denominator_series_id: str
    latest_actual: dict[str, object] | None
    projection: dict[str, object] | None
    probability: float | None
    required_cagr: float | None
    projected_cagr: float | None
    attainment_year: int | str | None
    gap: float | None
    status: str
    status_rule: str
    assumptions: list[str] = field(default_factory=list)
    what_if: dict[str, object] = field(default_factory=dict)
    history: list[dict[str, object]] = field(default_factory=list)
    revisions: list[dict[str, object]] = field(default_factory=list)
    model: str = ""
    deadline_passed: bool = False  # the deadline year has ended without a reported figure for it
    retired: dict[str, str] | None = None  # when and why the target was retired (it is still assessed)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


STATUS_RULE = "on_track if P(meet) >= 0.7, at_risk if 0.3 <= P < 0.7, off_track if P < 0.3; past deadlines: achieved or missed"


def status_for(probability: float) -> str:
    if probability >= ON_TRACK:
        return "on_track"
    if probability >= AT_RISK:
        return "at_risk"
    return "off_track"


def probability_of_meeting(draws: np.ndarray, comparator: str, threshold: float) -> float:
    """Share of simulated futures in which the target is met."""
    return float(np.mean([meets(float(v), comparator, threshold) for v in draws]))


def share_probability(numerator: np.ndarray, denominator: np.ndarray, comparator: str, threshold: float) -> float:
    """P(numerator / denominator meets threshold), path by path (joint)."""
    return probability_of_meeting(numerator / denominator, comparator, threshold)


def ratio_of_medians(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """What dividing two separately simulated medians gives: shown only for contrast."""
    return float(np.median(numerator) / np.median(denominator))


def attainment_year(years: Sequence[int], medians: Sequence[float], comparator: str, threshold: float) -> int | str:
    for year, value in zip(years, medians, strict=True):
        if meets(value, comparator, threshold):
            return int(year)
    return f"not by {LAST_PROJECTION_YEAR}"


def years_to_reach(latest: float, threshold: float, growth: float) -> float:
    if latest >= threshold:
        return 0.0
    if growth <= 0:
        return math.inf
    return math.log(threshold / latest) / math.log(1 + growth)


def simulate_share(
    numerator_history: dict[int, float],
    denominator_history: dict[int, float],
    denominator: SeriesForecast,
    pooled_sd: float,
    damping: float | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
    """Share paths for the denominator's projection years: a growth curve on the share's own history.

    Returns (years, share paths aligned with denominator.annual_paths, share history).
    """
    common = sorted(set(numerator_history) & set(denominator_history))
    history = {year: numerator_history[year] / denominator_history[year] for year in common}
    if len(history) < 2:
        raise ValueError(f"a share needs two years with both figures; have {common}")
    years = np.array(common, dtype=float)
    values = np.array([history[y] for y in common])
    curves: list[AnnualCurve] = [ConstantGrowth().fit(years, values)]
    if damping is not None:
        curves.append(BorrowedDampedGrowth(damping).fit(years, values))
    projection_years = denominator.annual_years
    n_paths = denominator.annual_paths.shape[0]
    paths = np.empty((n_paths, len(projection_years)))
    pick = rng.integers(0, len(curves), size=n_paths)
    last_year = common[-1]
    for index, curve in enumerate(curves):
        members = pick == index
        growth = growth_since(curve, last_year, projection_years)
        sd = shrunk_sd(curve.residual_sd_, len(common) - curve.n_params, pooled_sd)
        horizon = np.maximum(projection_years - last_year, 0)
        ahead = np.arange(last_year + 1, last_year + 1 + max(int(horizon.max()), 1))
        carried = np.where(horizon > 0, growth_persistence(curve, last_year, ahead)[np.maximum(horizon.astype(int), 1) - 1], 0.0)
        noise = log_drift(rng, int(members.sum()), sd, len(years), carried) * (horizon > 0)  # as the annual paths drift
        paths[members] = history[last_year] * growth[None, :] * np.exp(noise)
    return projection_years, np.clip(paths, 0.0, 1.0), history


def _deadline_year_projected(target: Target, forecast: SeriesForecast, today: date | None) -> bool:
    """True when the deadline year is under way, its total an estimate the projection has paths for.

    By the calendar when `today` is given: a year that is over is decided from its estimate,
    whether or not figures for the next year have arrived since.
    """
    _, origin = forecast.annual_history.get(target.deadline_year, (0.0, ""))
    under_way = today is None or target.deadline_year >= today.year
    return origin == "estimated" and under_way and target.deadline_year in [int(y) for y in forecast.annual_years]


@dataclass(frozen=True)
class Measured:
    """What a target is measured on: projection years and joint paths of its quantity, and its latest known value."""

    years: np.ndarray
    paths: np.ndarray  # (n_paths, len(years)): the series' totals, or the share's values
    latest_year: int
    latest_value: float
    origin: str  # "reported", "estimated" or "derived": how the latest value is known


def assess(
    target: Target,
    forecast: SeriesForecast | None,
    denominator: SeriesForecast | None = None,
    *,
    pooled_sd: float = 0.15,
    damping: float | None = None,
    seed: int = 0,
    why_not: str = "",
    today: date | None = None,
) -> Assessment:
    """One target's assessment from the projections of its series: decided when the deadline year is
    known, else projected from the joint paths of the series (or of the share times the total)."""
    base = _not_assessed(target)
    if not target.measurable or forecast is None or (target.denominator_series_id and denominator is None):
        base.assumptions.append(why_not or target.unmeasurable_reason or "no projection for the series")
        return base
    if target.denominator_series_id:
        assert denominator is not None
        measured = _share_measured(target, forecast, denominator, base, pooled_sd, damping, np.random.default_rng(seed))
    else:
        measured = _level_measured(target, forecast, base, today)
    if measured is None:
        return base
    base.model = forecast.model.name
    base.latest_actual = {"year": measured.latest_year, "value": measured.latest_value, "origin": measured.origin}
    if target.deadline_year <= measured.latest_year:
        return _decided(base, target, forecast, measured)
    return _projected(base, target, measured, today)


def _not_assessed(target: Target) -> Assessment:
    return Assessment(
        id=target.id,
        description=f"{target.entity}: {target.metric} {target.comparator} {target.threshold:g} {target.unit} by {target.deadline_year}",
        entity=target.entity,
        deadline_year=target.deadline_year,
        comparator=target.comparator,
        threshold=target.threshold,
        unit=target.unit,
        stated_on=target.stated_on,
        source={"publisher": target.source.publisher, "url": target.source.url, "seed_file": target.source.seed_file},
        series_id=target.series_id,
        denominator_series_id=target.denominator_series_id,
        latest_actual=None,
        projection=None,
        probability=None,
        required_cagr=None,
        projected_cagr=None,
        attainment_year=None,
        gap=None,
        status="not_assessed",
        status_rule=STATUS_RULE,
    )


def _share_measured(
    target: Target,
    forecast: SeriesForecast,
    denominator: SeriesForecast,
    base: Assessment,
    pooled_sd: float,
    damping: float | None,
    rng: np.random.Generator,
) -> Measured | None:
    """The share's paths (numerator / denominator, from the share's own growth curve), None when it cannot be projected."""
    numerator_history = {y: v for y, (v, _) in forecast.annual_history.items()}
    denominator_history = {y: v for y, (v, _) in denominator.annual_history.items()}
    try:
        years, paths, history = simulate_share(numerator_history, denominator_history, denominator, pooled_sd, damping, rng)
    except ValueError as error:
        base.assumptions.append(str(error))
        return None
    latest_year = max(history)
    numerator_paths = paths * denominator.annual_paths
    base.assumptions += [
        f"share = {target.series_id} / {target.denominator_series_id}, same calendar year; "
        "the share is projected by its own growth curve and multiplied by the total's paths, so both move together",
        "the numerator is counted in vehicles as reported; no yuan-to-vehicle conversion is applied",
    ]
    if target.deadline_year in list(forecast.annual_years):
        separate = forecast.annual_paths[:, list(forecast.annual_years).index(target.deadline_year)]
        joint_den = denominator.annual_paths[:, list(years).index(target.deadline_year)]
        base.what_if["ratio_of_separate_medians"] = ratio_of_medians(separate, joint_den)
    at_deadline = (
        summarise_draws(numerator_paths[:, list(years).index(target.deadline_year)], (80, 95))
        if target.deadline_year in list(years)
        else None
    )
    base.what_if["numerator_projection_at_deadline"] = at_deadline
    origin = "reported" if all(o == "reported" for y, (v, o) in forecast.annual_history.items() if y == latest_year) else "estimated"
    return Measured(years, paths, latest_year, history[latest_year], origin)


def _level_measured(target: Target, forecast: SeriesForecast, base: Assessment, today: date | None) -> Measured | None:
    """The series' own yearly paths and its latest known year, None when no year is known well enough."""
    known = [(y, v) for y, (v, o) in forecast.annual_history.items()]
    if _deadline_year_projected(target, forecast, today):
        # The deadline year's total is only estimated (its months are partly reported): it is
        # an outcome with a probability, measured from the year before it.
        known = [(y, v) for y, v in known if y < target.deadline_year] or known
    if not known:
        base.assumptions.append(f"no annual total of '{target.series_id}' is known well enough to measure progress")
        return None
    latest_year, latest_value = known[-1]
    return Measured(forecast.annual_years, forecast.annual_paths, latest_year, latest_value, forecast.annual_history[latest_year][1])


def _decided(base: Assessment, target: Target, forecast: SeriesForecast, measured: Measured) -> Assessment:
    """The deadline year is known: achieved or missed."""
    own_years = forecast.annual_history if not target.denominator_series_id else {}
    actual, origin = own_years.get(target.deadline_year, (measured.latest_value, "")) if own_years else (measured.latest_value, "")
    if origin == "estimated":
        base.assumptions.append(
            f"the {target.deadline_year} total is estimated from the figures reported for part of it; no figure for the whole year is in the data"
        )
    met = meets(actual, target.comparator, target.threshold)
    base.status = "achieved" if met else "missed"
    base.probability = 1.0 if met else 0.0
    base.gap = target.threshold - actual
    return base


def _projected(base: Assessment, target: Target, measured: Measured, today: date | None) -> Assessment:
    """The deadline year is ahead: probability, projection, required and projected growth, status, what-ifs."""
    year_list = [int(y) for y in measured.years]
    if target.deadline_year not in year_list:
        base.assumptions.append(f"projections reach {year_list[-1] if year_list else 'no year'}; deadline is {target.deadline_year}")
        return base
    paths, latest_year, latest_value = measured.paths, measured.latest_year, measured.latest_value
    column = paths[:, year_list.index(target.deadline_year)]
    summary = summarise_draws(column, (80, 95))
    horizon = target.deadline_year - latest_year
    base.projection = {"year": target.deadline_year, **summary}
    base.probability = probability_of_meeting(column, target.comparator, target.threshold)
    base.required_cagr = required_cagr(latest_value, target.threshold, horizon)
    base.projected_cagr = cagr(latest_value, summary["median"], horizon)
    medians = [float(np.median(paths[:, i])) for i in range(len(year_list))]
    base.attainment_year = attainment_year(year_list, medians, target.comparator, target.threshold)
    base.gap = target.threshold - summary["median"]
    base.status = status_for(base.probability)
    if today is not None and target.deadline_year < today.year:
        base.deadline_passed = True
        base.assumptions.append(
            f"{target.deadline_year} has ended but no {target.deadline_year} figure is in the data: "
            "probability and status are a projection of a year that is over, pending the reported figure"
        )
    base.what_if.update(_what_if(target, column, latest_year, latest_value, horizon, base.required_cagr))
    return base


def _what_if(target: Target, column: np.ndarray, latest_year: int, latest_value: float, horizon: int, required: float) -> dict[str, object]:
    """The year the target is met at fixed growth rates, and the probability if growth were capped at them."""
    return {
        "required_annual_growth_from_latest": required,
        "year_met_if_growth": {
            f"{g:.0%}": (latest_year + math.ceil(years_to_reach(latest_value, target.threshold, g)))
            if math.isfinite(years_to_reach(latest_value, target.threshold, g))
            else None
            for g in WHAT_IF_GROWTH
        },
        "probability_if_growth_capped": {
            f"{g:.0%}": probability_of_meeting(np.minimum(column, latest_value * (1 + g) ** horizon), target.comparator, target.threshold)
            for g in WHAT_IF_GROWTH
        },
    }


def replay_days_since(target: Target, days: Iterable[date]) -> list[date]:
    """The as-of days, oldest first, from the month the target was stated: its history is assessed on each."""
    return [day for day in sorted(days) if day.isoformat()[:7] >= target.stated_on[:7]]


def history_entry(day: date, earlier: Assessment) -> dict[str, object]:
    """One point of a target's history: how it was assessed as of `day`."""
    return {
        "as_of": day.isoformat(),
        "probability": earlier.probability,
        "status": earlier.status,
        "projection_median": (earlier.projection or {}).get("median"),
        "latest_actual": earlier.latest_actual,
    }


def link_revisions(assessment: Assessment, target: Target, targets: Sequence[Target]) -> None:
    """Record the target this one supersedes, and the one that supersedes it (whose status then says so)."""
    assessment.revisions = [
        {"id": t.id, "threshold": t.threshold, "deadline_year": t.deadline_year, "stated_on": t.stated_on, "relation": "supersedes"}
        for t in targets
        if t.id == target.supersedes
    ]
    successors = [t.id for t in targets if t.supersedes == target.id]
    if successors:
        assessment.revisions.append({"id": successors[-1], "relation": "superseded_by"})
        assessment.status = f"superseded ({assessment.status})"

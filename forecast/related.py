"""Series that are parts of others: is a part better projected through its share of the whole?

New-energy vehicle exports are part of all vehicle exports and grow much
faster. Two ways to project the part a year ahead: its own growth curves, or
the growth curves of its share of the total times those of the total (the
share cannot pass 1, and it carries the total's cycle). Which is better is a
question for the backtest, asked at every year both series have history for.
The answer is reported on the part's forecast; the share route is used only
where it wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import numpy as np

from forecast.backtest import smape
from forecast.engine.borrowing import Prior
from forecast.engine.projection import SeriesForecast, points_from_paths
from forecast.engine.report import ShareRoute
from forecast.estimators.curves import AnnualCurve, BorrowedDampedGrowth, ConstantGrowth, growth_since
from forecast.targets import simulate_share


def _next_year(history: Mapping[int, float], damping: float | None) -> float:
    """One year ahead from the last total: the mean of constant and damped growth, as for sparse series."""
    years = np.array(sorted(history), dtype=float)
    values = np.array([history[int(y)] for y in years])
    curves: list[AnnualCurve] = [ConstantGrowth()]
    if damping is not None:
        curves.append(BorrowedDampedGrowth(damping))
    ahead = np.array([years[-1] + 1])
    return float(np.mean([values[-1] * growth_since(c.fit(years, values), years[-1], ahead)[0] for c in curves]))


def compare_share_with_direct(
    part: str, total: str, part_history: Mapping[int, float], total_history: Mapping[int, float], damping: float | None
) -> ShareRoute:
    """Rolling origin over the years both series report: each projected directly and through the share."""
    common = sorted(set(part_history) & set(total_history))
    origins, actual, direct, via_share = [], [], [], []
    for index in range(2, len(common)):
        year = common[index]
        if common[index - 1] != year - 1:
            continue
        known = common[:index]
        part_known = {y: part_history[y] for y in known}
        total_known = {y: total_history[y] for y in sorted(total_history) if y < year}
        share_known = {y: part_history[y] / total_history[y] for y in known}
        origins.append(year - 1)
        actual.append(part_history[year])
        direct.append(_next_year(part_known, damping))
        via_share.append(min(_next_year(share_known, damping), 1.0) * _next_year(total_known, damping))
    if not origins:
        return ShareRoute(part, total, [], [], [], [], None, None, False)
    direct_error, share_error = smape(np.array(actual), np.array(direct)), smape(np.array(actual), np.array(via_share))
    return ShareRoute(part, total, origins, actual, direct, via_share, direct_error, share_error, share_error < direct_error)


def apply_comparison(part: SeriesForecast, total: SeriesForecast, pooled_sd: float, damping: float | None, seed: int) -> SeriesForecast:
    """The part's forecast with the comparison recorded and, where the share route won, its yearly paths from it."""
    part_history = {y: v for y, (v, _) in part.annual_history.items()}
    total_history = {y: v for y, (v, _) in total.annual_history.items()}
    comparison = compare_share_with_direct(part.series_id, total.series_id, part_history, total_history, damping)
    if not comparison.used:
        return replace(part, model=part.model.with_related(comparison))
    years, shares, _ = simulate_share(part_history, total_history, total, pooled_sd, damping, np.random.default_rng(seed))
    year_list, own_years = [int(y) for y in years], [int(y) for y in part.annual_years]
    # the part's own projection stands for the years its monthly model carries (this year, next year);
    # the share route takes over after them, re-anchored on the share those years imply, so the path is continuous
    carried = [y for y in own_years if y in year_list and y <= _last_monthly_year(part)]
    if carried:
        anchor = year_list.index(carried[-1])
        implied = part.annual_paths[:, own_years.index(carried[-1])] / np.maximum(total.annual_paths[:, anchor], 1e-9)
        shares = np.clip(shares * (implied / np.maximum(shares[:, anchor], 1e-12))[:, None], 0.0, 1.0)
    paths = shares * total.annual_paths
    for year in carried:
        paths[:, year_list.index(year)] = part.annual_paths[:, own_years.index(year)]
    kept = [p for p in part.points["year"] if p.period_start.year in carried or p.period_start.year not in year_list]
    projected = [i for i, y in enumerate(year_list) if y not in carried]
    kept += points_from_paths([(date(year_list[i], 1, 1), date(year_list[i], 12, 31), 0.0) for i in projected], paths[:, projected])
    name = f"{part.model.name}; years after {carried[-1] if carried else 'the last reported'}: share of {total.series_id} x its paths"
    return replace(
        part,
        model=part.model.with_related(comparison, name),
        annual_years=years,
        annual_paths=paths,
        points={**part.points, "year": sorted(kept, key=lambda p: p.period_start)},
    )


def _last_monthly_year(forecast: SeriesForecast) -> int:
    """The last calendar year whose total the part's monthly model carries (0 if none)."""
    bridged = forecast.model.annual.monthly_model_carries_year
    current = [p.period_start.year for p in forecast.points.get("year", []) if p.reported_share > 0]
    return int(bridged or max(current, default=0))


def use_related(parts: Mapping[str, str], forecasts: dict[str, SeriesForecast], prior: Prior, seed: int) -> dict[str, SeriesForecast]:
    """Parts of a total (`parts`: part -> total; NEV within all exports): record on each part's forecast whether the
    share route backtests better, and use it if so."""
    for part, total in parts.items():
        if part in forecasts and total in forecasts and forecasts[part].model.related is None:
            forecasts[part] = apply_comparison(forecasts[part], forecasts[total], prior.annual_sd, prior.damping, seed)
    return forecasts

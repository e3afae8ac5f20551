"""The model report: what was fitted for a series, with which weights, calibration and history.

Frozen values, built once by the fit (engine.series) and read by the services
(what sparse series borrow, what a replay keeps) and by the HTTP layer, which
alone turns them into JSON. Field names are the JSON keys served under
`model.details` (a contract dashboards read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from forecast.backtest import Calibration, Summary

BacktestSummary = Summary  # model -> scores (backtest.summarise)


@dataclass(frozen=True)
class Reconciliation:
    """The monthly mixture's next two 12-month totals, moved `weight` of the way toward the annual family's forecast of them."""

    weight: float
    trailing_years_read: int  # 12-month blocks ending at the last month that the annual family read
    annual_forecast: list[float]  # the annual family's medians of the next two 12-month totals
    monthly_before: list[float]  # the mixture's medians of the same totals, before the pull


@dataclass(frozen=True)
class MonthlyReport:
    weights: dict[str, float]  # model -> weight in the mixture
    parameters: dict[str, dict[str, float]]  # model -> estimated parameters
    converged: dict[str, bool]  # structural model -> whether its optimiser converged
    seasonal: bool | None  # whether the lead structural model carries a seasonal block
    borrowed_from: str | None  # the series whose variances a sparse series borrowed
    seasonal_factors: tuple[float, ...] | None  # January..December, mean 1
    seasonal_factors_from: str | None  # "own months", or the series they were borrowed from
    calibration: Calibration
    reconciled_with_trailing_years: Reconciliation | None
    paths_with_a_nonpositive_year_replaced: float = 0.0  # share of paths conditioned away (paths.with_positive_years)

    @classmethod
    def empty(cls, calibration: Calibration) -> MonthlyReport:
        """No monthly model (fewer than three figures)."""
        return cls({}, {}, {}, None, None, None, None, calibration, None)


@dataclass(frozen=True)
class HistoryYear:
    total: float
    origin: str  # "reported", "estimated" (a smoothed total or the year under way) or "derived" (from a growth rate)


@dataclass(frozen=True)
class Saturation:
    level: float  # the estimated saturation level, in the series' unit
    at_bound: bool  # True when the estimate sits at the bound of its search


@dataclass(frozen=True)
class AnnualReport:
    weights: dict[str, float]  # curve -> weight
    log_growth_sd: dict[str, float]  # curve -> sd of its yearly log-growth shocks
    history: dict[int, HistoryYear]  # the yearly totals the curves were fitted on
    monthly_model_carries_year: int | None  # the year after the last with figures, carried by the monthly model
    months_follow_curves_from: int | None  # from this year on, each path's months are rescaled to its year
    calibration: Calibration
    saturation: dict[str, Saturation]
    damping: dict[str, float]  # damped curve -> phi


@dataclass(frozen=True)
class ShareRoute:
    """A part of a total projected through its share (related.compare_share_with_direct)."""

    part: str
    total: str
    origins: list[int]  # the years whose next year was projected
    actual: list[float]
    direct: list[float]
    via_share: list[float]
    direct_smape: float | None
    via_share_smape: float | None
    used: bool  # True only when the share route had the smaller error


@dataclass(frozen=True)
class ModelReport:
    name: str  # e.g. "monthly: 0.20 ets_damped + ...; annual: 0.50 damped_growth + ..."
    monthly: MonthlyReport
    annual: AnnualReport
    backtest: dict[str, BacktestSummary]  # "monthly" and "annual" -> backtest.summarise of their rows
    figures_used: int
    related: ShareRoute | None = None  # set for a part of a total (related.apply_comparison)

    def with_related(self, route: ShareRoute, name: str | None = None) -> ModelReport:
        return replace(self, related=route, name=self.name if name is None else name)


def describe(monthly_weights: Mapping[str, float], annual_weights: Mapping[str, float]) -> str:
    """The model's name: each family's members with their weights."""
    parts = []
    if monthly_weights:
        parts.append("monthly: " + " + ".join(f"{w:.2f} {n}" for n, w in monthly_weights.items() if w > 0))
    if annual_weights:
        total = sum(annual_weights.values())
        parts.append("annual: " + " + ".join(f"{w / total:.2f} {n}" for n, w in annual_weights.items()))
    return "; ".join(parts)

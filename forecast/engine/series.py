"""Fit and project one series from all its figures: the pipeline the service runs for every series.

1. the monthly family, weighed and calibrated by its nested backtest (or a replayed selection),
   mixed, pulled toward the annual family's trailing years, widened (`_monthly_step`);
2. the yearly history: reported years, smoothed years, the year under way (annual.annual_history);
3. the annual family, backtested, weighed, calibrated and fitted (annual.fit_annual);
4. joint yearly paths, grown from the year the monthly model last carries (`_year_paths`);
5. months rescaled to the years the curves carry (paths.months_following_years);
6. points per frequency (projection.project_points) and the model report (`_report`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np

from forecast.backtest import BacktestRow, Calibration, summarise
from forecast.catalog import Catalog
from forecast.domain import Kind, Observation, add_months, month_index
from forecast.engine.annual import AnnualFit, annual_history, annual_paths, fit_annual
from forecast.engine.borrowing import Prior
from forecast.engine.monthly import RICH_FIGURES, fit_monthly, mixture, monthly_candidates, widened
from forecast.engine.monthly_backtest import borrowed_calibration, monthly_backtest, weigh_and_calibrate
from forecast.engine.projection import LAST_PROJECTION_YEAR, SeriesForecast, project_points, reported_months
from forecast.engine.reconciliation import reconciled
from forecast.engine.report import AnnualReport, HistoryYear, ModelReport, MonthlyReport, Reconciliation, Saturation, describe
from forecast.errors import InsufficientHistory
from forecast.estimators.curves import DampedGrowth, SaturatingCurve
from forecast.estimators.paths import Paths, cumulate, months_following_years, with_positive_years
from forecast.estimators.season import deseasonalised, reseasonalised, reseasonalised_years, seasonal_factors
from forecast.estimators.seasonal import SeasonalModel
from forecast.estimators.statespace import POSTERIOR_DRAWS, MixedFrequencyStateSpace, MonthlyFit

MIN_FIGURES = 2
MIN_MONTHLY_FIGURES = 3


@dataclass(frozen=True)
class MonthlySelection:
    """A monthly selection to replay without the nested backtest (as-of fits): the mixture's weights and scale."""

    weights: dict[str, float]
    scale: float


@dataclass(frozen=True)
class Figures:
    """One series' figures as the fit reads them."""

    series_id: str
    figures: list[Observation]
    prior: Prior

    @property
    def sparse(self) -> bool:
        """Under RICH_FIGURES: variances borrowed from the lender, no monthly backtest."""
        return len(self.figures) < RICH_FIGURES

    @property
    def borrowed_season(self) -> tuple[float, ...] | None:
        """A sparse series' own months are too few for a seasonal pattern: it borrows the lender's."""
        return self.prior.seasonal_factors if self.sparse else None

    @property
    def last_end(self) -> date:
        return max(f.period.end for f in self.figures)


@dataclass
class MonthlyStep:
    """The monthly family's result: its models, selection, calibration, rows and the widened mixture's paths."""

    structural: dict[str, MixedFrequencyStateSpace] = field(default_factory=dict)
    seasonal: dict[str, SeasonalModel] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration.fixed)
    rows: list[BacktestRow] = field(default_factory=list)
    combined: Paths | None = None
    reconciliation: Reconciliation | None = None
    replaced_share: float = 0.0  # paths with a year total of zero or less, replaced (paths.with_positive_years)

    @property
    def lead(self) -> MixedFrequencyStateSpace | None:
        return next(iter(self.structural.values()), None)


@dataclass(frozen=True)
class YearPaths:
    """Joint yearly paths, and which years the monthly model carries."""

    years: np.ndarray
    paths: np.ndarray  # (n_paths, len(years))
    bridge_year: int | None  # the year after the last with figures, carried by the monthly model
    month_carried: int | None  # a sparse series' year under way, carried by its reported months


def fit_series(
    series_id: str,
    catalog: Catalog,
    *,
    prior: Prior,
    n_paths: int = 2000,
    seed: int = 0,
    horizon_months: int = 36,
    catalog_at: Callable[[date], Catalog] | None = None,
    origins: Sequence[date] = (),
    fixed_weights: MonthlySelection | None = None,
    posterior_draws: int = POSTERIOR_DRAWS,
) -> SeriesForecast:
    """Fit and project one series; `fixed_weights` replays a monthly selection without the nested backtest.

    The annual curves are always backtested and weighed on the figures given. posterior_draws sets how
    precisely the uncertainty of never-reported months is measured; it only decides which estimated
    year totals are well enough determined to anchor the curves, so replays can afford fewer.
    """
    meta = catalog.require(series_id)
    data = Figures(series_id, catalog.fit_figures(series_id), prior)
    if len(data.figures) < MIN_FIGURES:
        raise InsufficientHistory(series_id, len(data.figures), MIN_FIGURES)
    rng = np.random.default_rng(seed)
    monthly = MonthlyStep()
    if len(data.figures) >= MIN_MONTHLY_FIGURES:
        monthly = _monthly_step(data, rng, n_paths, horizon_months, catalog_at, origins, fixed_weights, posterior_draws)
    lead_fit = monthly.lead.fit_ if monthly.lead is not None else None
    last_month = lead_fit.last_month if lead_fit is not None else date(data.last_end.year, data.last_end.month, 1)
    current_year = last_month.year if last_month.month < 12 else None
    current_draws = (
        monthly.combined["ytd"][:, 12 - last_month.month - 1] if monthly.combined is not None and current_year is not None else None
    )
    history = annual_history(data.figures, _smoothed_year_totals(data, lead_fit), current_draws, current_year)
    annual = fit_annual(history, prior)
    years = _year_paths(data, monthly.combined, annual, last_month, current_year, current_draws, n_paths, rng)
    combined, follow_from = monthly.combined, None
    if combined is not None and annual.curves:
        monthly_own = {current_year, years.bridge_year}
        follow = [i for i, year in enumerate(years.years) if int(year) not in monthly_own]
        combined, follow_from = months_following_years(combined, last_month, years.years[follow], years.paths[:, follow])
    carries_year = not annual.curves or years.bridge_year is not None or years.month_carried is not None
    covered = reported_months(data.figures)
    points = project_points(combined, last_month, years.years, years.paths, current_year if carries_year else None, covered)
    return SeriesForecast(
        series_id=series_id,
        unit=meta.unit,
        as_of=catalog.as_of,
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        model=_report(data, monthly, annual, history, years, follow_from, covered),
        points=points,
        annual_years=years.years,
        annual_paths=years.paths,
        annual_history=history,
        backtest_rows=[*monthly.rows, *annual.rows],
        source_keys=[f.key for f in data.figures],
        last_reported_end=data.last_end,
    )


def _smoothed_year_totals(data: Figures, lead_fit: MonthlyFit | None) -> Mapping[int, tuple[float, float]]:
    """Year totals (mean, sd) the monthly lead model estimates, for the years with missing months."""
    if lead_fit is None:
        return {}
    # a fit on deseasonalised figures sums deseasonalised months: its years are summed again, each month times its factor
    if data.borrowed_season:
        return reseasonalised_years(lead_fit, data.borrowed_season)
    return lead_fit.smoothed_year_totals


def _monthly_step(
    data: Figures,
    rng: np.random.Generator,
    n_paths: int,
    horizon_months: int,
    catalog_at: Callable[[date], Catalog] | None,
    origins: Sequence[date],
    fixed: MonthlySelection | None,
    posterior_draws: int,
) -> MonthlyStep:
    """Select (replayed, or by the nested backtest), fit, mix, reconcile and widen the monthly family.

    A replayed selection that names none of this day's candidates (the series had too few figures then
    for the models chosen today) is not used: the series takes its default of that day.
    """
    step = MonthlyStep()
    candidates = monthly_candidates(len(data.figures), data.prior)
    if fixed is not None and set(fixed.weights) & set(candidates):
        step.weights, step.calibration = dict(fixed.weights), Calibration.fixed(float(fixed.scale))
    elif catalog_at is not None and len(candidates) > 1:
        origin_fits = monthly_backtest(data.series_id, data.prior, catalog_at, origins, rng)
        scored = [(fit.paths, lambda name, paths, fit=fit: fit.rows(name, paths, data.figures)) for fit in origin_fits]
        reconcile = [fit.reconciled for fit in origin_fits]
        step.weights, step.calibration, step.rows = weigh_and_calibrate(scored, rng, data.prior.monthly_skill, reconcile)
    weights = step.weights = step.weights or {candidates[0]: 1.0}
    horizon = max(horizon_months, month_index(date(LAST_PROJECTION_YEAR, 12, 1)) - month_index(data.last_end))
    season = data.borrowed_season
    fits = fit_monthly(
        deseasonalised(data.figures, season) if season else data.figures,
        data.series_id,
        data.prior,
        horizon,
        n_paths,
        rng,
        wanted=lambda name: weights.get(name, 0.0) > 0,
        draws=posterior_draws,
    )
    step.structural, step.seasonal = fits.structural, fits.seasonal
    if not fits.paths:
        raise InsufficientHistory(data.series_id, len(data.figures), len(data.figures) + 1, f"figures for any of {sorted(weights)}")
    mixed = mixture(fits.paths, weights, n_paths, rng)
    lead_fit = fits.lead.fit_
    if not data.sparse and lead_fit is not None:
        mixed, step.reconciliation = reconciled(mixed, fits.months, lead_fit.last_month, data.prior)
    if season and lead_fit is not None:
        months, ytd_now, qtd_now = reseasonalised(mixed, season, lead_fit)
        mixed = cumulate(months, lead_fit.last_month, ytd_now, qtd_now)
    if data.sparse:
        # cannot be backtested, so widened by rule; in a replay too, where the scale of today's fit would widen a second time
        step.calibration = borrowed_calibration(mixed["month"], data.prior.annual_sd)
    step.combined = widened(mixed, step.calibration.scale)
    if lead_fit is not None and all(f.value > 0 for f in data.figures if f.kind is Kind.LEVEL):
        step.combined, step.replaced_share = with_positive_years(step.combined, lead_fit.last_month, rng)
    return step


def _year_paths(
    data: Figures,
    combined: Paths | None,
    annual: AnnualFit,
    last_month: date,
    current_year: int | None,
    current_draws: np.ndarray | None,
    n_paths: int,
    rng: np.random.Generator,
) -> YearPaths:
    """Joint yearly paths. A rich series' monthly model, backtested a year ahead and seeing this year's months,
    carries the year after the last with figures (the bridge year) and the curves grow on from there; a sparse
    series' months reported this year carry that year; else the curves grow from the last whole year, and with
    no curve at all the monthly model's Decembers carry the years."""
    bridge_year = (current_year if current_year is not None else last_month.year) + 1
    bridge_h = month_index(date(bridge_year, 12, 1)) - month_index(last_month)
    month_carried: int | None = None
    bridged = bool(annual.curves) and combined is not None and not data.sparse and bridge_h <= combined["ytd"].shape[1]
    if bridged:
        assert combined is not None
        anchor = np.maximum(combined["ytd"][:, bridge_h - 1], 0.0)
        later_years, later_paths = annual_paths(annual, anchor, bridge_year, n_paths, rng)
        years, paths = np.concatenate([[bridge_year], later_years]), np.column_stack([anchor, later_paths])
    elif annual.curves:
        last_year = int(annual.years[-1])
        # years between the last whole one and this one (none reported well enough) still grow from the last whole one
        month_carried = current_year if current_draws is not None and current_year is not None and current_year >= last_year else None
        grown_to = month_carried - 1 if month_carried is not None else LAST_PROJECTION_YEAR
        years, paths = annual_paths(annual, np.full(n_paths, annual.values[-1]), last_year, n_paths, rng, last_year=grown_to)
        if month_carried is not None and current_draws is not None:
            current = np.maximum(current_draws, 0.0)
            later_years, later_paths = annual_paths(annual, current, month_carried, n_paths, rng)
            years, paths = np.concatenate([years, [month_carried], later_years]), np.column_stack([paths, current, later_paths])
    elif combined is not None:
        decembers = [h for h in range(combined["ytd"].shape[1]) if add_months(last_month, h + 1).month == 12]
        years = np.array([add_months(last_month, h + 1).year for h in decembers])
        paths = np.maximum(combined["ytd"][:, decembers], 0.0)
    else:
        raise InsufficientHistory(data.series_id, len(annual.years), 2, "annual totals (or 3 figures of any kind for the monthly model)")
    if current_draws is not None and current_year is not None and current_year not in years:
        # the year under way is an outcome too (a target due this year)
        years, paths = np.concatenate([[current_year], years]), np.column_stack([np.maximum(current_draws, 0.0), paths])
    return YearPaths(years, paths, bridge_year if bridged else None, month_carried)


def _report(
    data: Figures,
    monthly: MonthlyStep,
    annual: AnnualFit,
    history: Mapping[int, tuple[float, str]],
    years: YearPaths,
    follow_from: int | None,
    covered: set[int],
) -> ModelReport:
    lead_fit = monthly.lead.fit_ if monthly.lead is not None else None
    weights = monthly.weights if monthly.structural else {}
    if data.sparse:
        factors = data.prior.seasonal_factors if lead_fit is not None else None
        factors_from = data.prior.source if data.prior.seasonal_factors else None
    else:
        factors, factors_from = (seasonal_factors(lead_fit, covered) if lead_fit is not None else None), "own months"
    monthly_report = MonthlyReport(
        weights=weights,
        parameters={
            **{
                name: dict(zip(m.fit_.param_names, [float(p) for p in m.fit_.params], strict=True))
                for name, m in monthly.structural.items()
                if m.fit_
            },
            **{name: m.parameters for name, m in monthly.seasonal.items()},
        },
        converged={name: m.fit_.converged for name, m in monthly.structural.items() if m.fit_},
        seasonal=bool(lead_fit.seasonal) if lead_fit is not None else None,
        borrowed_from=data.prior.source if data.sparse and monthly.structural else None,
        seasonal_factors=factors,
        seasonal_factors_from=factors_from,
        calibration=monthly.calibration,
        reconciled_with_trailing_years=monthly.reconciliation,
        paths_with_a_nonpositive_year_replaced=monthly.replaced_share,
    )
    annual_report = AnnualReport(
        weights=annual.weights,
        log_growth_sd=annual.sigma,
        history={int(y): HistoryYear(v, o) for y, (v, o) in history.items()},
        monthly_model_carries_year=years.bridge_year,
        months_follow_curves_from=follow_from,
        calibration=annual.calibration,
        saturation={
            n: Saturation(c.saturation_, c.saturation_at_bound_) for n, c in annual.curves.items() if isinstance(c, SaturatingCurve)
        },
        damping={n: c.phi_ for n, c in annual.curves.items() if isinstance(c, DampedGrowth)},
    )
    return ModelReport(
        name=describe(weights, annual.weights),
        monthly=monthly_report,
        annual=annual_report,
        backtest={"monthly": summarise(monthly.rows), "annual": summarise(annual.rows)},
        figures_used=len(data.figures),
    )

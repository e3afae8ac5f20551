"""One latent monthly path under every figure: a structural model with cumulators.

State (levels, scaled by the series' typical monthly volume):
    mu, beta            local linear trend (Harvey 1989, ch. 2)
    g1..g11             dummy seasonal (optional)
    e                   irregular: this month's own noise, summed into the totals like the rest
    c                   year-to-date cumulator: c_t = delta_t c_{t-1} + x_t, delta_t = 0 in January
    q                   quarter-to-date cumulator, resets each quarter
with x_t = mu_t + g1_t + e_t the month's volume. A month is read as x_t, a
year-to-date total or a year as c_t, a quarter as q_t, a total to a day inside a
month (1 January to 8 April) as c_t - (1 - f) x_t. Figures are measured with
their rounding variance only, so the smoothed months reproduce every reported
total to within its rounding (Harvey 1989, ch. 6; Durbin and Koopman 2012, 3.3).

Initialisation is approximate diffuse: with the exact diffuse start the
parameters come out right but smoothed months in annual-only years are far off
(docs/decisions.md, 'Monthly family').
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.mlemodel import MLEModel

from forecast.domain import Aggregation, Observation, Qualifier, add_months, month_end, month_index, rounding_unit
from forecast.errors import InsufficientHistory
from forecast.estimators.estimates import Estimates, start_from

MONTH, YTD, QUARTER, PARTIAL = range(4)
DIFFUSE_VARIANCE = 1e2  # squared scaled units (values are O(1)): large but finite
VARIANCE_FLOOR = 1e-6  # keeps the filter well conditioned: 0.1% of a typical month
MIN_FIGURES = 3
POSTERIOR_DRAWS = 200


def _posterior_sd(
    model: CumulatorModel, params: np.ndarray, x_row: np.ndarray, decembers: Sequence[int], draws: int
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior sd of each month and of each December year-to-date total, from simulation-smoother draws."""
    model.update(params)
    simulator = model.simulation_smoother()
    rng = np.random.default_rng(0)
    months, totals = [], []
    for _ in range(draws):
        simulator.simulate(rng=rng)
        state = simulator.simulated_state
        months.append(x_row @ state[:, 1:])
        totals.append(state[model.c_index, list(decembers)])
    return np.std(months, axis=0), np.std(totals, axis=0)


def _smoothed_history(
    model: CumulatorModel, results: Any, params: np.ndarray, scale: float, draws: int
) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[float, float]]]:
    """Smoothed months, their sd, and each complete year's (total, sd), all unscaled (the figures' unit).

    With `draws=0` the sds are NaN (no posterior draws).
    """
    smoothed = np.asarray(results.smoothed_state)
    x_row = model.x_row()
    months = x_row @ smoothed[:, 1:]
    decembers = [t for t in range(1, model.nobs) if model.month_of(t) == 12]
    if draws > 0:
        # the smoothed covariance loses precision where exact totals cancel large prior variances;
        # posterior draws from the simulation smoother do not (Durbin and Koopman 2002)
        months_sd, december_sd = _posterior_sd(model, params, x_row, decembers, draws)
    else:
        months_sd, december_sd = np.full(len(months), np.nan), np.full(len(decembers), np.nan)
    year_totals = {
        add_months(model.first_month, t - 1).year: (float(smoothed[model.c_index, t] * scale), float(sd * scale))
        for t, sd in zip(decembers, december_sd, strict=True)
    }
    return months * scale, np.asarray(months_sd) * scale, year_totals


@dataclass(frozen=True)
class Reading:
    """A figure as the state-space model reads it: channel, month index, value, variance (scaled)."""

    channel: int
    t: int
    value: float
    variance: float
    fraction: float = 1.0  # share of the last month inside a partial window


def readings_from(figures: Sequence[Observation], first_month: date, scale: float) -> tuple[list[Reading], list[Observation]]:
    """Map figures to channels; returns the readings and the figures the model cannot use."""
    readings: dict[tuple[int, int], Reading] = {}
    ignored: list[Observation] = []
    origin = month_index(first_month) - 1  # t = 0 is the December before the first January
    for figure in figures:
        period = figure.period
        t = month_index(period.end) - origin
        value = figure.value
        sd = figure.uncertainty or rounding_unit(value) / np.sqrt(12)
        if figure.qualifier is Qualifier.LOWER_BOUND:
            value += rounding_unit(value) / 2  # "over 3.11 million" lies in [3.11, 3.12) million
        elif figure.qualifier is Qualifier.UPPER_BOUND:
            value -= rounding_unit(value) / 2
        starts_january = period.start.month == 1 and period.start.day == 1
        if figure.aggregation is Aggregation.MONTH:
            channel, fraction = MONTH, 1.0
        elif (
            figure.aggregation in (Aggregation.YTD, Aggregation.YEAR, Aggregation.WINDOW, Aggregation.HALF, Aggregation.QUARTER)
            and starts_january
        ):
            channel = YTD if period.ends_on_month_end else PARTIAL
            fraction = period.end.day / month_end(period.end.year, period.end.month).day
        elif figure.aggregation is Aggregation.QUARTER:
            channel, fraction = QUARTER, 1.0
        else:
            ignored.append(figure)
            continue
        reading = Reading(channel, t, value / scale, (sd / scale) ** 2, fraction)
        existing = readings.get((channel, t))
        if existing is not None and existing.variance <= reading.variance:
            ignored.append(figure)
            continue
        readings[(channel, t)] = reading
    return sorted(readings.values(), key=lambda r: (r.t, r.channel)), ignored


def _months_spanned(figures: Sequence[Observation], until: date | None) -> tuple[date, date]:
    """First and last month the model covers, each as its first day.

    From the January of the earliest figure to the month in which the latest
    figure ends, or the month of `until` if that is later.
    """
    first_month = date(min(f.period.start.year for f in figures), 1, 1)
    last = max(f.period.end for f in figures)
    if until is not None and until > last:
        last = until
    return first_month, date(last.year, last.month, 1)


def _typical_month(figures: Sequence[Observation]) -> float:
    """The median figure per month it covers, in the figures' unit: the model's scale, so its values are O(1)."""
    per_month = [f.value / max(f.period.months, 1) for f in figures]
    return float(np.median(per_month)) or 1.0


class CumulatorModel(MLEModel):  # type: ignore[misc]  # statsmodels ships no type information
    """Local linear trend (+ seasonal) observed through months, year-to-date and quarter totals."""

    def __init__(self, readings: Sequence[Reading], nobs: int, first_month: date, seasonal: bool) -> None:
        self.seasonal = seasonal
        self.first_month = first_month
        self.n_seasonal = 11 if seasonal else 0
        self.e_index = 2 + self.n_seasonal
        k_states = 2 + self.n_seasonal + 3
        endog = np.full((nobs, 4), np.nan)
        for reading in readings:
            endog[reading.t, reading.channel] = reading.value
        super().__init__(endog, k_states=k_states, k_posdef=4 if seasonal else 3)
        self.c_index = k_states - 2
        self.q_index = k_states - 1
        self._build_matrices(readings, nobs)
        self.ssm.initialize_approximate_diffuse(DIFFUSE_VARIANCE)
        # several figures can share a month; one at a time is better conditioned
        self.ssm.filter_univariate = True

    # x_t = mu_t + g1_t + e_t
    def x_row(self) -> np.ndarray:
        row = np.zeros(self.k_states)
        row[0] = row[self.e_index] = 1.0
        if self.seasonal:
            row[2] = 1.0
        return row

    def month_of(self, t: int) -> int:
        """Calendar month (1-12) of time index t."""
        return add_months(self.first_month, t - 1).month

    def transition_at(self, next_month: int) -> np.ndarray:
        """Maps the state at t to t+1, where t+1 falls in calendar month `next_month`."""
        k = self.k_states
        base = np.zeros((k, k))
        base[0, 0] = base[0, 1] = 1.0
        base[1, 1] = 1.0
        if self.seasonal:
            base[2, 2:13] = -1.0
            for j in range(3, 13):
                base[j, j - 1] = 1.0
        x_next = base[0] + (base[2] if self.seasonal else 0.0)
        base[self.c_index] = x_next
        base[self.q_index] = x_next
        if next_month != 1:
            base[self.c_index, self.c_index] += 1.0
        if next_month not in (1, 4, 7, 10):
            base[self.q_index, self.q_index] += 1.0
        return base

    def selection_matrix(self) -> np.ndarray:
        # shocks: level, slope, [seasonal], irregular; the cumulators take whatever enters x
        selection = np.zeros((self.k_states, self.ssm.k_posdef))
        irregular = self.ssm.k_posdef - 1
        selection[0, 0] = 1.0
        selection[1, 1] = 1.0
        selection[self.e_index, irregular] = 1.0
        for cumulator in (self.c_index, self.q_index):
            selection[cumulator, 0] = selection[cumulator, irregular] = 1.0
            if self.seasonal:
                selection[cumulator, 2] = 1.0
        if self.seasonal:
            selection[2, 2] = 1.0
        return selection

    def _build_matrices(self, readings: Sequence[Reading], nobs: int) -> None:
        k = self.k_states
        x_row = self.x_row()
        design = np.zeros((4, k, nobs))
        design[MONTH, :, :] = x_row[:, None]
        design[YTD, self.c_index, :] = 1.0
        design[QUARTER, self.q_index, :] = 1.0
        design[PARTIAL, self.c_index, :] = 1.0
        obs_cov = np.zeros((4, 4, nobs))
        for channel in range(4):
            obs_cov[channel, channel, :] = 1.0
        for reading in readings:
            obs_cov[reading.channel, reading.channel, reading.t] = max(reading.variance, VARIANCE_FLOOR)
            if reading.channel == PARTIAL:
                design[PARTIAL, :, reading.t] = 0.0
                design[PARTIAL, self.c_index, reading.t] = 1.0
                design[PARTIAL, :, reading.t] -= (1.0 - reading.fraction) * x_row
        transition = np.zeros((k, k, nobs))
        for t in range(nobs):
            transition[:, :, t] = self.transition_at(self.month_of(t + 1))
        self.ssm["design"] = design
        self.ssm["obs_cov"] = obs_cov
        self.ssm["transition"] = transition
        self.ssm["selection"] = self.selection_matrix()

    @property
    def param_names(self) -> list[str]:
        names = ["sigma2.level", "sigma2.slope"]
        return names + (["sigma2.seasonal"] if self.seasonal else []) + ["sigma2.irregular"]

    @property
    def start_params(self) -> np.ndarray:
        return np.array([1e-3, 1e-5] + ([1e-4] if self.seasonal else []) + [1e-3])

    def transform_params(self, unconstrained: np.ndarray) -> np.ndarray:
        constrained: np.ndarray = np.exp(np.clip(unconstrained, -30.0, 5.0))
        return constrained

    def untransform_params(self, constrained: np.ndarray) -> np.ndarray:
        unconstrained: np.ndarray = np.log(constrained)
        return unconstrained

    def update(self, params: np.ndarray, **kwargs: object) -> None:
        params = super().update(params, **kwargs)
        self.ssm["state_cov"] = np.diag(params)


@dataclass
class MonthlyFit:
    """What a fitted cumulator model knows: parameters, end state, smoothed history."""

    first_month: date
    last_month: date
    scale: float
    seasonal: bool
    params: np.ndarray
    param_names: list[str]
    end_state: np.ndarray
    end_cov: np.ndarray
    smoothed_months: np.ndarray  # (n_months,) unscaled, from first_month to last_month
    smoothed_sd: np.ndarray
    smoothed_year_totals: dict[int, tuple[float, float]]  # year -> (total, sd) for complete years
    loglikelihood: float
    converged: bool
    n_figures: int
    ignored: list[str]


class MixedFrequencyStateSpace:
    """Estimator behind the protocol: fit(figures) -> self; simulate(...) -> monthly paths."""

    name = "structural_cumulator"
    min_figures = MIN_FIGURES

    def __init__(self, seasonal: bool | None = None, fixed_params: Sequence[float] | None = None, drift_only: bool = False) -> None:
        self.seasonal = seasonal
        self.fixed_params = None if fixed_params is None else np.asarray(fixed_params, dtype=float)
        self.drift_only = drift_only
        self.fit_: MonthlyFit | None = None

    @property
    def label(self) -> str:
        trend = "random walk with drift" if self.drift_only else "local linear trend"
        seasonal = " + seasonal" if self.fit_ is not None and self.fit_.seasonal else ""
        return f"{self.name} ({trend}{seasonal}, levels)"

    def fit(
        self,
        figures: Sequence[Observation],
        series_id: str = "",
        until: date | None = None,
        draws: int = POSTERIOR_DRAWS,
        warm: Estimates | None = None,
    ) -> MixedFrequencyStateSpace:
        """Estimate the variances and smooth; `draws=0` skips the posterior draws (backtests, plain arrays).

        `warm`, the estimates of the same variant fitted on fewer figures of the series
        (the previous backtest origin), starts the search: fewer likelihood evaluations, at a
        likelihood no lower on average (docs/decisions.md, 'Fit time').
        """
        if len(figures) < MIN_FIGURES:
            raise InsufficientHistory(series_id, len(figures), MIN_FIGURES)
        first_month, last_month = _months_spanned(figures, until)
        nobs = month_index(last_month) - month_index(first_month) + 2
        scale = _typical_month(figures)
        readings, ignored = readings_from(figures, first_month, scale)
        n_months = sum(1 for r in readings if r.channel == MONTH)
        seasonal = self.seasonal if self.seasonal is not None else n_months >= 24
        model = CumulatorModel(readings, nobs, first_month, seasonal)
        results, params, converged = self._estimate(model, warm)
        months, months_sd, year_totals = _smoothed_history(model, results, params, scale, draws)
        self.fit_ = MonthlyFit(
            first_month=first_month,
            last_month=last_month,
            scale=scale,
            seasonal=seasonal,
            params=np.asarray(params, dtype=float),
            param_names=list(model.param_names),
            end_state=np.asarray(results.filtered_state[:, -1]),
            end_cov=np.asarray(results.filtered_state_cov[:, :, -1]),
            smoothed_months=months,
            smoothed_sd=months_sd,
            smoothed_year_totals=year_totals,
            loglikelihood=float(results.llf),
            converged=converged,
            n_figures=len(figures),
            ignored=[f.key for f in ignored],
        )
        return self

    def _estimate(self, model: CumulatorModel, warm: Estimates | None) -> tuple[Any, np.ndarray, bool]:
        """The smoother's results at the variances: estimated by maximum likelihood, or borrowed as given.

        Returns (statsmodels results, variances, converged); a ConvergenceWarning
        during the fit counts as not converged.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if self.fixed_params is not None:
                params = self._fixed_for(model)
                results = model.smooth(params)
                converged = True
            else:
                start = start_from(warm, self.name, self._terms(model.seasonal))
                fixing = model.fix_params({"sigma2.slope": 1e-12}) if self.drift_only else contextlib.nullcontext()
                with fixing:
                    results = model.fit(start_params=start, includes_fixed=True, method="lbfgs", maxiter=300, disp=False)
                params = np.asarray(results.params)  # a drift's fixed slope variance included
                converged = bool(results.mle_retvals.get("converged", True)) if results.mle_retvals else True
        converged = converged and not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        return results, params, converged

    def _terms(self, seasonal: bool) -> str:
        """Which variant estimated these parameters: a borrowed variant's were not estimated, so they start nothing."""
        trend = "borrowed" if self.fixed_params is not None else "drift" if self.drift_only else "trend"
        return trend + (" + seasonal" if seasonal else "")

    def estimates(self) -> Estimates:
        fit = self._require_fit()
        return Estimates.of(self.name, self._terms(fit.seasonal), fit.params)

    def _fixed_for(self, model: CumulatorModel) -> np.ndarray:
        """Borrowed (level, slope, irregular) variances; a borrowed seasonal variance is not supported."""
        assert self.fixed_params is not None
        level, slope, *rest = self.fixed_params.tolist()
        irregular = rest[-1] if rest else 1e-3
        return np.array([level, slope] + ([1e-4] if model.seasonal else []) + [irregular])

    def _require_fit(self) -> MonthlyFit:
        if self.fit_ is None:
            raise RuntimeError("fit() first")
        return self.fit_

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Joint future paths, `horizon` months after the last fitted month.

        Returns unscaled arrays of shape (n_paths, horizon): 'month' volumes,
        'ytd' year-to-date totals and 'qtd' quarter-to-date totals; the totals
        already include the reported months of the current year or quarter.
        """
        fit = self._require_fit()
        model = CumulatorModel([], 2, fit.first_month, fit.seasonal)
        state_cov = np.diag(fit.params)
        selection = model.selection_matrix()
        cov = (fit.end_cov + fit.end_cov.T) / 2
        state = rng.multivariate_normal(fit.end_state, cov + 1e-12 * np.eye(len(cov)), size=n_paths, method="eigh")
        x_row = model.x_row()
        shocks_sd = np.sqrt(np.diag(state_cov))
        months, ytd, qtd = (np.empty((n_paths, horizon)) for _ in range(3))
        for h in range(horizon):
            next_month = add_months(fit.last_month, h + 1).month
            transition = model.transition_at(next_month)
            shocks = rng.standard_normal((n_paths, len(shocks_sd))) * shocks_sd
            state = state @ transition.T + shocks @ selection.T
            months[:, h] = state @ x_row
            ytd[:, h] = state[:, model.c_index]
            qtd[:, h] = state[:, model.q_index]
        return {"month": months * fit.scale, "ytd": ytd * fit.scale, "qtd": qtd * fit.scale}

    def current_totals(self) -> dict[str, float]:
        """Filtered year- and quarter-to-date totals at the last fitted month."""
        fit = self._require_fit()
        model = CumulatorModel([], 2, fit.first_month, fit.seasonal)
        return {
            "ytd": float(fit.end_state[model.c_index] * fit.scale),
            "qtd": float(fit.end_state[model.q_index] * fit.scale),
        }

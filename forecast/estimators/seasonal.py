"""Seasonal models of a complete monthly array: ETS with damped trend, seasonal ARIMA, Theta.

They cannot read year-to-date totals or quarters themselves. The engine fits
them on the monthly path that the structural cumulator model smoothed from
every figure (for a plain array that path is the array itself), in logs when
it is positive, and cumulates their simulated months into year- and
quarter-to-date totals. Each model: fit(values, warm) -> self; simulate(horizon,
n_paths, rng) -> (n_paths, horizon) draws on the scale it was fitted on.

`warm` holds the estimates of the same model fitted on a shorter history of the
same series (the previous backtest origin): they start the search, which then needs
fewer likelihood evaluations and ends at a higher likelihood on average, not always
(docs/decisions.md, 'Fit time').
"""

from __future__ import annotations

import warnings
from typing import Any, Protocol

import numpy as np
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast.errors import InsufficientHistory
from forecast.estimators.estimates import Estimates, start_from

SEASON = 12
SEASONAL_MONTHS = 2 * SEASON  # two full years before a seasonal pattern is estimated


class SeasonalModel(Protocol):
    name: str
    min_months: int

    @property
    def parameters(self) -> dict[str, float]: ...

    def fit(self, values: np.ndarray, warm: Estimates | None = None) -> SeasonalModel: ...

    def estimates(self) -> Estimates: ...

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray: ...


def _scalars(named: object) -> dict[str, float]:
    """The scalar estimates of a statsmodels results' params (arrays such as initial seasonals left out)."""
    items = named.items() if hasattr(named, "items") else []
    return {str(k): float(v) for k, v in items if np.ndim(v) == 0 and v is not None and np.isfinite(float(v))}


def _simulate_ahead(results: Any, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
    """Paths after the sample of a time-invariant state-space model without measurement error.

    What statsmodels' simulate(anchor="end", repetitions=n) draws (the start from the
    predicted state and its covariance, then the state shocks), for all paths at once:
    its repetitions run one Kalman filter per path (docs/decisions.md, 'Fit time').
    """
    ssm = results.model.ssm
    design, transition = np.asarray(ssm["design"], dtype=float), np.asarray(ssm["transition"], dtype=float)
    selection, state_cov = np.asarray(ssm["selection"], dtype=float), np.asarray(ssm["state_cov"], dtype=float)
    # a drift (trend="c") lives in the state intercept, stored per period: its last one carries on
    obs_intercepts, state_intercepts = np.asarray(ssm["obs_intercept"], dtype=float), np.asarray(ssm["state_intercept"], dtype=float)
    obs_intercept, state_intercept = (
        obs_intercepts.reshape(len(obs_intercepts), -1)[0, -1],
        state_intercepts.reshape(len(state_intercepts), -1)[:, -1],
    )
    mean = np.asarray(results.predicted_state[:, -1], dtype=float)
    cov = np.asarray(results.predicted_state_cov[:, :, -1], dtype=float)
    eigenvalues, eigenvectors = np.linalg.eigh((cov + cov.T) / 2)
    start_factor = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))  # rounding leaves tiny negative eigenvalues
    state = mean + rng.standard_normal((n_paths, len(mean))) @ start_factor.T
    if results.filter_results.filter_concentrated:
        state_cov = state_cov * float(results.scale)
    shock_factor = np.linalg.cholesky(state_cov + 1e-300 * np.eye(len(state_cov)))
    out = np.empty((n_paths, horizon))
    for h in range(horizon):
        out[:, h] = state @ design[0] + obs_intercept
        shocks = rng.standard_normal((n_paths, len(state_cov))) @ shock_factor.T
        state = state @ transition.T + state_intercept + shocks @ selection.T
    return out


def _check(model: SeasonalModel, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if len(values) < model.min_months or not np.all(np.isfinite(values)):
        raise InsufficientHistory(model.name, int(np.isfinite(values).sum()), model.min_months, "complete months")
    return values


class DampedTrendETS:
    """Additive Holt-Winters with a damped trend (Gardner and McKenzie 1985), by maximum likelihood.

    A cold fit searches statsmodels' brute-force grid of starts, costly as it is: without it
    a search can end in an optimum whose forecasts run away (docs/decisions.md, 'Seasonal
    models'). A warm start needs no grid.
    """

    name = "ets_damped"
    min_months = 12

    def fit(self, values: np.ndarray, warm: Estimates | None = None) -> DampedTrendETS:
        values = _check(self, values)
        seasonal = "add" if len(values) >= SEASONAL_MONTHS else None
        model = ExponentialSmoothing(
            values, trend="add", damped_trend=True, seasonal=seasonal, seasonal_periods=SEASON if seasonal else None
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = start_from(warm, self.name, self._terms(seasonal is not None))
            try:
                self.results_ = model.fit(start_params=start)
            except ValueError:  # statsmodels rejects a start it cannot use (it moves one outside the bounds inside): search from scratch
                self.results_ = model.fit()
        return self

    @staticmethod
    def _terms(seasonal: bool) -> str:
        return "seasonal" if seasonal else "no season"

    def estimates(self) -> Estimates:
        """The estimates in the order ExponentialSmoothing optimises them."""
        p = self.results_.params
        seasonal = self.results_.model.seasonal is not None
        head = [p["smoothing_level"], p["smoothing_trend"]] + ([p["smoothing_seasonal"]] if seasonal else [])
        head += [p["initial_level"], p["initial_trend"], p["damping_trend"]]
        return Estimates.of(
            self.name, self._terms(seasonal), head + (list(np.asarray(p["initial_seasons"], dtype=float)) if seasonal else [])
        )

    @property
    def parameters(self) -> dict[str, float]:
        return _scalars(self.results_.params)

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        sim = self.results_.simulate(horizon, anchor="end", repetitions=n_paths, error="add", rng=rng)
        return np.asarray(sim, dtype=float).reshape(horizon, n_paths).T


class SeasonalARIMA:
    """The airline model, ARIMA(0,1,1)(0,1,1)12 (Box and Jenkins); ARIMA(0,1,1) with drift before two and a half years.

    Fitted on the differenced values (simple differencing), faster than carrying the
    differences in the state and with the same estimates; simulated differences are
    integrated back onto the last months. The innovation variance is concentrated out
    of the likelihood, one parameter fewer to search (docs/decisions.md, 'Fit time').
    """

    name = "sarima_airline"
    min_months = 12

    def fit(self, values: np.ndarray, warm: Estimates | None = None) -> SeasonalARIMA:
        values = _check(self, values)
        self.seasonal_ = len(values) >= SEASONAL_MONTHS + 6
        if self.seasonal_:
            model = SARIMAX(values, order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON), simple_differencing=True, concentrate_scale=True)
        else:
            model = SARIMAX(values, order=(0, 1, 1), trend="c", simple_differencing=True, concentrate_scale=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the parameters' covariance is never read, so it is not computed
            self.results_ = model.fit(start_params=start_from(warm, self.name, self._terms()), disp=False, cov_type="none")
        self.tail_ = values[-(SEASON + 1) :].copy()
        return self

    def _terms(self) -> str:
        return "airline" if self.seasonal_ else "drift"

    def estimates(self) -> Estimates:
        return Estimates.of(self.name, self._terms(), self.results_.params)

    @property
    def parameters(self) -> dict[str, float]:
        return {
            **_scalars(dict(zip(self.results_.model.param_names, self.results_.params, strict=True))),
            "sigma2": float(self.results_.scale),
        }

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        differences = _simulate_ahead(self.results_, horizon, n_paths, rng)
        lag = SEASON + 1
        levels = np.concatenate([np.broadcast_to(self.tail_, (n_paths, lag)), np.empty((n_paths, horizon))], axis=1)
        for h in range(horizon):
            t = lag + h
            # undo (1 - B)(1 - B^12), or (1 - B) alone for the short-history model
            seasonal_part = levels[:, t - SEASON] - levels[:, t - lag] if self.seasonal_ else 0.0
            levels[:, t] = differences[:, h] + levels[:, t - 1] + seasonal_part
        return levels[:, lag:]


class SeasonalTheta:
    """The Theta method (Assimakopoulos and Nikolopoulos 2000) on additively deseasonalised values.

    Theta is simple exponential smoothing with drift (Hyndman and Billah 2003),
    so its paths add SES's own error structure to the mean: the error at step
    h is e_h + alpha * (e_1 + ... + e_{h-1}).
    """

    name = "theta"
    min_months = 12
    TERMS = "drifting ma"  # what its estimates are: the variance model's (Theta's own are closed-form)

    def fit(self, values: np.ndarray, warm: Estimates | None = None) -> SeasonalTheta:
        values = _check(self, values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.results_ = ThetaModel(values, period=SEASON, method="additive", deseasonalize=len(values) >= SEASONAL_MONTHS).fit()
            # statsmodels' ThetaModelResults.sigma2, the innovation variance of ARIMA(0,1,1) with drift on the
            # values, fitted here on their differences; statsmodels carries them in the state, which is slower
            start = start_from(warm, self.name, self.TERMS)
            drifting_ma = SARIMAX(np.diff(values), order=(0, 0, 1), trend="c", concentrate_scale=True).fit(
                start_params=start, disp=False, cov_type="none"
            )
        self.drifting_ma_, self.sigma2_ = np.asarray(drifting_ma.params), float(drifting_ma.scale)
        return self

    def estimates(self) -> Estimates:
        """Theta's own estimates are closed-form: only its variance model is searched."""
        return Estimates.of(self.name, self.TERMS, self.drifting_ma_)

    @property
    def parameters(self) -> dict[str, float]:
        return {**_scalars(self.results_.params), "sigma2": self.sigma2_}

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        mean = np.asarray(self.results_.forecast(horizon), dtype=float)
        alpha = float(self.results_.params["alpha"])
        errors = rng.standard_normal((n_paths, horizon)) * np.sqrt(self.sigma2_)
        carried = alpha * np.concatenate([np.zeros((n_paths, 1)), np.cumsum(errors, axis=1)[:, :-1]], axis=1)
        draws: np.ndarray = mean[None, :] + errors + carried
        return draws


def seasonal_family() -> list[SeasonalModel]:
    return [DampedTrendETS(), SeasonalARIMA(), SeasonalTheta()]

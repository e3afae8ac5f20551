"""Seasonal models of a complete monthly array: ETS with damped trend, seasonal ARIMA, Theta.

They cannot read year-to-date totals or quarters themselves. The engine fits
them on the monthly path that the structural cumulator model smoothed from
every figure (for a plain array that path is the array itself), in logs when
it is positive, and cumulates their simulated months into year- and
quarter-to-date totals. Each model: fit(values) -> self; simulate(horizon,
n_paths, rng) -> (n_paths, horizon) draws on the scale it was fitted on.
"""

from __future__ import annotations

import warnings
from typing import Protocol

import numpy as np
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast.errors import InsufficientHistory

SEASON = 12
SEASONAL_MONTHS = 2 * SEASON  # two full years before a seasonal pattern is estimated


class SeasonalModel(Protocol):
    name: str
    min_months: int

    @property
    def parameters(self) -> dict[str, float]: ...

    def fit(self, values: np.ndarray) -> SeasonalModel: ...

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray: ...


def _scalars(named: object) -> dict[str, float]:
    """The scalar estimates of a statsmodels results' params (arrays such as initial seasonals left out)."""
    items = named.items() if hasattr(named, "items") else []
    return {str(k): float(v) for k, v in items if np.ndim(v) == 0 and v is not None and np.isfinite(float(v))}


def _check(model: SeasonalModel, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if len(values) < model.min_months or not np.all(np.isfinite(values)):
        raise InsufficientHistory(model.name, int(np.isfinite(values).sum()), model.min_months, "complete months")
    return values


class DampedTrendETS:
    """Additive Holt-Winters with a damped trend (Gardner and McKenzie 1985), by maximum likelihood."""

    name = "ets_damped"
    min_months = 12

    def fit(self, values: np.ndarray) -> DampedTrendETS:
        values = _check(self, values)
        seasonal = "add" if len(values) >= SEASONAL_MONTHS else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.results_ = ExponentialSmoothing(
                values, trend="add", damped_trend=True, seasonal=seasonal, seasonal_periods=SEASON if seasonal else None
            ).fit()
        return self

    @property
    def parameters(self) -> dict[str, float]:
        return _scalars(self.results_.params)

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        sim = self.results_.simulate(horizon, anchor="end", repetitions=n_paths, error="add", rng=rng)
        return np.asarray(sim, dtype=float).reshape(horizon, n_paths).T


class SeasonalARIMA:
    """The airline model, ARIMA(0,1,1)(0,1,1)12 (Box and Jenkins); ARIMA(0,1,1) with drift before two and a half years.

    Fitted on the differenced values (simple differencing): three times faster than
    carrying the differences in the state, with the same estimates to two decimals on
    M3 monthly; simulated differences are integrated back onto the last months.
    """

    name = "sarima_airline"
    min_months = 12

    def fit(self, values: np.ndarray) -> SeasonalARIMA:
        values = _check(self, values)
        self.seasonal_ = len(values) >= SEASONAL_MONTHS + 6
        if self.seasonal_:
            model = SARIMAX(values, order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON), simple_differencing=True)
        else:
            model = SARIMAX(values, order=(0, 1, 1), trend="c", simple_differencing=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.results_ = model.fit(disp=False)
        self.tail_ = values[-(SEASON + 1) :].copy()
        return self

    @property
    def parameters(self) -> dict[str, float]:
        return _scalars(dict(zip(self.results_.model.param_names, self.results_.params, strict=True)))

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = self.results_.simulate(horizon, anchor="end", repetitions=n_paths, rng=rng)
        differences = np.asarray(sim, dtype=float).reshape(horizon, n_paths).T
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

    def fit(self, values: np.ndarray) -> SeasonalTheta:
        values = _check(self, values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.results_ = ThetaModel(values, period=SEASON, method="additive", deseasonalize=len(values) >= SEASONAL_MONTHS).fit()
        return self

    @property
    def parameters(self) -> dict[str, float]:
        return {**_scalars(self.results_.params), "sigma2": float(self.results_.sigma2)}

    def simulate(self, horizon: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        mean = np.asarray(self.results_.forecast(horizon), dtype=float)
        alpha = float(self.results_.params["alpha"])
        errors = rng.standard_normal((n_paths, horizon)) * np.sqrt(float(self.results_.sigma2))
        carried = alpha * np.concatenate([np.zeros((n_paths, 1)), np.cumsum(errors, axis=1)[:, :-1]], axis=1)
        return mean[None, :] + errors + carried


def seasonal_family() -> list[SeasonalModel]:
    return [DampedTrendETS(), SeasonalARIMA(), SeasonalTheta()]

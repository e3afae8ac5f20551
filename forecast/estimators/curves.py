"""Annual growth curves: short documented functions of the year, fitted to annual totals.

Every curve shares one protocol: `fit(years, values) -> self`, `predict(years)
-> median`, `residual_sd_` (sd of log residuals, NaN when the fit has no
degrees of freedom left) and `min_points`. Values are annual totals in the
series' unit; years are calendar years. Curves are fitted in logs, so errors
are relative, which is how export growth behaves.
"""

from __future__ import annotations

import math
import warnings
from typing import Protocol

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import t as student_t

from forecast.errors import InsufficientHistory


class AnnualCurve(Protocol):
    name: str
    min_points: int
    n_params: int
    residual_sd_: float

    def fit(self, years: np.ndarray, values: np.ndarray) -> AnnualCurve: ...

    def predict(self, years: np.ndarray) -> np.ndarray: ...


def growth_since(curve: AnnualCurve, anchor_year: float, years: np.ndarray) -> np.ndarray:
    """The curve's growth factor from anchor_year to each of years: projections multiply a known total by it."""
    growth: np.ndarray = curve.predict(np.asarray(years, dtype=float)) / curve.predict(np.array([anchor_year], dtype=float))[0]
    return growth


def growth_persistence(curve: AnnualCurve, anchor_year: float, years: np.ndarray) -> np.ndarray:
    """How far an error in the curve's growth rate has carried by each of `years` after `anchor_year`.

    The sum of the curve's yearly log growth relative to its first year's, each at most 1:
    1, 2, 3... for constant growth, 1, 1 + phi, 1 + phi + phi^2... for damped growth, and
    bounded wherever the curve levels off, so an error in a growth that slows does not
    compound for ever.
    """
    path = np.log(np.maximum(curve.predict(np.concatenate([[anchor_year], np.asarray(years, dtype=float)])), 1e-300))
    steps = np.abs(np.diff(path))
    if len(steps) == 0 or steps[0] <= 1e-9:
        return np.arange(1.0, len(steps) + 1)  # no growth to slow: an error in it carries whole
    return np.cumsum(np.minimum(steps / steps[0], 1.0))


def _check(curve: AnnualCurve, years: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    years = np.asarray(years, dtype=float)
    values = np.asarray(values, dtype=float)
    if len(years) < curve.min_points:
        raise InsufficientHistory(curve.name, len(years), curve.min_points, "annual totals")
    if np.any(values <= 0):
        raise InsufficientHistory(curve.name, int(np.sum(values > 0)), curve.min_points, "positive annual totals")
    return years, values


# Yearly log-growth shocks are Student t with 3 degrees of freedom, scaled to the normal's 95% quantile
# (heavy-tailed years: 2009, 2020, 2021 in export series), so the 80% and 95% bands can both be right.
SHOCK_DF = 3.0
SHOCK_SCALE = 1.959964 / float(student_t.ppf(0.975, SHOCK_DF))
MEDIAN_ABS_SHOCK = SHOCK_SCALE * float(student_t.ppf(0.75, SHOCK_DF))  # median |shock| per unit of the scale paths multiply
MIN_ROBUST_RESIDUALS = 5  # fewer residuals: their median says no more than their root mean square


def shock_sd(residuals: np.ndarray, dof: int) -> float:
    """The sd of a curve's yearly log shocks, from its residuals: their root mean square over `dof`, unless
    the bulk of them (the median absolute residual, read as a shock of the t(SHOCK_DF) kind the paths draw)
    says the spread is smaller. A root mean square is set by its largest residual: one aberrant year (a
    break in the series, a collapse that did not recur) would widen every later year's band, compounded
    over the horizon, while the t shocks already carry such years' chance of happening again
    (docs/decisions.md, "Shocks and tails"). NaN when no degree of freedom is left."""
    if dof <= 0:
        return math.nan
    classic = float(np.sqrt(np.sum(np.square(residuals)) / dof))
    if len(residuals) < MIN_ROBUST_RESIDUALS:
        return classic
    return min(classic, float(np.median(np.abs(residuals))) / MEDIAN_ABS_SHOCK)


def _log_residual_sd(curve: AnnualCurve, years: np.ndarray, values: np.ndarray) -> float:
    residuals = np.log(values) - np.log(np.maximum(curve.predict(years), 1e-9))
    return shock_sd(residuals, len(years) - curve.n_params)


class ConstantGrowth:
    """y = a (1 + g)^(year - year0): a constant annual growth rate."""

    name = "constant_growth"
    min_points = 2
    n_params = 2

    def fit(self, years: np.ndarray, values: np.ndarray) -> ConstantGrowth:
        years, values = _check(self, years, values)
        self.year0_ = float(years[0])
        slope, intercept = np.polyfit(years - self.year0_, np.log(values), 1)
        self.log_a_, self.log_growth_ = float(intercept), float(slope)
        self.growth_ = math.exp(self.log_growth_) - 1.0
        self.residual_sd_ = _log_residual_sd(self, years, values)
        return self

    def predict(self, years: np.ndarray) -> np.ndarray:
        return np.exp(self.log_a_ + self.log_growth_ * (np.asarray(years, dtype=float) - self.year0_))


class LinearTrend:
    """y = a + b (year - year0): the same increment every year."""

    name = "linear_trend"
    min_points = 3
    n_params = 2

    def fit(self, years: np.ndarray, values: np.ndarray) -> LinearTrend:
        years, values = _check(self, years, values)
        self.year0_ = float(years[0])
        self.slope_, self.intercept_ = (float(v) for v in np.polyfit(years - self.year0_, values, 1))
        # errors of a line are additive: their sd relative to the latest level is what a projection faces
        self.residual_sd_ = shock_sd(values - self.predict(years), len(years) - self.n_params) / float(values[-1])
        return self

    def predict(self, years: np.ndarray) -> np.ndarray:
        line = self.intercept_ + self.slope_ * (np.asarray(years, dtype=float) - self.year0_)
        return np.maximum(line, 1e-9)


class DampedGrowth:
    """Log growth that decays geometrically: g_{T+h} = g_T phi^h (Gardner and McKenzie 1985, in logs).

    phi is the least-squares slope of this year's log growth on last year's,
    through the origin, kept in [0, 0.98] so growth never compounds forever.
    """

    name = "damped_growth"
    min_points = 4
    n_params = 2

    def fit(self, years: np.ndarray, values: np.ndarray) -> DampedGrowth:
        years, values = _check(self, years, values)
        growth = np.diff(np.log(values)) / np.diff(years)
        previous, current = growth[:-1], growth[1:]
        denominator = float(previous @ previous)
        self.phi_ = float(np.clip((previous @ current) / denominator if denominator > 0 else 0.0, 0.0, 0.98))
        self.last_year_ = float(years[-1])
        self.last_log_ = float(np.log(values[-1]))
        self.last_growth_ = float(np.mean(growth[-2:]))
        fitted_growth = self.phi_ * previous
        self.residual_sd_ = shock_sd(current - fitted_growth, len(current) - 1)
        return self

    def predict(self, years: np.ndarray) -> np.ndarray:
        years = np.asarray(years, dtype=float)
        out = np.empty_like(years)
        for i, year in enumerate(years):
            h = year - self.last_year_
            if h <= 0:
                out[i] = math.exp(self.last_log_ + self.last_growth_ * h)
                continue
            steps = np.arange(1, int(math.ceil(h)) + 1)
            out[i] = math.exp(self.last_log_ + self.last_growth_ * float(np.sum(self.phi_**steps)))
        return out


class BorrowedDampedGrowth(DampedGrowth):
    """Damped growth for series too short to estimate their own damping: phi comes from a richer series.

    The last observed growth rate decays at the borrowed phi; with two or three
    annual totals this is the only way to let growth slow without inventing a number.
    """

    name = "damped_growth_borrowed"
    min_points = 2
    n_params = 1

    def __init__(self, phi: float = 0.0) -> None:
        self.borrowed_phi = phi

    def fit(self, years: np.ndarray, values: np.ndarray) -> BorrowedDampedGrowth:
        years, values = _check(self, years, values)
        growth = np.diff(np.log(values)) / np.diff(years)
        self.phi_ = float(np.clip(self.borrowed_phi, 0.0, 0.98))
        self.last_year_ = float(years[-1])
        self.last_log_ = float(np.log(values[-1]))
        self.last_growth_ = float(np.mean(growth[-2:]))
        self.residual_sd_ = math.nan
        return self


def logistic(t: np.ndarray, capacity: float, rate: float, midpoint: float) -> np.ndarray:
    """Verhulst curve: capacity / (1 + exp(-rate (t - midpoint)))."""
    return capacity / (1.0 + np.exp(-rate * (t - midpoint)))


def gompertz(t: np.ndarray, capacity: float, displacement: float, rate: float) -> np.ndarray:
    """Gompertz curve: capacity exp(-displacement exp(-rate t)); slower approach to saturation."""
    return capacity * np.exp(-displacement * np.exp(-rate * t))


class SaturatingCurve:
    """A curve with an estimated saturation level, fitted by least squares in logs."""

    name = ""
    min_points = 5
    n_params = 3
    year0_: float  # the first year of the last fit: its estimates start the next fit on the same years
    params_: tuple[float, ...]

    def _function(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        raise NotImplementedError

    def _log_function(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        raise NotImplementedError

    def _log_jacobian(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        """d log f / d (a, b, c), one column each: exact derivatives cost one evaluation, finite differences three."""
        raise NotImplementedError

    def _start(self, t: np.ndarray, values: np.ndarray) -> tuple[list[float], tuple[list[float], list[float]]]:
        raise NotImplementedError

    def fit(self, years: np.ndarray, values: np.ndarray) -> SaturatingCurve:
        """Least squares in logs. A curve fitted again starts from its last estimates (inside the new
        bounds): a rolling-origin backtest adds a year at a time, so the last optimum is a close
        start (docs/decisions.md, 'Fit time')."""
        years, values = _check(self, years, values)
        t = years - float(years[0])
        start, bounds = self._start(t, values)
        if hasattr(self, "params_") and self.year0_ == float(years[0]):
            low, high = np.array(bounds[0], dtype=float), np.array(bounds[1], dtype=float)
            start = list(np.clip(self.params_, low + 1e-9 * np.abs(low) + 1e-12, high - 1e-9 * np.abs(high)))
        self.year0_ = float(years[0])

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            try:
                params, _ = curve_fit(
                    self._log_function,
                    t,
                    np.log(values),
                    p0=start,
                    bounds=bounds,
                    jac=self._log_jacobian,
                    maxfev=20000,
                    ftol=1e-12,
                    xtol=1e-12,
                    gtol=1e-12,
                )
            except (RuntimeError, ValueError) as error:
                raise InsufficientHistory(self.name, len(years), len(years) + 1, f"annual totals ({error})") from None
        self.params_ = tuple(float(p) for p in params)
        self.saturation_ = self.params_[0]
        # on its bound, the saturation level is not identified by the data: say so
        self.saturation_at_bound_ = bool(
            np.isclose(self.saturation_, bounds[0][0], rtol=1e-3) or np.isclose(self.saturation_, bounds[1][0], rtol=1e-3)
        )
        self.residual_sd_ = _log_residual_sd(self, years, values)
        return self

    def predict(self, years: np.ndarray) -> np.ndarray:
        return self._function(np.asarray(years, dtype=float) - self.year0_, *self.params_)


class Logistic(SaturatingCurve):
    """Logistic growth with an estimated saturation level (between the largest total and 20x it)."""

    name = "logistic"

    def _function(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        return logistic(t, a, b, c)

    def _log_function(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        return math.log(a) - np.logaddexp(0.0, -b * (t - c))

    def _log_jacobian(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        below = 1.0 - np.exp(-np.logaddexp(0.0, -b * (t - c)))  # 1 - f/a
        return np.column_stack([np.full(len(t), 1.0 / a), (t - c) * below, -b * below])

    def _start(self, t: np.ndarray, values: np.ndarray) -> tuple[list[float], tuple[list[float], list[float]]]:
        top = float(values.max())
        return [2.0 * top, 0.5, float(t[-1])], ([top, 1e-3, -50.0], [20.0 * top, 5.0, 100.0])


class Gompertz(SaturatingCurve):
    """Gompertz growth with an estimated saturation level (between the largest total and 20x it)."""

    name = "gompertz"

    def _function(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        return gompertz(t, a, b, c)

    def _log_function(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        return math.log(a) - b * np.exp(-c * t)

    def _log_jacobian(self, t: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
        decay = np.exp(-c * t)
        return np.column_stack([np.full(len(t), 1.0 / a), -decay, b * t * decay])

    def _start(self, t: np.ndarray, values: np.ndarray) -> tuple[list[float], tuple[list[float], list[float]]]:
        top = float(values.max())
        return [2.0 * top, 2.0, 0.3], ([top, 1e-3, 1e-3], [20.0 * top, 50.0, 5.0])


class ThetaLine:
    """The Theta method in logs (Assimakopoulos and Nikolopoulos 2000; Hyndman and Billah 2003), seen as a curve.

    Simple exponential smoothing plus half the slope of the least-squares line.
    Unlike the global curves above it weights recent years most, which is what
    a series whose growth changed course needs. predict() gives the actual
    totals up to the last year, then the forecasts. The smoothing weight is
    chosen on a grid by one-step squared error: a few microseconds per fit,
    which matters because rolling-origin backtests refit it at every origin.
    residual_sd_ is the sd of the one-step-ahead log errors.
    """

    name = "theta"
    min_points = 4
    n_params = 2
    ALPHAS = np.linspace(0.05, 1.0, 20)
    HORIZON = 40  # years of forecasts kept; later years repeat the last

    def fit(self, years: np.ndarray, values: np.ndarray) -> ThetaLine:
        years, values = _check(self, years, values)
        self.years_ = years
        self.logs_ = np.log(values)
        self.last_year_ = float(years[-1])
        fitted, self.future_ = self._smooth(self.logs_, self.HORIZON)
        residuals = (self.logs_ - fitted)[1:]
        self.residual_sd_ = shock_sd(residuals, len(residuals) - self.n_params + 1)
        return self

    def _smooth(self, logs: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """(one-step-ahead in-sample log predictions, log forecasts for 1..horizon)."""
        drift = float(np.polyfit(np.arange(len(logs)), logs, 1)[0]) / 2
        levels = np.full(len(self.ALPHAS), logs[0])
        fitted = np.empty((len(self.ALPHAS), len(logs)))
        for t, value in enumerate(logs):
            fitted[:, t] = levels + drift
            levels = self.ALPHAS * value + (1 - self.ALPHAS) * levels
        best = int(np.argmin(np.sum((logs[1:] - fitted[:, 1:]) ** 2, axis=1)))
        alpha, level = float(self.ALPHAS[best]), float(levels[best])
        steps = np.arange(1, horizon + 1)
        future = level + drift * ((steps - 1) + 1 / alpha - (1 - alpha) ** len(logs) / alpha)
        return fitted[best], future

    def predict(self, years: np.ndarray) -> np.ndarray:
        years = np.asarray(years, dtype=float)
        out = np.empty_like(years)
        for i, year in enumerate(years):
            h = int(round(year - self.last_year_))
            if h <= 0:
                out[i] = math.exp(float(np.interp(year, self.years_, self.logs_)))
            else:
                out[i] = math.exp(float(self.future_[min(h, len(self.future_)) - 1]))
        return out


def annual_family() -> list[AnnualCurve]:
    return [ConstantGrowth(), LinearTrend(), DampedGrowth(), Logistic(), Gompertz(), ThetaLine()]

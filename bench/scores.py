"""Interval and distribution scores for the accuracy benchmarks: pure functions on arrays.

An interval forecast is scored by its interval score (Gneiting and Raftery 2007, eq. 43):
its width plus 2/alpha times how far the actual falls outside it, so a narrow interval
that misses pays for the miss and a wide one that covers pays for its width.
M4 scaled it by the in-sample (seasonal) naive error of each series and averaged it over
the horizons: the MSIS (Makridakis, Spiliotis and Assimakopoulos 2020, "The M4
Competition", eq. 5), here with alpha = 0.05 for the 95% intervals.

The whole predictive distribution is scored by the weighted quantile loss over a grid
of quantiles (the pinball loss of each quantile, twice, summed over the horizons and
divided by the sum of the actuals' absolute values, averaged over the grid; GluonTS's
mean_wQuantileLoss). Over a fine grid it approaches the CRPS divided by the mean
absolute actual; at the median alone it is the sum of absolute errors over the sum of
absolute actuals.

Every score here is one number per series; `spread` summarises them over the series as
the mean, the median and the 90th percentile, so a few explosions cannot hide in a
median nor a typical series' loss behind a good mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

DECILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def interval_score(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float) -> np.ndarray:
    """Per point: (upper - lower) + 2/alpha (lower - actual) below the interval + 2/alpha (actual - upper) above it."""
    actual, lower, upper = (np.asarray(a, dtype=float) for a in (actual, lower, upper))
    below = np.maximum(lower - actual, 0.0)
    above = np.maximum(actual - upper, 0.0)
    score: np.ndarray = (upper - lower) + (2.0 / alpha) * (below + above)
    return score


def msis(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float, scale: float) -> float:
    """One series' mean scaled interval score: the interval score averaged over its horizons, over `scale`
    (the in-sample naive error, as for MASE)."""
    return float(np.mean(interval_score(actual, lower, upper, alpha)) / scale)


def pinball(actual: np.ndarray, forecast: np.ndarray, q: float) -> np.ndarray:
    """Per point: the quantile (pinball) loss of `forecast` as the q-quantile: q (y - f) above it, (1 - q) (f - y) below."""
    error = np.asarray(actual, dtype=float) - np.asarray(forecast, dtype=float)
    loss: np.ndarray = np.maximum(q * error, (q - 1.0) * error)
    return loss


def weighted_quantile_loss(actual: np.ndarray, quantiles: Mapping[float, np.ndarray]) -> float:
    """One series' weighted quantile loss: for each q of `quantiles` (q -> forecast of that quantile per horizon),
    2 * sum of pinball losses over the sum of |actual|, averaged over the q's. NaN when the actuals are all 0."""
    actual = np.asarray(actual, dtype=float)
    total = float(np.sum(np.abs(actual)))
    if total <= 0 or not quantiles:
        return float("nan")
    return float(np.mean([2.0 * np.sum(pinball(actual, forecast, q)) / total for q, forecast in quantiles.items()]))


def spread(per_series: Sequence[float], digits: int = 3) -> dict[str, float]:
    """Mean, median and 90th percentile over series (NaNs left out), rounded."""
    values = np.asarray([v for v in per_series if np.isfinite(v)], dtype=float)
    if len(values) == 0:
        return {"mean": float("nan"), "median": float("nan"), "p90": float("nan")}
    return {
        "mean": round(float(np.mean(values)), digits),
        "median": round(float(np.median(values)), digits),
        "p90": round(float(np.percentile(values, 90)), digits),
    }


def level_of(q: float) -> int:
    """The central interval level whose bounds are the q and 1 - q quantiles (0.1 -> 80)."""
    return round(100 * abs(1 - 2 * q))


def levels_for(grid: Sequence[float]) -> tuple[int, ...]:
    """The central interval levels that give every quantile of `grid` except the median."""
    return tuple(sorted({level_of(q) for q in grid if abs(q - 0.5) > 1e-9}))

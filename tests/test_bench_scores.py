"""The benchmarks' interval and quantile scores (bench/scores.py), on hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.scores import (
    DECILES,
    interval_score,
    level_of,
    levels_for,
    msis,
    pinball,
    spread,
    weighted_quantile_loss,
)


def test_an_interval_that_covers_scores_its_width() -> None:
    assert interval_score(np.array([15.0]), np.array([10.0]), np.array([20.0]), 0.05)[0] == pytest.approx(10.0)


def test_msis_of_an_interval_that_covers_is_its_width_over_the_scale() -> None:
    assert msis(np.array([15.0, 12.0]), np.array([10.0, 10.0]), np.array([20.0, 14.0]), 0.05, scale=2.0) == pytest.approx((10 + 4) / 2 / 2)


def test_a_miss_above_adds_two_over_alpha_times_the_miss() -> None:
    # width 10, 5 above the upper bound: 10 + 40 * 5
    assert interval_score(np.array([25.0]), np.array([10.0]), np.array([20.0]), 0.05)[0] == pytest.approx(210.0)


def test_a_miss_below_adds_two_over_alpha_times_the_miss() -> None:
    # width 10, 2 below the lower bound, 80% interval: 10 + 10 * 2
    assert interval_score(np.array([8.0]), np.array([10.0]), np.array([20.0]), 0.2)[0] == pytest.approx(30.0)


def test_msis_averages_over_horizons_then_divides_by_the_scale() -> None:
    # horizon 1 covers (width 10), horizon 2 misses by 5 (10 + 200): mean 110, scale 10
    assert msis(np.array([15.0, 25.0]), np.array([10.0, 10.0]), np.array([20.0, 20.0]), 0.05, scale=10.0) == pytest.approx(11.0)


def test_pinball_loss_weighs_a_forecast_below_by_q_and_above_by_one_minus_q() -> None:
    assert pinball(np.array([10.0]), np.array([8.0]), 0.9)[0] == pytest.approx(1.8)
    assert pinball(np.array([10.0]), np.array([12.0]), 0.9)[0] == pytest.approx(0.2)


def test_the_weighted_quantile_loss_of_a_perfect_point_forecast_is_zero() -> None:
    actual = np.array([3.0, 5.0, 8.0])
    assert weighted_quantile_loss(actual, {q: actual for q in DECILES}) == 0.0


def test_the_weighted_quantile_loss_at_the_median_alone_is_absolute_error_over_absolute_actuals() -> None:
    # |10 - 12| + |20 - 20| = 2, over 10 + 20
    assert weighted_quantile_loss(np.array([10.0, 20.0]), {0.5: np.array([12.0, 20.0])}) == pytest.approx(2 / 30)


def test_the_weighted_quantile_loss_averages_over_the_quantiles() -> None:
    # q 0.5: 2 * 0.5 * 2 / 30; q 0.1 at (8, 18), both 2 below: 2 * 0.1 * (2 + 2) / 30
    quantiles = {0.5: np.array([12.0, 20.0]), 0.1: np.array([8.0, 18.0])}
    assert weighted_quantile_loss(np.array([10.0, 20.0]), quantiles) == pytest.approx((2 / 30 + 0.8 / 30) / 2)


def test_the_weighted_quantile_loss_of_zero_actuals_is_undefined() -> None:
    assert math.isnan(weighted_quantile_loss(np.zeros(2), {0.5: np.ones(2)}))


def test_spread_gives_mean_median_and_ninetieth_percentile_leaving_out_nans() -> None:
    # p90 of 1, 2, 3, 4, 100 by linear interpolation: 4 + 0.6 * 96
    assert spread([1.0, 2.0, 3.0, 4.0, 100.0, math.nan]) == {"mean": 22.0, "median": 3.0, "p90": 61.6}


def test_quantiles_map_to_the_central_levels_whose_bounds_they_are() -> None:
    assert level_of(0.1) == 80 and level_of(0.9) == 80 and level_of(0.025) == 95
    assert levels_for(DECILES) == (20, 40, 60, 80)
    assert levels_for((0.1, 0.25, 0.5, 0.75, 0.9)) == (50, 80)


def test_a_forecasts_quantiles_are_its_interval_bounds_and_its_point_forecast() -> None:
    from bench.accuracy import Forecast

    forecast = Forecast(np.array([5.0]), {80: np.array([1.0]), 20: np.array([4.0])}, {80: np.array([9.0]), 20: np.array([6.0])})
    assert forecast.quantile(0.1)[0] == 1.0 and forecast.quantile(0.6)[0] == 6.0 and forecast.quantile(0.5)[0] == 5.0

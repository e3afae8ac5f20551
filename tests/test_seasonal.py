"""Known answers for the seasonal monthly family and for how the engine carries it over mixed figures."""

from __future__ import annotations

from datetime import date

import joblib
import numpy as np
import pytest

import forecast.estimators.seasonal as seasonal_module
import forecast.estimators.statespace as statespace_module
from forecast.domain import Aggregation
from forecast.engine.arrays import ArrayBacktest, MonthlyArray, forecast_monthly_array, monthly_array_backtest
from forecast.engine.borrowing import Prior
from forecast.engine.monthly import fit_monthly, monthly_candidates
from forecast.errors import InsufficientHistory
from forecast.estimators.estimates import Estimates, start_from
from forecast.estimators.paths import cumulate
from forecast.estimators.seasonal import DampedTrendETS, SeasonalARIMA, SeasonalTheta, _simulate_ahead, seasonal_family
from forecast.estimators.statespace import MixedFrequencyStateSpace
from tests.test_estimators import figure, mixed_figures, synthetic_months

FAMILY = [DampedTrendETS, SeasonalARIMA, SeasonalTheta]


def log_seasonal(months: int, seed: int = 3, noise: float = 0.01) -> np.ndarray:
    """log volumes: a 1% monthly growth, a +-20% seasonal swing, a little noise."""
    t = np.arange(months)
    return 10 + 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(seed).normal(0, noise, months)


@pytest.mark.parametrize("make", FAMILY, ids=lambda m: m.name)
def test_each_seasonal_model_continues_a_known_trend_and_season(make) -> None:  # type: ignore[no-untyped-def]
    values = log_seasonal(108)
    t = np.arange(108, 120)
    truth = 10 + 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12)
    paths = make().fit(values[:108]).simulate(12, 2000, np.random.default_rng(0))
    assert paths.shape == (2000, 12)
    median = np.median(paths, axis=0)
    # within 5% of the true volume at every step; Theta's drift is half the fitted trend's slope
    # (Hyndman and Billah 2003), so it lags a pure trend by about half a percent a month
    tolerance = 0.08 if make is SeasonalTheta else 0.05
    assert np.max(np.abs(median - truth)) < tolerance
    low, high = np.percentile(paths, [2.5, 97.5], axis=0)
    assert np.mean((truth >= low) & (truth <= high)) >= 0.9
    assert np.all(np.diff(high - low) >= -0.02)  # uncertainty does not shrink with the horizon


@pytest.mark.parametrize("make", FAMILY, ids=lambda m: m.name)
def test_seasonal_paths_are_reproducible_with_a_seed_and_after_a_joblib_round_trip(make, tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = make().fit(log_seasonal(60))
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(model.simulate(6, 50, np.random.default_rng(4)), loaded.simulate(6, 50, np.random.default_rng(4)))
    assert not np.array_equal(model.simulate(6, 50, np.random.default_rng(4)), model.simulate(6, 50, np.random.default_rng(5)))
    assert model.parameters and all(np.isfinite(v) for v in model.parameters.values())


@pytest.mark.parametrize("make", FAMILY, ids=lambda m: m.name)
def test_too_few_months_is_insufficient_history(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InsufficientHistory):
        make().fit(log_seasonal(8))


def test_a_damped_trend_grows_less_each_year_instead_of_compounding() -> None:
    """A young industry's growth slows: ETS-damped's projected yearly growth shrinks with the horizon."""
    steady = np.linspace(9, 10, 84) + np.random.default_rng(1).normal(0, 0.005, 84)
    model = DampedTrendETS().fit(steady)
    assert 0 < model.parameters["damping_trend"] < 1
    mean = model.simulate(36, 4000, np.random.default_rng(0)).mean(axis=0)
    first_year, third_year = mean[11] - steady[-1], mean[35] - mean[23]
    assert 0 < third_year < 0.95 * first_year  # phi^24 of the first year's growth


def test_cumulated_totals_continue_the_reported_year_and_quarter_and_reset() -> None:
    months = np.ones((2, 5))  # five months after a last fitted month of November
    totals = cumulate(months, date(2024, 11, 1), ytd_now=110.0, qtd_now=20.0)
    # Dec 2024 continues both totals; Jan 2025 resets the year and the quarter
    np.testing.assert_array_equal(totals["ytd"][:, 0], [111.0, 111.0])
    np.testing.assert_array_equal(totals["qtd"][:, 0], [21.0, 21.0])
    assert totals["ytd"][0, 1:].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert totals["qtd"][0, 1:].tolist() == [1.0, 2.0, 3.0, 1.0]  # April starts a quarter


def test_the_seasonal_family_is_fitted_on_months_smoothed_from_mixed_figures() -> None:
    months = synthetic_months()
    figures = mixed_figures(months, {60, 61})
    fits = fit_monthly(figures, "s", Prior(), 12, 400, np.random.default_rng(0))
    assert set(fits.paths) == set(monthly_candidates(len(figures), Prior()))
    assert set(fits.seasonal) == {m.name for m in seasonal_family()}
    assert fits.in_logs
    lead = fits.lead.fit_
    assert lead is not None and lead.last_month == date(2017, 12, 1)
    next_year = 10 + 12 * np.arange(96, 108) + 120 * np.sin(2 * np.pi * np.arange(96, 108) / 12)
    for name in fits.seasonal:
        paths = fits.paths[name]
        np.testing.assert_allclose(paths["ytd"][:, -1], paths["month"].sum(axis=1))  # a new year starts from zero
        median_year = float(np.median(paths["ytd"][:, -1]))
        assert abs(median_year / (next_year.sum() + 990 * 12) - 1) < 0.05, name


def test_only_the_wanted_models_are_simulated_but_the_lead_is_always_fitted() -> None:
    figures = mixed_figures(synthetic_months(), set())
    fits = fit_monthly(figures, "s", Prior(), 6, 100, np.random.default_rng(0), wanted=lambda name: name == "theta")
    assert set(fits.paths) == {"theta"}
    assert "local_linear_trend" in fits.structural


def test_a_plain_arrays_months_are_read_as_they_are_and_its_lead_is_fitted_only_if_chosen() -> None:
    values = log_seasonal(60)
    array = MonthlyArray.of(values, in_logs=False)
    only_theta = fit_monthly(
        array.figures(60), "a", Prior(), 6, 100, np.random.default_rng(0), wanted=lambda name: name == "theta", logs=False, plain=True
    )
    assert only_theta.structural == {}
    assert only_theta.seasonal["theta"].parameters == SeasonalTheta().fit(values).parameters
    # a reported series' months go through the structural model (bounds, approximate figures, smoothed years)
    reported = fit_monthly(
        array.figures(60), "a", Prior(), 6, 100, np.random.default_rng(0), wanted=lambda name: name == "theta", logs=False
    )
    assert set(reported.structural) == {"local_linear_trend"}
    assert reported.seasonal["theta"].parameters != only_theta.seasonal["theta"].parameters
    # a gap needs the lead's smoothing even for an array
    gappy = [f for i, f in enumerate(array.figures(60)) if i != 30]
    assert fit_monthly(gappy, "a", Prior(), 6, 100, np.random.default_rng(0), wanted=lambda name: name == "theta", plain=True).structural


@pytest.mark.parametrize("months", [96, 26], ids=["airline", "drift before 30 months"])
def test_the_airline_models_paths_have_its_forecast_mean_and_variance_at_every_horizon(months: int) -> None:
    model = SeasonalARIMA().fit(log_seasonal(months, noise=0.03))
    assert model.seasonal_ is (months >= 30)
    differences = _simulate_ahead(model.results_, 6, 20000, np.random.default_rng(0))
    forecast = model.results_.get_forecast(6)
    np.testing.assert_allclose(differences.mean(axis=0), forecast.predicted_mean, atol=0.003)
    np.testing.assert_allclose(differences.std(axis=0), np.sqrt(forecast.var_pred_mean), rtol=0.03)
    assert model.parameters["sigma2"] > 0


@pytest.mark.parametrize("make", FAMILY, ids=lambda m: m.name)
def test_a_fit_started_from_the_previous_origins_estimates_is_at_least_as_good(make) -> None:  # type: ignore[no-untyped-def]
    values = log_seasonal(96, noise=0.03)
    earlier = make().fit(values[:84]).estimates()
    cold, warm = make().fit(values), make().fit(values, earlier)
    if make is SeasonalTheta:  # Theta's own estimates are closed-form; only its variance model is searched
        assert warm.sigma2_ == pytest.approx(cold.sigma2_, rel=1e-3)
    elif make is DampedTrendETS:  # Holt-Winters minimises the squared one-step errors
        assert warm.results_.sse <= cold.results_.sse * (1 + 1e-3)
    else:
        assert warm.results_.llf >= cold.results_.llf - 1e-3
    # a start from a model of other terms (no season before two years) is ignored, not an error
    assert make().fit(values, make().fit(values[:20]).estimates()).parameters


def test_a_structural_fit_started_from_an_earlier_origin_is_at_least_as_good() -> None:
    array = MonthlyArray.of(np.exp(log_seasonal(96, noise=0.03)))
    earlier = MixedFrequencyStateSpace().fit(array.figures(84), draws=0)
    cold = MixedFrequencyStateSpace().fit(array.figures(96), draws=0)
    warm = MixedFrequencyStateSpace().fit(array.figures(96), draws=0, warm=earlier.estimates())
    assert cold.fit_ is not None and warm.fit_ is not None
    assert warm.fit_.loglikelihood >= cold.fit_.loglikelihood - 1e-3
    np.testing.assert_allclose(warm.fit_.smoothed_months, cold.fit_.smoothed_months, rtol=1e-3)


def test_sparse_series_get_no_seasonal_models() -> None:
    assert monthly_candidates(10, Prior()) == ["local_linear_trend_borrowed"]


def test_a_plain_monthly_array_is_forecast_by_the_backtest_weighted_family() -> None:
    values = np.exp(log_seasonal(96, noise=0.03))
    result = forecast_monthly_array(values, 12, origins=2)
    assert "(in logs)" in result.model
    assert any(name in result.model for name in ("ets_damped", "sarima_airline", "theta"))
    t = np.arange(96, 108)
    truth = np.exp(10 + 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12))
    assert np.max(np.abs(result.median / truth - 1)) < 0.08
    assert np.all(result.lower[95] < result.median) and np.all(result.median < result.upper[95])


def test_a_collections_backtest_and_skill_are_reused_rather_than_recomputed() -> None:
    values = np.exp(log_seasonal(96, noise=0.03))
    backtest = monthly_array_backtest(values, 12, origins=2)
    rows = backtest.rows
    assert {r.origin for r in rows} == {"72", "84"} and {r.horizon for r in rows} == set(range(1, 13))
    skill = {"theta": 0.5, "ets_damped": 0.6}  # a collection where these two won
    result = forecast_monthly_array(values, 12, prior=Prior(monthly_skill=skill), backtest=backtest)
    assert result.model.startswith("monthly: 0.50 ") and "theta" in result.model and "ets_damped" in result.model
    only_theta = forecast_monthly_array(values, 12, backtest=ArrayBacktest([r for r in rows if r.model == "theta"], backtest.estimates))
    assert only_theta.model == "monthly: 1.00 theta (in logs)"


def test_the_forecasts_fits_start_from_the_last_cuts_estimates(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.exp(log_seasonal(96, noise=0.03))
    backtest = monthly_array_backtest(values, 12, origins=2)
    assert set(backtest.estimates) == {"local_linear_trend", "random_walk_drift", "ets_damped", "sarima_airline", "theta"}
    assert backtest.estimates["sarima_airline"].terms == "airline" and backtest.estimates["ets_damped"].terms == "seasonal"
    used: list[str] = []

    def recording(warm, model, terms):  # type: ignore[no-untyped-def]
        start = start_from(warm, model, terms)
        if start is not None:
            used.append(model)
        return start

    for module in (seasonal_module, statespace_module):
        monkeypatch.setattr(module, "start_from", recording)
    skill = {"theta": 0.5, "ets_damped": 0.6}
    warm = forecast_monthly_array(values, 12, prior=Prior(monthly_skill=skill), backtest=backtest)
    assert sorted(used) == ["ets_damped", "theta"]  # the two chosen, each from its estimates
    used.clear()
    cold = forecast_monthly_array(values, 12, prior=Prior(monthly_skill=skill), backtest=ArrayBacktest(backtest.rows, {}))
    assert used == [] and warm.model == cold.model


def test_a_start_applies_only_to_the_same_model_and_terms_and_only_when_finite() -> None:
    values = log_seasonal(96, noise=0.03)
    seasonal_ets, short_ets = DampedTrendETS().fit(values).estimates(), DampedTrendETS().fit(values[:20]).estimates()
    assert start_from(seasonal_ets, "ets_damped", "seasonal") is not None
    assert start_from(short_ets, "ets_damped", "seasonal") is None  # no season before two years
    assert start_from(seasonal_ets, "theta", "seasonal") is None
    airline, drift = SeasonalARIMA().fit(values).estimates(), SeasonalARIMA().fit(values[:26]).estimates()
    assert (airline.terms, drift.terms) == ("airline", "drift") and len(airline.values) == len(drift.values)
    assert start_from(drift, "sarima_airline", "airline") is None
    nan_start = Estimates("sarima_airline", "airline", (float("nan"), -0.5))
    assert start_from(nan_start, "sarima_airline", "airline") is None
    assert SeasonalARIMA().fit(values, nan_start).parameters["sigma2"] > 0
    array = MonthlyArray.of(np.exp(values))
    trend = MixedFrequencyStateSpace().fit(array.figures(96), draws=0).estimates()
    drift_only = MixedFrequencyStateSpace(drift_only=True).fit(array.figures(96), draws=0).estimates()
    borrowed = MixedFrequencyStateSpace(seasonal=False, fixed_params=(1e-2, 1e-5, 1e-3)).fit(array.figures(96), draws=0).estimates()
    assert (trend.terms, drift_only.terms, borrowed.terms) == ("trend + seasonal", "drift + seasonal", "borrowed")
    assert start_from(trend, "structural_cumulator", "drift + seasonal") is None
    assert start_from(borrowed, "structural_cumulator", "trend") is None


def test_an_array_backtest_survives_the_trip_to_another_process() -> None:
    """The bench backtests in worker processes and forecasts in others: what crosses must pickle, and small."""
    import pickle

    values = np.exp(log_seasonal(96, noise=0.03))
    backtest = monthly_array_backtest(values, 12, origins=2)
    payload = pickle.dumps(backtest.estimates)
    assert len(payload) < 4000  # estimates only, not statsmodels results carrying the data
    travelled = pickle.loads(pickle.dumps(backtest))
    here, there = forecast_monthly_array(values, 12, backtest=backtest), forecast_monthly_array(values, 12, backtest=travelled)
    assert here.model == there.model
    np.testing.assert_array_equal(here.median, there.median)


def test_the_seasonal_family_starts_after_the_last_year_without_months() -> None:
    months = synthetic_months()
    march_2010 = figure(date(2010, 3, 1), date(2010, 3, 31), Aggregation.MONTH, round(float(months[2])))
    figures = [*mixed_figures(months, set()), march_2010]  # 2010: a year total and one month; 2011: its total alone
    fits = fit_monthly(figures, "s", Prior(), 12, 200, np.random.default_rng(0))
    assert fits.seasonal["ets_damped"].results_.model.nobs == 12 * 6  # 2012-2017: not from 2010, across 2011's interpolated months

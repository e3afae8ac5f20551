"""Known answers for the estimators: synthetic paths, exact curves, round trips."""

from __future__ import annotations

from datetime import date

import joblib
import numpy as np

from forecast.domain import Aggregation, Kind, Observation, Period, Qualifier, Source, add_months, month_end, rounding_unit
from forecast.estimators.curves import ConstantGrowth, DampedGrowth, Gompertz, Logistic, gompertz, logistic
from forecast.estimators.paths import cumulate, with_positive_years
from forecast.estimators.statespace import MixedFrequencyStateSpace

SOURCE = Source("synthetic", "https://example.invalid")


def figure(start: date, end: date, aggregation: Aggregation, value: float) -> Observation:
    return Observation(
        "s",
        Period(start, end),
        aggregation,
        Kind.LEVEL,
        value,
        "vehicles",
        Qualifier.EXACT,
        SOURCE,
        end,
        uncertainty=rounding_unit(value) / np.sqrt(12),
    )


def synthetic_months(years: int = 8, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(12 * years)
    return 1000 + 12 * t + 120 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 15, len(t))


def mixed_figures(months: np.ndarray, missing: set[int]) -> list[Observation]:
    """Years 0-1: annual totals only; year 2: year-to-date totals only; later: months, some missing,
    plus year totals. January and February of year 3 come only as a combined year-to-date total."""
    figures = []
    start = date(2010, 1, 1)
    for year in range(len(months) // 12):
        first = date(2010 + year, 1, 1)
        block = months[12 * year : 12 * year + 12]
        if year < 2:
            figures.append(figure(first, date(first.year, 12, 31), Aggregation.YEAR, round(float(block.sum()))))
            continue
        if year == 2:
            for m in (3, 6, 9, 12):
                figures.append(figure(first, month_end(first.year, m), Aggregation.YTD, round(float(block[:m].sum()))))
            continue
        for m in range(12):
            t = 12 * year + m
            if t in missing or (year == 3 and m < 2):
                continue
            day = add_months(start, t)
            figures.append(figure(day, month_end(day.year, day.month), Aggregation.MONTH, round(float(months[t]))))
        figures.append(figure(first, month_end(first.year, 2), Aggregation.YTD, round(float(block[:2].sum()))))
        figures.append(figure(first, date(first.year, 12, 31), Aggregation.YEAR, round(float(block.sum()))))
    return figures


def test_the_smoothed_months_reproduce_every_reported_total_and_recover_a_missing_month() -> None:
    months = synthetic_months()
    missing = {12 * 5 + 6}  # July of year 5: its year total and the other months pin it down
    model = MixedFrequencyStateSpace().fit(mixed_figures(months, missing), "s")
    fit = model.fit_
    assert fit is not None and fit.converged
    for year in range(8):
        total, _ = fit.smoothed_year_totals[2010 + year]
        assert abs(total - months[12 * year : 12 * year + 12].sum()) < 5  # rounding to units, 12 months
    july = 12 * 5 + 6
    assert abs(fit.smoothed_months[july] - months[july]) < 5
    assert fit.smoothed_sd[july] < 0.01 * months[july]  # the variance floor keeps it from zero


def test_months_of_annual_only_years_are_close_and_carry_wider_uncertainty() -> None:
    months = synthetic_months()
    fit = MixedFrequencyStateSpace().fit(mixed_figures(months, set()), "s").fit_
    assert fit is not None
    annual_only = slice(0, 24)
    reported = slice(12 * 4, 12 * 5)
    relative_error = np.abs(fit.smoothed_months[annual_only] - months[annual_only]) / months[annual_only]
    assert np.median(relative_error) < 0.08
    assert fit.smoothed_sd[annual_only].mean() > 5 * fit.smoothed_sd[reported].mean()
    inside = np.abs(fit.smoothed_months[annual_only] - months[annual_only]) <= 1.96 * fit.smoothed_sd[annual_only] + 1
    assert inside.mean() >= 0.8


def test_a_growth_rate_observation_moves_the_base_period_as_it_should() -> None:
    from forecast.data import derive_base_observations

    months = synthetic_months(4)
    figures = mixed_figures(months, set())
    without = MixedFrequencyStateSpace().fit(figures, "s").fit_
    may = 12 * 3 + 4
    day = add_months(date(2010, 1, 1), may)
    reported_may = figure(day, month_end(day.year, day.month), Aggregation.MONTH, 2000.0)
    with_rate = Observation(**{**reported_may.__dict__, "yoy_pct": 10.0})
    base = derive_base_observations([with_rate])[0]
    assert base.period.start == add_months(day, -12) and abs(base.value - 2000 / 1.1) < 0.1
    moved = MixedFrequencyStateSpace().fit([*figures, base], "s").fit_
    assert without is not None and moved is not None
    before = abs(without.smoothed_months[may - 12] - base.value)
    after = abs(moved.smoothed_months[may - 12] - base.value)
    assert after < before / 10


def test_a_constant_growth_rate_is_recovered_exactly() -> None:
    years = np.arange(2015, 2025)
    curve = ConstantGrowth().fit(years, 250_000 * 1.07 ** (years - 2015))
    assert abs(curve.growth_ - 0.07) < 1e-9
    assert abs(curve.predict(np.array([2030]))[0] - 250_000 * 1.07**15) < 1e-3


def test_a_logistic_saturation_level_is_recovered() -> None:
    t = np.arange(0, 14, dtype=float)
    curve = Logistic().fit(2000 + t, logistic(t, 1000.0, 0.6, 6.0))
    assert abs(curve.saturation_ - 1000.0) / 1000.0 < 0.02
    assert not curve.saturation_at_bound_


def test_a_gompertz_saturation_level_is_recovered() -> None:
    t = np.arange(0, 16, dtype=float)
    curve = Gompertz().fit(2000 + t, gompertz(t, 5000.0, 3.0, 0.35))
    assert abs(curve.saturation_ - 5000.0) / 5000.0 < 0.03


def test_the_saturating_curves_exact_log_derivatives_match_finite_differences() -> None:
    t = np.arange(0, 12, dtype=float)
    for curve, params in ((Logistic(), (1000.0, 0.6, 6.0)), (Gompertz(), (5000.0, 3.0, 0.35))):
        np.testing.assert_allclose(curve._log_function(t, *params), np.log(curve._function(t, *params)), rtol=1e-12)
        exact = curve._log_jacobian(t, *params)
        for j in range(3):
            step = np.zeros(3)
            step[j] = 1e-6 * abs(params[j])
            numeric = (curve._log_function(t, *(np.array(params) + step)) - curve._log_function(t, *(np.array(params) - step))) / (
                2 * step[j]
            )
            np.testing.assert_allclose(exact[:, j], numeric, rtol=1e-5, atol=1e-9)


def test_a_saturating_curve_refitted_on_one_more_year_ends_where_a_fresh_fit_does() -> None:
    t = np.arange(0, 14, dtype=float)
    values = logistic(t, 1000.0, 0.6, 6.0) * np.exp(np.random.default_rng(1).normal(0, 0.02, len(t)))
    earlier = Logistic().fit(2000 + t[:-1], values[:-1])
    refitted, fresh = earlier.fit(2000 + t, values), Logistic().fit(2000 + t, values)
    np.testing.assert_allclose(refitted.params_, fresh.params_, rtol=1e-4)


def test_damped_growth_slows_down_instead_of_compounding() -> None:
    years = np.arange(2015, 2025, dtype=float)
    growth = 0.4 * 0.7 ** np.arange(len(years))
    values = 100 * np.exp(np.cumsum(growth))
    curve = DampedGrowth().fit(years, values)
    assert abs(curve.phi_ - 0.7) < 0.01
    ahead = curve.predict(np.array([2025.0, 2030.0, 2035.0]))
    assert ahead[2] / ahead[1] < ahead[1] / ahead[0]


def test_a_fitted_model_saved_with_joblib_and_loaded_forecasts_identically(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = MixedFrequencyStateSpace().fit(mixed_figures(synthetic_months(), set()), "s")
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    loaded = joblib.load(path)
    first = model.simulate(12, 200, np.random.default_rng(7))
    second = loaded.simulate(12, 200, np.random.default_rng(7))
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


def test_an_annual_arrays_backtest_and_skill_are_reused_and_pick_the_curves() -> None:
    from forecast.engine.arrays import annual_array_backtest, forecast_annual_array
    from forecast.engine.borrowing import Prior

    rng = np.random.default_rng(3)
    values = 100 * np.exp(np.cumsum(0.06 + rng.normal(0, 0.03, 20)))
    rows = annual_array_backtest(values)
    assert {r.origin for r in rows} == {str(year) for year in range(9, 19)}  # the ten most recent origins
    skill = {"gompertz": 0.9, "theta": 0.92, "linear_trend": 0.95, "damped_growth": 1.1}
    picked = forecast_annual_array(values, 6, prior=Prior(annual_skill=skill), backtest=rows)
    assert picked.model == "annual: 0.33 linear_trend + 0.33 gompertz + 0.33 theta"
    assert np.all(picked.lower[95] < picked.median) and np.all(picked.median < picked.upper[95])
    only_growth = forecast_annual_array(values, 6, backtest=[r for r in rows if r.model == "constant_growth"])
    assert only_growth.model == "annual: 1.00 constant_growth"
    # steady 6% growth: the constant-growth projection keeps it
    assert abs(only_growth.median[-1] / values[-1] - np.exp(6 * 0.06)) < 0.15


def test_one_aberrant_year_does_not_set_the_shock_sd_of_every_later_year() -> None:
    import pytest

    from forecast.estimators.curves import MEDIAN_ABS_SHOCK, DampedGrowth, shock_sd

    rng = np.random.default_rng(4)
    years = np.arange(2000.0, 2014.0)
    steady = 1000 * 1.08 ** (years - 2000) * np.exp(rng.normal(0, 0.03, len(years)))
    broken = steady.copy()
    broken[8] /= 25  # one year at a twenty-fifth of its neighbours (a break in the series)
    # damped growth reads growth year on year (a global fit in logs, or a smoothed level, is itself pulled by such a year)
    for curve in (DampedGrowth(),):
        calm, jolted = curve.fit(years, steady).residual_sd_, type(curve)().fit(years, broken).residual_sd_
        assert jolted < 5 * calm, curve.name  # the root mean square alone gives 20-40 times
    # t(3) shocks: the median absolute residual read as such a shock gives back the scale
    draws = 0.1 * 0.6159 * rng.standard_t(3, 200_000)
    assert shock_sd(draws, len(draws)) == pytest.approx(min(0.1 * 0.6159 * np.sqrt(3), 0.1), rel=0.02)
    assert MEDIAN_ABS_SHOCK == pytest.approx(0.6159 * 0.7649, rel=1e-3)
    # a normal bulk keeps its root mean square: the median never widens
    normal = rng.normal(0, 0.05, 200_000)
    assert shock_sd(normal, len(normal)) == pytest.approx(0.05, rel=0.01)


def test_paths_with_a_year_total_of_zero_or_less_are_replaced_by_possible_ones_and_counted() -> None:
    # made-up paths from October 2024: 2024 ends after 2 months (700 so far), 2025 after 14, 2026 after 26
    rng = np.random.default_rng(0)
    months = rng.normal(100.0, 30.0, size=(400, 30))
    months[:40, 0:2] = -500.0  # 10% of paths: 2024 ends below zero
    months[40:80, 2:14] = -50.0  # another 10%: a negative 2025, the year after
    months[80:120, 14:26] = -50.0  # a negative 2026: not an anchor, left as the model drew it
    paths = cumulate(months, date(2024, 10, 1), 700.0, 0.0)
    kept, share = with_positive_years(paths, date(2024, 10, 1), np.random.default_rng(1))
    assert share == 0.2
    assert (kept["ytd"][:, [1, 13]] > 0).all()
    assert (kept["ytd"][:, 25] < 0).any()
    replaced = np.flatnonzero(~np.isin(kept["month"][:, 0], months[:, 0]))
    assert len(replaced) == 0  # every kept path is one the model drew, whole
    assert all((kept[key][:, :] == cumulate(kept["month"], date(2024, 10, 1), 700.0, 0.0)[key]).all() for key in ("ytd", "qtd"))
    untouched = np.random.default_rng(2)
    _, none = with_positive_years(cumulate(np.abs(months), date(2024, 10, 1), 700.0, 0.0), date(2024, 10, 1), untouched)
    assert none == 0.0 and untouched.bit_generator.state == np.random.default_rng(2).bit_generator.state  # no draw when nothing is replaced

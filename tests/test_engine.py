"""fit_series on a sparse series: the year under way is carried by its reported months, with borrowed uncertainty."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from forecast.backtest import SCALE_BOUNDS
from forecast.catalog import Catalog
from forecast.domain import Aggregation, Basis, Kind, Observation, Period, Qualifier, Series, Source, month_end, month_index, rounding_unit
from forecast.engine.borrowing import Prior
from forecast.engine.monthly_backtest import borrowed_calibration
from forecast.engine.projection import SeriesForecast, reported_months
from forecast.engine.reconciliation import trailing_year_targets
from forecast.engine.series import MonthlySelection, fit_series
from forecast.estimators.paths import cumulate, months_following_years, pulled_toward, trailing_years
from forecast.estimators.season import deseasonalised, seasonal_factors
from forecast.estimators.statespace import MixedFrequencyStateSpace

SOURCE = Source("synthetic", "https://example.invalid")
SERIES = Series("maker_exports", "Maker", "vehicle exports", Basis.COMPANY, "all vehicles", "vehicles")


def _figure(start: date, end: date, aggregation: Aggregation, value: float) -> Observation:
    return Observation(
        SERIES.id,
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


def _doubling_years_then_a_flat_start() -> Catalog:
    """Four years that doubled every year, then January and February at last year's monthly average."""
    figures = [_figure(date(year, 1, 1), date(year, 12, 31), Aggregation.YEAR, 100_000 * 2 ** (year - 2021)) for year in range(2021, 2025)]
    figures += [_figure(date(2025, m, 1), month_end(2025, m), Aggregation.MONTH, 800_000 / 12) for m in (1, 2)]
    return Catalog.build({SERIES.id: SERIES}, figures)


def test_a_sparse_series_year_under_way_is_carried_by_its_months_not_by_curves_grown_from_whole_years() -> None:
    forecast = fit_series(SERIES.id, _doubling_years_then_a_flat_start(), prior=Prior(annual_sd=0.3), n_paths=2000, seed=3)
    year = next(p for p in forecast.points["year"] if p.period_start.year == 2025)
    assert year.reported_share == 2 / 12
    # the curves alone compound the doubling: 1.6 million; two months at 66,667 point to about 0.8 million
    assert 650_000 < year.median < 1_100_000
    low, high = year.intervals[80]
    assert high / low > 1.3  # a year still ten months from known, for a series whose monthly model was never backtested
    assert forecast.model.monthly.calibration.scale > 1.0
    later = next(p for p in forecast.points["year"] if p.period_start.year == 2026)
    assert later.median > year.median  # the curves grow on from the year under way


def test_borrowed_calibration_widens_a_too_sure_year_to_the_pooled_spread_within_bounds_and_never_narrows() -> None:
    rng = np.random.default_rng(0)

    def spread(months: np.ndarray, scale: float) -> float:
        medians = np.median(months, axis=0)
        return float(np.std(np.log((medians + scale * (months - medians))[:, :12].sum(axis=1))))

    sure = 1000 * np.exp(rng.normal(0, 0.1, (4000, 24)))  # next twelve months' total: log sd about 0.03
    calibration = borrowed_calibration(sure, annual_sd=0.1)
    assert calibration.applied and 1.0 < calibration.scale < SCALE_BOUNDS[1]
    assert spread(sure, calibration.scale) == pytest.approx(0.1, rel=1e-3)
    assert borrowed_calibration(sure, annual_sd=5.0).scale == SCALE_BOUNDS[1]  # bounded as a backtest's calibration is
    wide = 1000 * np.exp(rng.normal(0, 0.5, (4000, 24)))
    assert borrowed_calibration(wide, annual_sd=0.01).scale == 1.0


def test_a_replayed_sparse_fit_is_widened_once() -> None:
    catalog = _doubling_years_then_a_flat_start()
    fresh = fit_series(SERIES.id, catalog, prior=Prior(annual_sd=0.3), n_paths=2000, seed=3)
    replayed = fit_series(
        SERIES.id,
        catalog,
        prior=Prior(annual_sd=0.3),
        n_paths=2000,
        seed=3,
        fixed_weights=MonthlySelection(
            fresh.model.monthly.weights,
            fresh.model.monthly.calibration.scale,
        ),
    )
    assert replayed.model.monthly.calibration.scale == pytest.approx(fresh.model.monthly.calibration.scale, rel=0.05)

    def band(forecast: SeriesForecast) -> float:
        low, high = next(p for p in forecast.points["year"] if p.period_start.year == 2025).intervals[80]
        return high / low

    assert band(replayed) == pytest.approx(band(fresh), rel=0.05)


def test_months_of_a_year_under_way_after_a_gap_of_years_still_carry_it() -> None:
    figures = [_figure(date(year, 1, 1), date(year, 12, 31), Aggregation.YEAR, 100_000 * 2 ** (year - 2019)) for year in range(2019, 2023)]
    figures += [_figure(date(2025, m, 1), month_end(2025, m), Aggregation.MONTH, 800_000 / 12) for m in (1, 2)]
    forecast = fit_series(SERIES.id, Catalog.build({SERIES.id: SERIES}, figures), prior=Prior(annual_sd=0.3), n_paths=2000, seed=3)
    years = {p.period_start.year: p for p in forecast.points["year"]}
    assert {2023, 2024, 2025, 2026} <= set(years)  # the gap years keep their (curve-grown) columns
    assert years[2025].reported_share == 2 / 12
    assert years[2025].median < 1_200_000  # the curves alone would compound 2022's 800,000 to about 6 million


def test_a_year_with_only_its_latest_month_reported_is_not_shown_as_reported_up_to_that_month() -> None:
    """One figure for November says nothing of January-October: the year's share is 1/12, its fourth quarter's 1/3 (was 2/3)."""
    figures = [_figure(date(year, 1, 1), date(year, 12, 31), Aggregation.YEAR, 100_000 * (year - 2020)) for year in range(2021, 2025)]
    figures.append(_figure(date(2025, 11, 1), month_end(2025, 11), Aggregation.MONTH, 40_000))
    forecast = fit_series(SERIES.id, Catalog.build({SERIES.id: SERIES}, figures), prior=Prior(), n_paths=500, seed=1)
    year = next(p for p in forecast.points["year"] if p.period_start.year == 2025)
    assert year.reported_share == 1 / 12
    quarter = next(p for p in forecast.points["quarter"] if p.period_start == date(2025, 10, 1))
    assert quarter.reported_share == 1 / 3


def test_only_months_a_figure_covers_whole_count_as_reported() -> None:
    window = _figure(date(2024, 1, 1), date(2024, 3, 1), Aggregation.WINDOW, 1000)  # to 1 March: January and February
    assert reported_months([window]) == {month_index(date(2024, 1, 1)), month_index(date(2024, 2, 1))}


SEASON_OF_TEST = (0.5, 0.5) + (1.1,) * 10  # January and February at half a mean month, as around the Lunar New Year


def _flat_years_then_two_half_months() -> Catalog:
    figures = [_figure(date(year, 1, 1), date(year, 12, 31), Aggregation.YEAR, 1_200_000) for year in range(2021, 2025)]
    figures += [_figure(date(2025, m, 1), month_end(2025, m), Aggregation.MONTH, 50_000) for m in (1, 2)]  # half of 100,000
    return Catalog.build({SERIES.id: SERIES}, figures)


def test_a_sparse_series_borrows_the_national_season_so_low_first_months_do_not_project_a_low_year() -> None:
    def fitted(prior: Prior) -> SeriesForecast:
        return fit_series(SERIES.id, _flat_years_then_two_half_months(), prior=prior, n_paths=2000, seed=3)

    with_season, without = fitted(Prior(annual_sd=0.1, seasonal_factors=SEASON_OF_TEST)), fitted(Prior(annual_sd=0.1))
    year = next(p for p in with_season.points["year"] if p.period_start.year == 2025)
    assert year.median == pytest.approx(1_200_000, rel=0.08)
    assert next(p for p in without.points["year"] if p.period_start.year == 2025).median < 1_000_000  # two half months drag it down
    march = with_season.points["month"][0]
    assert march.period_start == date(2025, 3, 1) and march.median == pytest.approx(110_000, rel=0.05)  # 1.1 mean months
    quarter = next(p for p in with_season.points["quarter"] if p.period_start == date(2025, 1, 1))
    assert quarter.median == pytest.approx(100_000 + 110_000, rel=0.05)  # January and February as reported, plus March
    assert with_season.model.monthly.seasonal_factors == SEASON_OF_TEST


def test_a_year_of_reported_months_stays_their_sum_and_a_bound_keeps_its_half_step_when_deseasonalised() -> None:
    months = [40_000 * 1.06**i for i in range(12)]  # a year growing within itself
    figures = [_figure(date(2024, m + 1, 1), month_end(2024, m + 1), Aggregation.MONTH, round(v)) for m, v in enumerate(months)]
    figures += [_figure(date(year, 1, 1), date(year, 12, 31), Aggregation.YEAR, 400_000) for year in (2021, 2022)]
    bound = replace(_figure(date(2023, 1, 1), date(2023, 12, 31), Aggregation.YEAR, 500_000), qualifier=Qualifier.LOWER_BOUND)
    forecast = fit_series(
        SERIES.id,
        Catalog.build({SERIES.id: SERIES}, [*figures, bound]),
        prior=Prior(annual_sd=0.1, seasonal_factors=SEASON_OF_TEST),
        n_paths=500,
        seed=1,
    )
    total, origin = forecast.annual_history[2024]
    assert origin == "estimated" and total == pytest.approx(sum(round(v) for v in months), rel=0.005)
    read = deseasonalised([bound], SEASON_OF_TEST)[0]  # "over 500,000" lies half a rounding step above
    assert read.value == pytest.approx(500_000 + rounding_unit(500_000) / 2, rel=1e-9) and read.qualifier is Qualifier.EXACT


def test_seasonal_factors_come_from_the_last_complete_years_ofreported_months() -> None:
    t = np.arange(60)
    pattern = 1 + 0.3 * np.sin(2 * np.pi * t / 12)
    months = 10_000 * np.where(t // 12 == 3, 1.0, pattern)  # 2023 is flat, and lacks its June
    figures = [
        _figure(date(2020 + i // 12, i % 12 + 1, 1), month_end(2020 + i // 12, i % 12 + 1), Aggregation.MONTH, float(v))
        for i, v in enumerate(months)
        if i != 12 * 3 + 5
    ]
    fit = MixedFrequencyStateSpace().fit(figures, SERIES.id).fit_
    assert fit is not None
    reported = reported_months(figures)
    factors = seasonal_factors(fit, reported)  # 2021, 2022 and 2024: the flat, incomplete 2023 is left out
    assert factors is not None and np.allclose(factors, pattern[:12], atol=0.02)
    two_complete = reported - {month_index(date(year, 1, 1)) for year in (2020, 2021)}
    assert seasonal_factors(fit, two_complete) is None


def test_months_of_years_the_curves_carry_sum_path_by_path_to_the_curves_year() -> None:
    rng = np.random.default_rng(0)
    last_month = date(2025, 10, 1)  # November 2025 on: two months of 2025, then 2026 and 2027
    months = 1000 * np.exp(rng.normal(0, 0.2, (500, 26)))
    months[0, 5] = months[0, 20] = -50.0  # a level model's path can dip below zero
    paths = cumulate(months, last_month, 9000.0, 1800.0)
    years = np.array([2027])  # 2026 is the monthly model's own (a bridge year): left as it is
    year_paths = 20_000 * np.exp(rng.normal(0, 0.3, (500, 1)))
    followed, first = months_following_years(paths, last_month, years, year_paths)
    assert first == 2027
    for key in ("month", "ytd", "qtd"):
        np.testing.assert_array_equal(followed[key][:, :14], paths[key][:, :14])  # 2025's last months and 2026
    np.testing.assert_allclose(followed["month"][:, 14:].sum(axis=1), year_paths[:, 0])
    np.testing.assert_allclose(followed["ytd"][:, -1], year_paths[:, 0])  # December's total so far is the year
    np.testing.assert_allclose(followed["qtd"][:, 16], followed["month"][:, 14:17].sum(axis=1))  # the first quarter of 2027
    ratio = followed["month"][1:, 14:] / months[1:, 14:]  # the first path dipped: see below
    np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones((1, 12)))  # each path keeps its own months' shape
    assert followed["month"][0, 5] == -50.0  # a dip in the bridge year stays; one in the curves' years takes the median shape
    typical = np.median(months[:, 14:], axis=0)
    np.testing.assert_allclose(followed["month"][0, 14:], year_paths[0, 0] * typical / typical.sum())
    assert months_following_years(paths, last_month, np.array([2025]), year_paths)[1] is None  # a year under way is not the curves'


def test_a_sparse_series_quarters_and_months_add_up_to_its_projected_years() -> None:
    forecast = fit_series(SERIES.id, _doubling_years_then_a_flat_start(), prior=Prior(annual_sd=0.3), n_paths=2000, seed=3)
    assert forecast.model.annual.months_follow_curves_from == 2026
    assert type(forecast.model.annual.months_follow_curves_from) is int  # served as JSON
    for year in (2026, 2028):
        total = next(p for p in forecast.points["year"] if p.period_start.year == year)
        quarters = [p for p in forecast.points["quarter"] if p.period_start.year == year]
        assert len(quarters) == 4
        # medians do not add exactly; the paths do, so the sums of their means are the year's mean
        assert sum(q.mean for q in quarters) == pytest.approx(total.mean, rel=1e-6)
        months = [p for p in forecast.points["month"] if p.period_start.year == year]
        assert sum(m.mean for m in months) == pytest.approx(total.mean, rel=1e-6)
        assert min(m.intervals[95][0] for m in months) > 0


def test_two_whole_years_grow_on_damped_as_the_national_series_not_compounded() -> None:
    figures = [_figure(date(year, 1, 1), date(year, 12, 31), Aggregation.YEAR, value) for year, value in ((2023, 100_000), (2024, 250_000))]
    catalog = Catalog.build({SERIES.id: SERIES}, figures)
    damped = fit_series(SERIES.id, catalog, prior=Prior(annual_sd=0.3, damping=0.6), n_paths=2000, seed=3)
    assert damped.model.annual.weights == {"damped_growth_borrowed": 1.0}
    medians = {p.period_start.year: p.median for p in damped.points["year"]}
    growth = [np.log(medians[y + 1] / medians[y]) for y in (2025, 2026, 2027)]
    assert growth[0] > growth[1] > growth[2] > 0  # +150% a year, slowing as the national series' growth did
    undamped = fit_series(SERIES.id, catalog, prior=Prior(annual_sd=0.3), n_paths=2000, seed=3)  # no damping to borrow
    assert undamped.model.annual.weights == {"constant_growth": 1.0}


def test_trailing_years_are_the_12_month_blocks_ending_at_the_last_month() -> None:
    months = np.arange(1.0, 31.0)  # 30 months: the first 6 make no whole block
    np.testing.assert_array_equal(trailing_years(months), [months[6:18].sum(), months[18:30].sum()])


def test_an_exact_growth_rate_is_what_the_annual_family_projects_for_the_next_two_12_month_totals() -> None:
    months = 1000 * 1.01 ** np.arange(96)  # +12.7% a year, read from eight blocks
    last = trailing_years(months)[-1]
    targets = trailing_year_targets(months, Prior())
    assert targets is not None
    np.testing.assert_allclose(targets, [last * 1.01**12, last * 1.01**24], rtol=0.02)
    assert trailing_year_targets(months[-36:], Prior()) is None  # three blocks are too few to weigh the curves


def test_the_trailing_year_targets_read_the_annual_family_without_its_saturating_curves() -> None:
    from forecast.engine.annual import annual_candidates
    from forecast.engine.arrays import forecast_annual_array

    every = {curve.name for curve in annual_candidates(10, Prior())}
    plain = {curve.name for curve in annual_candidates(10, Prior(), saturating=False)}
    assert {"logistic", "gompertz"} <= every
    assert plain == every - {"logistic", "gompertz"}
    # totals that level off: the targets are the plain family's medians, not the whole family's
    months = np.repeat(1000 * 3 / (1 + 2 * np.exp(-0.8 * np.arange(8))), 12) / 12
    blocks = trailing_years(months)
    targets = trailing_year_targets(months, Prior())
    np.testing.assert_array_equal(targets, forecast_annual_array(blocks, 2, prior=Prior(), n_paths=500, saturating=False).median)
    assert not np.allclose(targets, forecast_annual_array(blocks, 2, prior=Prior(), n_paths=500).median, rtol=1e-6)


def test_pulled_paths_move_each_block_a_fifth_of_the_way_and_their_totals_so_far_move_with_their_months() -> None:
    rng = np.random.default_rng(0)
    last_month = date(2025, 4, 1)
    months = 1000 * np.exp(rng.normal(0, 0.1, (400, 30)))
    paths = cumulate(months, last_month, 4100.0, 1000.0)
    medians = [np.median(months[:, 12 * b : 12 * (b + 1)].sum(axis=1)) for b in (0, 1)]
    targets = np.array([1.5 * medians[0], 0.5 * medians[1]])
    pulled = pulled_toward(paths, last_month, targets, 0.2)
    np.testing.assert_allclose(pulled["month"][:, :12], months[:, :12] * 1.1)  # a fifth of the way up to +50%
    np.testing.assert_allclose(pulled["month"][:, 12:24], months[:, 12:24] * 0.9)  # and down to -50%
    np.testing.assert_array_equal(pulled["month"][:, 24:], months[:, 24:])  # no third block is targeted
    np.testing.assert_allclose(pulled["ytd"], cumulate(pulled["month"], last_month, 4100.0, 1000.0)["ytd"])
    np.testing.assert_allclose(pulled["qtd"], cumulate(pulled["month"], last_month, 4100.0, 1000.0)["qtd"])


def _five_growing_seasonal_years(published_by: date = date(2100, 1, 1)) -> Catalog:
    """Monthly figures, 2019 to February 2024, growing 20% a year with a seasonal pattern; those published by a day."""
    rng = np.random.default_rng(1)
    figures = []
    for t in range(62):
        year, month = 2019 + t // 12, t % 12 + 1
        value = round(50_000 * 1.2 ** (t / 12) * (1 + 0.15 * np.sin(2 * np.pi * month / 12)) * np.exp(rng.normal(0, 0.03)))
        figures.append(_figure(date(year, month, 1), month_end(year, month), Aggregation.MONTH, value))
    return Catalog.build({SERIES.id: SERIES}, [f for f in figures if f.vintage <= published_by])


def test_a_rich_series_first_12_months_move_a_fifth_of_the_way_to_the_annual_familys_total(monkeypatch: pytest.MonkeyPatch) -> None:
    import forecast.engine.reconciliation as reconciliation

    catalog = _five_growing_seasonal_years()
    pulled = fit_series(SERIES.id, catalog, prior=Prior(), n_paths=500, seed=5, posterior_draws=50)
    reconciled = pulled.model.monthly.reconciled_with_trailing_years
    assert reconciled.trailing_years_read == 5  # 62 months: five whole blocks ending in February 2024
    monkeypatch.setattr(reconciliation, "TRAILING_YEAR_WEIGHT", 0.0)
    unpulled = fit_series(SERIES.id, catalog, prior=Prior(), n_paths=500, seed=5, posterior_draws=50)
    target, own = reconciled.annual_forecast[0], reconciled.monthly_before[0]
    assert abs(target / own - 1) > 0.005  # the two disagree, so the pull is seen
    # same draws, no backtest to recalibrate: every month of the first block is scaled alike
    ratios = [p.mean / q.mean for p, q in zip(pulled.points["month"][:12], unpulled.points["month"][:12], strict=True)]
    np.testing.assert_allclose(ratios, 1 + 0.2 * (target / own - 1), rtol=1e-9)


def test_a_sparse_series_is_not_pulled() -> None:
    forecast = fit_series(SERIES.id, _doubling_years_then_a_flat_start(), prior=Prior(annual_sd=0.3), n_paths=500, seed=3)
    assert forecast.model.monthly.reconciled_with_trailing_years is None


def test_the_nested_backtest_scores_each_origins_mixture_pulled_toward_that_origins_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    import forecast.engine.series as engine

    seen: dict[str, object] = {}
    weigh = engine.weigh_and_calibrate

    def spy(per_origin, rng, skill=None, reconcile=()):  # type: ignore[no-untyped-def]
        seen["steps"] = [(step.__self__.origin, step.__self__.trailing_targets) for step in reconcile]
        return weigh(per_origin, rng, skill, reconcile)

    monkeypatch.setattr(engine, "weigh_and_calibrate", spy)
    origins = [date(2023, 2, 28), date(2023, 8, 31)]
    fit_series(
        SERIES.id,
        _five_growing_seasonal_years(),
        prior=Prior(),
        n_paths=300,
        seed=5,
        posterior_draws=50,
        catalog_at=_five_growing_seasonal_years,
        origins=origins,
    )
    steps = seen["steps"]
    assert [origin for origin, _ in steps] == origins  # type: ignore[union-attr]
    # each origin reads its own blocks: four whole years by February 2023, four by August 2023 ending later
    first, second = (targets for _, targets in steps)  # type: ignore[union-attr]
    assert first is not None and second is not None and second[0] > first[0]


def test_a_replay_whose_selection_names_no_model_the_series_had_that_day_takes_the_default_of_that_day() -> None:
    early = _five_growing_seasonal_years(published_by=date(2020, 6, 30))  # about 17 months: a sparse series then
    today = MonthlySelection({"ets_damped": 0.5, "theta": 0.5}, 1.3)  # what the full series chose today
    replayed = fit_series(SERIES.id, early, prior=Prior(), n_paths=300, seed=5, posterior_draws=20, fixed_weights=today)
    assert replayed.model.monthly.weights == {"local_linear_trend_borrowed": 1.0}
    assert replayed.points["month"] and all(p.median > 0 for p in replayed.points["month"][:12])

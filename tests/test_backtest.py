"""Rolling-origin cut-offs by hand, metrics on known values, calibration."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from forecast.backtest import (
    BacktestRow,
    annual_backtest,
    annual_curve_weights,
    calibrate,
    coverage,
    inverse_smape_weights,
    mase,
    model_skill,
    pooled_best_weights,
    smape,
    spread_origins,
    summarise,
)
from forecast.engine.monthly_backtest import COMBINATION, weigh_and_calibrate
from forecast.estimators.curves import ConstantGrowth


def test_annual_backtest_cutoffs_match_a_hand_count() -> None:
    years = np.arange(2019, 2024, dtype=float)  # 5 years; constant growth needs 2
    rows = annual_backtest(years, np.array([1, 2, 3, 4, 5.0]), [ConstantGrowth()], fallback_sd=0.1, max_horizon=3)
    # origin 2020 (2 years known): 2021, 2022, 2023; origin 2021: 2022, 2023; origin 2022: 2023
    assert [(r.origin, r.horizon, r.target) for r in rows] == [
        ("2020", 1, "year 2021"),
        ("2020", 2, "year 2022"),
        ("2020", 3, "year 2023"),
        ("2021", 1, "year 2022"),
        ("2021", 2, "year 2023"),
        ("2022", 1, "year 2023"),
    ]
    assert abs(rows[0].mean - 4.0) < 1e-9  # 2 x growth of 2 from the anchor 2


def test_smape_mase_and_coverage_on_known_values() -> None:
    assert smape(np.array([100.0]), np.array([100.0])) == 0.0
    assert abs(smape(np.array([100.0]), np.array([50.0])) - 66.6667) < 1e-3
    assert mase(np.array([10.0, 20.0]), np.array([12.0, 18.0]), np.array([2.0, 2.0])) == 1.0
    assert coverage(np.array([1.0, 5.0]), np.array([0.0, 0.0]), np.array([2.0, 2.0])) == 0.5


def row(actual: float, mean: float, sd: float, model: str = "m") -> BacktestRow:
    return BacktestRow(model, "o", 1, "t", actual, mean, mean - 1.2816 * sd, mean + 1.2816 * sd, mean - 1.96 * sd, mean + 1.96 * sd, 1.0)


def test_calibration_widens_intervals_that_were_too_narrow() -> None:
    rng = np.random.default_rng(0)
    rows = [row(float(e), 0.0, 0.5) for e in rng.normal(0, 1.0, 400)]  # true sd 1, claimed 0.5
    result = calibrate(rows)
    assert result.applied and 1.7 < result.scale < 2.3
    assert result.coverage_80_before < 0.6


def test_calibration_leaves_good_intervals_alone() -> None:
    rng = np.random.default_rng(1)
    assert not calibrate([row(float(e), 0.0, 1.0) for e in rng.normal(0, 1.0, 4000)]).applied


def test_weights_favour_the_model_with_the_smaller_error() -> None:
    rows = [row(100, 90, 5, "bad"), row(100, 99, 5, "good")]
    weights = inverse_smape_weights(summarise(rows))
    assert weights["good"] > 0.85 and abs(sum(weights.values()) - 1) < 1e-12


def test_a_long_annual_series_is_backtested_from_its_ten_most_recent_origins_only() -> None:
    years = np.arange(2000, 2020, dtype=float)
    rows = annual_backtest(years, np.linspace(1, 20, 20), [ConstantGrowth()], fallback_sd=0.1, max_horizon=1)
    # cuts 10..19 years known: origins 2009..2018, each scored on the year after
    assert [r.origin for r in rows] == [str(y) for y in range(2009, 2019)]


def test_backtest_origins_are_spread_over_the_recent_vintages_and_skip_the_newest() -> None:
    vintages = [date(2024, month, 10) for month in range(1, 13)] + [date(2024, 3, 10)]  # a repeat counts once
    # last 3 x 2 = 6 vintages (July..December), every 3rd of them without December: July and October
    assert spread_origins(vintages, 2) == [date(2024, 7, 10), date(2024, 10, 10)]
    # fewer vintages than wanted: all but the newest
    assert spread_origins(vintages[:3], 8) == [date(2024, 1, 10), date(2024, 2, 10)]


def test_the_two_best_models_by_their_own_backtest_share_the_weight_equally() -> None:
    rows = [row(100, 90, 5, "bad"), row(100, 99, 5, "good"), row(100, 97, 5, "fair")]
    assert pooled_best_weights(summarise(rows), origins=1) == {"good": 0.5, "fair": 0.5}


def test_a_collections_skill_outweighs_one_noisy_origin_but_not_many() -> None:
    # on this series "lucky" beat "steady" at its one origin, by a little
    rows = [row(100, 96, 5, "lucky"), row(100, 95, 5, "steady"), row(100, 80, 5, "poor")]
    summary = summarise(rows)
    skill = model_skill(
        [
            {"lucky": {"smape": 30.0, "n": 18}, "steady": {"smape": 10.0, "n": 18}, "poor": {"smape": 20.0, "n": 18}},
            {"lucky": {"smape": 12.0, "n": 18}, "steady": {"smape": 4.0, "n": 18}, "poor": {"smape": 8.0, "n": 18}},
        ]
    )
    assert abs(skill["lucky"] - 1.5) < 1e-12 and abs(skill["steady"] - 0.5) < 1e-12  # relative to each series' mean
    assert pooled_best_weights(summary, origins=1, skill=skill, best=1) == {"steady": 1.0}
    assert pooled_best_weights(summary, origins=1, best=1) == {"lucky": 1.0}  # no skill: its own backtest decides
    assert pooled_best_weights(summary, origins=50, skill=skill, best=1) == {"lucky": 1.0}  # fifty origins outweigh the pool


def test_annual_curves_of_best_pooled_skill_share_the_weight_among_those_this_series_could_fit() -> None:
    rows = [row(100, 99, 5, "lucky"), row(100, 90, 5, "steady"), row(100, 80, 5, "sound"), row(100, 95, 5, "fair")]
    summary = summarise(rows)
    skill = {"lucky": 1.2, "steady": 0.9, "sound": 0.95, "fair": 1.0, "unfitted": 0.5}
    assert annual_curve_weights(summary, skill, best=3) == {"steady": 1 / 3, "sound": 1 / 3, "fair": 1 / 3}
    # without a collection's skill the series' own backtest decides, sharpest on the smallest error
    own = annual_curve_weights(summary)
    assert own == inverse_smape_weights(summary) and max(own, key=own.__getitem__) == "lucky"


def test_a_series_alone_weighs_every_model_equally_and_calibrates_their_mixture_on_its_own_rows() -> None:
    rng = np.random.default_rng(0)
    actual = 100.0
    offsets = {"below": -20.0, "near": 1.0, "above": 20.0}  # each narrow: only "near" covers the actual

    def score(name: str, paths: dict[str, np.ndarray], origin: int) -> list[BacktestRow]:
        return [BacktestRow.from_draws(name, f"2024-{origin:02d}-28", 1, "month", actual, paths["month"][:, 0], 1.0)]

    per_origin = []
    for origin in range(1, 7):
        paths = {name: {"month": actual + offset + rng.normal(0, 1, (400, 1))} for name, offset in offsets.items()}
        per_origin.append((paths, lambda name, p, origin=origin: score(name, p, origin)))
    weights, calibration, rows = weigh_and_calibrate(per_origin, rng)
    assert weights == {"below": 1 / 3, "near": 1 / 3, "above": 1 / 3}
    # the mixture spans -20..+20 and always covers: its own rows narrow it; the members' rows (one in three covers) would widen it
    assert calibration.applied and calibration.scale < 1
    assert {row.model for row in rows} == {*offsets, COMBINATION}
    skilled, member_calibration, _ = weigh_and_calibrate(per_origin, rng, skill={"below": 1.0, "near": 1.0, "above": 1.0})
    assert set(skilled) == {"near", "below"} or set(skilled) == {"near", "above"}
    assert member_calibration.scale > 1
    # a mixture pulled at each origin is scored as pulled; the members as they are
    _, _, pulled_rows = weigh_and_calibrate(per_origin, rng, reconcile=[lambda p: {"month": p["month"] + 50.0}] * len(per_origin))
    mixture_means = [row.mean for row in pulled_rows if row.model == COMBINATION]
    assert min(mixture_means) > actual + 40 and max(row.mean for row in pulled_rows if row.model == "near") < actual + 5


def test_a_growth_rate_read_from_few_years_widens_projections_as_far_as_the_curve_carries_it() -> None:
    from forecast.backtest import Calibration, growth_spread
    from forecast.engine.annual import AnnualFit, annual_paths
    from forecast.estimators.curves import BorrowedDampedGrowth, growth_persistence

    two = np.array([2024.0, 2025.0])
    assert growth_spread(4, 4.0, 2) == pytest.approx(np.sqrt(4 + 16))  # a drift read from one yearly change
    assert growth_spread(4, 4.0, 22) == pytest.approx(np.sqrt(4 + 16 / 21))
    constant = ConstantGrowth().fit(two, np.array([100.0, 250.0]))
    damped = BorrowedDampedGrowth(0.5).fit(two, np.array([100.0, 250.0]))
    ahead = np.arange(2026.0, 2036.0)
    np.testing.assert_allclose(growth_persistence(constant, 2025, ahead), np.arange(1, 11))
    assert (
        growth_persistence(damped, 2025, ahead)[-1] < 1 / (1 - 0.5) + 1e-9
    )  # 1 + 1/2 + 1/4 ...: an error in a slowing growth stops compounding

    def log_sd(curve: object, n_years: int, last_year: int) -> float:
        history = np.arange(2026.0 - n_years, 2026.0)  # only how many years were read matters here
        fit = AnnualFit(history, np.full(n_years, 250.0), [], Calibration.fixed(1.0), {"c": curve}, {"c": 0.1}, {"c": 1.0})  # type: ignore[dict-item]
        _, paths = annual_paths(fit, np.full(20_000, 250.0), 2025, 20_000, np.random.default_rng(0), last_year=last_year)
        return float(np.std(np.log(paths[:, -1])))

    # two years against twenty-two, four years out: the ratio of growth_spread, within simulation noise
    assert log_sd(constant, 2, 2029) / log_sd(constant, 22, 2029) == pytest.approx(
        growth_spread(4, 4, 2) / growth_spread(4, 4, 22), rel=0.05
    )
    assert log_sd(damped, 2, 2035) < 1.2 * 0.1 * growth_spread(10, 2.0, 2)  # ten years out, damped: bounded, not 10x the growth error
    rows = annual_backtest(
        np.arange(2020.0, 2024.0), np.array([100.0, 110, 121, 133.1]), [ConstantGrowth()], fallback_sd=0.1, max_horizon=2
    )
    one_ahead, two_ahead = (next(r for r in rows if r.origin == "2021" and r.horizon == h) for h in (1, 2))  # fitted on 2020-2021
    width = np.log(two_ahead.upper_80 / two_ahead.mean) / np.log(one_ahead.upper_80 / one_ahead.mean)
    assert width == pytest.approx(growth_spread(2, 2, 2) / growth_spread(1, 1, 2))  # not sqrt(2): the growth rate is from two years


def lognormal_row(model: str, origin: int, actual: float, centre: float, sd: float) -> BacktestRow:
    def at(z: float) -> float:
        return float(centre * np.exp(z * sd))

    return BacktestRow(model, str(origin), 1, f"year {origin + 1}", actual, centre, at(-1.2816), at(1.2816), at(-1.96), at(1.96), 1.0)


def test_the_annual_calibration_scores_the_mixture_the_paths_draw_not_each_curve_alone() -> None:
    from forecast.engine.annual import annual_calibrate

    rng = np.random.default_rng(3)
    errors = rng.normal(0, 0.3, 40)  # log errors 1.5 times the sd the rows claim
    alone = [lognormal_row("a", o, 100 * np.exp(e), 100.0, 0.2) for o, e in enumerate(errors)]
    # one curve: the conformal scale of calibrate() in logs on the central band, within the grid's step
    assert annual_calibrate(alone, {"a": 1.0}).scale == pytest.approx(calibrate(alone, in_logs=True, central=True).scale, rel=0.01)
    # two curves that disagree, one too low and one too high by 0.3 in logs, each as sure as before: apart
    # each misses, together their disagreement covers the actuals as often as asked: no widening at all
    low = [lognormal_row("low", o, r.actual, 100 * np.exp(-0.3), 0.2) for o, r in enumerate(alone)]
    high = [lognormal_row("high", o, r.actual, 100 * np.exp(0.3), 0.2) for o, r in enumerate(alone)]
    mixture = annual_calibrate(low + high, {"low": 0.5, "high": 0.5})
    each_alone = calibrate([r for r in low + high], in_logs=True, central=True)
    assert not mixture.applied and mixture.scale == 1.0 and each_alone.applied and each_alone.scale > 1.5
    # without weights (a series alone, weighed by these same rows): every curve's rows scored alone
    assert annual_calibrate(low + high).scale == pytest.approx(min(each_alone.scale, 2.0))
    # a curve given no weight has no say
    assert annual_calibrate(low + high, {"low": 1.0}).scale == pytest.approx(annual_calibrate(low, {"low": 1.0}).scale)

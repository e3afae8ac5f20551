"""Target logic on known answers: required growth, probabilities from paths, shares, status."""

from __future__ import annotations

from datetime import date

import numpy as np

from forecast.backtest import Calibration
from forecast.domain import Source, Target, cagr, required_cagr
from forecast.engine.projection import SeriesForecast
from forecast.engine.report import AnnualReport, ModelReport, MonthlyReport
from forecast.related import compare_share_with_direct
from forecast.targets import (
    assess,
    attainment_year,
    probability_of_meeting,
    ratio_of_medians,
    share_probability,
    status_for,
    years_to_reach,
)


def test_required_growth_on_hand_computed_cases() -> None:
    assert abs(required_cagr(100, 200, 5) - (2**0.2 - 1)) < 1e-12
    assert abs(required_cagr(536_000, 1_200_000, 6) - 0.14376) < 1e-4
    assert required_cagr(300, 200, 3) < 0  # already above: it may even shrink
    assert abs(cagr(100, 121, 2) - 0.1) < 1e-12


def test_probability_is_near_one_well_above_and_near_zero_well_below() -> None:
    paths = np.full(1000, 5_000.0) + np.random.default_rng(0).normal(0, 10, 1000)
    assert probability_of_meeting(paths, ">=", 1_000) == 1.0
    assert probability_of_meeting(paths, ">=", 9_000) == 0.0
    assert probability_of_meeting(paths, "<", 9_000) == 1.0


def test_a_share_probability_from_joint_paths_differs_from_separate_simulation() -> None:
    rng = np.random.default_rng(3)
    common = rng.normal(0, 0.3, 4000)  # both series ride the same national cycle
    denominator = 6_000_000 * np.exp(common)
    numerator = 0.1 * denominator * np.exp(rng.normal(0.02, 0.01, 4000))  # share a little above 10%, steadily
    joint = share_probability(numerator, denominator, ">=", 0.1)
    separate = share_probability(numerator, rng.permutation(denominator), ">=", 0.1)
    assert joint > 0.95
    assert 0.35 < separate < 0.65
    assert abs(ratio_of_medians(numerator, denominator) - 0.102) < 0.005


def test_status_rule_thresholds() -> None:
    assert [status_for(p) for p in (0.9, 0.7, 0.5, 0.3, 0.1)] == ["on_track", "on_track", "at_risk", "at_risk", "off_track"]


def test_attainment_year_and_years_to_reach() -> None:
    assert attainment_year([2026, 2027, 2028], [0.8, 0.95, 1.1], ">=", 1.0) == 2028
    assert attainment_year([2026], [0.5], ">=", 1.0) == "not by 2035"
    assert abs(years_to_reach(100, 121, 0.10) - 2.0) < 1e-9


def test_a_part_whose_share_nears_one_is_better_projected_through_its_share() -> None:
    total = {2018: 100.0, 2019: 110.0, 2020: 121.0, 2021: 133.1, 2022: 146.41}
    share = {2020: 0.3, 2021: 0.6, 2022: 0.9}
    part = {year: share[year] * total[year] for year in share}
    result = compare_share_with_direct("part", "total", part, total, damping=None)
    assert result.origins == [2021]
    assert abs(result.direct[0] - part[2021] * (part[2021] / part[2020])) < 1e-6  # doubling share, 10% total: x2.2
    assert abs(result.via_share[0] - 1.0 * total[2021] * 1.1) < 1e-6  # the share stops at 1
    assert result.used and result.via_share_smape < result.direct_smape


def test_when_part_and_total_grow_alike_the_share_route_is_not_used() -> None:
    total = {2020: 100.0, 2021: 200.0, 2022: 400.0}
    part = {2020: 10.0, 2021: 20.0, 2022: 40.0}
    result = compare_share_with_direct("part", "total", part, total, damping=None)
    assert abs(result.direct[0] - 40) < 1e-9 and abs(result.via_share[0] - 40) < 1e-9
    assert not result.used


def _target(deadline_year: int, threshold: float) -> Target:
    return Target(
        "t",
        "Maker",
        "annual exports",
        ">=",
        threshold,
        "vehicles",
        deadline_year,
        "2021",
        Source("Publisher", url="https://example.org"),
        series_id="s",
    )


def _forecast(history: dict[int, tuple[float, str]], years: list[int], paths: np.ndarray) -> SeriesForecast:
    return SeriesForecast("s", "vehicles", None, "", _report_named("m"), {}, np.array(years), paths, history)


def _report_named(name: str) -> ModelReport:
    """A model report with nothing fitted but its name, for forecasts built by hand."""
    none = Calibration.fixed()
    return ModelReport(
        name, MonthlyReport({}, {}, {}, None, None, None, None, none, None), AnnualReport({}, {}, {}, None, None, none, {}, {}), {}, 0
    )


def test_a_deadline_year_known_only_in_part_is_projected_from_its_paths_not_declared_met() -> None:
    rng = np.random.default_rng(0)
    this_year = rng.normal(1_000_000, 50_000, (2000, 1))  # the months so far plus the rest, simulated
    forecast = _forecast(
        {2024: (900_000.0, "reported"), 2025: (1_000_000.0, "estimated")}, [2025, 2026], np.hstack([this_year, this_year * 1.1])
    )
    assessment = assess(_target(2025, 1_000_000), forecast, today=date(2025, 12, 1))
    assert assessment.status == "at_risk" and 0.4 < assessment.probability < 0.6  # type: ignore[operator]
    assert assessment.latest_actual == {"year": 2024, "value": 900_000.0, "origin": "reported"}
    assert abs(assessment.required_cagr - (1_000_000 / 900_000 - 1)) < 1e-12  # type: ignore[operator]
    assert not assessment.deadline_passed
    # once the calendar year is over, the estimate decides, said to be one, whatever arrives for later years
    over = assess(_target(2025, 1_000_000), forecast, today=date(2026, 2, 1))
    assert over.status == "achieved" and any("2025 total is estimated" in line for line in over.assumptions)


def test_a_reported_deadline_year_decides_and_an_estimated_past_one_says_it_is_estimated() -> None:
    paths = np.full((10, 1), 2_000_000.0)
    reported = _forecast({2024: (900_000.0, "reported"), 2025: (1_050_000.0, "reported")}, [2026], paths)
    assert assess(_target(2025, 1_000_000), reported).status == "achieved"
    estimated = _forecast({2024: (900_000.0, "reported"), 2025: (950_000.0, "estimated")}, [2026], paths)
    assessment = assess(_target(2025, 1_000_000), estimated)
    assert assessment.status == "missed"
    assert any("2025 total is estimated" in line for line in assessment.assumptions)

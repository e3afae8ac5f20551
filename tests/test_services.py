"""The service on the real data: every target assessed, revisions kept, as-of replays honest."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from forecast.backtest import BacktestRow, annual_curve_weights, summarise
from forecast.engine.borrowing import pooled_annual_sd
from forecast.services import ForecastService, Snapshot
from forecast.targets import assess

STATUSES = {"on_track", "at_risk", "off_track", "achieved", "missed"}


@pytest.fixture(scope="module")
def fitted(fitted_service: ForecastService) -> tuple[ForecastService, Snapshot]:
    """The session's one fit of the real data (tests/conftest.py), read only."""
    return fitted_service, fitted_service.snapshot


def test_every_target_bound_to_a_projected_series_gets_every_field(fitted: tuple[ForecastService, Snapshot]) -> None:
    service, snapshot = fitted
    assessed = 0
    for target in service.targets:
        assessment = snapshot.assessments[target.id]
        if assessment.status == "not_assessed":
            assert assessment.assumptions, f"{target.id}: not assessed without saying why"
            continue
        assessed += 1
        status = assessment.status.removeprefix("superseded (").removesuffix(")")
        assert status in STATUSES, target.id
        assert assessment.latest_actual and assessment.latest_actual["value"] > 0
        assert 0.0 <= (assessment.probability or 0.0) <= 1.0
        if status in ("achieved", "missed"):
            continue
        projection = assessment.projection or {}
        low95, high95 = projection["intervals"][95]  # type: ignore[index]
        low80, high80 = projection["intervals"][80]  # type: ignore[index]
        assert low95 <= low80 <= projection["median"] <= high80 <= high95, target.id
        assert assessment.required_cagr is not None and assessment.projected_cagr is not None
        assert assessment.attainment_year is not None and assessment.gap is not None
        assert "year_met_if_growth" in assessment.what_if and "probability_if_growth_capped" in assessment.what_if
    assert assessed >= 5


def test_the_two_headline_targets_are_assessed_from_their_own_definitions(fitted: tuple[ForecastService, Snapshot]) -> None:
    _, snapshot = fitted
    share = snapshot.assessments["chongqing_share_2027"]
    assert share.denominator_series_id == "china_exports_gac"  # Chongqing Customs over national customs: one basis
    assert share.status in {"on_track", "at_risk", "off_track"}
    assert 0.0 < share.latest_actual["value"] < 0.2  # type: ignore[index]
    assert "ratio_of_separate_medians" in share.what_if
    assert any("no yuan-to-vehicle conversion" in line for line in share.assumptions)
    changan = snapshot.assessments["changan_overseas_sales_2030"]
    assert changan.series_id == "changan_overseas_sales"  # the count Changan reports progress in (data/targets.csv note)
    assert changan.probability is not None and changan.projection is not None
    assert not changan.deadline_passed


def test_a_restated_target_supersedes_the_earlier_one_which_stays_visible(fitted: tuple[ForecastService, Snapshot]) -> None:
    _, snapshot = fitted
    earlier, current = snapshot.assessments["saic_overseas_2025_v1"], snapshot.assessments["saic_overseas_2025_v2"]
    assert earlier.status.startswith("superseded (")
    assert {"id": "saic_overseas_2025_v2", "relation": "superseded_by"} in earlier.revisions
    assert [r["id"] for r in current.revisions if r["relation"] == "supersedes"] == ["saic_overseas_2025_v1"]
    assert not current.status.startswith("superseded")
    assert current.threshold == 1_500_000 and earlier.threshold == 1_000_000


def test_a_deadline_year_that_is_over_without_a_figure_says_so(fitted: tuple[ForecastService, Snapshot]) -> None:
    """Every projected target whose deadline year is over says so; and a projected one, assessed as on a day after its
    deadline year (no figure for that year in the data), is marked as such."""
    service, snapshot = fitted
    today = date.today()
    for target in service.targets:
        assessment = snapshot.assessments[target.id]
        if assessment.status in {"on_track", "at_risk", "off_track"} and target.deadline_year < today.year:
            assert assessment.deadline_passed and any(f"{target.deadline_year} has ended" in line for line in assessment.assumptions)
    projected = [
        t
        for t in service.targets
        if snapshot.assessments[t.id].status in {"on_track", "at_risk", "off_track"} and not t.denominator_series_id
    ]
    assert projected, "the data should hold a target still projected"
    target = max(projected, key=lambda t: t.deadline_year)  # the farthest deadline: no figure for its year for years to come
    after = date(target.deadline_year + 1, 1, 15)  # the deadline year is over; the data holds no figure for it
    prior = service.prior_as_of(snapshot.forecasts)
    late = assess(target, snapshot.forecasts[target.series_id], pooled_sd=prior.annual_sd, damping=prior.damping, today=after)
    assert late.deadline_passed and late.status in {"on_track", "at_risk", "off_track"}
    assert any(f"{target.deadline_year} has ended" in line for line in late.assumptions)


def test_a_deadline_year_reported_for_eleven_months_is_decided_and_says_it_is_estimated(fitted: tuple[ForecastService, Snapshot]) -> None:
    _, snapshot = fitted
    saic = snapshot.assessments["saic_overseas_2025_v2"]  # 1.5 million; January-November 2025: 969,000; 2025 is over
    assert saic.status == "missed" and saic.latest_actual["origin"] == "estimated"  # type: ignore[index]
    assert 969_000 < saic.latest_actual["value"] < 1_200_000  # type: ignore[index]
    assert any("2025 total is estimated" in line for line in saic.assumptions)


def test_each_history_entry_is_the_assessment_from_the_figures_known_then(fitted: tuple[ForecastService, Snapshot]) -> None:
    service, snapshot = fitted
    target = next(t for t in service.targets if t.id == "chongqing_share_2027")
    history = snapshot.assessments[target.id].history
    assert len(history) >= 3
    for entry in history:
        day = date.fromisoformat(str(entry["as_of"]))
        known = snapshot.replays[day]
        if target.series_id not in known or target.denominator_series_id not in known:
            assert entry["status"] == "not_assessed"  # too few figures then to project the series
            continue
        for series_id in (target.series_id, target.denominator_series_id):
            replayed = known[series_id]
            assert replayed.last_reported_end is not None and replayed.last_reported_end <= day
            later = {o.key for o in service.catalog().reported if o.series_id == series_id and o.vintage > day}
            assert not later & set(replayed.source_keys), f"{series_id} as of {day} used figures published later"
        prior = service.prior_as_of(known)
        again = assess(
            target,
            known[target.series_id],
            known[target.denominator_series_id],
            pooled_sd=prior.annual_sd,
            damping=prior.damping,
            seed=service.settings.random_seed,
            today=day,
        )
        assert (again.status, again.probability) == (entry["status"], entry["probability"])
    # the figures changed over the replayed months, so the answers did too
    assert len({(entry["status"], entry["probability"]) for entry in history}) >= 2


def test_a_replayed_sparse_series_borrows_from_the_national_series_as_it_stood_then(fitted: tuple[ForecastService, Snapshot]) -> None:
    service, snapshot = fitted
    national = "china_exports_caam"
    today = snapshot.forecasts[national].model.monthly.seasonal_factors
    day = min(snapshot.replays)
    known = snapshot.replays[day]
    then = known[national].model.monthly.seasonal_factors
    assert then != today  # months published since moved the national pattern
    sparse = [f for sid, f in known.items() if f.model.monthly.borrowed_from == national]
    assert sparse, f"no sparse series replayed as of {day}"
    for replayed in sparse:
        assert replayed.model.monthly.seasonal_factors == then, replayed.series_id
    prior = service.prior_as_of(known)
    scored_then = {r.year_scored for r in known[national].backtest_rows if r.is_annual}
    scored_now = {r.year_scored for r in snapshot.forecasts[national].backtest_rows if r.is_annual}
    assert scored_then and max(scored_then) <= day.year  # the replay's annual backtest scores no later year than its day
    assert max(scored_then) < max(scored_now)  # and not the years scored since
    assert prior.annual_sd == pooled_annual_sd(known[national].backtest_rows) != snapshot.prior.annual_sd


def test_every_replayed_series_weighs_its_annual_curves_on_the_years_known_then(fitted: tuple[ForecastService, Snapshot]) -> None:
    _, snapshot = fitted
    day = min(snapshot.replays)
    known = snapshot.replays[day]
    backtested = []
    for series_id, replayed in known.items():
        annual_rows = [r for r in replayed.backtest_rows if r.is_annual]
        if not annual_rows:
            continue
        assert max(r.year_scored for r in annual_rows) <= day.year, f"{series_id} as of {day} scored a later year"
        # the weights are the replay's own backtest's, over the curves that fitted
        own = annual_curve_weights(summarise(annual_rows))
        reported = replayed.model.annual.weights
        total = sum(own[name] for name in reported)
        assert reported == pytest.approx({name: own[name] / total for name in reported}, rel=1e-9), series_id
        if series_id not in ("china_exports_caam", "china_nev_exports_caam"):  # the lender and its part, fitted first
            backtested.append(series_id)
    # not only the series others borrow from: today's weights are not copied into any replay
    assert len(backtested) >= 3, backtested


def test_the_pooled_annual_sd_reads_only_the_annual_backtest() -> None:
    def row(origin: str, horizon: int, mean: float) -> BacktestRow:
        return BacktestRow("m", origin, horizon, "year", 100.0, mean, 0, 0, 0, 0, 1.0)

    years = [row("2021", 1, 90.0), row("2022", 1, 110.0), row("2023", 1, 80.0), row("2024", 1, 50.0)]
    december = row("2024-11-30", 1, 100.0)  # a monthly model's year total one month ahead
    errors = np.log(100.0 / np.array([90.0, 110.0, 80.0, 50.0]))
    assert pooled_annual_sd([*years, december]) == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert pooled_annual_sd(years[:2]) is None  # two years: too few


def test_an_as_of_forecast_is_the_replay_at_the_last_month_end_before_it(fitted: tuple[ForecastService, Snapshot]) -> None:
    service, snapshot = fitted
    days = sorted(snapshot.replays)
    middle = days[len(days) // 2]
    as_of = date.fromordinal(middle.toordinal() + 3)
    replay = service.forecast_for("china_exports_caam", as_of)
    assert replay is snapshot.replays[middle]["china_exports_caam"]
    current = service.forecast_for("china_exports_caam", None)
    assert replay.points["month"][0].period_start <= current.points["month"][0].period_start


def test_nev_exports_report_whether_the_share_of_all_exports_projected_better(fitted: tuple[ForecastService, Snapshot]) -> None:
    _, snapshot = fitted
    related = snapshot.forecasts["china_nev_exports_caam"].model.related
    assert related is not None and related.total == "china_exports_caam"
    assert len(related.origins) >= 1
    assert related.direct_smape is not None and related.via_share_smape is not None
    assert related.used == (related.via_share_smape < related.direct_smape)


def test_nev_yearly_projection_runs_on_from_the_years_its_monthly_model_carries(fitted: tuple[ForecastService, Snapshot]) -> None:
    _, snapshot = fitted
    medians = [p.median for p in snapshot.forecasts["china_nev_exports_caam"].points["year"][:4]]
    # whichever route projects the later years, a year's median stays near the one before (no jump at the hand-over)
    assert all(0.85 < later / earlier < 2.0 for earlier, later in zip(medians, medians[1:], strict=False))


def test_the_national_series_months_follow_its_curves_after_the_year_its_monthly_model_carries(
    fitted: tuple[ForecastService, Snapshot],
) -> None:
    _, snapshot = fitted
    caam = snapshot.forecasts["china_exports_caam"]
    bridge = caam.model.annual.monthly_model_carries_year
    assert bridge is not None and caam.model.annual.months_follow_curves_from == bridge + 1
    column = {int(y): i for i, y in enumerate(caam.annual_years)}
    for year in (bridge + 1, bridge + 3):
        total = next(p for p in caam.points["year"] if p.period_start.year == year)
        quarters = [p for p in caam.points["quarter"] if p.period_start.year == year]
        assert sum(q.mean for q in quarters) == pytest.approx(total.mean, rel=1e-6)
        assert total.mean == pytest.approx(float(np.mean(caam.annual_paths[:, column[year]])), rel=1e-6)


def test_the_national_series_next_12_month_totals_are_pulled_toward_its_annual_familys(fitted: tuple[ForecastService, Snapshot]) -> None:
    _, snapshot = fitted
    caam = snapshot.forecasts["china_exports_caam"]
    reconciled = caam.model.monthly.reconciled_with_trailing_years
    assert reconciled is not None and reconciled.weight == 0.2
    # read from the months the seasonal models read, not the years known only as totals
    assert 4 <= reconciled.trailing_years_read < len(caam.annual_history) - 5
    assert len(reconciled.annual_forecast) == len(reconciled.monthly_before) == 2
    assert all(t > 0 for t in reconciled.annual_forecast)

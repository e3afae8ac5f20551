"""The scale benchmark's made-up series have the shapes of data/'s, and read back through data/'s loader."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from bench.scale import store_models
from bench.scale_data import LAST_MONTH, made_up_series, write_data_dir
from forecast.config import Settings
from forecast.data import load_directory
from forecast.services import MODEL_VERSION, ForecastService
from forecast.snapshot import Snapshot
from forecast.store import Store


def _by_aggregation(rows: tuple[dict[str, object], ...]) -> Counter[str]:
    return Counter(str(row["aggregation"]) for row in rows)


def test_monthly_series_release_january_with_february_and_end_in_year_totals() -> None:
    monthly = [s for s in made_up_series(40) if s.shape == "monthly"]
    assert monthly
    for series in monthly:
        starts = {(row["period_start"], row["aggregation"]) for row in series.rows}
        assert not any(start.endswith("-01-01") and aggregation == "month" for start, aggregation in starts)  # no January alone
        years = sorted({int(str(row["period_start"])[:4]) for row in series.rows})
        assert all(row["aggregation"] == "year" for row in series.rows if int(str(row["period_start"])[:4]) < years[0] + 2)
        assert {"month", "ytd", "year"} <= set(_by_aggregation(series.rows))


def test_some_months_are_missing_and_some_known_only_from_year_to_date_totals() -> None:
    months = {(s.id, str(r["period_end"])) for s in made_up_series(40) for r in s.rows if r["aggregation"] == "month"}
    ytds = {(s.id, str(r["period_end"])) for s in made_up_series(40) for r in s.rows if r["aggregation"] == "ytd"}
    assert ytds - months and months - ytds


def test_annual_series_have_only_year_totals_and_every_figure_is_labelled_made_up() -> None:
    series = made_up_series(40)
    assert {s.shape for s in series} == {"monthly", "annual", "half_year"}
    assert all(set(_by_aggregation(s.rows)) == {"year"} for s in series if s.shape == "annual")
    assert all("made up" in str(row["source_publisher"]) for s in series for row in s.rows)
    assert all(date.fromisoformat(str(row["period_end"])) <= date(LAST_MONTH.year, LAST_MONTH.month, 28) for s in series for row in s.rows)


def test_a_month_is_the_difference_of_its_year_to_date_total_and_the_previous_one() -> None:
    checked = 0
    for series in made_up_series(20):
        ytd = {str(r["period_end"]): float(str(r["value"])) for r in series.rows if r["aggregation"] in ("ytd", "year")}
        ends = sorted(ytd)
        for row in series.rows:
            end = str(row["period_end"])
            earlier = [e for e in ends if e < end and e[:4] == end[:4]]
            if row["aggregation"] == "month" and end in ytd and earlier and earlier[-1][5:7] == f"{int(end[5:7]) - 1:02d}":
                assert abs(ytd[end] - ytd[earlier[-1]] - float(str(row["value"]))) <= 1.5  # each figure rounded on its own
                checked += 1
    assert checked > 20


def test_repeated_series_have_the_figures_of_the_series_they_repeat_under_their_own_ids() -> None:
    series = made_up_series(7, distinct=3)
    assert [s.id for s in series] == [f"scale_{k:05d}" for k in range(7)]
    values = [[row["value"] for row in s.rows] for s in series]
    assert values[4] == values[1] and values[6] == values[0] and values[1] != values[2]
    assert made_up_series(3) == made_up_series(7)[:3]  # a smaller set is the start of a larger one


def test_the_folder_reads_back_through_the_data_loader(tmp_path: Path) -> None:
    series = made_up_series(12)
    loaded_series, observations, targets = load_directory(write_data_dir(tmp_path, series))
    assert sorted(loaded_series) == [s.id for s in series]
    assert len([o for o in observations if not o.is_derived]) == sum(len(s.rows) for s in series)
    assert targets == []


def test_the_served_models_are_stored_as_a_refit_stores_them_and_load_back(tmp_path: Path) -> None:
    """The serving step's artifact (here with no fits: every series a failure) is one a service accepts and loads."""
    settings = Settings(
        data_dir=write_data_dir(tmp_path / "data", made_up_series(3)),
        models_dir=tmp_path / "models",
        database_path=tmp_path / "db.sqlite3",
        _env_file=None,
    )
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    try:
        size, served = store_models(service, {}, {"scale_00000": "made up: not fitted"}, None)
        assert size > 0 and served == 0
        loaded = service.artifacts.load("forecasts", f"{service.store.fingerprint()}/{MODEL_VERSION}")  # as start() asks
        assert isinstance(loaded, Snapshot) and set(loaded.failures) == {"scale_00000", "scale_00001", "scale_00002"}
    finally:
        service.store.close()

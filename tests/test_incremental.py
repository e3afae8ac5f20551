"""A refit after an ingest fits only what the new figures touch, and serves what a full refit would.

The data here is made up for the tests (yearly series), not reported figures.
The as-of replays are cut to the last two months with new figures, for speed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import forecast.services as services
from forecast.config import Settings
from forecast.data import OBSERVATION_COLUMNS
from forecast.definitions import TARGET_COLUMNS
from forecast.services import ForecastService, Snapshot
from forecast.store import Store

# id -> (lends_prior, part_of, level in 2014)
SERIES = {
    "lender_exports": (True, "", 1_000_000),
    "maker_a_exports": (False, "", 200_000),
    "maker_a_ev_exports": (False, "maker_a_exports", 50_000),
    "maker_b_exports": (False, "", 120_000),
}


def _write_data(folder: Path) -> Path:
    folder.mkdir(parents=True)
    lines = ["id,entity,measure,basis,segment,unit,description,lends_prior,part_of"]
    for sid, (lends, part_of, _) in SERIES.items():
        lines.append(f"{sid},{sid.split('_')[0]},vehicle exports,company,all vehicles,vehicles,made-up,{str(lends).lower()},{part_of}")
    (folder / "series.csv").write_text("\n".join(lines) + "\n")
    rows = [",".join(OBSERVATION_COLUMNS)]
    for i, (sid, (_, _, level)) in enumerate(SERIES.items()):
        for year in range(2014, 2025):
            value = round(level * (1.05 + 0.02 * i) ** (year - 2014) * (1 + 0.03 * ((year * 7 + i) % 3 - 1)))
            rows.append(_year_line(sid, year, value, "test fixture", f"{year + 1}-01-20"))
    (folder / "observations.csv").write_text("\n".join(rows) + "\n")
    targets = [",".join(TARGET_COLUMNS[:15])]
    for sid in ("maker_a_exports", "maker_b_exports"):
        targets.append(f"{sid}_2028,{sid},exports,>=,300000,vehicles,2028,2022-06,{sid},,,test fixture,https://example.test/{sid},,")
    (folder / "targets.csv").write_text("\n".join(targets) + "\n")
    return folder


def _year_line(series_id: str, year: int, value: float, publisher: str, published: str) -> str:
    row = {
        "series_id": series_id,
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "aggregation": "year",
        "kind": "level",
        "value": str(value),
        "unit": "vehicles",
        "qualifier": "exact",
        "source_publisher": publisher,
        "source_url": f"https://example.test/{publisher.replace(' ', '-')}/{series_id}/{year}",
        "published_date": published,
    }
    return ",".join(row.get(column, "") for column in OBSERVATION_COLUMNS)


def _row(line: str) -> dict[str, object]:
    return dict(zip(OBSERVATION_COLUMNS, line.split(","), strict=True))


def _service(folder: Path) -> ForecastService:
    settings = Settings(
        data_dir=folder / "data" if (folder / "data").exists() else _write_data(folder / "data"),
        models_dir=folder / "models",
        database_path=folder / "db.sqlite3",
        simulation_paths=200,
        backtest_origins=2,
        _env_file=None,
    )
    made = ForecastService(settings, Store(settings.database_path))
    made.load_data_dir()
    return made


def _same(left: Snapshot, right: Snapshot, series_id: str) -> bool:
    """The same projection and paths today and on every replay day, and the same assessments."""
    a, b = left.forecasts[series_id], right.forecasts[series_id]
    if a.points != b.points or not np.array_equal(a.annual_paths, b.annual_paths):
        return False
    return all(
        (series_id in left.replays[day]) == (series_id in right.replays[day])
        and (series_id not in left.replays[day] or left.replays[day][series_id].points == right.replays[day][series_id].points)
        for day in left.replays
    )


@pytest.fixture(autouse=True)
def short_replays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "REPLAY_MONTHS", 2)


@pytest.mark.parametrize(
    ("line", "refitted"),
    [
        # a carmaker's figure from a second publisher, in the month of the latest figures: no new replay day
        (_year_line("maker_b_exports", 2024, 205_000, "other fixture", "2025-01-25"), ["maker_b_exports"]),
        # a total's new year, a month later: its part is refitted too, and every series is replayed on the new day
        (_year_line("maker_a_exports", 2025, 330_000, "test fixture", "2026-02-10"), ["maker_a_ev_exports", "maker_a_exports"]),
        # the lender's figure: every series borrows from its fit
        (_year_line("lender_exports", 2024, 1_800_000, "other fixture", "2025-01-25"), sorted(SERIES)),
    ],
)
def test_an_ingest_refits_what_its_figures_touch_and_serves_what_a_full_refit_would(line: str, refitted: list[str], tmp_path: Path) -> None:
    incremental = _service(tmp_path / "incremental")
    before = incremental.refit()
    job = incremental.ingest([_row(line)], run_in_background=False)
    done = incremental.store.job(job.id)
    assert done is not None and done.status == "done" and done.detail["refitted"] == refitted
    after = incremental.snapshot
    full = _service(tmp_path / "full")
    full.store.add_observations(incremental.store.observations(), origin="ingest", revised_on=incremental.store.vintages()[-1])
    assert full.store.fingerprint() == incremental.store.fingerprint()
    reference = full.refit()
    assert set(after.replays) == set(reference.replays) and set(after.forecasts) == set(reference.forecasts) == set(SERIES)
    assert all(_same(after, reference, series_id) for series_id in SERIES)
    assert {k: a.as_dict() for k, a in after.assessments.items()} == {k: a.as_dict() for k, a in reference.assessments.items()}
    for series_id in set(SERIES) - set(refitted):  # reused, not refitted: the very objects served before
        assert after.forecasts[series_id] is before.forecasts[series_id]
    if set(after.replays) == set(before.replays) and "maker_a_exports" not in refitted:
        assert after.assessments["maker_a_exports_2028"] is before.assessments["maker_a_exports_2028"]

"""A refit after an ingest fits only what the new figures touch, and serves what a full refit would: its new fits and
targets first, their as-of history after (two phases).

The data here is made up for the tests (yearly series), not reported figures.
The as-of replays are cut to the last two months with new figures, for speed.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forecast.config import Settings
from forecast.data import OBSERVATION_COLUMNS, observations_from_rows
from forecast.definitions import TARGET_COLUMNS
from forecast.services import ForecastService, Snapshot
from forecast.snapshot import PendingHistory
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
        replay_months=2,
        n_jobs=1,  # four small series: worker processes would cost more than they save (tests/test_fitting.py runs them)
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


NEW_YEAR = _year_line("maker_a_exports", 2025, 330_000, "test fixture", "2026-02-10")  # opens a replay day; refits maker_a's part too
SECOND_PUBLISHER = _year_line("maker_b_exports", 2024, 205_000, "other fixture", "2025-01-25")


def _reference(incremental: ForecastService, folder: Path) -> Snapshot:
    """A full refit, in `folder`, of the figures `incremental` stores."""
    full = _service(folder)
    full.store.add_observations(incremental.store.observations(), origin="ingest", revised_on=incremental.store.vintages()[-1])
    assert full.store.fingerprint() == incremental.store.fingerprint()
    return full.refit()


def _same_as(served: Snapshot, reference: Snapshot) -> bool:
    return (
        set(served.replays) == set(reference.replays)
        and all(_same(served, reference, series_id) for series_id in SERIES)
        and {k: a.as_dict() for k, a in served.assessments.items()} == {k: a.as_dict() for k, a in reference.assessments.items()}
    )


def test_an_ingest_is_served_before_its_as_of_history_and_the_history_then_catches_up(tmp_path: Path) -> None:
    service = _service(tmp_path / "two-phase")
    before = service.refit()
    swaps: list[Snapshot] = []
    service.on_swap.append(swaps.append)
    job = service.ingest([_row(NEW_YEAR)], run_in_background=False)
    served, caught_up = swaps  # two swaps: the new figure's fits and targets, then the as-of history
    assert served.forecasts["maker_a_exports"].last_reported_end.year == 2025 and "maker_a_exports_2028" in served.reassessed
    new_days = tuple(sorted(set(caught_up.replays) - set(before.replays)))
    assert new_days and served.history_pending == PendingHistory(("maker_a_ev_exports", "maker_a_exports"), new_days)
    assert not set(served.replays) & set(new_days)  # served before any replay: only the days replayed before, as they were
    assert all(served.replays[day] is before.replays[day] for day in served.replays)
    assert all(entry["as_of"] not in {d.isoformat() for d in new_days} for entry in served.assessments["maker_a_exports_2028"].history)
    assert caught_up.history_pending is None and caught_up.forecasts is served.forecasts  # the second phase fits nothing today
    assert {entry["as_of"] for entry in caught_up.assessments["maker_b_exports_2028"].history} >= {d.isoformat() for d in new_days}
    assert _same_as(caught_up, _reference(service, tmp_path / "full"))
    detail = service.store.job(job.id).detail  # type: ignore[union-attr]
    assert detail["visible"]["status"] == "done" and detail["refitted"] == ["maker_a_ev_exports", "maker_a_exports"]
    assert detail["history"] == {
        "status": "done",
        "series": ["maker_a_ev_exports", "maker_a_exports"],
        "days": [d.isoformat() for d in new_days],
        "seconds": detail["history"]["seconds"],
        "version": caught_up.version,
    }


def test_a_restart_between_the_two_phases_replays_the_history_the_first_left(tmp_path: Path) -> None:
    stopped = _service(tmp_path / "stopped")
    stopped.refit()
    new = observations_from_rows([_row(NEW_YEAR)], stopped.store.series(), source="request", loaded_on=date.today())
    stopped.store.add_observations(new, "ingest", date.today(), source="request")
    job = stopped.store.create_job("refit", {"series": ["maker_a_exports"]})
    stopped.store.update_job(job.id, "running", {"series": ["maker_a_exports"], "history": {"status": "queued"}})
    first_phase = stopped.refit(["maker_a_exports"])  # served and stored; the process stops before the second phase
    assert first_phase.history_pending is not None
    stopped.close()
    stopped.store.close()
    restarted = _service(tmp_path / "stopped")
    swaps: list[Snapshot] = []
    restarted.on_swap.append(swaps.append)
    restarted.start()
    assert swaps[0].history_pending == first_phase.history_pending  # the stored first phase is served at once ...
    assert restarted.snapshot.history_pending is None and _same_as(restarted.snapshot, _reference(restarted, tmp_path / "full"))
    closed = restarted.store.job(job.id)  # ... and the job it carried is closed when its history is replayed
    assert closed is not None and closed.status == "done" and closed.detail["history"]["status"] == "done"


def test_an_ingest_while_the_history_is_replayed_is_served_first_and_both_histories_catch_up(tmp_path: Path) -> None:
    service = _service(tmp_path / "busy")
    service.refit()
    replay, later, swaps = service.replayer.replay, [], []

    def replay_with_an_ingest_arriving(*args: Any, **kwargs: Any) -> Any:
        if not later:  # the second ingest arrives while the first one's history is replayed
            later.append(service.ingest([_row(SECOND_PUBLISHER)]))
            assert service.store.job(later[0].id).status == "queued"  # type: ignore[union-attr]  # the worker takes it next
        return replay(*args, **kwargs)

    service.replayer.replay = replay_with_an_ingest_arriving  # type: ignore[method-assign]
    service.on_swap.append(swaps.append)
    first = service.ingest([_row(NEW_YEAR)])  # the refit worker serves it, then the second ingest, then both histories
    deadline = time.monotonic() + 120
    while not service.refits.idle() and time.monotonic() < deadline:
        time.sleep(0.05)
    jobs = [service.store.job(job.id) for job in (first, later[0])]
    assert all(job is not None and job.status == "done" and job.detail["history"]["status"] == "done" for job in jobs), jobs
    assert jobs[1].detail["refitted"] == ["maker_b_exports"] and "replays left" in jobs[0].detail["history"]["yielded"]  # type: ignore[union-attr]
    assert [swap.history_pending is None for swap in swaps] == [False, False, True]  # A served, B served, both histories
    assert swaps[1].history_pending.series == ("maker_a_ev_exports", "maker_a_exports", "maker_b_exports")  # type: ignore[union-attr]
    assert service.snapshot.history_pending is None and _same_as(service.snapshot, _reference(service, tmp_path / "full"))

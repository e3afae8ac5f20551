"""One series that breaks never stops a refit, and the as-of catalogs kept are bounded.

The data here is made up for the tests (three yearly series), not reported figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import forecast.fitting as fitting
from forecast.config import Settings
from forecast.data import OBSERVATION_COLUMNS
from forecast.services import CATALOG_CACHE_SIZE, ForecastService, Snapshot
from forecast.store import Job, Store
from tests.made_up import MORE_SERIES, write_made_up_data

SERIES = MORE_SERIES


def _made_up_data(folder: Path) -> Path:
    """Three yearly series, 2012-2024, growing 8% a year from different levels, each year released the January after (test figures)."""
    return write_made_up_data(folder, SERIES, range(2012, 2025), yearly_releases=True)


@pytest.fixture
def service(tmp_path: Path) -> ForecastService:
    settings = Settings(
        data_dir=_made_up_data(tmp_path / "data"),
        models_dir=tmp_path / "models",
        database_path=tmp_path / "db.sqlite3",
        simulation_paths=200,
        backtest_origins=2,
        n_jobs=1,  # the fits run in this process, where the tests patch them
        replay_months=2,  # the month-ends with news in the last 2 months (one day here): the tests here need no more
        _env_file=None,
    )
    made = ForecastService(settings, Store(settings.database_path))
    made.load_data_dir()
    return made


def test_a_series_whose_fit_raises_is_a_failure_and_every_other_series_is_still_projected(
    service: ForecastService, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fit = fitting.fit_series

    def breaks_on_maker_a(series_id: str, *args: object, **kwargs: object) -> object:
        if series_id == "maker_a_exports":
            raise np.linalg.LinAlgError("Singular matrix")
        return real_fit(series_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fitting, "fit_series", breaks_on_maker_a)
    snapshot = service.refit()
    assert set(snapshot.forecasts) == {"lender_exports", "maker_b_exports"}
    assert "LinAlgError" in snapshot.failures["maker_a_exports"] and "Singular matrix" in snapshot.failures["maker_a_exports"]


def test_the_as_of_catalogs_kept_are_bounded_however_many_days_are_asked(service: ForecastService) -> None:
    from datetime import date, timedelta

    first = date(2015, 1, 1)
    for offset in range(3 * CATALOG_CACHE_SIZE):
        service.catalog(first + timedelta(days=offset))
    assert len(service._catalog_cache) == CATALOG_CACHE_SIZE
    latest = first + timedelta(days=3 * CATALOG_CACHE_SIZE - 1)
    assert service.catalog(latest) is service.catalog(latest)  # the most recent days are the ones kept


def test_a_restart_on_changed_data_serves_the_last_good_models_at_once_then_refits_and_closes_interrupted_jobs(
    service: ForecastService, tmp_path: Path
) -> None:
    first, job = _stopped_during_a_refit(service)
    restarted = ForecastService(service.settings, service.store)
    served: list[str] = []
    restarted.on_swap.append(lambda snapshot: served.append(snapshot.version))
    final = restarted.start()
    assert served[0] == first.version  # the last good models, before any refit
    assert served[-1] == final.version != first.version and restarted.recomputing is None
    closed = service.store.job(job.id)
    assert closed is not None and closed.status == "done" and "interrupted" in closed.detail


def test_when_the_refit_at_start_up_fails_the_interrupted_jobs_are_failed_and_the_last_good_models_keep_serving(
    service: ForecastService, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, job = _stopped_during_a_refit(service)
    restarted = ForecastService(service.settings, service.store)

    def broken(only: object = None) -> object:
        raise MemoryError("out of memory")

    monkeypatch.setattr(restarted, "refit", broken)
    with pytest.raises(MemoryError):
        restarted.start()
    assert restarted.snapshot.version == first.version
    assert restarted.recomputing is not None and "MemoryError: out of memory" in restarted.recomputing
    failed = service.store.job(job.id)
    assert failed is not None and failed.status == "failed" and "MemoryError" in str(failed.detail["error"])


def _stopped_during_a_refit(service: ForecastService) -> tuple[Snapshot, Job]:
    """Fitted and stored; then a new figure, and its refit job left running as a killed process leaves it."""
    from datetime import date

    from forecast.data import observations_from_rows

    first = service.refit()
    row = {column: "" for column in OBSERVATION_COLUMNS}
    row.update(
        {
            "series_id": "maker_b_exports",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "aggregation": "year",
            "kind": "level",
            "value": "900000",
            "unit": "vehicles",
            "qualifier": "exact",
            "source_publisher": "test fixture",
            "source_url": "https://example.test/maker_b/2025",
            "published_date": "2026-01-20",
        }
    )
    service.store.add_observations(observations_from_rows([row], service.store.series()), origin="ingest", revised_on=date.today())
    job = service.store.create_job("refit", {"series": ["maker_b_exports"]})
    service.store.update_job(job.id, "running", job.detail)  # the process stops here
    return first, job

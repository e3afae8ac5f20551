"""Series and as-of replays fitted side by side on joblib workers, or on a Dask cluster, give the very fits a serial run gives.

The data is the made-up catalog of tests/test_incremental.py (yearly series, a lender, a part), not reported figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import forecast.services as services
from forecast.config import Settings
from forecast.services import ForecastService
from forecast.store import Store
from tests.test_incremental import SERIES, _write_data


def _fitted(folder: Path, n_jobs: int, scheduler: str = "") -> services.Snapshot:
    settings = Settings(
        data_dir=_write_data(folder / "data"),
        models_dir=folder / "models",
        database_path=folder / "db.sqlite3",
        simulation_paths=200,
        backtest_origins=2,
        replay_months=2,  # the last 2 month-ends with news: enough to compare the replays
        n_jobs=n_jobs,
        dask_scheduler=scheduler,
        _env_file=None,
    )
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    try:
        return service.refit()
    finally:
        service.close()


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> services.Snapshot:
    """The serial refit both tests compare against: fitted once for the module."""
    return _fitted(tmp_path_factory.mktemp("serial"), 1)


def test_two_workers_fit_exactly_what_one_fits_in_the_same_order(serial: services.Snapshot, tmp_path: Path) -> None:
    parallel = _fitted(tmp_path / "parallel", 2)
    assert list(parallel.forecasts) == list(serial.forecasts) and set(serial.forecasts) == set(SERIES)  # in fitting order
    for series_id in SERIES:
        one, two = serial.forecasts[series_id], parallel.forecasts[series_id]
        assert one.points == two.points and np.array_equal(one.annual_paths, two.annual_paths)
    assert set(serial.replays) == set(parallel.replays) and serial.replays
    for day, fits in serial.replays.items():
        assert list(fits) == list(parallel.replays[day])
        assert all(fits[sid].points == parallel.replays[day][sid].points for sid in fits)
    assert {k: a.as_dict() for k, a in serial.assessments.items()} == {k: a.as_dict() for k, a in parallel.assessments.items()}


def test_a_dask_cluster_fits_exactly_what_one_local_process_fits(serial: services.Snapshot, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True) as cluster:
        on_cluster = _fitted(tmp_path / "cluster", 1, scheduler=cluster.scheduler_address)
    assert list(on_cluster.forecasts) == list(serial.forecasts)
    for series_id in SERIES:
        one, two = serial.forecasts[series_id], on_cluster.forecasts[series_id]
        assert one.points == two.points and np.array_equal(one.annual_paths, two.annual_paths)
    assert all(fits[sid].points == on_cluster.replays[day][sid].points for day, fits in serial.replays.items() for sid in fits)
    assert {k: a.as_dict() for k, a in serial.assessments.items()} == {k: a.as_dict() for k, a in on_cluster.assessments.items()}

"""Series and as-of replays fitted side by side on joblib workers give the very fits a serial run gives.

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


def _fitted(folder: Path, n_jobs: int) -> services.Snapshot:
    settings = Settings(
        data_dir=_write_data(folder / "data"),
        models_dir=folder / "models",
        database_path=folder / "db.sqlite3",
        simulation_paths=200,
        backtest_origins=2,
        n_jobs=n_jobs,
        _env_file=None,
    )
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    return service.refit()


def test_two_workers_fit_exactly_what_one_fits_in_the_same_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "REPLAY_MONTHS", 2)
    serial, parallel = _fitted(tmp_path / "serial", 1), _fitted(tmp_path / "parallel", 2)
    assert list(parallel.forecasts) == list(serial.forecasts) and set(serial.forecasts) == set(SERIES)  # in fitting order
    for series_id in SERIES:
        one, two = serial.forecasts[series_id], parallel.forecasts[series_id]
        assert one.points == two.points and np.array_equal(one.annual_paths, two.annual_paths)
    assert set(serial.replays) == set(parallel.replays) and serial.replays
    for day, fits in serial.replays.items():
        assert list(fits) == list(parallel.replays[day])
        assert all(fits[sid].points == parallel.replays[day][sid].points for sid in fits)
    assert {k: a.as_dict() for k, a in serial.assessments.items()} == {k: a.as_dict() for k, a in parallel.assessments.items()}

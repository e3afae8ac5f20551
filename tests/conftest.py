"""Fixtures shared by the test modules, and the `slow` marker.

`fitted_service` is the one fit of the real data/ in a test session: the
fit takes a minute or more on this machine, so every test that only reads a
fitted service shares it. Tests that ingest, refit or tamper with stored
models work on a copy of its database and models folder instead (see
tests/fitted.py): a copy starts by loading the stored models,
in about a second.

`postgres_server` and `postgres_url` (tests/postgres.py): a PostgreSQL server for the session, and a fresh
database on it for one test.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from forecast.config import Settings
from forecast.services import ForecastService
from forecast.store import Store
from tests.fitted import copy_fitted, started_on_stored
from tests.postgres import postgres_server, postgres_url  # noqa: F401 - fixtures, found by pytest here

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
API_KEY = "test-key-0123456789"  # the write key of every service the tests build
# The session fit replays the month-ends with news in the last 9 months of releases (8 days on data/), not 18
# (17 days): the replays are most of its time and of its model file, and 8 days cover every test of `as_of`
# and `history` (the oldest asks for six months before the latest release).
SESSION_REPLAY_MONTHS = 9


def settings_in(workdir: Path) -> Settings:
    """Settings for a service on data/ with its own database and models folder in `workdir`: the write key
    API_KEY, and fewer simulated paths (300), backtest origins (4) and replay months (9) than in production, and no warm-up of the
    dashboard's bodies, for speed."""
    return Settings(
        data_dir=DATA_DIR,
        models_dir=workdir / "models",
        database_path=workdir / "forecast.sqlite3",
        api_key=API_KEY,
        simulation_paths=300,
        backtest_origins=4,
        replay_months=SESSION_REPLAY_MONTHS,
        warm_first_load=False,  # each app would build the dashboard's bodies: tests/test_dashboard.py turns it on
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: refits the real data (a minute or more); still part of `make test`, deselect with -m 'not slow'"
    )


@pytest.fixture(scope="session")
def make_settings() -> Callable[[Path], Settings]:
    """settings_in: Settings for a service with its own database and models folder in the given directory."""
    return settings_in


@pytest.fixture(scope="session")
def fitted_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForecastService]:
    """A ForecastService that has stored data/ in a fresh SQLite database and fitted it once (`refit()`), for the session.

    Its settings are `settings_in(<temp dir>)`: write key API_KEY, 300 paths, 4 backtest origins; the fitted
    models and their manifest are in `service.settings.models_dir`, the database at `.database_path`. Shared by
    every test of the session: read it, never ingest into it, refit it or change its files (work on a copy).

    Under pytest-xdist (`make test` runs one worker per core) the first worker to ask fits into a folder all
    workers see, under a file lock; every worker then starts a service of its own on a copy of that database
    and those models, which loads the stored models (`start()`) instead of fitting again.
    """
    settings = settings_in(tmp_path_factory.mktemp("fitted"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        service = _fit(settings)
    else:
        shared = _fitted_once(tmp_path_factory.getbasetemp().parent)
        service = started_on_stored(copy_fitted(shared, settings.models_dir.parent))
        assert service.snapshot.version == (shared.models_dir.parent / "version").read_text(), "a worker refitted instead of loading"
    yield service
    service.close()
    service.store.close()


def _fitted_once(root: Path) -> Settings:
    """Settings of the fit every worker of this run shares, in `root`: the first worker to take the lock fits."""
    settings = settings_in(root / "fitted-shared")
    with (root / "fitted-shared.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (settings.models_dir.parent / "version").exists():
            service = _fit(settings)
            service.close()
            service.store.close()
            (settings.models_dir.parent / "version").write_text(service.snapshot.version)
    return settings


def _fit(settings: Settings) -> ForecastService:
    """data/ stored in a fresh database on `settings` and fitted, as `forecast fit` does (models and manifest written)."""
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    service.refit()
    return service

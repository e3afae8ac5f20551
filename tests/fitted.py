"""A private copy of a fitted database and models folder, and a service started on it from the stored models.

Tests that ingest, refit or tamper with files work on such a copy of a fit made once (conftest.fitted_service,
or a module's own): starting on a copy loads the stored models in about a second instead of fitting again.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from forecast.config import Settings
from forecast.services import ForecastService
from forecast.store import Store


def copy_fitted(source: Settings, workdir: Path, **changes: object) -> Settings:
    """`source`'s settings with its database and models folder copied into `workdir` (the recorded artifact hash
    travels with the database), and any other setting `changes`."""
    settings = source.model_copy(update={"models_dir": workdir / "models", "database_path": workdir / "forecast.sqlite3", **changes})
    shutil.copytree(source.models_dir, settings.models_dir)
    with closing(sqlite3.connect(source.database_path)) as original, closing(sqlite3.connect(settings.database_path)) as copy:
        original.backup(copy)
    return settings


def started_on_stored(settings: Settings) -> ForecastService:
    """A service on `settings`' store that has read data/ and started from the stored models (`start()`); close
    its store (`service.store.close()`) when done."""
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()  # stores nothing new on a copy: the fingerprint, and so the stored models, still match
    service.start()
    return service

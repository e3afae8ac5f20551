"""A stored figure that breaks a fit is retired with a reason, never deleted: kept and shown, no longer fitted.

The data here is made up for the tests (three yearly series, tests/test_service_isolation.py), not reported figures.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_service_isolation import _made_up_data

from forecast.config import Settings
from forecast.services import ForecastService
from forecast.store import Store
from tests.fitted import copy_fitted, started_on_stored

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

from forecast.api.app import create_app  # noqa: E402

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
SERIES = "maker_a_exports"
RETIRE = "/v1/observations/retire"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The made-up data fitted once for the module; each test works on a copy (fixture `service`)."""
    workdir = tmp_path_factory.mktemp("retire")
    settings = Settings(
        data_dir=_made_up_data(workdir / "data"),
        models_dir=workdir / "models",
        database_path=workdir / "db.sqlite3",
        simulation_paths=200,
        backtest_origins=2,
        replay_months=2,  # the tests here ask no older as-of day
        n_jobs=1,
        api_key=KEY,
        _env_file=None,  # type: ignore[call-arg]
    )
    store = Store(settings.database_path)
    made = ForecastService(settings, store)
    made.load_data_dir()
    made.refit()
    store.close()
    return settings


@pytest.fixture
def service(fitted: Settings, tmp_path: Path) -> Iterator[ForecastService]:
    """A copy of the fitted database and models, started from the stored models (no refit)."""
    made = started_on_stored(copy_fitted(fitted, tmp_path))
    yield made
    made.store.close()


def wait_for(client: TestClient, job_id: str, timeout: float = 300.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, object] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def last_year_key(service: ForecastService) -> str:
    return max((o for o in service.store.observations() if o.series_id == SERIES), key=lambda o: o.period.end).key


def test_the_store_keeps_a_retired_figure_with_its_reason_and_its_fingerprint_changes(service: ForecastService) -> None:
    key = last_year_key(service)
    before = service.store.fingerprint()
    assert service.store.retire_figure("no|such|key", "typo") is None
    assert service.store.retire_figure(key, "a typo: 10x the year before") == "a typo: 10x the year before"
    assert service.store.retire_figure(key, "another reason") == "a typo: 10x the year before"  # the first reason stays
    assert service.store.fingerprint() != before
    (version,) = service.store.versions(key)  # still stored
    (figure,) = [o for o in service.store.observations() if o.key == key]
    assert figure.retired == "a typo: 10x the year before" and figure.value == version.value
    catalog = service.catalog()
    assert key not in {o.key for o in catalog.fit_figures(SERIES)}
    assert key in {o.key for o in catalog.observations(SERIES)}


def test_retiring_over_the_api_keeps_the_figure_readable_flagged_and_refits_without_it(service: ForecastService) -> None:
    key = last_year_key(service)
    fitted_before = {o.key for o in service.snapshot.catalog.fit_figures(SERIES)}
    assert key in fitted_before
    with TestClient(create_app(service.settings, service, fit_on_start=False)) as client:
        response = client.post(RETIRE, json={"key": key, "reason": "breaks the fit: a typo"}, headers=AUTH)
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["detail"]["retired"] == key and accepted["detail"]["series"] == [SERIES]
        assert wait_for(client, accepted["job_id"])["status"] == "done"
        listed = client.get(f"/v1/series/{SERIES}/observations").json()["observations"]
        (shown,) = [o for o in listed if o["key"] == key]
        assert (shown["retired"], shown["used_in_fit"]) == ("breaks the fit: a typo", False)
        assert all(o["retired"] is None for o in listed if o["key"] != key)
        assert key not in {o.key for o in service.snapshot.catalog.fit_figures(SERIES)}
        assert SERIES in service.snapshot.forecasts  # projected from the other figures
        again = client.post(RETIRE, json={"key": key, "reason": "again"}, headers=AUTH).json()
        assert again["status"] == "done" and again["detail"]["reason"] == "breaks the fit: a typo"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"key": "no|such|key", "reason": "typo"}, 404, None),
        ({"key": "KEY", "reason": ""}, 422, "reason"),
        ({"key": "KEY", "reason": "   "}, 422, "reason"),
        ({"key": "KEY", "reason": "bad\rreason"}, 422, "reason"),
        ({"key": "KEY", "reason": "x" * 4001}, 422, "reason"),
        ({"key": "KEY"}, 422, "reason"),
        ({"key": "KEY", "reason": "typo", "delete": True}, 422, "delete"),
        ({"key": 5, "reason": "typo"}, 422, "key"),
    ],
)
def test_a_bad_retirement_is_refused_naming_the_field_and_changes_nothing(
    service: ForecastService, body: dict[str, object], status: int, field: str | None
) -> None:
    key = last_year_key(service)
    body = {name: (key if value == "KEY" else value) for name, value in body.items()}
    before = service.store.fingerprint()
    with TestClient(create_app(service.settings, service, fit_on_start=False)) as client:
        response = client.post(RETIRE, json=body, headers=AUTH)
        assert response.status_code == status, response.text
        assert response.json().get("field") == field
        assert client.post(RETIRE, json={"key": key, "reason": "typo"}).status_code == 401  # the write key is needed
    assert service.store.fingerprint() == before
    assert service.store.retirements() == {}


def test_the_cli_retires_a_figure_and_refits(
    service: ForecastService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast import cli

    key = last_year_key(service)
    settings = service.settings
    for name, value in (("DATA_DIR", settings.data_dir), ("MODELS_DIR", settings.models_dir), ("DATABASE_PATH", settings.database_path)):
        monkeypatch.setenv(f"FORECAST_{name}", str(value))
    monkeypatch.setenv("FORECAST_SIMULATION_PATHS", "200")
    monkeypatch.setenv("FORECAST_BACKTEST_ORIGINS", "2")
    monkeypatch.setenv("FORECAST_REPLAY_MONTHS", "2")  # as the module's fit: the same replay days
    monkeypatch.setenv("FORECAST_N_JOBS", "1")
    assert cli.main(["retire", key, "--reason", "a typo"]) == 0
    assert "retired" in capsys.readouterr().out
    assert service.store.retirements() == {key: "a typo"}
    assert cli.main(["retire", "no|such|key", "--reason", "a typo"]) == 2

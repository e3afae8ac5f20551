"""Service replicas sharing one PostgreSQL store (FORECAST_DATABASE_URL).

Two real `forecast serve` processes on one database, each with a models folder of its own (as on two
hosts): a figure ingested through one is served by both after the refit, a job started on one is
seen on the other, and the fitted models reach the other through the database. In-process: two
services refitting at once never fit at the same time (a PostgreSQL advisory lock), and the one that
waited serves the other's models. The data is made up (tests/made_up.py) so a refit takes seconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import ValidationError

from forecast.config import Settings
from forecast.data import OBSERVATION_COLUMNS
from forecast.refits import RefitQueue
from forecast.services import ForecastService, Snapshot
from forecast.store import Store
from tests.made_up import made_up_row, write_made_up_data
from tests.test_crash import AUTH, Server

SERIES_ID = "maker_a_exports"
NEW_FIGURE = made_up_row(SERIES_ID, 2025, "https://example.test/replicas/2025", published="2026-01-15")


@dataclass
class Replica(Server):
    """`forecast serve` on the shared PostgreSQL database, with its own models folder and log."""

    name: str = "a"
    database_url: str = ""

    @property
    def log(self) -> Path:
        return self.workdir / f"replica-{self.name}-{self.starts}.log"

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "FORECAST_DATABASE_URL": self.database_url,
            "FORECAST_MODELS_DIR": str(self.workdir / f"models-{self.name}"),
            "FORECAST_REPLICA_POLL_SECONDS": "0.3",
            "FORECAST_N_JOBS": "1",
        }

    def get(self, client: httpx.Client, path: str) -> httpx.Response:
        return client.get(f"{self.base}{path}")


def _until(condition: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str) -> Any:
    write_made_up_data(tmp_path / "data")
    pair = [Replica(tmp_path, name=name, database_url=postgres_url) for name in ("a", "b")]
    for replica in pair:
        replica.start()
    yield pair
    for replica in pair:
        replica.stop()


def test_two_replicas_serve_one_store(replicas: list[Replica]) -> None:
    a, b = replicas
    with httpx.Client(timeout=30) as client:
        started = time.monotonic()
        first = a.first_ready(client), b.first_ready(client)  # both started at once: one fitted, the other served its models
        print(f"both ready {time.monotonic() - started:.1f} s after starting")  # shown with -s
        _until(lambda: a.get(client, "/readyz").json() == b.get(client, "/readyz").json(), 60, "both replicas on one version")
        before = b.get(client, f"/v1/series/{SERIES_ID}/forecast")
        assert before.status_code == 200, (first, before.text)

        accepted = client.post(f"{a.base}/v1/observations", json={"observations": [NEW_FIGURE]}, headers=AUTH)
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["job_id"]
        seen_on_b = b.get(client, f"/v1/jobs/{job_id}")  # the job started on A, asked of B at once
        assert seen_on_b.status_code == 200 and seen_on_b.json()["status"] in ("queued", "running", "done")
        done = _until(lambda: (job := b.get(client, f"/v1/jobs/{job_id}").json())["status"] == "done" and job, 60, "job done")
        assert done == a.get(client, f"/v1/jobs/{job_id}").json() and SERIES_ID in done["detail"]["refitted"]

        print(f"job done {time.monotonic() - started:.1f} s after starting")
        version = done["detail"]["version"]
        serving = lambda: (ready := b.get(client, "/readyz").json())["version"] == version and ready["history_pending"] is None  # noqa: E731
        _until(serving, 10, "replica B serving the new models and their as-of history (both phases share the version)")
        after = b.get(client, f"/v1/series/{SERIES_ID}/forecast")
        assert after.headers["etag"] != before.headers["etag"] and after.json()["model"]["version"] == version
        assert after.content == a.get(client, f"/v1/series/{SERIES_ID}/forecast").content
        observed = b.get(client, f"/v1/series/{SERIES_ID}/observations").json()
        assert NEW_FIGURE["source_url"] in str(observed)

    # B did not fit them: its copy of the models came from the database, byte for byte the file A wrote
    copies = [(replica.workdir / f"models-{replica.name}" / "forecasts.joblib").read_bytes() for replica in (a, b)]
    assert hashlib.sha256(copies[0]).digest() == hashlib.sha256(copies[1]).digest()
    logs = a.log.read_text() + b.log.read_text()
    assert logs.count("serving models another replica fitted") >= 1, logs


def _service(tmp_path: Path, name: str, database_url: str) -> ForecastService:
    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / f"models-{name}",
        database_url=database_url,
        simulation_paths=200,
        backtest_origins=2,
        replay_months=2,  # the month-ends with news in the last 2 months: one day here, enough for a history to catch up
        n_jobs=1,
    )
    return ForecastService(settings, Store(settings.database))


def test_two_refits_on_one_store_never_run_at_once(tmp_path: Path, postgres_url: str) -> None:
    write_made_up_data(tmp_path / "data")
    services = [_service(tmp_path, name, postgres_url) for name in ("a", "b")]
    for service in services:
        service.load_data_dir()
    fits: list[tuple[str, float, float]] = []  # (service, start, end) of every fit that ran
    for name, service in zip("ab", services, strict=True):
        fit_all = service._fit_all

        def timed(*args: Any, fit_all: Any = fit_all, name: str = name) -> Any:
            started = time.monotonic()
            try:
                return fit_all(*args)
            finally:
                fits.append((name, started, time.monotonic()))

        service._fit_all = timed  # type: ignore[method-assign]
    results: dict[str, Snapshot] = {}
    threads = [threading.Thread(target=lambda s=s, n=n: results.__setitem__(n, s.refit())) for n, s in zip("ab", services, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    try:
        assert len(fits) == 1, fits  # the second waited on the lock, then served the first's models instead of fitting
        assert results["a"].version == results["b"].version
        assert results["a"].forecasts.keys() == results["b"].forecasts.keys() == {"lender_exports", SERIES_ID}
    finally:
        for service in services:
            service.close()
            service.store.close()


def test_the_refit_lock_is_held_by_one_store_at_a_time(postgres_url: str) -> None:
    stores = [Store(postgres_url), Store(postgres_url)]
    held = threading.Event()
    spans: list[tuple[float, float]] = []

    def hold(store: Store, seconds: float) -> None:
        with store.refit_lock():
            started = time.monotonic()
            held.set()
            time.sleep(seconds)
            spans.append((started, time.monotonic()))

    first = threading.Thread(target=hold, args=(stores[0], 0.5))
    first.start()
    assert held.wait(10)
    hold(stores[1], 0.0)
    first.join(10)
    try:
        assert len(spans) == 2 and spans[1][0] >= spans[0][1], spans  # the second began only after the first ended
    finally:
        for store in stores:
            store.close()


def test_a_replica_starting_interrupts_only_the_jobs_of_replicas_gone(postgres_url: str) -> None:
    running, starting = Store(postgres_url), Store(postgres_url)
    job = running.create_job("refit", {"series": [SERIES_ID]})
    assert starting.interrupt_unfinished("restarted") == []  # its process is still connected: still its job
    assert running.job(job.id).status == "queued"  # type: ignore[union-attr]
    running.close()  # the process dies: PostgreSQL drops its connection
    interrupted = _until(lambda: starting.interrupt_unfinished("restarted"), 10, "the job of the replica gone interrupted")
    assert interrupted == [job.id] and starting.job(job.id).status == "interrupted"  # type: ignore[union-attr]
    starting.close()


def test_the_database_url_is_checked_and_kept_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(database_url="mysql://forecast@db.example/forecast")
    assert "FORECAST_DATABASE_URL must start with postgresql://" in str(caught.value)
    settings = Settings(database_url="postgresql://forecast:s3cret-password@db.example/forecast", database_path=tmp_path / "x.sqlite3")
    assert settings.database == "postgresql://forecast:s3cret-password@db.example/forecast"
    assert "s3cret-password" not in repr(settings) and "s3cret-password" not in str(settings.model_dump())
    assert Settings(database_path=tmp_path / "x.sqlite3").database == tmp_path / "x.sqlite3"  # SQLite stays the default


def test_a_store_reconnects_after_the_server_drops_its_connection(postgres_url: str) -> None:
    store = Store(postgres_url)
    store.create_job("refit", {})
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # as a server restart would
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(psycopg.OperationalError):
        store.fingerprint()  # the query that meets the dropped connection fails ...
    assert store.fingerprint().startswith("0-0-0-")  # ... and the next one reconnects
    store.close()


def test_a_live_replica_reruns_the_refits_of_a_replica_gone(tmp_path: Path, postgres_url: str) -> None:
    gone = Store(postgres_url)
    service = _service(tmp_path, "live", postgres_url)
    reruns: list[list[str]] = []
    service.refits = RefitQueue(service.store, lambda only: reruns.append(sorted(only)) or {"version": "v-rerun"})
    job = gone.create_job("refit", {"series": [SERIES_ID]})
    gone.update_job(job.id, "running", {"series": [SERIES_ID]})
    service.follow_replicas()
    assert service.store.job(job.id).status == "running" and reruns == []  # type: ignore[union-attr]  # its replica is alive
    gone.close()  # the replica dies mid-refit
    _until(lambda: service.follow_replicas() is None and service.store.job(job.id).status == "done", 10, "the job rerun")  # type: ignore[union-attr]
    detail = service.store.job(job.id).detail  # type: ignore[union-attr]
    assert reruns == [[SERIES_ID]] and detail["version"] == "v-rerun" and "another replica reruns it" in detail["interrupted"]
    service.follow_replicas()
    assert reruns == [[SERIES_ID]]  # taken over once: the job is the live replica's now
    service.close()
    service.store.close()


def test_a_replica_following_the_store_serves_both_phases_of_a_refit(tmp_path: Path, postgres_url: str) -> None:
    write_made_up_data(tmp_path / "data", yearly_releases=True)  # a release each year: as-of replays to catch up
    fitting, following = (_service(tmp_path, name, postgres_url) for name in ("a", "b"))
    try:
        for service in (fitting, following):
            service.load_data_dir()
        fitting.refit()
        assert following.follow_replicas() is not None
        between: list[Snapshot | None] = []
        catch_up = fitting.refits._catch_up

        def follow_then_catch_up() -> Any:
            between.append(following.follow_replicas())  # the other replica looks between the two phases
            return catch_up()  # type: ignore[misc]

        fitting.refits._catch_up = follow_then_catch_up
        job = fitting.ingest([{column: NEW_FIGURE.get(column, "") for column in OBSERVATION_COLUMNS}], run_in_background=False)
        first_phase = between[0]
        assert first_phase is not None and first_phase.history_pending is not None
        assert first_phase.forecasts[SERIES_ID].last_reported_end.year == 2025  # the new figure served by both ...
        caught_up = following.follow_replicas()  # ... and then its as-of history
        assert caught_up is not None and caught_up.history_pending is None and caught_up.replays.keys() == fitting.snapshot.replays.keys()
        assert set(caught_up.replays) - set(first_phase.replays) and following.snapshot is caught_up
        assert following.store.job(job.id).detail["history"]["status"] == "done"  # type: ignore[union-attr]
    finally:
        for service in (fitting, following):
            service.close()
            service.store.close()

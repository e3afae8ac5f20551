"""Crash safety with a real server: `forecast serve` in a subprocess on a temporary store, killed with
SIGKILL during ingests and again during a refit, then restarted.

Promises checked: every figure acknowledged with a 2xx is stored, no batch is half-stored and SQLite's
integrity check passes; a restart serves the last good models at once (before any refit, `/readyz` saying
what is being recomputed); a job the kill interrupted is marked `interrupted` and rerun; neither a key nor
a figure reaches the server's log. The data is made up (tests/made_up.py) so a refit takes seconds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from forecast.config import Settings
from forecast.services import ForecastService
from forecast.store import Store
from tests.made_up import SERIES, YEARS, made_up_row, write_made_up_data

KEY = "crash-test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
URL_PREFIX = "https://example.test/crash/"
READY_WITHIN = 90.0  # seconds: process start and imports on a loaded 2-core machine, never a refit's worth of waiting


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"server-{self.starts}.log"

    def environment(self) -> dict[str, str]:
        kept = {name: value for name, value in os.environ.items() if not name.startswith("FORECAST_")}
        return {
            **kept,
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "FORECAST_DATA_DIR": str(self.workdir / "data"),
            "FORECAST_MODELS_DIR": str(self.workdir / "models"),
            "FORECAST_DATABASE_PATH": str(self.workdir / "db.sqlite3"),
            "FORECAST_API_KEY": KEY,
            "FORECAST_SIMULATION_PATHS": "200",
            "FORECAST_BACKTEST_ORIGINS": "2",
            "FORECAST_REPLAY_MONTHS": "2",
            "FORECAST_N_JOBS": "1",
            "FORECAST_HOST": "127.0.0.1",
            "FORECAST_PORT": str(self.port),
        }

    def start(self) -> float:
        """Starts `forecast serve`; the monotonic time it was started."""
        self.starts += 1
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "forecast.cli", "serve"], cwd=self.workdir, env=self.environment(), stdout=log, stderr=log
            )
        return time.monotonic()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def first_ready(self, client: httpx.Client) -> dict[str, Any]:
        """The first 200 body of /readyz."""
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            try:
                response = client.get(f"{self.base}/readyz")
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"not ready within {READY_WITHIN} s:\n{self.log.read_text()}")

    def refitted(self, client: httpx.Client, seconds: float = 120.0) -> dict[str, Any]:
        """/readyz once nothing is being recomputed and the models of the served version are on disk."""
        manifest = self.workdir / "models" / "forecasts.manifest.json"
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready = client.get(f"{self.base}/readyz").json()
            if ready["recomputing"] is None and manifest.exists():
                written = json.loads(manifest.read_text())
                if written["data_fingerprint"] == ready["version"] and recorded_hash(self.workdir) == written["sha256"]:
                    return dict(ready)
            time.sleep(0.1)
        raise AssertionError(f"no refit finished within {seconds} s:\n{self.log.read_text()}")


def recorded_hash(workdir: Path) -> str | None:
    with closing(sqlite3.connect(workdir / "db.sqlite3")) as db:
        row = db.execute("SELECT sha256 FROM artifacts WHERE name = 'forecasts'").fetchone()
    return None if row is None else str(row[0])


def batch(number: int) -> dict[str, list[dict[str, str]]]:
    """Two figures of one made-up series, re-reported at an address of their own (the batch's number)."""
    series_id = SERIES[number % len(SERIES)]
    years = (YEARS[number % len(YEARS)], YEARS[(number + 5) % len(YEARS)])
    return {"observations": [made_up_row(series_id, year, f"{URL_PREFIX}{number}") for year in years]}


def stored_rows_by_address(workdir: Path) -> dict[str, int]:
    with closing(sqlite3.connect(workdir / "db.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT source_url, COUNT(*) FROM observations WHERE source_url LIKE ? GROUP BY source_url", (f"{URL_PREFIX}%",))
        return {url: count for url, count in rows}


class Ingester:
    """Threads that send batch after batch until the server dies; which batches were acknowledged."""

    def __init__(self, server: Server, threads: int = 4) -> None:
        self.server = server
        self.acknowledged: set[int] = set()
        self.sent: set[int] = set()
        self.jobs: list[str] = []
        self.cut_off = 0  # requests the server had accepted a connection for when it died (not refused ones)
        self._numbers = iter(range(1_000_000))
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Ingester:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for thread in self._threads:
            thread.join(30)

    def _send(self) -> None:
        with httpx.Client(timeout=30) as client:
            while True:
                with self._lock:
                    number = next(self._numbers)
                    self.sent.add(number)
                try:
                    response = client.post(f"{self.server.base}/v1/observations", json=batch(number), headers=AUTH)
                except httpx.ConnectError:
                    return  # sent after the server died
                except httpx.TransportError:
                    with self._lock:
                        self.cut_off += 1  # in flight when the server died
                    return
                assert response.status_code == 202, response.text
                with self._lock:
                    self.acknowledged.add(number)
                    self.jobs.append(response.json()["job_id"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server's folder holding made-up data/, its database and the models of one fit (as `forecast fit` leaves them)."""
    write_made_up_data(tmp_path / "data")
    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "models",
        database_path=tmp_path / "db.sqlite3",
        simulation_paths=200,
        backtest_origins=2,
        replay_months=2,  # as the server below: the tests here ask no older as-of day
        n_jobs=1,
        _env_file=None,
    )
    store = Store(settings.database_path)
    service = ForecastService(settings, store)
    service.load_data_dir()
    service.refit()
    store.close()
    made = Server(tmp_path)
    yield made
    made.stop()


def test_a_killed_server_loses_no_acknowledged_figure_and_restarts_on_its_last_good_models(server: Server) -> None:
    client = httpx.Client(timeout=30)
    server.start()
    fitted = server.first_ready(client)
    assert fitted["recomputing"] is None  # the models on disk match the data: loaded, not refitted

    # 1. SIGKILL while four clients send batch after batch (and the refits they start run)
    with Ingester(server) as ingester:
        deadline = time.monotonic() + 30
        while len(ingester.acknowledged) < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill()
    stored = stored_rows_by_address(server.workdir)  # integrity_check ok
    acknowledged = {f"{URL_PREFIX}{n}" for n in ingester.acknowledged}
    assert len(acknowledged) >= 12 and ingester.cut_off >= 1, "the kill should land while batches are in flight"
    assert acknowledged <= set(stored)  # every acknowledged batch is stored ...
    assert set(stored.values()) == {2}  # ... and every stored batch is whole (unacknowledged ones: whole or absent)

    # 2. restart: the last good models serve at once while the new figures are refitted
    server.start()
    restarted = server.first_ready(client)
    assert restarted["fitted_at"] == fitted["fitted_at"] and restarted["version"] == fitted["version"]
    assert restarted["recomputing"] and "refitting" in restarted["recomputing"]
    assert client.get(f"{server.base}/v1/series/maker_a_exports/forecast").status_code == 200
    after_first_kill = server.refitted(client)
    assert after_first_kill["version"] != fitted["version"]
    for job_id in ingester.jobs:  # no job is left queued or running for ever
        job = client.get(f"{server.base}/v1/jobs/{job_id}").json()
        assert job["status"] == "done", job

    # 3. SIGKILL during the refit an ingest started
    accepted = client.post(f"{server.base}/v1/observations", json=batch(1_000_001), headers=AUTH)
    assert accepted.status_code == 202
    job_id = accepted.json()["job_id"]
    deadline = time.monotonic() + 30
    while client.get(f"{server.base}/v1/jobs/{job_id}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    server.kill()

    # 4. restart: the models of step 2 serve at once, the interrupted job is marked so and rerun
    started = server.start()
    again = server.first_ready(client)
    print(f"ready {time.monotonic() - started:.1f} s after the restart")  # shown with -s
    assert again["version"] == after_first_kill["version"] and again["recomputing"]
    interrupted = client.get(f"{server.base}/v1/jobs/{job_id}").json()
    assert interrupted["status"] == "interrupted" and "stopped before this refit ended" in interrupted["detail"]["interrupted"]
    final = server.refitted(client)
    print(f"refitted {time.monotonic() - started:.1f} s after the restart; {len(ingester.acknowledged)} batches acknowledged")
    assert final["version"] != after_first_kill["version"]
    rerun = client.get(f"{server.base}/v1/jobs/{job_id}").json()
    assert rerun["status"] == "done" and rerun["detail"]["phase"] == "rerun at start-up" and rerun["detail"]["version"] == final["version"]
    assert stored_rows_by_address(server.workdir)[f"{URL_PREFIX}1000001"] == 2

    server.stop()
    client.close()
    logs = "".join(server.workdir.joinpath(f"server-{n}.log").read_text() for n in range(1, server.starts + 1))
    assert KEY not in logs and URL_PREFIX not in logs


def test_the_store_writes_ahead_and_syncs_every_commit(tmp_path: Path) -> None:
    """WAL with synchronous FULL: a committed batch survives a power cut too, not only a killed process."""
    store = Store(tmp_path / "db.sqlite3")
    try:
        connection = store._db._connection
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        store.close()

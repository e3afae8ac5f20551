"""Polling under writes: wrk at 64 connections for 60 s while figures are ingested and refits run, against
the same wrk run on the same server with no writes (the baseline), side by side.

Run from the project root (needs ``wrk``: ``apt-get install -y wrk``)::

    .venv/bin/python -m bench.load_writes [--duration 60] [--connections 64] [--ingest-every 5] [--workdir DIR]

1. fits data/ with production settings into a temporary store (``forecast fit``), unless ``--workdir``
   already holds a fitted store from an earlier run (kept when ``--workdir`` is given);
2. starts ``forecast serve`` on it, as ``make serve`` does, and waits for /readyz;
3. baseline: wrk polls the dashboard's URLs (series, targets, two forecasts) for ``--duration`` s;
4. with writes: the same wrk run while a client POSTs a batch every ``--ingest-every`` s (figures already in
   data/, re-reported at a bench address: no invented value), each starting or joining a refit; the jobs
   table is read each second to know when a refit was running;
5. counts 5xx (wrk's Lua counter), writes acknowledged but missing from the store (lost), and compares
   req/s and latency percentiles; prints a table, then one JSON line.

The machine is small and shared: compare the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-load-key-0123456789"
PORT = 8771
BENCH_URL = "https://example.test/bench-load-writes/"
PATHS = (
    "/v1/series",
    "/v1/targets",
    "/v1/series/china_exports_caam/forecast?freq=year&horizon=5",
    "/v1/series/china_exports_caam/forecast?horizon=12",
)
WRK_SCRIPT = """
local paths = {%s}
local threads = {}
local i = 0
function setup(thread) table.insert(threads, thread) end
function init(args) server_errors = 0 end
function request() i = i %% #paths + 1; return wrk.format("GET", paths[i]) end
function response(status, headers, body) if status >= 500 then server_errors = server_errors + 1 end end
function done(summary, latency, requests)
  local errors = 0
  for _, thread in ipairs(threads) do errors = errors + thread:get("server_errors") end
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration, errors,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environment(workdir: Path) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("FORECAST_")}
    return {
        **kept,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "FORECAST_DATA_DIR": str(ROOT / "data"),
        "FORECAST_MODELS_DIR": str(workdir / "models"),
        "FORECAST_DATABASE_PATH": str(workdir / "forecast.sqlite3"),
        "FORECAST_API_KEY": KEY,
        "FORECAST_PORT": str(PORT),
    }


def get(path: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def wait_ready(seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get("/readyz", 2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def wrk(script: Path, args: argparse.Namespace) -> dict[str, float]:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s", "-s", str(script)]
    output = subprocess.run([*command, f"http://127.0.0.1:{PORT}"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    requests, duration_us, server_errors, socket_errors, p50, p90, p99, worst = (int(x) for x in found.group(1).split())
    return {
        "requests": requests,
        "rps": round(requests / (duration_us / 1e6), 1),
        "5xx": server_errors,
        "socket_errors": socket_errors,
        "p50_ms": p50 / 1000,
        "p90_ms": p90 / 1000,
        "p99_ms": p99 / 1000,
        "max_ms": worst / 1000,
    }


def rereported(number: int, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Two figures data/ already holds, re-reported at a bench address of their own."""
    chosen = [rows[(2 * number) % len(rows)], rows[(2 * number + 1) % len(rows)]]
    return {"observations": [{**row, "source_url": f"{BENCH_URL}{number}"} for row in chosen]}


class Writer:
    """POSTs a batch every `every` seconds and, each second, reads whether a refit job is running or queued."""

    def __init__(self, workdir: Path, every: float, rows: list[dict[str, str]]) -> None:
        self.workdir, self.every, self.rows = workdir, every, rows
        self.acknowledged: list[int] = []
        self.refused: list[int] = []
        self.seconds_refitting = 0
        self.seconds_polled = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write), threading.Thread(target=self._watch)]

    def __enter__(self) -> Writer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _write(self) -> None:
        number = 0
        while not self._stop.is_set():
            status, _ = post("/v1/observations", rereported(number, self.rows))
            (self.acknowledged if status == 202 else self.refused).append(number)
            number += 1
            self._stop.wait(self.every)

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            self.seconds_polled += 1
            self.seconds_refitting += any(status in ("running", "queued") for status in self.job_statuses())

    def job_statuses(self) -> list[str]:
        with closing(sqlite3.connect(self.workdir / "forecast.sqlite3")) as db:
            return [row[0] for row in db.execute("SELECT status FROM jobs")]


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup, the write-ahead log included), replacing `target`."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)


def lost_writes(workdir: Path, acknowledged: list[int]) -> int:
    with closing(sqlite3.connect(workdir / "forecast.sqlite3")) as db:
        stored = {row[0] for row in db.execute("SELECT DISTINCT source_url FROM observations WHERE source_url LIKE ?", (f"{BENCH_URL}%",))}
    return sum(f"{BENCH_URL}{n}" not in stored for n in acknowledged)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ingest-every", type=float, default=5.0)
    parser.add_argument("--workdir", type=Path, help="a folder for the store and models, kept (reused if already fitted)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="load-writes-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = environment(workdir)
    forecast = [sys.executable, "-m", "forecast.cli"]
    if not (workdir / "models" / "forecasts.joblib").exists():
        log("fitting data/ (production settings) ...")
        subprocess.run([*forecast, "fit"], env=env, cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    fitted = workdir / "fitted"  # the store and models as the fit left them: every run starts from them
    if not fitted.exists():
        shutil.copytree(workdir / "models", fitted / "models")
        copy_database(workdir / "forecast.sqlite3", fitted / "forecast.sqlite3")
    shutil.rmtree(workdir / "models")
    shutil.copytree(fitted / "models", workdir / "models")
    copy_database(fitted / "forecast.sqlite3", workdir / "forecast.sqlite3")
    with (ROOT / "data" / "observations.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["series_id"] == "china_exports_caam" and r["aggregation"] == "month"]
    script = workdir / "poll.lua"
    script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p) for p in PATHS))
    server = subprocess.Popen([*forecast, "serve"], env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready()
        for path in PATHS:
            assert get(path)[0] == 200, path
        log(f"baseline: wrk {args.duration} s, {args.connections} connections, no writes ...")
        baseline = wrk(script, args)
        log(f"with writes: the same, a batch every {args.ingest_every} s ...")
        with Writer(workdir, args.ingest_every, rows) as writer:
            loaded = wrk(script, args)
        lost = lost_writes(workdir, writer.acknowledged)
        statuses = writer.job_statuses()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(120)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{'':24}{'baseline':>12}{'with writes':>14}{'ratio':>8}")
    for name in ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "5xx", "socket_errors"):
        ratio = f"{loaded[name] / baseline[name]:.2f}" if baseline[name] else "-"
        print(f"{name:24}{baseline[name]:>12}{loaded[name]:>14}{ratio:>8}")
    print(f"writes acknowledged {len(writer.acknowledged)}, refused {len(writer.refused)}, lost {lost}")
    print(f"seconds with a refit running or queued: {writer.seconds_refitting} of {writer.seconds_polled}; jobs at the end: {statuses}")
    result = {
        "benchmark": "load_writes",
        "duration_s": args.duration,
        "connections": args.connections,
        "baseline": baseline,
        "with_writes": loaded,
        "p99_ratio": round(loaded["p99_ms"] / baseline["p99_ms"], 2) if baseline["p99_ms"] else None,
        "rps_ratio": round(loaded["rps"] / baseline["rps"], 2) if baseline["rps"] else None,
        "writes_acknowledged": len(writer.acknowledged),
        "writes_refused": len(writer.refused),
        "writes_lost": lost,
        "seconds_refitting": writer.seconds_refitting,
        "seconds_polled": writer.seconds_polled,
        "job_statuses_at_end": {s: statuses.count(s) for s in sorted(set(statuses))},
    }
    print(json.dumps(result))
    return 0 if loaded["5xx"] == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

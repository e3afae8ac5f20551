"""HTTP benchmark of the forecast service, side by side with a bare FastAPI app.

Run from the project root::

    .venv/bin/python -m bench.http [--duration 10] [--connections 64] [--threads 2]

Needs ``wrk`` (Debian: ``apt-get install -y wrk``).

In one run it:

1. starts the real service (uvicorn, fresh temp database and empty models dir) and
   times start-up until GET /readyz answers 200 (cold start, includes the fit);
   stops it and starts it again on the same database/models dir (warm start-up);
2. starts the bare baseline app (bench/bare_app.py) with the same uvicorn flags;
3. loads GET /bare, GET /v1/series/china_exports_caam/forecast and the same URL
   with If-None-Match (304 path) with wrk, reporting req/s and p50/p99 latency;
4. POSTs one new CAAM month to /v1/observations and times until the forecast's
   ETag changes;
5. prints a table and, as the last line of stdout, one JSON object.

Progress goes to stderr; the table and JSON go to stdout.  A failing step is
reported in the table and as null in the JSON; the exit status is then 1.
The machine is small and noisy: compare the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVICE_PORT = 8765
BARE_PORT = 8766
API_KEY = "bench-key-0123456789abcdef"
SERVICE_APP = "forecast.api.app:create_app"
SERIES_ID = "china_exports_caam"
FORECAST_PATH = f"/v1/series/{SERIES_ID}/forecast?horizon=12&freq=month"


def uvicorn_flags(port: int) -> list[str]:
    """The same flags for the service and the bare app; only the port differs."""
    return [
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--workers",
        "1",
    ]


# wrk's done() callback: one machine-readable line (latencies in microseconds).
WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {\"requests\":%.0f,\"duration_us\":%.0f,\"bytes\":%.0f," ..
    "\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f,\"max_us\":%.1f," ..
    "\"err_connect\":%.0f,\"err_read\":%.0f,\"err_write\":%.0f," ..
    "\"err_status\":%.0f,\"err_timeout\":%.0f}\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50.0), latency:percentile(99.0), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


class StepError(Exception):
    """A benchmark step failed; the message goes into the table."""


class _Terminated(BaseException):  # not caught by per-step "except Exception"
    pass


def log(message: str) -> None:
    print(f"[bench.http] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- HTTP


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
) -> HttpResponse:
    """One request to 127.0.0.1:port on a fresh connection (raises OSError on failure)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return HttpResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def short(body: bytes, limit: int = 160) -> str:
    text = body.decode("utf-8", "replace").replace("\n", " ").strip()
    return text if len(text) <= limit else text[:limit] + "..."


# ----------------------------------------------------------------------- servers


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def uvicorn_executable() -> str:
    candidate = ROOT / ".venv" / "bin" / "uvicorn"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("uvicorn")
    if found:
        return found
    raise StepError("uvicorn not found (expected .venv/bin/uvicorn)")


@dataclass
class Server:
    name: str
    app: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    _log_file: Any = field(default=None, repr=False)

    def start(self) -> None:
        if not port_is_free(self.port):
            raise StepError(f"port {HOST}:{self.port} is already in use; stop whatever holds it")
        cmd = [uvicorn_executable(), self.app, *uvicorn_flags(self.port)]
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_file.write(f"\n=== {' '.join(cmd)}\n".encode())
        self._log_file.flush()
        log(f"starting {self.name}: {' '.join(cmd)}")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group, so stop() reaches any children
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, path: str, timeout: float) -> float:
        """Poll GET path until 200; return seconds since start()."""
        assert self.proc is not None
        deadline = self.started_at + timeout
        last = "no answer yet"
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise StepError(f"{self.name} exited with code {self.proc.returncode} before ready: {self.log_tail()}")
            try:
                resp = http_request(self.port, "GET", path, timeout=2.0)
            except OSError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status == 200:
                    return time.perf_counter() - self.started_at
                last = f"HTTP {resp.status} {short(resp.body, 100)}"
                if resp.status in (404, 405):
                    # Routes are fixed once uvicorn accepts connections: waiting won't help.
                    raise StepError(f"GET {path} on {self.name} -> {last}")
            time.sleep(0.05)
        raise StepError(f"{self.name} not ready after {timeout:.0f} s (GET {path}: {last})")

    def stop(self, grace: float = 15.0) -> None:
        proc, self.proc = self.proc, None
        try:
            if proc is not None and proc.poll() is None:
                log(f"stopping {self.name} (pid {proc.pid})")
                self._signal(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    log(f"{self.name} did not stop in {grace:.0f} s; killing")
                    self._signal(proc, signal.SIGKILL)
                    proc.wait(timeout=10)
            elif proc is not None:
                # The leader may be gone while children of its group are not.
                self._signal(proc, signal.SIGKILL)
        finally:
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)  # the group we created with start_new_session
        except (ProcessLookupError, PermissionError):
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError:
            return "(no log)"
        kept = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("=== ")]
        tail = kept[-lines:]
        return " | ".join(tail) or "(empty log)"


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str  # "" when clean

    def as_json(self) -> dict[str, float]:
        return {"rps": round(self.rps, 1), "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3)}


def parse_wrk_output(stdout: str) -> WrkResult:
    """Parse wrk's stdout: the WRK_RESULT line from the Lua done() callback plus Requests/sec."""
    match = re.search(r"^WRK_RESULT (\{.*\})\s*$", stdout, re.MULTILINE)
    if not match:
        raise StepError(f"no WRK_RESULT line in wrk output: {stdout.strip()[-300:]!r}")
    data = json.loads(match.group(1))
    requests = int(data["requests"])
    rps_match = re.search(r"^Requests/sec:\s*([0-9.]+)", stdout, re.MULTILINE)
    if rps_match:
        rps = float(rps_match.group(1))
    else:
        rps = requests / (data["duration_us"] / 1e6) if data["duration_us"] else 0.0
    problems = []
    for key in ("connect", "read", "write", "timeout", "status"):
        count = int(data[f"err_{key}"])
        if count:
            problems.append(f"{count} {key} errors" if key != "status" else f"{count} status>=400")
    if requests == 0:
        raise StepError("wrk completed 0 requests" + (f" ({', '.join(problems)})" if problems else ""))
    if data["err_status"] > 0.01 * requests:
        raise StepError(f"{int(data['err_status'])} of {requests} responses had status >= 400")
    return WrkResult(
        rps=rps,
        p50_ms=data["p50_us"] / 1000.0,
        p99_ms=data["p99_us"] / 1000.0,
        requests=requests,
        errors=", ".join(problems),
    )


def run_wrk(
    url: str,
    *,
    lua_path: Path,
    duration: int,
    connections: int,
    threads: int,
    headers: list[str] | None = None,
) -> WrkResult:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s"]
    cmd += ["-s", str(lua_path)]
    for header in headers or []:
        cmd += ["-H", header]
    cmd.append(url)
    log(f"running: {' '.join(cmd)}")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StepError(f"wrk did not finish within {duration + 60} s") from exc
    if proc.returncode != 0:
        raise StepError(f"wrk exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}")
    return parse_wrk_output(proc.stdout)


# ------------------------------------------------------------------ bench steps


def check_get(port: int, path: str, *, headers: dict[str, str] | None = None, expect: int = 200) -> HttpResponse:
    try:
        resp = http_request(port, "GET", path, headers=headers)
    except OSError as exc:
        raise StepError(f"GET {path}: {type(exc).__name__}: {exc}") from exc
    if resp.status != expect:
        raise StepError(f"GET {path} -> HTTP {resp.status} (expected {expect}): {short(resp.body)}")
    return resp


def find_series(payload: Any, series_id: str) -> dict[str, Any]:
    """The entry of series_id in a GET /v1/series answer (a list of series)."""
    if not isinstance(payload, list):
        raise StepError(f"GET /v1/series: expected a list, got {type(payload).__name__}")
    for item in payload:
        if isinstance(item, dict) and item.get("id") == series_id:
            return item
    raise StepError(f"GET /v1/series: no series with id {series_id}")


def next_month_row(last_period_end: str) -> dict[str, Any]:
    end = dt.date.fromisoformat(str(last_period_end)[:10])
    first = end.replace(day=1)
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    start = dt.date(year, month, 1)
    stop = dt.date(year, month, calendar.monthrange(year, month)[1])
    published = stop + dt.timedelta(days=13)  # the day after period_end + 12 days
    return {
        "series_id": SERIES_ID,
        "period_start": start.isoformat(),
        "period_end": stop.isoformat(),
        "aggregation": "month",
        "kind": "level",
        "value": 600000,
        "unit": "vehicles",
        "qualifier": "exact",
        "yoy_pct": None,
        "mom_pct": None,
        "source_publisher": "bench",
        "source_url": "https://example.invalid/bench",
        "source_file": None,
        "published_date": published.isoformat(),
        "published_date_estimated": False,
        "disputed": False,
        "note": "synthetic observation posted by bench.http",
    }


def ingest_visible(port: int, timeout: float) -> float:
    before = check_get(port, FORECAST_PATH)
    etag = before.headers.get("etag")
    if not etag:
        raise StepError("forecast response has no ETag header")
    series = check_get(port, "/v1/series")
    try:
        entry = find_series(series.json(), SERIES_ID)
    except ValueError as exc:
        raise StepError(f"GET /v1/series: not JSON: {short(series.body)}") from exc
    last = entry.get("last_observation") or {}
    if not isinstance(last, dict) or not last.get("period_end"):
        raise StepError(f"series {SERIES_ID} has no last_observation.period_end")
    row = next_month_row(last["period_end"])
    body = json.dumps({"observations": [row]}).encode()
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    log(f"POST /v1/observations {row['period_start']}..{row['period_end']} value={row['value']}")
    t0 = time.perf_counter()
    try:
        resp = http_request(port, "POST", "/v1/observations", headers=headers, body=body, timeout=30)
    except OSError as exc:
        raise StepError(f"POST /v1/observations: {type(exc).__name__}: {exc}") from exc
    if resp.status != 202:
        raise StepError(f"POST /v1/observations -> HTTP {resp.status} (expected 202): {short(resp.body)}")
    try:
        job = resp.json()
    except ValueError:
        job = None
    if not isinstance(job, dict) or "job_id" not in job:
        raise StepError(f"POST /v1/observations: 202 without job_id: {short(resp.body)}")
    deadline = t0 + timeout
    last_seen = "no poll yet"
    while time.perf_counter() < deadline:
        try:
            poll = http_request(port, "GET", FORECAST_PATH, timeout=5)
        except OSError as exc:
            last_seen = f"{type(exc).__name__}: {exc}"
        else:
            new_etag = poll.headers.get("etag")
            if poll.status == 200 and new_etag and new_etag != etag:
                return time.perf_counter() - t0
            last_seen = f"HTTP {poll.status} etag={new_etag}"
        time.sleep(0.05)
    raise StepError(f"ETag unchanged {timeout:.0f} s after ingest (job {job['job_id']}; last: {last_seen})")


# ------------------------------------------------------------------------ report


def fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_table(
    cases: dict[str, WrkResult | None], timings: dict[str, float | None], errors: dict[str, str], notes: dict[str, str]
) -> str:
    bare = cases.get("bare")
    rows = [("case", "req/s", "p50 ms", "p99 ms", "ratio to bare", "note")]
    for name, res in cases.items():
        ratio = None
        if res is not None and bare is not None and bare.rps > 0:
            ratio = res.rps / bare.rps
        note = f"ERROR: {errors[name]}" if name in errors else notes.get(name, "")
        rows.append(
            (
                name,
                fmt(res.rps if res else None, 1),
                fmt(res.p50_ms if res else None, 2),
                fmt(res.p99_ms if res else None, 2),
                fmt(ratio, 3),
                note,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 5)]
        lines.append("  ".join(cells + [r[5]]).rstrip())
    lines.append("(ratio to bare = req/s of the case / req/s of bare)")
    lines.append("")
    name_width = max(len(k) for k in timings)
    for name, value in timings.items():
        note = f"  ERROR: {errors[name]}" if name in errors else ""
        lines.append(f"{name.ljust(name_width)}  {fmt(value, 3).rjust(9)} s{note}")
    return "\n".join(lines)


# -------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk load per case (default 10)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of unmeasured wrk load first (default 1, 0 = none)")
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="seconds to wait for /readyz (default 300)")
    parser.add_argument("--ingest-timeout", type=float, default=120.0, help="seconds to wait for the ETag to change (default 120)")
    parser.add_argument(
        "--service-app", default=SERVICE_APP, help=f"uvicorn factory of the service (default {SERVICE_APP}; for testing the bench)"
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (database, models, logs)")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.connections < 1 or args.threads < 1 or args.warmup < 0:
        parser.error("--duration, --connections and --threads must be >= 1, --warmup >= 0")
    if args.connections < args.threads:
        parser.error("--connections must be >= --threads (wrk requirement)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench.http: wrk is not installed. Install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    def on_term(signum: int, _frame: Any) -> None:
        raise _Terminated(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    models_dir = tmp / "models"
    models_dir.mkdir()
    lua_path = tmp / "report.lua"
    lua_path.write_text(WRK_LUA)
    env = dict(os.environ)
    env.update(
        {
            "FORECAST_DATABASE_PATH": str(tmp / "forecast.sqlite3"),
            "FORECAST_MODELS_DIR": str(models_dir),
            "FORECAST_API_KEY": API_KEY,
            "PYTHONUNBUFFERED": "1",
        }
    )
    service = Server("service", args.service_app, SERVICE_PORT, env, tmp / "service.log")
    bare = Server("bare", "bench.bare_app:create_app", BARE_PORT, dict(os.environ), tmp / "bare.log")

    cases: dict[str, WrkResult | None] = {"bare": None, "forecast_get": None, "forecast_304": None}
    timings: dict[str, float | None] = {
        "cold_start_ready_seconds": None,
        "startup_ready_seconds": None,
        "ingest_visible_seconds": None,
    }
    errors: dict[str, str] = {}
    notes: dict[str, str] = {}

    def attempt(name: str, fn: Any, *, requires: str | None = None) -> Any:
        if requires is not None and requires in errors:
            errors[name] = f"skipped ({requires} failed)"
            log(f"{name}: skipped because {requires} failed")
            return None
        try:
            value = fn()
        except StepError as exc:
            errors[name] = str(exc)
        except Exception as exc:  # a bench bug or surprise: report it, keep going
            errors[name] = f"{type(exc).__name__}: {exc}"
        else:
            return value
        log(f"{name}: FAILED: {errors[name]}")
        return None

    def load(url: str, headers: list[str] | None = None) -> WrkResult:
        kw = dict(lua_path=lua_path, connections=args.connections, threads=args.threads, headers=headers)
        if args.warmup:
            run_wrk(url, duration=args.warmup, **kw)
        return run_wrk(url, duration=args.duration, **kw)

    interrupted = False
    try:
        # 1. service: cold start (fit), then restart with artifacts present.
        def cold_start() -> float:
            service.start()
            seconds = service.wait_ready("/readyz", args.ready_timeout)
            log(f"cold start ready in {seconds:.2f} s")
            service.stop()
            return seconds

        timings["cold_start_ready_seconds"] = attempt("cold_start_ready_seconds", cold_start)
        service.stop()

        def warm_start() -> float:
            service.start()
            seconds = service.wait_ready("/readyz", args.ready_timeout)
            log(f"start-up with artifacts ready in {seconds:.2f} s")
            return seconds

        timings["startup_ready_seconds"] = attempt("startup_ready_seconds", warm_start, requires="cold_start_ready_seconds")

        # 2. bare baseline, and 3. load: bare first, then the service.
        def bare_case() -> WrkResult:
            bare.start()
            bare.wait_ready("/bare", 60.0)
            return load(f"http://{HOST}:{BARE_PORT}/bare")

        cases["bare"] = attempt("bare", bare_case)

        def forecast_get() -> WrkResult:
            check_get(SERVICE_PORT, FORECAST_PATH)
            return load(f"http://{HOST}:{SERVICE_PORT}{FORECAST_PATH}")

        cases["forecast_get"] = attempt("forecast_get", forecast_get, requires="startup_ready_seconds")

        def forecast_304() -> WrkResult:
            etag = check_get(SERVICE_PORT, FORECAST_PATH).headers.get("etag")
            if not etag:
                raise StepError("forecast response has no ETag header")
            check_get(SERVICE_PORT, FORECAST_PATH, headers={"If-None-Match": etag}, expect=304)
            notes["forecast_304"] = f"If-None-Match: {etag}"
            return load(f"http://{HOST}:{SERVICE_PORT}{FORECAST_PATH}", headers=[f"If-None-Match: {etag}"])

        cases["forecast_304"] = attempt("forecast_304", forecast_304, requires="startup_ready_seconds")

        # 4. ingest -> visible.
        timings["ingest_visible_seconds"] = attempt(
            "ingest_visible_seconds",
            lambda: ingest_visible(SERVICE_PORT, args.ingest_timeout),
            requires="startup_ready_seconds",
        )
        for name, res in cases.items():
            if res is not None and res.errors and name not in notes:
                notes[name] = res.errors
            elif res is not None and res.errors:
                notes[name] += f"; {res.errors}"
    except (KeyboardInterrupt, _Terminated) as exc:
        interrupted = True
        log(f"interrupted ({str(exc) or 'Ctrl-C'}); cleaning up")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the bounded clean-up finish
        for server in (bare, service):
            try:
                server.stop()
            except Exception as exc:  # never leave a process behind silently
                log(f"could not stop {server.name}: {exc}")
        if errors:
            log(f"logs: {service.log_path} {bare.log_path}" if args.keep_tmp else "re-run with --keep-tmp to keep server logs")
        if args.keep_tmp:
            log(f"temp dir kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if interrupted:
        return 130

    bare_res = cases["bare"]
    result: dict[str, Any] = {"bench": "http", "date": dt.datetime.now(dt.UTC).date().isoformat()}
    for name, res in cases.items():
        if res is None:
            result[name] = None
            continue
        entry: dict[str, Any] = res.as_json()
        if name != "bare":
            entry["ratio_to_bare"] = round(res.rps / bare_res.rps, 4) if bare_res and bare_res.rps else None
        result[name] = entry
    for name in ("ingest_visible_seconds", "cold_start_ready_seconds", "startup_ready_seconds"):
        value = timings[name]
        result[name] = None if value is None else round(value, 3)
    result["config"] = {"duration_s": args.duration, "connections": args.connections, "threads": args.threads}
    result["errors"] = errors or None

    print(render_table(cases, timings, errors, notes))
    print(json.dumps(result))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

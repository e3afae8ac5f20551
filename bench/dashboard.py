"""The dashboard's first load in headless Chromium, and the 304 answers its polling costs, on a live `forecast serve`.

    python -m bench.dashboard [--loads 5] [--polls 2000] [--record]

Starts `forecast serve` on a free port with the FORECAST_* settings of the environment (so it loads the models
in FORECAST_MODELS_DIR when they match the data, or fits first), waits for /readyz, then:

- first load: a fresh browser context (empty cache) opens /, until the fan chart's bands and the target cards
  are drawn; the first run meets bodies the server has not serialised yet (cold), the others warm ones;
- polls: the URLs the dashboard polls, each GET with the If-None-Match of its last answer, over one keep-alive
  connection, as the page does every 10 s; each must be a 304. Twice: from a Python client (httpx), and from wrk
  (a C client, one connection, `--wrk-seconds` per URL) so the client's own cost is not counted as the server's.

Baselines run beside them, in the same run on the same server: the first load beside a fresh browser context
loading `/healthz` (what any page costs this browser), the polls beside wrk on `/healthz` (a route with no
stored body and no ETag: the floor of this server, its HTTP stack and the machine's load at the time).

Targets (issue 20): first load under 1 s, a 304 poll under 5 ms at p99. The last line of output is one JSON
object; --record appends the run to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, timeout: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FORECAST_HOST": "127.0.0.1", "FORECAST_PORT": str(port), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "forecast.cli", "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"forecast serve exited with {server.returncode}")
        time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"not ready after {timeout:.0f} s")


def first_loads(base: str, count: int) -> tuple[list[float], list[float]]:
    """Seconds from navigation to a drawn chart and target cards, each in a fresh context (empty cache); and, as the
    floor run beside each, seconds for a fresh context to load `/healthz` (a browser's own cost of a page)."""
    from playwright.sync_api import sync_playwright

    seconds, floor = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            for _ in range(count):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                started = time.perf_counter()
                page.goto(f"{base}/")
                page.wait_for_selector("#chart .band-80")
                page.wait_for_selector(".target-card")
                seconds.append(time.perf_counter() - started)
                context.close()
                context = browser.new_context()
                page = context.new_page()
                started = time.perf_counter()
                page.goto(f"{base}/healthz")
                floor.append(time.perf_counter() - started)
                context.close()
        finally:
            browser.close()
    return seconds, floor


def polled_urls(base: str) -> dict[str, str]:
    """The URLs the dashboard polls (app.js `refresh`: the lists, then the chosen series' forecast and figures), each
    with the ETag of its current body; the first projected series is the one the page chooses."""
    with httpx.Client(base_url=base, timeout=10) as client:
        series = client.get("/v1/series").json()
        chosen = next(s["id"] for s in series if s["forecast_available"])
        urls = ["/v1/series", "/v1/targets", f"/v1/series/{chosen}/forecast?freq=month&levels=80,95", f"/v1/series/{chosen}/observations"]
        return {url: client.get(url).headers["etag"] for url in urls}


def polls(base: str, etags: dict[str, str], count: int) -> tuple[list[float], int]:
    """Milliseconds per conditional GET of the polled URLs from a Python client, and how many were not 304."""
    urls = list(etags)
    with httpx.Client(base_url=base, timeout=10) as client:
        for url in urls:  # the second GET of a URL is the first the hot path answers
            client.get(url, headers={"If-None-Match": etags[url]})
        times, other = [], 0
        for k in range(count):
            url = urls[k % len(urls)]
            started = time.perf_counter()
            response = client.get(url, headers={"If-None-Match": etags[url]})
            times.append(1000 * (time.perf_counter() - started))
            other += response.status_code != 304
    return times, other


def wrk_polls(base: str, etags: dict[str, str], seconds: float) -> dict[str, dict[str, float]]:
    """p50/p99 (ms) and requests of conditional GETs per URL from wrk (a C client: no Python on the client side),
    one connection as the page keeps, with `/healthz` (no stored body, no ETag) run the same way as the floor."""
    found = {"/healthz (floor)": _wrk(f"{base}/healthz", {}, seconds)}
    for url, etag in etags.items():
        found[url] = _wrk(base + url, {"If-None-Match": etag}, seconds)
    return found


def _wrk(url: str, headers: dict[str, str], seconds: float) -> dict[str, float]:
    command = ["wrk", "-t1", "-c1", f"-d{seconds:g}s", "--latency", *(f"-H{name}: {value}" for name, value in headers.items()), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    quantiles = {
        match[0]: float(match[1]) * units[match[2]]
        for match in re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    }
    requests = re.search(r"(\d+) requests in", out)
    unexpected = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50_ms": quantiles["50"],
        "p99_ms": quantiles["99"],
        "requests": float(requests.group(1)) if requests else 0.0,
        "not_2xx_3xx": float(unexpected.group(1)) if unexpected else 0.0,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def record(result: dict[str, object]) -> None:
    lines = [
        "",
        f"## Dashboard: first load and 304 polls ({result['date']}, `python -m bench.dashboard`)",
        "",
        f"Headless Chromium on {result['machine']}; `forecast serve` with the models stored in `FORECAST_MODELS_DIR`.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| first load, cold server bodies (s) | {result['first_load_cold_s']:.3f} | < 1 |",
        f"| first load, warm, median / max of {result['loads'] - 1} (s) | {result['first_load_warm_median_s']:.3f} / {result['first_load_warm_max_s']:.3f} | < 1 |",
        f"| first load floor: /healthz in a fresh context, median (s) | {result['floor_load_median_s']:.3f} | baseline |",
        f"| 304 poll p50 / p99 over {result['polls']}, Python client (ms) | {result['poll_p50_ms']:.2f} / {result['poll_p99_ms']:.2f} | p99 < 5 |",
        *(
            f"| wrk {url}: p50 / p99 (ms) | {figures['p50_ms']:.2f} / {figures['p99_ms']:.2f} | {'baseline' if url.startswith('/healthz') else 'p99 < 5'} |"
            for url, figures in result["wrk"].items()  # type: ignore[attr-defined]
        ),
        "",
    ]
    with (ROOT / "BENCHMARKS.md").open("a") as handle:
        handle.write("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--ready-timeout", type=float, default=600)
    parser.add_argument("--wrk-seconds", type=float, default=5, help="seconds of wrk per polled URL (skipped without wrk)")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()
    port = free_port()
    server = start_server(port, args.ready_timeout)
    try:
        base = f"http://127.0.0.1:{port}"
        loads, floor = first_loads(base, max(2, args.loads))
        etags = polled_urls(base)
        times, not_304 = polls(base, etags, args.polls)
        by_wrk = wrk_polls(base, etags, args.wrk_seconds) if shutil.which("wrk") else {}
    finally:
        server.terminate()
        server.wait(30)
    warm = loads[1:]
    polled = [figures for url, figures in by_wrk.items() if not url.startswith("/healthz")]
    wrk_p99 = max((figures["p99_ms"] for figures in polled), default=None)
    result: dict[str, object] = {
        "bench": "dashboard",
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": round(os.getloadavg()[0], 2),
        "loads": len(loads),
        "first_load_cold_s": round(loads[0], 4),
        "first_load_warm_median_s": round(statistics.median(warm), 4),
        "first_load_warm_max_s": round(max(warm), 4),
        "floor_load_median_s": round(statistics.median(floor), 4),
        "polls": len(times),
        "poll_p50_ms": round(percentile(times, 50), 3),
        "poll_p99_ms": round(percentile(times, 99), 3),
        "polls_not_304": not_304,
        "wrk": {url: {k: round(v, 3) for k, v in figures.items()} for url, figures in by_wrk.items()},
        "wrk_poll_p99_ms": wrk_p99,
        "meets_targets": loads[0] < 1
        and max(warm) < 1
        and (wrk_p99 if wrk_p99 is not None else percentile(times, 99)) < 5
        and not_304 == 0,
    }
    print(
        f"first load: cold {loads[0]:.3f} s, warm median {statistics.median(warm):.3f} s (max {max(warm):.3f} s); "
        f"floor (/healthz in a fresh context) median {statistics.median(floor):.3f} s"
    )
    print(f"304 polls, Python client: p50 {percentile(times, 50):.2f} ms, p99 {percentile(times, 99):.2f} ms, {not_304} not 304")
    if by_wrk:
        print(f"{'wrk, one connection':58} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'not 2xx/3xx':>12}")
        for url, figures in by_wrk.items():
            print(f"{url:58} {figures['p50_ms']:8.2f} {figures['p99_ms']:8.2f} {figures['requests']:9.0f} {figures['not_2xx_3xx']:12.0f}")
    if args.record:
        record(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

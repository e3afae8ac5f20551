"""Scale: fit throughput with 1 and 2 workers against statsforecast AutoETS, start-up from stored models, memory and GET p99.

Run from the project root (needs the bench extra for statsforecast, and ``wrk``)::

    .venv/bin/python -m bench.scale [--sizes 100,1000,10000] [--fit-sizes 100] [--duration 10]

Every series is made up (bench/scale_data.py: monthly with year-to-date gaps and January-February
released together, annual-only, half-year; test data, never written into data/), in a temporary folder.

1. **Fit** (each of ``--fit-sizes``): today's fit of every series as the service asks for it
   (fitting.today_request: its figures now and at its backtest origins, the service's paths and
   origins), run by fitting.Fitter with 1 worker, then 2 (joblib; the worker pool is started before
   the clock). Side by side, statsforecast AutoETS on the same series' months (reported months and
   months implied by consecutive year-to-date totals, gaps filled log-linearly: bench/accuracy's
   baseline input), or on their year totals for a series with no months, horizon 18 months (10
   years; a yearly series of under 8 years is left out: ETS refuses it), one process; numba's
   compilation is done before the clock. The ratio is per series.
   ``os.getloadavg()`` is recorded beside each run: the machine is shared.
2. **Serve** (10 series, then each of ``--sizes``): the fits are stored as the service stores them
   (one joblib artifact recorded in the store), a real uvicorn is started on that folder and timed
   until ``/readyz`` answers 200 (reading data/, then loading the stored models); every series'
   forecast is then asked for once (the first GET builds each body: "cold"), then ``wrk`` loads
   the forecast URLs of all series in turn ("warm"). Memory is the server's resident set
   (VmRSS, and its peak VmHWM) after that.

   At a size above the largest fitted one, series k repeats the figures of made-up series
   k mod F under its own id and is served that series' fit (a real fit of the same figures, the
   fit being deterministic), relabelled to its id: said in the output. The stored snapshot holds
   today's fits only, no as-of replays (a refit stores also the month-ends of the last 18 months,
   each a fit of every series), so its start-up and memory are those of today's forecasts.

Cost: a fit took about 10 s a series here (1 worker), so ``--fit-sizes`` stays small on 2 cores; a
served series held about 1.1 MB in the server (BENCHMARKS.md), and the script holds as much again
while it writes the artifact: 10,000 series want about 23 GB.

Prints a table, then one JSON object as the last line. Seconds are comparable only within one run.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bench.http import WRK_LUA, Server, http_request, run_wrk  # noqa: E402
from bench.scale_data import made_up_series, write_data_dir  # noqa: E402
from forecast.config import Settings  # noqa: E402
from forecast.domain import Aggregation  # noqa: E402
from forecast.engine.borrowing import Prior  # noqa: E402
from forecast.engine.projection import SeriesForecast  # noqa: E402
from forecast.fitting import FitOutcome, FitRequest, Fitter, today_request  # noqa: E402
from forecast.services import MODEL_VERSION, ForecastService, Snapshot  # noqa: E402
from forecast.store import Store  # noqa: E402

REFERENCE_SIZE = 10
PORT = 8791
HORIZON_MONTHS = 18
HORIZON_YEARS = 10
MIN_YEARS_AUTOETS = 8


def log(message: str) -> None:
    print(f"[bench.scale] {message}", file=sys.stderr, flush=True)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class Folder:
    """A service's folder: data/ of made-up series, its store, its models."""

    root: Path

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.root / "data", models_dir=self.root / "models", database_path=self.root / "db.sqlite3", n_jobs=1)

    def env(self) -> dict[str, str]:
        settings = self.settings
        return {
            **os.environ,
            "FORECAST_DATA_DIR": str(settings.data_dir),
            "FORECAST_MODELS_DIR": str(settings.models_dir),
            "FORECAST_DATABASE_PATH": str(settings.database_path),
            "FORECAST_N_JOBS": "1",
        }


def service_on(folder: Folder, count: int, distinct: int | None) -> ForecastService:
    write_data_dir(folder.root / "data", made_up_series(count, distinct))
    service = ForecastService(folder.settings, Store(folder.settings.database_path))
    service.load_data_dir()
    return service


# ----------------------------------------------------------------------------- fit


def fit_requests(service: ForecastService) -> list[FitRequest]:
    catalog = service.catalog()
    origins = service._origins  # noqa: SLF001 - the service's own choice of backtest origins
    return [
        today_request(catalog, sid, Prior(), service.settings, origins(catalog, sid), service.catalog) for sid in sorted(catalog.series)
    ]


def _noop(x: int) -> int:
    return x


def timed_fit(requests: Sequence[FitRequest], workers: int) -> tuple[list[FitOutcome], dict[str, object]]:
    fitter = Fitter(workers)
    if workers > 1:  # start the joblib (loky) pool before the clock: the service's pool outlives one refit
        from joblib import Parallel, delayed

        Parallel(n_jobs=workers)(delayed(_noop)(k) for k in range(workers * 4))
    before = load()
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = fitter.run(requests)
    seconds = time.perf_counter() - started
    return outcomes, {
        "seconds": round(seconds, 2),
        "series_per_s": round(len(requests) / seconds, 3),
        "s_per_series": round(seconds / len(requests), 3),
        "load_before": before,
        "load_after": load(),
        "failed": sum(1 for o in outcomes if o.forecast is None),
    }


def baseline_arrays(service: ForecastService) -> list[tuple[np.ndarray, int, int]]:
    """Each series' AutoETS input: (values, season length, horizon), from the figures the fit reads."""
    from bench.accuracy import _known_months, _regular

    catalog = service.catalog()
    out = []
    for sid in sorted(catalog.series):
        figures = catalog.fit_figures(sid)
        months = {day: value for day, value in _known_months(figures).items() if value > 0}
        if len(months) >= 24:
            out.append((_regular(months, max(months))[0], 12, HORIZON_MONTHS))
        else:
            years = {f.period.start.year: f.value for f in figures if f.aggregation is Aggregation.YEAR}
            if len(years) >= MIN_YEARS_AUTOETS:  # fewer: statsforecast's ETS refuses ("tiny datasets")
                out.append((np.array([years[y] for y in sorted(years)], dtype=float), 1, HORIZON_YEARS))
    return out


def timed_autoets(arrays: Sequence[tuple[np.ndarray, int, int]]) -> dict[str, object]:
    """AutoETS on every series, one process: monthly ones (season 12) and yearly ones (season 1) as two frames."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    def run(items: Sequence[tuple[np.ndarray, int, int]]) -> None:
        if not items:
            return
        season, horizon = items[0][1], items[0][2]
        frame = pd.concat(
            [pd.DataFrame({"unique_id": k, "ds": np.arange(len(v)), "y": v}) for k, (v, _, _) in enumerate(items)], ignore_index=True
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            StatsForecast(models=[AutoETS(season_length=season)], freq=1, n_jobs=1).forecast(df=frame, h=horizon, level=[80, 95])

    monthly = [a for a in arrays if a[1] == 12]
    yearly = [a for a in arrays if a[1] == 1]
    run(monthly[:2])  # numba compiles here, before the clock
    run(yearly[:2])
    before = load()
    started = time.perf_counter()
    run(monthly)
    run(yearly)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "s_per_series": round(seconds / len(arrays), 4),
        "monthly_series": len(monthly),
        "yearly_series": len(yearly),
        "load_before": before,
        "load_after": load(),
    }


def fit_size(work: Path, count: int, workers: Sequence[int]) -> tuple[dict[str, object], dict[str, SeriesForecast], dict[str, str]]:
    folder = Folder(work / f"fit-{count}")
    service = service_on(folder, count, None)
    started = time.perf_counter()
    requests = fit_requests(service)
    build_s = time.perf_counter() - started
    log(f"{count} series: {len(requests)} fit requests built in {build_s:.1f} s")
    runs: dict[str, object] = {}
    outcomes: list[FitOutcome] = []
    for n in workers:
        log(f"{count} series: fitting with {n} worker(s), load {load()}")
        outcomes, runs[str(n)] = timed_fit(requests, n)
        log(f"  {runs[str(n)]}")
    log(f"{count} series: AutoETS")
    arrays = baseline_arrays(service)
    autoets = {**timed_autoets(arrays), "left_out": f"{count - len(arrays)} yearly series of under {MIN_YEARS_AUTOETS} years"}
    log(f"  {autoets}")
    one = runs.get("1")
    result: dict[str, object] = {
        "series": count,
        "requests_built_s": round(build_s, 2),
        "workers": runs,
        "autoets": autoets,
        "speedup_2_over_1": round(one["seconds"] / runs["2"]["seconds"], 3) if one and "2" in runs else None,  # type: ignore[index]
        "ours_over_autoets_per_series": round(one["s_per_series"] / autoets["s_per_series"], 2) if one else None,  # type: ignore[index,operator]
        "peak_rss_mb_bench_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    forecasts = {o.series_id: o.forecast for o in outcomes if o.forecast is not None}
    failures = {o.series_id: o.failure for o in outcomes if o.forecast is None}
    return result, forecasts, failures


# ----------------------------------------------------------------------------- serve


def relabelled(fit: SeriesForecast, series_id: str) -> SeriesForecast:
    """A fit of series `fit.series_id` served as `series_id`, which has the very same figures under its own id."""
    old = fit.series_id
    copied = copy.deepcopy(fit)  # its own arrays, as a fit of its own would have: stored and loaded without sharing
    return replace(copied, series_id=series_id, source_keys=[series_id + key[len(old) :] for key in fit.source_keys])


def store_models(
    service: ForecastService, fitted: Mapping[str, SeriesForecast], failures: Mapping[str, str], distinct: int | None
) -> tuple[int, int]:
    """Save a snapshot of today's fits (no replays) as the service saves one: the artifact's bytes, the forecasts in it."""
    catalog = service.catalog()
    forecasts: dict[str, SeriesForecast] = {}
    fails: dict[str, str] = {}
    for sid in sorted(catalog.series):
        source = sid if distinct is None else f"scale_{int(sid.split('_')[1]) % distinct:05d}"
        if source in fitted:
            forecasts[sid] = fitted[source] if source == sid else relabelled(fitted[source], sid)
        else:
            fails[sid] = failures.get(source, "not fitted")
    fingerprint = service.store.fingerprint()
    snapshot = Snapshot(
        version=f"{fingerprint}/{MODEL_VERSION}",
        data_fingerprint=fingerprint,
        catalog=catalog,
        forecasts=forecasts,
        failures=fails,
        assessments={},
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        refitted=tuple(sorted(forecasts)),
    )
    service.artifacts.save(service._artifact_name(), snapshot, snapshot.manifest())  # noqa: SLF001 - exactly what a refit writes
    return service.artifacts.path_for("forecasts").stat().st_size, len(forecasts)


def _proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def percentiles(values: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(values, 50)) * 1000, 3), "p99_ms": round(float(np.percentile(values, 99)) * 1000, 3)}


def serve_size(
    work: Path, count: int, fitted: Mapping[str, SeriesForecast], failures: Mapping[str, str], fitted_count: int, args: argparse.Namespace
) -> dict[str, object]:
    distinct = fitted_count if count > fitted_count else None
    folder = Folder(work / f"serve-{count}")
    service = service_on(folder, count, distinct)
    artifact_bytes, served = store_models(service, fitted, failures, distinct)
    ids = sorted(service.catalog().series)
    del service
    server = Server(f"service ({count} series)", "forecast.api.app:create_app", PORT, folder.env(), work / f"serve-{count}.log")
    server.start()
    try:
        ready_s = server.wait_ready("/readyz", timeout=args.ready_timeout)
        pid = server.proc.pid  # type: ignore[union-attr]
        rss_ready = _proc_kb(pid, "VmRSS")
        body = http_request(PORT, "GET", "/readyz").json()
        paths = [f"/v1/series/{sid}/forecast" for sid in ids]
        rng = np.random.default_rng(1)
        cold = []
        for path in rng.permutation(paths):
            started = time.perf_counter()
            response = http_request(PORT, "GET", str(path))
            cold.append(time.perf_counter() - started)
            if response.status not in (200, 422):
                raise RuntimeError(f"GET {path}: {response.status} {response.body[:200]!r}")
        url_file = work / f"paths-{count}.txt"
        url_file.write_text("\n".join(str(p) for p in rng.permutation(paths)) + "\n")
        lua = work / f"paths-{count}.lua"
        lua.write_text(_cycling_lua(url_file) + WRK_LUA)
        before = load()
        warm = run_wrk(f"http://127.0.0.1:{PORT}", lua_path=lua, duration=args.duration, connections=args.connections, threads=2)
        return {
            "series": count,
            "fits_from": f"{distinct} distinct made-up series, repeated under further ids" if distinct else "each series its own fit",
            "artifact_mb": round(artifact_bytes / 1e6, 2),
            "ready_s": round(ready_s, 2),
            "readyz": body.get("status") if isinstance(body, dict) else None,
            "rss_mb_ready": round(rss_ready / 1024, 1),
            "rss_mb_after_gets": round(_proc_kb(pid, "VmRSS") / 1024, 1),
            "peak_rss_mb": round(_proc_kb(pid, "VmHWM") / 1024, 1),
            "cold_first_get": {"requests": len(cold), **percentiles(cold)},
            "warm_wrk": {**warm.as_json(), "requests": warm.requests, "errors": warm.errors, "urls": len(paths)},
            "load_before_wrk": before,
            "forecasts_stored": served,
        }
    finally:
        server.stop()


def _cycling_lua(url_file: Path) -> str:
    return f"""
local paths = {{}}
for line in io.lines("{url_file}") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


# ----------------------------------------------------------------------------- report


def goals(fits: Sequence[Mapping[str, object]], serving: Sequence[Mapping[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    speedups = [f["speedup_2_over_1"] for f in fits if f.get("speedup_2_over_1") is not None]
    ratios = [f["ours_over_autoets_per_series"] for f in fits if f.get("ours_over_autoets_per_series") is not None]
    out["two_workers_at_least_1_8x"] = all(s >= 1.8 for s in speedups) if speedups else None  # type: ignore[operator]
    out["within_2x_autoets_per_series"] = all(r <= 2.0 for r in ratios) if ratios else None  # type: ignore[operator]
    reference = next((s for s in serving if s["series"] == REFERENCE_SIZE), None)
    largest = max(serving, key=lambda s: s["series"]) if serving else None  # type: ignore[arg-type,return-value]
    if reference and largest and largest is not reference:
        p99_ratio = largest["warm_wrk"]["p99_ms"] / reference["warm_wrk"]["p99_ms"]  # type: ignore[index]
        out["warm_p99_largest_over_10"] = round(p99_ratio, 3)
        out["warm_p99_within_10pct"] = p99_ratio <= 1.1
        cold_ratio = largest["cold_first_get"]["p99_ms"] / reference["cold_first_get"]["p99_ms"]  # type: ignore[index]
        out["cold_p99_largest_over_10"] = round(cold_ratio, 3)
    if len(serving) >= 3:  # memory per series between consecutive sizes: linear if about the same
        per = []
        for small, big in zip(serving, serving[1:], strict=False):
            grown = big["rss_mb_after_gets"] - small["rss_mb_after_gets"]  # type: ignore[operator]
            per.append(round(grown * 1024 / (big["series"] - small["series"]), 1))  # type: ignore[operator]
        out["rss_kb_per_series_between_sizes"] = per
    return out


def render(result: Mapping[str, object]) -> str:
    lines = ["fit (today's fit of every made-up series; AutoETS on the same months, one process)"]
    head = f"  {'series':>7} {'workers':>7} {'seconds':>9} {'series/s':>9} {'s/series':>9} {'load before -> after':>28} {'failed':>6}"
    lines.append(head)
    for fit in result["fits"]:  # type: ignore[attr-defined]
        for n, run in fit["workers"].items():
            lines.append(
                f"  {fit['series']:>7} {n:>7} {run['seconds']:>9} {run['series_per_s']:>9} {run['s_per_series']:>9} "
                f"{str(run['load_before']) + ' -> ' + str(run['load_after']):>28} {run['failed']:>6}"
            )
        a = fit["autoets"]
        lines.append(
            f"  {fit['series']:>7} {'AutoETS':>7} {a['seconds']:>9} {'':>9} {a['s_per_series']:>9} "
            f"{str(a['load_before']) + ' -> ' + str(a['load_after']):>28}"
        )
        lines.append(
            f"  2 workers / 1: {fit['speedup_2_over_1']}x; ours / AutoETS per series (1 worker): {fit['ours_over_autoets_per_series']}x"
        )
    lines.append("")
    lines.append("serve (real uvicorn on the stored models; cold: first GET of every series' forecast; warm: wrk over all of them)")
    lines.append(
        f"  {'series':>7} {'artifact MB':>11} {'ready s':>8} {'RSS MB':>8} {'peak MB':>8} {'cold p50':>9} {'cold p99':>9} "
        f"{'warm req/s':>10} {'warm p50':>9} {'warm p99':>9}  fits"
    )
    for s in result["serving"]:  # type: ignore[attr-defined]
        c, w = s["cold_first_get"], s["warm_wrk"]
        lines.append(
            f"  {s['series']:>7} {s['artifact_mb']:>11} {s['ready_s']:>8} {s['rss_mb_after_gets']:>8} {s['peak_rss_mb']:>8} "
            f"{c['p50_ms']:>9} {c['p99_ms']:>9} {w['rps']:>10} {w['p50_ms']:>9} {w['p99_ms']:>9}  {s['fits_from']}"
        )
    lines.append("")
    lines.append(f"goals: {json.dumps(result['goals'])}")
    return "\n".join(lines)


def sizes(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes, default=[100, 1000, 10000], help="series served (default 100,1000,10000)")
    parser.add_argument("--fit-sizes", type=sizes, default=None, help="series fitted, 1 and 2 workers and AutoETS (default: --sizes)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per size (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--ready-timeout", type=float, default=1800.0, help="seconds a server may take to be ready")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path goes to stderr)")
    args = parser.parse_args(argv)
    fit_sizes = args.fit_sizes or args.sizes
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    log(f"working in {work}; cpus {os.cpu_count()}, load {load()}")
    fits, fitted, failures, fitted_count = [], {}, {}, 0
    try:
        for count in fit_sizes:
            found, forecasts, failed = fit_size(work, count, (1, 2))
            fits.append(found)
            if count > fitted_count:
                fitted, failures, fitted_count = forecasts, failed, count
        serving = []
        for count in sorted({REFERENCE_SIZE, *args.sizes}):
            serving.append(serve_size(work, count, fitted, failures, fitted_count, args))
            log(json.dumps(serving[-1]))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "bench": "scale",
        "date": date.today().isoformat(),
        "cpus": os.cpu_count(),
        "made_up": "every series is made up by bench/scale_data.py (test data, not reported figures)",
        "fits": fits,
        "serving": serving,
    }
    result["goals"] = goals(fits, serving)
    print(render(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

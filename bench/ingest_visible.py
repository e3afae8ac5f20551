"""Ingest-to-visible: how long after an ingest a new figure shows in its forecast and targets, against a full refit.

Run from the project root::

    .venv/bin/python -m bench.ingest_visible [--paths 2000] [--origins 8]

In one run, on a fresh temporary store loaded with data/ (nothing in data/ is changed):

1. fits everything once (the start-up fit);
2. for a carmaker series and for the national series (the one marked `lends_prior`), sends one
   synthetic figure (the month after the series' last reported month, at that month's value, sent
   as `POST /v1/observations` sends it: `ForecastService.ingest`) and times from the ingest's call
   to the swap that serves it (the figure is then in the forecast's and the targets' bodies), and to the
   last swap, when the as-of history (replays, targets' histories) has caught up (`->history`);
3. refits everything on the same data (`refit()`, the baseline: what every ingest cost before) and
   times it the same way, right after, in the same process.

The synthetic figures live only in the temporary store. Prints a table, then one JSON line.
The machine is small and shared: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from forecast.catalog import Catalog  # noqa: E402
from forecast.config import Settings  # noqa: E402
from forecast.domain import Aggregation, Basis, Kind, Observation, add_months, month_end  # noqa: E402
from forecast.services import ForecastService, Snapshot  # noqa: E402
from forecast.store import Store  # noqa: E402


def _last_month(catalog: Catalog, series_id: str) -> Observation | None:
    months = [o for o in catalog.reported if o.series_id == series_id and o.aggregation is Aggregation.MONTH and o.kind is Kind.LEVEL]
    return max(months, key=lambda o: (o.period.end, o.vintage), default=None)


def carmaker(catalog: Catalog) -> str:
    """The company series with the most recent monthly figure that lends nothing and is no part or total."""
    roles = {catalog.prior_lender(), *catalog.parts(), *catalog.parts().values()}
    candidates = [s.id for s in catalog.series.values() if s.basis is Basis.COMPANY and s.id not in roles and _last_month(catalog, s.id)]
    return max(candidates, key=lambda sid: (_last_month(catalog, sid).period.end, sid))  # type: ignore[union-attr]


def next_month_row(catalog: Catalog, series_id: str) -> dict[str, object]:
    """A synthetic figure for the month after the series' last reported month, at that month's value."""
    last = _last_month(catalog, series_id)
    assert last is not None, f"{series_id} has no monthly figure"
    start = add_months(last.period.start, 1)
    end = month_end(start.year, start.month)
    published = min(end + timedelta(days=12), date.today())
    return {
        "series_id": series_id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "aggregation": "month",
        "kind": "level",
        "value": last.value,
        "unit": last.unit,
        "qualifier": "exact",
        "yoy_pct": None,
        "mom_pct": None,
        "source_publisher": "bench fixture",
        "source_url": f"https://example.test/bench/{series_id}/{start:%Y-%m}",
        "source_file": "",
        "published_date": published.isoformat(),
        "published_date_estimated": False,
        "disputed": False,
        "note": "synthetic figure sent by bench/ingest_visible.py",
    }


def timed_swaps(service: ForecastService, action: str, run: object) -> list[tuple[float, Snapshot]]:
    """Seconds from calling `run` to each swap it causes (an ingest's refit swaps twice: its figures served, then its
    as-of history), and the snapshots swapped in."""
    swapped: list[tuple[float, Snapshot]] = []
    listener = lambda snapshot: swapped.append((time.perf_counter(), snapshot))  # noqa: E731
    service.on_swap.append(listener)
    started = time.perf_counter()
    run()  # type: ignore[operator]
    service.on_swap.remove(listener)
    assert swapped, f"{action}: no swap"
    return [(at - started, snapshot) for at, snapshot in swapped]


def timed_until_swap(service: ForecastService, action: str, run: object) -> tuple[float, Snapshot]:
    """Seconds from calling `run` to the first swap it causes, and the snapshot swapped in."""
    return timed_swaps(service, action, run)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=Settings().simulation_paths)
    parser.add_argument("--origins", type=int, default=Settings().backtest_origins)
    parser.add_argument("--cases", default="carmaker,national", help="which of carmaker,national to run")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ingest-visible-"))
    settings = Settings(
        models_dir=folder / "models", database_path=folder / "db.sqlite3", simulation_paths=args.paths, backtest_origins=args.origins
    )
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    print("fitting everything once (the start-up fit)...", file=sys.stderr)
    start_up, _ = timed_until_swap(service, "start-up fit", service.refit)
    catalog = service.snapshot.catalog
    cases = {"carmaker": carmaker(catalog), "national": catalog.prior_lender()}
    results: dict[str, dict[str, object]] = {}
    for case, series_id in cases.items():
        if case not in args.cases.split(","):
            continue
        assert series_id is not None
        row = next_month_row(service.snapshot.catalog, series_id)
        print(f"{case}: {series_id} {row['period_start']} ...", file=sys.stderr)
        days_before = set(service.snapshot.replays)
        swaps = timed_swaps(service, case, lambda r=row: service.ingest([r], run_in_background=False))  # type: ignore[misc]
        (seconds, snapshot), (caught_up, last) = swaps[0], swaps[-1]
        assert getattr(last, "history_pending", None) is None, f"{case}: the as-of history did not catch up"
        assert series_id in snapshot.forecasts and snapshot.forecasts[series_id].last_reported_end == date.fromisoformat(
            str(row["period_end"])
        )
        full, _ = timed_until_swap(service, f"{case} full refit", service.refit)
        results[case] = {
            "series_id": series_id,
            "ingest_to_visible_s": round(seconds, 2),
            "ingest_to_history_s": round(caught_up, 2),
            "swaps": len(swaps),
            "full_refit_s": round(full, 2),
            "ratio": round(seconds / full, 3),
            "refitted": len(snapshot.refitted),
            "of_series": len(snapshot.catalog.series),
            "reassessed": len(snapshot.reassessed),
            "of_targets": len(snapshot.assessments),
            "new_replay_day": sorted(str(d) for d in set(last.replays) - days_before),
        }
    print(
        f"{'case':10} {'series':36} {'ingest->visible s':>18} {'->history s':>12} {'full refit s':>13} {'ratio':>7} {'refitted':>9} "
        f"{'reassessed':>11}"
    )
    for case, found in results.items():
        print(
            f"{case:10} {found['series_id']!s:36} {found['ingest_to_visible_s']:>18} {found['ingest_to_history_s']:>12} "
            f"{found['full_refit_s']:>13} {found['ratio']:>7} "
            f"{found['refitted']!s:>5}/{found['of_series']!s:<3} {found['reassessed']!s:>6}/{found['of_targets']!s:<4}"
        )
    print(f"start-up fit: {start_up:.1f} s; paths {args.paths}, origins {args.origins}, n_jobs {settings.n_jobs}, cpus {os.cpu_count()}")
    print(
        json.dumps(
            {"bench": "ingest_visible", "start_up_fit_s": round(start_up, 2), "paths": args.paths, "n_jobs": settings.n_jobs, **results}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Served bodies before and after a change that must not change behaviour.

    python -m bench.unchanged capture FILE      # fit data/ and save every served body
    python -m bench.unchanged compare FILE      # fit again and compare with FILE

Every body a dashboard can read is fetched through the HTTP app (TestClient):
the series list; each series' forecast at month, quarter and year, every
interval level, as far as the projection reaches, today and as of every replay
day; the targets list and each target (history and revisions included).
Timestamps of the fit (`fitted_at`, `created_at`, `version`) are left out;
every other number must agree to 1e-9 relative, or to the 1e-6 the API
rounds to. Prints a table and, last, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

VOLATILE = {"fitted_at", "created_at", "version", "finished_at"}
RELATIVE, ABSOLUTE = 1e-9, 1e-6
LEVELS = "50,80,90,95,99"


def served_bodies() -> tuple[dict[str, Any], float]:
    from forecast.api.app import create_app
    from forecast.config import Settings
    from forecast.services import ForecastService
    from forecast.store import Store

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_path=Path(folder) / "db.sqlite3", models_dir=Path(folder) / "models", _env_file=None)
        service = ForecastService(settings, Store(settings.database_path))
        service.load_data_dir()
        started = time.perf_counter()
        snapshot = service.refit()
        seconds = time.perf_counter() - started
        client = TestClient(create_app(settings, service, fit_on_start=False))
        bodies: dict[str, Any] = {}

        def get(url: str) -> None:
            response = client.get(url)
            bodies[url] = {"status": response.status_code, "body": response.json()}

        get("/v1/series")
        get("/v1/targets")
        for target_id in snapshot.assessments:
            get(f"/v1/targets/{target_id}")
        days = [None, *sorted(snapshot.replays)]
        for series_id in sorted(snapshot.catalog.series):
            for day in days:
                for freq in ("month", "quarter", "year"):
                    found = snapshot.forecasts.get(series_id) if day is None else snapshot.replays[day].get(series_id)
                    if found is None:
                        continue
                    reach = len(found.points.get(freq, []))
                    if reach:
                        as_of = "" if day is None else f"&as_of={day.isoformat()}"
                        get(f"/v1/series/{series_id}/forecast?freq={freq}&horizon={reach}&levels={LEVELS}{as_of}")
        return bodies, seconds


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    """Where two JSON values differ, beyond the timestamps of the fit and the tolerance."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = [f"{where}.{k}: only in one" for k in set(before) ^ set(after) if k not in VOLATILE]
        for key in before.keys() & after.keys():
            if key not in VOLATILE:
                found += differences(before[key], after[key], f"{where}.{key}")
        return found
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{where}: {len(before)} items, now {len(after)}"]
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True)) for d in differences(b, a, f"{where}[{i}]")]
    if (
        isinstance(before, (int, float))
        and isinstance(after, (int, float))
        and not isinstance(before, bool)
        and not isinstance(after, bool)
    ):
        if abs(before - after) <= max(RELATIVE * abs(before), ABSOLUTE):
            return []
        return [f"{where}: {before} -> {after}"]
    return [] if before == after else [f"{where}: {before!r} -> {after!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.unchanged", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["capture", "compare"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    bodies, seconds = served_bodies()
    if args.action == "capture":
        args.file.write_text(json.dumps({"seconds": seconds, "bodies": bodies}))
        print(f"{len(bodies)} bodies captured in {seconds:.1f} s of fitting")
        print(json.dumps({"bodies": len(bodies), "refit_seconds": round(seconds, 1)}))
        return 0
    saved = json.loads(args.file.read_text())
    before = saved["bodies"]
    problems = [f"{url}: missing now" for url in before.keys() - bodies.keys()] + [f"{url}: new" for url in bodies.keys() - before.keys()]
    for url in sorted(before.keys() & bodies.keys()):
        problems += [f"{url}{d}" for d in differences(before[url], bodies[url])]
    print(f"{'bodies compared':<24}{len(before.keys() & bodies.keys()):>8}")
    print(f"{'differences':<24}{len(problems):>8}")
    print(f"{'refit seconds before':<24}{saved['seconds']:>8.1f}")
    print(f"{'refit seconds now':<24}{seconds:>8.1f}")
    for line in problems[:40]:
        print("  " + line)
    print(
        json.dumps(
            {
                "bodies": len(before),
                "differences": len(problems),
                "refit_seconds_before": round(saved["seconds"], 1),
                "refit_seconds_now": round(seconds, 1),
            }
        )
    )
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())

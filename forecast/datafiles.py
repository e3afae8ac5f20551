"""The data/ files written back from the store: series, observations and targets in the columns data.load_directory reads.

What teams added over the API (tracking.py, POST /v1/observations) lives in the
store; `forecast export data -o DIR` writes it with everything else, so it can be
reviewed and committed, and `load_directory(DIR)` reads back the same series,
targets and figures (each figure's latest version, its vintage its publication date).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from forecast.data import OBSERVATION_COLUMNS, OBSERVATIONS_FILE
from forecast.definitions import SERIES_COLUMNS, SERIES_FILE, TARGET_COLUMNS, TARGETS_FILE
from forecast.domain import Observation, Series, Target


def _cell(value: object) -> str:
    """A value as data/ writes it: blank for none, true/false, numbers exactly (repr reads back to the same float)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _table(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: _cell(row.get(column)) for column in columns})
    return out.getvalue()


def series_csv(series: Iterable[Series]) -> str:
    return _table(SERIES_COLUMNS, ({**vars(s), "basis": s.basis.value} for s in series))


def targets_csv(targets: Iterable[Target]) -> str:
    return _table(
        TARGET_COLUMNS,
        (
            {
                **vars(t),
                "target_id": t.id,
                "source_publisher": t.source.publisher,
                "source_url": t.source.url,
                "source_file": t.source.seed_file,
            }
            for t in targets
        ),
    )


def observations_csv(observations: Iterable[Observation]) -> str:
    return _table(OBSERVATION_COLUMNS, (_observation_row(o) for o in observations if not o.is_derived))


def _observation_row(o: Observation) -> dict[str, object]:
    return {
        "series_id": o.series_id,
        "period_start": o.period.start.isoformat(),
        "period_end": o.period.end.isoformat(),
        "aggregation": o.aggregation.value,
        "kind": o.kind.value,
        "value": o.value,
        "unit": o.unit,
        "qualifier": o.qualifier.value,
        "yoy_pct": o.yoy_pct,
        "mom_pct": o.mom_pct,
        "source_publisher": o.source.publisher,
        "source_url": o.source.url,
        "source_file": o.source.seed_file,
        "published_date": o.source.published_date.isoformat() if o.source.published_date else "",
        "published_date_estimated": o.source.published_date_estimated,
        "disputed": o.disputed,
        "note": o.note,
    }


def write_directory(folder: Path, series: Iterable[Series], observations: Iterable[Observation], targets: Iterable[Target]) -> None:
    """Write series.csv, observations.csv and targets.csv into `folder` (created if need be)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SERIES_FILE).write_text(series_csv(series), encoding="utf-8")
    (folder / OBSERVATIONS_FILE).write_text(observations_csv(observations), encoding="utf-8")
    (folder / TARGETS_FILE).write_text(targets_csv(targets), encoding="utf-8")

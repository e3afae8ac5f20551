"""Response bodies, serialised once per snapshot and served as bytes with an ETag.

Nothing here fits a model: it turns a Snapshot's values into JSON or CSV, and
keeps each body keyed by the normalised query until the next swap.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np

from forecast.api.hotpath import RawKey, StoredResponse
from forecast.catalog import Catalog
from forecast.domain import Observation
from forecast.engine.projection import SeriesForecast
from forecast.services import Snapshot


@dataclass(frozen=True)
class Body:
    content: bytes
    etag: str
    media_type: str


def _clean(value: object) -> object:
    if isinstance(value, np.generic):  # a numpy integer or bool in a model description is not JSON
        value = value.item()
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_json(payload: object) -> bytes:
    return json.dumps(_clean(payload), separators=(",", ":"), ensure_ascii=False).encode()


KEPT_AT_LEAST = 5000  # bodies (and finished responses) kept per snapshot before the cache starts again
KEPT_PER_SERIES = 4  # ... or this many per series, if more: a dashboard polling every series must not empty it


class ResponseCache:
    """Bodies for one snapshot; a new snapshot gets a new cache.

    Bounded, so odd queries cannot grow memory without limit: past `limit` entries it starts again. The bound grows
    with the series served, so a dashboard polling every series' forecast keeps every body however many series there
    are, instead of emptying the cache and building them all again (docs/decisions.md, "Serving and HTTP").
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.limit = max(KEPT_AT_LEAST, KEPT_PER_SERIES * len(snapshot.catalog.series))
        self._bodies: dict[str, Body] = {}
        self.stored: dict[RawKey, StoredResponse] = {}  # raw URL -> finished response, for the hot path
        self._lock = threading.Lock()

    def remember(self, key: RawKey, response: StoredResponse) -> None:
        if key in self.stored:
            return
        with self._lock:
            if len(self.stored) > self.limit:
                self.stored.clear()  # bounded, like the bodies
            self.stored[key] = response

    def get(self, key: str, build: Callable[[], tuple[object, str]]) -> Body:
        body = self._bodies.get(key)
        if body is not None:
            return body
        payload, media_type = build()
        content = payload if isinstance(payload, bytes) else to_json(payload)
        # from the bytes themselves: an ingest swaps twice with one data version, and one ETag must never name two bodies
        tag = hashlib.blake2b(content, digest_size=10).hexdigest()
        body = Body(content, f'"{tag}"', media_type)
        with self._lock:
            if len(self._bodies) > self.limit:
                self._bodies.clear()
            self._bodies[key] = body
        return body


def source_dict(observation: Observation) -> dict[str, object]:
    source = observation.source
    return {
        "publisher": source.publisher,
        "url": source.url or None,
        "seed_file": source.seed_file or None,
        "published_date": source.published_date,
        "published_date_estimated": source.published_date_estimated,
    }


def series_list(snapshot: Snapshot) -> list[dict[str, object]]:
    catalog = snapshot.catalog
    out: list[dict[str, object]] = []
    for series in catalog.series.values():
        last = catalog.last_observation(series.id)
        out.append(
            {
                "id": series.id,
                "entity": series.entity,
                "measure": series.measure,
                "basis": series.basis.value,
                "segment": series.segment,
                "unit": series.unit,
                "description": series.description,
                "last_observation": None
                if last is None
                else {
                    "period_start": last.period.start,
                    "period_end": last.period.end,
                    "aggregation": last.aggregation.value,
                    "value": last.value,
                },
                "forecast_available": series.id in snapshot.forecasts,
                "forecast_unavailable_reason": snapshot.failures.get(series.id),
                "retired": retirement(series.retired_on, series.retired_reason),
            }
        )
    return out


def retirement(retired_on: str, reason: str) -> dict[str, str] | None:
    """`retired` in a series' or target's body: when and why, or None while it is tracked."""
    return {"on": retired_on, "reason": reason} if retired_on else None


def observation_dict(catalog: Catalog, observation: Observation, used: set[str]) -> dict[str, object]:
    conflicts = catalog.conflicts_for(observation)
    return {
        "period_start": observation.period.start,
        "period_end": observation.period.end,
        "aggregation": observation.aggregation.value,
        "kind": observation.kind.value,
        "value": observation.value,
        "unit": observation.unit,
        "qualifier": observation.qualifier.value,
        "yoy_pct": observation.yoy_pct,
        "mom_pct": observation.mom_pct,
        "derived": observation.is_derived,
        "derived_from": list(observation.derived_from),
        "vintage": observation.vintage,
        "source": source_dict(observation),
        "note": observation.note,
        "disputed": observation.disputed,
        "used_in_fit": observation.key in used,
        "retired": observation.retired or None,
        "key": observation.key,
        "conflicts": [
            {
                "check": c.check,
                "detail": c.detail,
                "resolution": c.resolution,
                "kept": c.kept_key == observation.key if c.kept_key else None,
            }
            for c in conflicts
        ],
    }


def observations_body(catalog: Catalog, series_id: str) -> dict[str, object]:
    used = catalog.used_keys()
    figures = catalog.observations(series_id)
    return {
        "series_id": series_id,
        "as_of": catalog.as_of,
        "retired": retirement(catalog.series[series_id].retired_on, catalog.series[series_id].retired_reason),
        "count": len(figures),
        "observations": [observation_dict(catalog, o, used) for o in figures],
    }


def observations_csv(body: Mapping[str, object]) -> bytes:
    rows = body["observations"]
    assert isinstance(rows, list)
    buffer = io.StringIO()
    columns = [
        "period_start",
        "period_end",
        "aggregation",
        "kind",
        "value",
        "unit",
        "qualifier",
        "yoy_pct",
        "mom_pct",
        "derived",
        "vintage",
        "publisher",
        "url",
        "seed_file",
        "published_date",
        "disputed",
        "used_in_fit",
        "conflicts",
        "note",
    ]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        source = row["source"]
        writer.writerow(
            [
                row["period_start"],
                row["period_end"],
                row["aggregation"],
                row["kind"],
                row["value"],
                row["unit"],
                row["qualifier"],
                row["yoy_pct"],
                row["mom_pct"],
                row["derived"],
                row["vintage"],
                source["publisher"],
                source["url"] or "",
                source["seed_file"] or "",
                source["published_date"] or "",
                row["disputed"],
                row["used_in_fit"],
                "; ".join(c["check"] for c in row["conflicts"]),
                row["note"],
            ]
        )
    return buffer.getvalue().encode()


def forecast_body(
    snapshot: Snapshot, forecast: SeriesForecast, freq: str, horizon: int, levels: Sequence[int], as_of: date | None
) -> dict[str, object]:
    points = forecast.points.get(freq, [])[:horizon]
    model = forecast.model
    return {
        "series_id": forecast.series_id,
        "unit": forecast.unit,
        "freq": freq,
        "as_of": as_of,
        "data_as_of": forecast.as_of,
        "last_reported_period_end": forecast.last_reported_end,
        "model": {
            "name": model.name,
            "fitted_at": forecast.fitted_at,
            "version": snapshot.version,
            "backtest": model.backtest,
            "calibration": {"monthly": asdict(model.monthly.calibration), "annual": asdict(model.annual.calibration)},
            "details": {"monthly": asdict(model.monthly), "annual": asdict(model.annual)},
        },
        "points": [
            {
                "period_start": p.period_start,
                "period_end": p.period_end,
                "mean": p.mean,
                "median": p.median,
                "reported_share": p.reported_share,
                "intervals": [{"level": level, "lower": p.intervals[level][0], "upper": p.intervals[level][1]} for level in levels],
            }
            for p in points
        ],
        "sources": _sources(snapshot.catalog, forecast.source_keys),
    }


def _sources(catalog: Catalog, keys: Sequence[str]) -> list[dict[str, object]]:
    wanted = set(keys)
    seen: dict[str, dict[str, object]] = {}
    for observation in catalog.figures_of(key.split("|", 1)[0] for key in wanted):  # a key starts with its series' id
        if observation.key in wanted and observation.source.reference not in seen:
            seen[observation.source.reference] = source_dict(observation)
    return list(seen.values())


def forecast_csv(body: Mapping[str, object], levels: Sequence[int]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "series_id",
            "unit",
            "freq",
            "period_start",
            "period_end",
            "mean",
            "median",
            *[f"{edge}_{level}" for level in levels for edge in ("lower", "upper")],
            "model",
        ]
    )
    model, points = body["model"], body["points"]
    assert isinstance(model, Mapping) and isinstance(points, list)  # the shape forecast_body builds
    for point in points:
        bounds = [b for i in point["intervals"] for b in (i["lower"], i["upper"])]
        writer.writerow(
            [
                body["series_id"],
                body["unit"],
                body["freq"],
                point["period_start"],
                point["period_end"],
                f"{point['mean']:.1f}",
                f"{point['median']:.1f}",
                *[f"{b:.1f}" for b in bounds],
                model["name"],
            ]
        )
    return buffer.getvalue().encode()


def target_body(snapshot: Snapshot, target_id: str) -> dict[str, object]:
    return snapshot.assessments[target_id].as_dict()


def targets_list(snapshot: Snapshot) -> list[dict[str, object]]:
    return [a.as_dict() for a in snapshot.assessments.values()]


def series_chart_image(snapshot: Snapshot, forecast: Mapping[str, object], catalog: Catalog, fmt: str = "svg") -> bytes:
    """The fan chart (charts.series_chart) of a forecast body, with the reported figures `catalog` knows:
    drawn from the same cleaned values the JSON serves."""
    from forecast import charts  # matplotlib loads on the first chart, not with the API

    series_id = str(forecast["series_id"])
    series = snapshot.catalog.series[series_id]
    title = f"{series.entity}: {series.measure} ({series.basis.value}, by {forecast['freq']})"
    cleaned = _clean({"forecast": forecast, "observations": observations_body(catalog, series_id)})
    assert isinstance(cleaned, dict)
    return charts.series_chart(cleaned["forecast"], cleaned["observations"], title, fmt=fmt)


def target_chart_image(snapshot: Snapshot, target_id: str, as_of: date | None, fmt: str = "svg") -> bytes:
    """A target's probability and projection over time (charts.target_chart), from the body GET /v1/targets/{id} serves."""
    from forecast import charts

    cleaned = _clean(target_body(snapshot, target_id))
    assert isinstance(cleaned, dict)
    fitted = date.fromisoformat(snapshot.created_at[:10]) if snapshot.created_at else None
    return charts.target_chart(cleaned, as_of=as_of, now=fitted, fmt=fmt)

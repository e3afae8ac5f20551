"""Figures, targets and their stored rows, both ways (tables.py holds the queries)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from forecast.domain import Aggregation, Kind, Observation, Period, Qualifier, Source, Target


def target_json(target: Target) -> str:
    """A target's definition as JSON (retirement apart: it has its own columns)."""
    fields = {key: value for key, value in asdict(target).items() if key not in ("retired_on", "retired_reason")}
    return json.dumps(fields, default=str, sort_keys=True)


def target_from_json(text: str, retired_on: str, retired_reason: str) -> Target:
    fields = json.loads(text)
    source = fields.pop("source")
    published = source.pop("published_date")
    return Target(
        **fields,
        source=Source(**source, published_date=date.fromisoformat(published) if published else None),
        retired_on=retired_on,
        retired_reason=retired_reason,
    )


def observation_to_row(observation: Observation, vintage: date, origin: str, loaded_at: str) -> tuple[object, ...]:
    """The parameters of tables.INSERT_OBSERVATION: one stored version of a figure, dated `vintage`."""
    return (
        observation.key,
        observation.series_id,
        observation.period.start.isoformat(),
        observation.period.end.isoformat(),
        observation.aggregation.value,
        observation.kind.value,
        observation.value,
        observation.unit,
        observation.qualifier.value,
        observation.yoy_pct,
        observation.mom_pct,
        observation.source.publisher,
        observation.source.url,
        observation.source.seed_file,
        observation.source.published_date.isoformat() if observation.source.published_date else None,
        int(observation.source.published_date_estimated),
        int(observation.disputed),
        observation.note,
        observation.uncertainty,
        vintage.isoformat(),
        origin,
        loaded_at,
    )


def row_to_observation(row: tuple[Any, ...], retired: str = "") -> Observation:
    (
        _id,
        _key,
        series_id,
        start,
        end,
        aggregation,
        kind,
        value,
        unit,
        qualifier,
        yoy,
        mom,
        publisher,
        url,
        seed_file,
        published,
        estimated,
        disputed,
        note,
        uncertainty,
        vintage,
        _origin,
        _loaded,
    ) = row
    return Observation(
        series_id=series_id,
        period=Period(date.fromisoformat(start), date.fromisoformat(end)),
        aggregation=Aggregation(aggregation),
        kind=Kind(kind),
        value=value,
        unit=unit,
        qualifier=Qualifier(qualifier),
        source=Source(publisher, url, seed_file, date.fromisoformat(published) if published else None, bool(estimated)),
        vintage=date.fromisoformat(vintage),
        yoy_pct=yoy,
        mom_pct=mom,
        note=note,
        disputed=bool(disputed),
        uncertainty=uncertainty,
        retired=retired,
    )

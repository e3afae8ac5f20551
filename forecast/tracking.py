"""Use cases that change what is tracked: series and targets added by teams, and retired with a reason.

Rows are validated as the rows of data/ are (forecast.definitions), against the
series and targets stored already, and stored in one transaction: a batch is
kept whole or not at all. Each change queues a refit (services.queue_refit),
which fits what the change touches. Nothing is ever deleted: a retired series
keeps its figures and its fit, a retired target its assessment; both are served
flagged `retired`, and a retired series takes no new figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from forecast.definitions import series_from_json, targets_from_json
from forecast.errors import InvalidParameter, UnknownObservation, UnknownSeries, UnknownTarget
from forecast.rows import CONTROL_CHARACTERS, MAX_TEXT_CHARS
from forecast.services import ForecastService
from forecast.store import Job

ORIGIN = "api"


def add_series(service: ForecastService, rows: Sequence[Mapping[str, object]], background: bool = True) -> Job:
    """Store new series (rows with the columns of data/series.csv) and queue a refit that brings them into the catalog."""
    added = series_from_json(rows, service.store.series())
    service.store.upsert_series(added.values(), origin=ORIGIN)
    ids = sorted(added)
    detail = {"added_series": ids, "unchanged": len(rows) - len(ids)}
    return service.queue_refit(ids, detail, bool(ids), background)


def add_targets(service: ForecastService, rows: Sequence[Mapping[str, object]], background: bool = True) -> Job:
    """Store new targets (rows with the columns of data/targets.csv) and queue their assessment."""
    known = {target.id: target for target in service.store.targets()}
    added = targets_from_json(rows, service.store.series(), known)
    service.store.upsert_targets(added, origin=ORIGIN)
    service.targets = service.store.targets()
    ids = [target.id for target in added]
    detail = {"added_targets": ids, "unchanged": len(rows) - len(ids)}
    return service.queue_refit([], detail, bool(ids), background)


def retire(service: ForecastService, kind: Literal["series", "targets"], entity_id: str, reason: str, background: bool = True) -> Job:
    """Retire a series or a target with a reason; retiring twice keeps the first retirement (and queues nothing)."""
    reason = checked_reason(reason)
    if kind == "series" and entity_id not in service.store.series():
        raise UnknownSeries(entity_id)
    if kind == "targets" and entity_id not in {target.id for target in service.store.targets()}:
        raise UnknownTarget(entity_id)
    changed = service.store.retire(kind, entity_id, date.today(), reason)
    service.targets = service.store.targets()
    detail: dict[str, object] = {"retired": {"kind": kind, "id": entity_id, "reason": reason}}
    if not changed:
        detail["note"] = "retired already: the first retirement stands"
    return service.queue_refit([], detail, changed, background)


def retire_figure(service: ForecastService, key: str, reason: str, background: bool = True) -> Job:
    """Keep the stored figure `key` (every version) but fit it no more, with a reason shown beside it, and queue a
    refit of its series. A figure is never deleted: retiring is how one that breaks a fit is taken out of it."""
    reason = checked_reason(reason)
    versions = service.store.versions(key)
    kept = service.store.retire_figure(key, reason)
    if kept is None or not versions:
        raise UnknownObservation(key)
    series_id = versions[0].series_id
    detail = {"series": [series_id], "retired": key, "reason": kept}
    return service.queue_refit([series_id], detail, changed=kept == reason, background=background)


def checked_reason(reason: str) -> str:
    """A retirement's reason, as a text field of a row is checked (rows.MAX_TEXT_CHARS, no control characters)."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_TEXT_CHARS or CONTROL_CHARACTERS.search(reason):
        raise InvalidParameter("reason", f"say why in 1 to {MAX_TEXT_CHARS:,} characters, without control characters")
    return reason

"""The embedded database (SQLite): series, every version of every figure, ingest log, jobs.

With forecast/migrations.py (its schema, step by step), the only module with SQL. A figure's identity is its key (series, period,
aggregation, kind, publisher, address); each change of value is a new version
with its own vintage, so "as of D" reads the latest version known on D.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from forecast.domain import Aggregation, Basis, Kind, Observation, Period, Qualifier, Series, Source, Target
from forecast.errors import ConflictingFigure
from forecast.migrations import MIGRATIONS


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    status: str  # queued | running | done | failed | interrupted (the service stopped first; rerun at start-up)
    created_at: str
    finished_at: str | None
    detail: Mapping[str, object]


@dataclass(frozen=True)
class AddResult:
    new: int
    unchanged: int
    revised: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """SQLite-backed store; pass ":memory:" for a throwaway one in tests."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = FULL")  # a commit is on disk before the 202 (README: durability)
        self._lock = threading.RLock()
        self._migrate()

    def close(self) -> None:
        self._connection.close()

    def _migrate(self) -> None:
        with self._transaction() as cursor:
            version = cursor.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    cursor.execute(statement)
                cursor.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self._connection.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    # series -----------------------------------------------------------------
    def upsert_series(self, series: Iterable[Series], origin: str = "data") -> None:
        """Store series definitions in one transaction; a retirement stored already stays (retiring is never undone)."""
        with self._transaction() as cursor:
            cursor.executemany(
                "INSERT INTO series VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "entity=excluded.entity, measure=excluded.measure, basis=excluded.basis, "
                "segment=excluded.segment, unit=excluded.unit, description=excluded.description, "
                "lends_prior=excluded.lends_prior, part_of=excluded.part_of, "
                f"{_KEEP_RETIREMENT}",
                [
                    (s.id, s.entity, s.measure, s.basis.value, s.segment, s.unit, s.description, int(s.lends_prior), s.part_of)
                    + (s.retired_on, s.retired_reason, origin)
                    for s in series
                ],
            )

    def series(self) -> dict[str, Series]:
        with self._lock:
            rows = self._connection.execute("SELECT * FROM series ORDER BY id").fetchall()
        return {
            row[0]: Series(row[0], row[1], row[2], Basis(row[3]), row[4], row[5], row[6], bool(row[7]), row[8], row[9], row[10])
            for row in rows
        }

    def retire(self, table: Literal["series", "targets"], entity_id: str, on: date, reason: str) -> bool:
        """Mark a series or target retired (kept, never deleted); False if it was retired already."""
        with self._transaction() as cursor:
            changed = cursor.execute(
                f"UPDATE {table} SET retired_on = ?, retired_reason = ? WHERE id = ? AND retired_on = ''",
                (on.isoformat(), reason, entity_id),
            ).rowcount
        return bool(changed)

    # targets ----------------------------------------------------------------
    def upsert_targets(self, targets: Iterable[Target], origin: str = "data") -> None:
        """Store target definitions in one transaction, in the order given for new ones; retirements stay."""
        with self._transaction() as cursor:
            cursor.executemany(
                "INSERT INTO targets (id, definition, retired_on, retired_reason, origin, added_at) VALUES (?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT(id) DO UPDATE SET definition=excluded.definition, {_KEEP_RETIREMENT}",
                [(t.id, _target_json(t), t.retired_on, t.retired_reason, origin, _now()) for t in targets],
            )

    def targets(self) -> list[Target]:
        """Every stored target, in the order they were first stored."""
        with self._lock:
            rows = self._connection.execute("SELECT definition, retired_on, retired_reason FROM targets ORDER BY position").fetchall()
        return [_target_from_json(row[0], row[1], row[2]) for row in rows]

    def origins(self, table: Literal["series", "targets"]) -> dict[str, str]:
        """Id -> where it came from: 'data' (data/) or 'api'."""
        with self._lock:
            return dict(self._connection.execute(f"SELECT id, origin FROM {table}").fetchall())

    # observations -----------------------------------------------------------
    def add_observations(
        self, observations: Sequence[Observation], origin: str, revised_on: date, source: str = "", corrections: bool = True
    ) -> AddResult:
        """Store figures atomically; the same figure twice is stored once.

        A figure whose key is known with another value becomes a new version;
        its vintage is its own date, or `revised_on` if that is not later than
        the version it revises (a correction is known from when it was made).
        With `corrections` False such a correction is refused instead: ConflictingFigure names
        each one (by its index in `observations`, from `source`) and nothing is stored.
        """
        counts = {"new": 0, "unchanged": 0, "revised": 0}
        loaded_at = _now()
        with self._transaction() as cursor:
            changes = [_change_for(cursor, observation, revised_on) for observation in observations]
            contradicted = [(index, observations[index], change.latest) for index, change in enumerate(changes) if change.latest]
            if contradicted and not corrections:
                raise ConflictingFigure.in_batch(source, contradicted)
            for observation, change in zip(observations, changes, strict=True):
                counts["revised" if change.outcome == "corrected" else change.outcome] += 1
                if change.outcome == "unchanged":
                    continue
                if change.overwrites:
                    cursor.execute("DELETE FROM observations WHERE key = ? AND vintage = ?", (observation.key, change.vintage.isoformat()))
                cursor.execute(_INSERT_OBSERVATION, _observation_to_row(observation, change.vintage, origin, loaded_at))
        return AddResult(counts["new"], counts["unchanged"], counts["revised"])

    def observations(self, as_of: date | None = None, series_id: str | None = None) -> list[Observation]:
        """The latest version of every figure known on `as_of` (all of them when None)."""
        cutoff = (as_of or date.max).isoformat()
        query = (
            "SELECT * FROM observations o WHERE vintage <= ? AND vintage = "
            "(SELECT MAX(vintage) FROM observations p WHERE p.key = o.key AND p.vintage <= ?)"
        )
        parameters: list[object] = [cutoff, cutoff]
        if series_id is not None:
            query += " AND series_id = ?"
            parameters.append(series_id)
        with self._lock:
            rows = self._connection.execute(query + " ORDER BY series_id, period_end, id", parameters).fetchall()
        retired = self.retirements()
        return [_row_to_observation(row, retired.get(row[1], "")) for row in rows]

    def retire_figure(self, key: str, reason: str) -> str | None:
        """Mark every version of the figure `key` retired (kept, readable, not fitted); None if no figure has
        that key, else the reason it is retired for (an earlier one if it already was)."""
        with self._transaction() as cursor:
            if cursor.execute("SELECT 1 FROM observations WHERE key = ? LIMIT 1", (key,)).fetchone() is None:
                return None
            cursor.execute("INSERT INTO retirements VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING", (key, reason, _now()))
            return str(cursor.execute("SELECT reason FROM retirements WHERE key = ?", (key,)).fetchone()[0])

    def retirements(self) -> dict[str, str]:
        """Key -> why the figure was retired."""
        with self._lock:
            return dict(self._connection.execute("SELECT key, reason FROM retirements").fetchall())

    def versions(self, key: str) -> list[Observation]:
        with self._lock:
            rows = self._connection.execute("SELECT * FROM observations WHERE key = ? ORDER BY vintage", (key,)).fetchall()
        return [_row_to_observation(row) for row in rows]

    def vintages(self) -> list[date]:
        with self._lock:
            rows = self._connection.execute("SELECT DISTINCT vintage FROM observations ORDER BY vintage").fetchall()
        return [date.fromisoformat(row[0]) for row in rows]

    def fingerprint(self) -> str:
        """Changes whenever any stored figure or version, series or target (or a retirement) changes."""
        with self._lock:
            row = self._connection.execute("SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(value), 0) FROM observations").fetchone()
            retired = self._connection.execute("SELECT COUNT(*) FROM retirements").fetchone()[0]
            definitions = self._connection.execute(
                "SELECT id, entity, measure, basis, segment, unit, description, lends_prior, part_of, retired_on FROM series "
                "UNION ALL SELECT id, definition, retired_on, '', '', '', '', '', '', '' FROM targets ORDER BY 1, 2"
            ).fetchall()
        digest = hashlib.sha256(json.dumps(definitions).encode()).hexdigest()[:12]
        return f"{row[0]}-{row[1]}-{row[2]:.6g}-{digest}" + (f"-r{retired}" if retired else "")

    # artifacts --------------------------------------------------------------
    def record_artifact(self, name: str, sha256: str, manifest: Mapping[str, object]) -> None:
        with self._transaction() as cursor:
            cursor.execute(
                "INSERT INTO artifacts VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "sha256=excluded.sha256, manifest=excluded.manifest, recorded_at=excluded.recorded_at",
                (name, sha256, json.dumps(manifest, default=str), _now()),
            )

    def artifact_hash(self, name: str) -> str | None:
        with self._lock:
            row = self._connection.execute("SELECT sha256 FROM artifacts WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    # jobs -------------------------------------------------------------------
    def create_job(self, kind: str, detail: Mapping[str, object]) -> Job:
        job = Job(uuid.uuid4().hex, kind, "queued", _now(), None, dict(detail))
        with self._transaction() as cursor:
            cursor.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?)",
                (job.id, job.kind, job.status, job.created_at, None, json.dumps(job.detail)),
            )
        return job

    def update_job(self, job_id: str, status: str, detail: Mapping[str, object]) -> None:
        finished = _now() if status in ("done", "failed") else None
        with self._transaction() as cursor:
            cursor.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, detail = ? WHERE id = ?",
                (status, finished, json.dumps(detail, default=str), job_id),
            )

    def interrupt_unfinished(self, note: str) -> list[str]:
        """Mark every job still queued or running (its process stopped before it ended) `interrupted`; their ids."""
        with self._transaction() as cursor:
            rows = cursor.execute("SELECT id, detail FROM jobs WHERE status IN ('queued', 'running')").fetchall()
            for job_id, detail in rows:
                cursor.execute(
                    "UPDATE jobs SET status = 'interrupted', detail = ? WHERE id = ?",
                    (json.dumps({**json.loads(detail), "interrupted": note}, default=str), job_id),
                )
        return [job_id for job_id, _ in rows]

    def job(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._connection.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return Job(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))


@dataclass(frozen=True)
class _Change:
    """What storing one figure does to the versions of its key."""

    outcome: Literal["new", "unchanged", "revised", "corrected"]  # corrected: another value, not a later release
    vintage: date  # the vintage to store the figure under (unused when unchanged)
    overwrites: bool  # a correction dated the same day as the version it revises replaces that version
    latest: tuple[float, date] | None = None  # the value and vintage of the version it revises


def _change_for(cursor: sqlite3.Cursor, observation: Observation, revised_on: date) -> _Change:
    """New key, a version already stored (or the same value as the latest), or a revision with its vintage.

    A revision keeps its own date when that is later than the latest version's;
    otherwise it is dated `revised_on`, or the latest version's date if that is
    later still, and then replaces the version of that date.
    """
    known = cursor.execute(
        "SELECT 1 FROM observations WHERE key = ? AND vintage = ? AND value = ?",
        (observation.key, observation.vintage.isoformat(), observation.value),
    ).fetchone()
    if known is not None:  # this exact version is stored already, even if revised since
        return _Change("unchanged", observation.vintage, False)
    latest = cursor.execute(
        "SELECT value, vintage FROM observations WHERE key = ? ORDER BY vintage DESC LIMIT 1",
        (observation.key,),
    ).fetchone()
    if latest is None:
        return _Change("new", observation.vintage, False)
    if latest[0] == observation.value:
        return _Change("unchanged", observation.vintage, False)
    if observation.vintage.isoformat() > latest[1]:
        return _Change("revised", observation.vintage, False)
    vintage = max(revised_on, date.fromisoformat(latest[1]))
    return _Change("corrected", vintage, vintage.isoformat() == latest[1], (float(latest[0]), date.fromisoformat(latest[1])))


# On conflict, a definition stored again keeps the retirement stored, unless it brings one itself.
_KEEP_RETIREMENT = (
    "retired_reason = CASE WHEN retired_on = '' THEN excluded.retired_reason ELSE retired_reason END, "
    "retired_on = CASE WHEN retired_on = '' THEN excluded.retired_on ELSE retired_on END"
)


def _target_json(target: Target) -> str:
    """A target's definition as JSON (retirement apart: it has its own columns)."""
    fields = {key: value for key, value in asdict(target).items() if key not in ("retired_on", "retired_reason")}
    return json.dumps(fields, default=str, sort_keys=True)


def _target_from_json(text: str, retired_on: str, retired_reason: str) -> Target:
    fields = json.loads(text)
    source = fields.pop("source")
    published = source.pop("published_date")
    return Target(
        **fields,
        source=Source(**source, published_date=date.fromisoformat(published) if published else None),
        retired_on=retired_on,
        retired_reason=retired_reason,
    )


_INSERT_OBSERVATION = (
    "INSERT INTO observations (key, series_id, period_start, period_end, aggregation, kind, value, "
    "unit, qualifier, yoy_pct, mom_pct, source_publisher, source_url, source_file, published_date, "
    "published_date_estimated, disputed, note, uncertainty, vintage, origin, loaded_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _observation_to_row(observation: Observation, vintage: date, origin: str, loaded_at: str) -> tuple[object, ...]:
    """The parameters of `_INSERT_OBSERVATION`: one stored version of a figure, dated `vintage`."""
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


def _row_to_observation(row: sqlite3.Row | tuple[Any, ...], retired: str = "") -> Observation:
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

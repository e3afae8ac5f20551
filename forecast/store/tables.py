"""Store: every query, written once for SQLite and PostgreSQL (database.py and postgres.py run them).

A figure's identity is its key (series, period, aggregation, kind, publisher, address); each change
of value is a new version with its own vintage, so "as of D" reads the latest version known on D.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from forecast.domain import Basis, Observation, Series, Target
from forecast.errors import ConflictingFigure
from forecast.migrations import MIGRATIONS
from forecast.store.database import Cursor, Database, is_url
from forecast.store.rows import observation_to_row, row_to_observation, target_from_json, target_json


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
    """The database at `target`: a SQLite file (":memory:" for a throwaway one in tests) or a PostgreSQL URL."""

    def __init__(self, target: Path | str) -> None:
        self._db = _open(target)
        self._db.migrate(MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        return self._db.schema_version

    @property
    def shared(self) -> bool:
        """Other processes (replicas) may write the same store: PostgreSQL."""
        return self._db.shared

    def refit_lock(self) -> AbstractContextManager[object]:
        """Held while a refit runs: one at a time across the replicas sharing the store."""
        return self._db.refit_lock()

    # series -----------------------------------------------------------------
    def upsert_series(self, series: Iterable[Series], origin: str = "data") -> None:
        """Store series definitions in one transaction; a retirement stored already stays (retiring is never undone)."""
        with self._db.transaction() as cursor:
            cursor.executemany(
                "INSERT INTO series VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "entity=excluded.entity, measure=excluded.measure, basis=excluded.basis, "
                "segment=excluded.segment, unit=excluded.unit, description=excluded.description, "
                "lends_prior=excluded.lends_prior, part_of=excluded.part_of, "
                f"{_keep_retirement('series')}",
                [
                    (s.id, s.entity, s.measure, s.basis.value, s.segment, s.unit, s.description, int(s.lends_prior), s.part_of)
                    + (s.retired_on, s.retired_reason, origin)
                    for s in series
                ],
            )

    def series(self) -> dict[str, Series]:
        rows = self._db.read("SELECT * FROM series ORDER BY id")
        return {
            row[0]: Series(row[0], row[1], row[2], Basis(row[3]), row[4], row[5], row[6], bool(row[7]), row[8], row[9], row[10])
            for row in rows
        }

    def retire(self, table: Literal["series", "targets"], entity_id: str, on: date, reason: str) -> bool:
        """Mark a series or target retired (kept, never deleted); False if it was retired already."""
        with self._db.transaction() as cursor:
            changed = cursor.execute(
                f"UPDATE {table} SET retired_on = ?, retired_reason = ? WHERE id = ? AND retired_on = ''",
                (on.isoformat(), reason, entity_id),
            ).rowcount
        return bool(changed)

    # targets ----------------------------------------------------------------
    def upsert_targets(self, targets: Iterable[Target], origin: str = "data") -> None:
        """Store target definitions in one transaction, in the order given for new ones; retirements stay."""
        with self._db.transaction() as cursor:
            cursor.executemany(
                "INSERT INTO targets (id, definition, retired_on, retired_reason, origin, added_at) VALUES (?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT(id) DO UPDATE SET definition=excluded.definition, {_keep_retirement('targets')}",
                [(t.id, target_json(t), t.retired_on, t.retired_reason, origin, _now()) for t in targets],
            )

    def targets(self) -> list[Target]:
        """Every stored target, in the order they were first stored."""
        rows = self._db.read("SELECT definition, retired_on, retired_reason FROM targets ORDER BY position")
        return [target_from_json(row[0], row[1], row[2]) for row in rows]

    def origins(self, table: Literal["series", "targets"]) -> dict[str, str]:
        """Id -> where it came from: 'data' (data/) or 'api'."""
        return {str(row[0]): str(row[1]) for row in self._db.read(f"SELECT id, origin FROM {table}")}

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
        with self._db.transaction() as cursor:
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
                cursor.execute(INSERT_OBSERVATION, observation_to_row(observation, change.vintage, origin, loaded_at))
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
        rows = self._db.read(query + " ORDER BY series_id, period_end, id", parameters)
        retired = self.retirements()
        return [row_to_observation(row, retired.get(row[1], "")) for row in rows]

    def retire_figure(self, key: str, reason: str) -> str | None:
        """Mark every version of the figure `key` retired (kept, readable, not fitted); None if no figure has
        that key, else the reason it is retired for (an earlier one if it already was)."""
        with self._db.transaction() as cursor:
            if cursor.execute("SELECT 1 FROM observations WHERE key = ? LIMIT 1", (key,)).fetchone() is None:
                return None
            cursor.execute("INSERT INTO retirements VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING", (key, reason, _now()))
            return str(cursor.execute("SELECT reason FROM retirements WHERE key = ?", (key,)).fetchall()[0][0])

    def retirements(self) -> dict[str, str]:
        """Key -> why the figure was retired."""
        return {str(row[0]): str(row[1]) for row in self._db.read("SELECT key, reason FROM retirements")}

    def versions(self, key: str) -> list[Observation]:
        rows = self._db.read("SELECT * FROM observations WHERE key = ? ORDER BY vintage", (key,))
        return [row_to_observation(row) for row in rows]

    def vintages(self) -> list[date]:
        rows = self._db.read("SELECT DISTINCT vintage FROM observations ORDER BY vintage")
        return [date.fromisoformat(row[0]) for row in rows]

    def fingerprint(self) -> str:
        """Changes whenever any stored figure or version, series or target (or a retirement) changes."""
        row = self._db.read("SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(value), 0) FROM observations")[0]
        retired = self._db.read("SELECT COUNT(*) FROM retirements")[0][0]
        series = self._db.read(
            "SELECT id, entity, measure, basis, segment, unit, description, lends_prior, part_of, retired_on FROM series"
        )
        targets = [(*row, "", "", "", "", "", "", "") for row in self._db.read("SELECT id, definition, retired_on FROM targets")]
        # sorted here, not by a UNION in SQL: PostgreSQL will not pad an integer column with '' (same order as SQLite's ORDER BY 1, 2)
        definitions = sorted(series + targets, key=lambda definition: (definition[0], definition[1]))
        digest = hashlib.sha256(json.dumps(definitions).encode()).hexdigest()[:12]
        return f"{row[0]}-{row[1]}-{row[2]:.6g}-{digest}" + (f"-r{retired}" if retired else "")

    # artifacts --------------------------------------------------------------
    def record_artifact(self, name: str, sha256: str, manifest: Mapping[str, object], content: bytes | None = None) -> None:
        """The hash of the models a service may load; with `content`, the models themselves (replicas on PostgreSQL)."""
        with self._db.transaction() as cursor:
            cursor.execute(
                "INSERT INTO artifacts (name, sha256, manifest, recorded_at, content) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) "
                "DO UPDATE SET sha256=excluded.sha256, manifest=excluded.manifest, recorded_at=excluded.recorded_at, content=excluded.content",
                (name, sha256, json.dumps(manifest, default=str), _now(), content),
            )

    def artifact_hash(self, name: str) -> str | None:
        rows = self._db.read("SELECT sha256 FROM artifacts WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def artifact_content(self, name: str) -> tuple[bytes, dict[str, object]] | None:
        """The models stored in the database and their manifest; None if only their hash is (SQLite: files in models/)."""
        rows = self._db.read("SELECT content, manifest FROM artifacts WHERE name = ? AND content IS NOT NULL", (name,))
        return (bytes(rows[0][0]), dict(json.loads(rows[0][1]))) if rows else None

    # jobs -------------------------------------------------------------------
    def create_job(self, kind: str, detail: Mapping[str, object]) -> Job:
        job = Job(uuid.uuid4().hex, kind, "queued", _now(), None, dict(detail))
        with self._db.transaction() as cursor:
            cursor.execute(
                "INSERT INTO jobs (id, kind, status, created_at, finished_at, detail, owner) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job.id, job.kind, job.status, job.created_at, None, json.dumps(job.detail), self._db.owner),
            )
        return job

    def update_job(self, job_id: str, status: str, detail: Mapping[str, object]) -> None:
        finished = _now() if status in ("done", "failed") else None
        with self._db.transaction() as cursor:
            cursor.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, detail = ? WHERE id = ?",
                (status, finished, json.dumps(detail, default=str), job_id),
            )

    def interrupt_unfinished(self, note: str) -> list[str]:
        """Mark every job still queued or running whose process stopped before it ended `interrupted`; their ids.
        (With replicas, a job another replica is running is its own: only those of replicas gone are marked, and
        they become this process's, to rerun.)"""
        with self._db.transaction() as cursor:
            rows = cursor.execute(
                f"SELECT id, detail FROM jobs WHERE status IN ('queued', 'running') AND {self._db.abandoned_jobs}"
            ).fetchall()
            for job_id, detail in rows:
                cursor.execute(
                    "UPDATE jobs SET status = 'interrupted', detail = ?, owner = ? WHERE id = ?",
                    (json.dumps({**json.loads(detail), "interrupted": note}, default=str), self._db.owner, job_id),
                )
        return [job_id for job_id, _ in rows]

    def job(self, job_id: str) -> Job | None:
        rows = self._db.read("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            return None
        row = rows[0]
        return Job(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))


@dataclass(frozen=True)
class _Change:
    """What storing one figure does to the versions of its key."""

    outcome: Literal["new", "unchanged", "revised", "corrected"]  # corrected: another value, not a later release
    vintage: date  # the vintage to store the figure under (unused when unchanged)
    overwrites: bool  # a correction dated the same day as the version it revises replaces that version
    latest: tuple[float, date] | None = None  # the value and vintage of the version it revises


def _change_for(cursor: Cursor, observation: Observation, revised_on: date) -> _Change:
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
def _keep_retirement(table: str) -> str:
    return (
        f"retired_reason = CASE WHEN {table}.retired_on = '' THEN excluded.retired_reason ELSE {table}.retired_reason END, "
        f"retired_on = CASE WHEN {table}.retired_on = '' THEN excluded.retired_on ELSE {table}.retired_on END"
    )


INSERT_OBSERVATION = (
    "INSERT INTO observations (key, series_id, period_start, period_end, aggregation, kind, value, "
    "unit, qualifier, yoy_pct, mom_pct, source_publisher, source_url, source_file, published_date, "
    "published_date_estimated, disputed, note, uncertainty, vintage, origin, loaded_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _open(target: Path | str) -> Database:
    if not is_url(target):
        return Database(target)
    from forecast.store.postgres import PostgresDatabase  # psycopg is imported only when a URL is configured

    return PostgresDatabase(str(target))

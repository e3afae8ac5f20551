"""One connection to the store's database and what differs between SQLite and PostgreSQL.

The queries (tables.py) are written once, with `?` placeholders; a Database runs them. This
module is SQLite, the embedded default: one process owns the file, a write transaction is
`BEGIN IMMEDIATE` (one writer at a time, readers never blocked: WAL), and the schema version is
`PRAGMA user_version`. postgres.py overrides what PostgreSQL does otherwise.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]


def is_url(target: object) -> bool:
    """A PostgreSQL URL (postgres.py), not a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class IntegrityError(Exception):
    """A row broke a constraint (a figure of an unknown series, say): its whole transaction was rolled back."""


class Cursor:
    """A cursor of either database that takes `?` placeholders."""

    def __init__(self, raw: Any, placeholders: str) -> None:
        self._raw = raw
        self._placeholders = placeholders

    def _sql(self, sql: str) -> str:
        return sql if self._placeholders == "?" else sql.replace("?", self._placeholders)

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> Cursor:
        self._raw.execute(self._sql(sql), parameters)
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self._raw.executemany(self._sql(sql), rows)

    def fetchone(self) -> Row | None:
        row = self._raw.fetchone()
        return None if row is None else tuple(row)

    def fetchall(self) -> list[Row]:
        return [tuple(row) for row in self._raw.fetchall()]

    @property
    def rowcount(self) -> int:
        return int(self._raw.rowcount)


class Database:
    """SQLite; pass ":memory:" for a throwaway one in tests."""

    shared = False  # True when other processes (replicas) use the same database
    placeholders = "?"
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    owner = ""  # the process's name on jobs it runs (postgres.py); one process owns a SQLite file
    abandoned_jobs = "1 = 1"  # a condition on jobs: those whose process is gone (here every unfinished one at start-up)

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._connection: Any = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = FULL")  # a commit is on disk before the 202 (README: durability)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:  # not while another thread is inside a query: sqlite3 crashes the process then
            self._connection.close()

    def read(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        """The rows of one query, outside any write transaction."""
        with self._lock:
            return self._cursor().execute(sql, parameters).fetchall()

    def _cursor(self) -> Cursor:
        return Cursor(self._connection.cursor(), self.placeholders)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A write transaction: one at a time, all of it or nothing (IntegrityError when a constraint fails)."""
        with self._lock:
            cursor = self._cursor()
            self._begin(cursor)
            try:
                yield cursor
            except self.integrity_errors as error:
                cursor.execute("ROLLBACK")
                raise IntegrityError(str(error).strip()) from error
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def _begin(self, cursor: Cursor) -> None:
        cursor.execute("BEGIN IMMEDIATE")

    # schema ---------------------------------------------------------------------------
    def migrate(self, scripts: Sequence[str]) -> None:
        """Run the scripts after the database's version, in order, in one transaction."""
        with self.transaction() as cursor:
            version = self._version(cursor)
            for number, script in enumerate(scripts[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    cursor.execute(self.ddl(statement))
                self._set_version(cursor, number)

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._version(self._cursor())

    def ddl(self, statement: str) -> str:
        """A migration's statement in this database's type names (the scripts are written in SQLite's)."""
        return statement

    def _version(self, cursor: Cursor) -> int:
        row = cursor.execute("PRAGMA user_version").fetchone()
        return int(row[0]) if row else 0

    def _set_version(self, cursor: Cursor, number: int) -> None:
        cursor.execute(f"PRAGMA user_version = {int(number)}")

    # replicas -------------------------------------------------------------------------
    def refit_lock(self) -> AbstractContextManager[object]:
        """Held while a refit runs; nothing here, one process owns the file (services.py locks in-process)."""
        return nullcontext()

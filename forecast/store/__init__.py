"""The database: series, every version of every figure, targets, ingest jobs, and the hashes (on PostgreSQL,
the bytes) of the fitted models. The only package with SQL.

tables.py     Store: every query, written once with `?` placeholders
database.py   Database: one connection, write transactions, schema version, migrations; SQLite, the embedded default
postgres.py   PostgresDatabase: the same on PostgreSQL, for replicas sharing one store; the refit lock across them
rows.py       figures and targets to and from stored rows
(forecast/migrations.py holds the schema, step by step.)
"""

from forecast.store.database import IntegrityError
from forecast.store.tables import AddResult, Job, Store

__all__ = ["AddResult", "IntegrityError", "Job", "Store"]

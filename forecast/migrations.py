"""The store's schema, one script per version: a database at version N runs the scripts after N, in order,
in one transaction (store.database.Database.migrate). Append, never edit: a script that ran on someone's database
must stay as it ran. Written in SQLite's type names; store/postgres.py maps them for PostgreSQL."""

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE series (
        id TEXT PRIMARY KEY, entity TEXT NOT NULL, measure TEXT NOT NULL, basis TEXT NOT NULL,
        segment TEXT NOT NULL, unit TEXT NOT NULL, description TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE observations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL, series_id TEXT NOT NULL REFERENCES series(id),
        period_start TEXT NOT NULL, period_end TEXT NOT NULL, aggregation TEXT NOT NULL, kind TEXT NOT NULL,
        value REAL NOT NULL, unit TEXT NOT NULL, qualifier TEXT NOT NULL, yoy_pct REAL, mom_pct REAL,
        source_publisher TEXT NOT NULL, source_url TEXT NOT NULL, source_file TEXT NOT NULL,
        published_date TEXT, published_date_estimated INTEGER NOT NULL, disputed INTEGER NOT NULL,
        note TEXT NOT NULL, uncertainty REAL NOT NULL, vintage TEXT NOT NULL,
        origin TEXT NOT NULL, loaded_at TEXT NOT NULL,
        UNIQUE (key, vintage)
    );
    CREATE INDEX observations_series ON observations (series_id, vintage);
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
        finished_at TEXT, detail TEXT NOT NULL DEFAULT '{}'
    );
    """,
    """
    CREATE TABLE artifacts (
        name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, manifest TEXT NOT NULL, recorded_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE series ADD COLUMN lends_prior INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE series ADD COLUMN part_of TEXT NOT NULL DEFAULT '';
    """,
    """
    CREATE TABLE retirements (
        key TEXT PRIMARY KEY, reason TEXT NOT NULL, retired_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE series ADD COLUMN retired_on TEXT NOT NULL DEFAULT '';
    ALTER TABLE series ADD COLUMN retired_reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE series ADD COLUMN origin TEXT NOT NULL DEFAULT 'data';
    CREATE TABLE targets (
        position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, definition TEXT NOT NULL,
        retired_on TEXT NOT NULL DEFAULT '', retired_reason TEXT NOT NULL DEFAULT '', origin TEXT NOT NULL, added_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    ALTER TABLE artifacts ADD COLUMN content BLOB;
    """,
)

"""Settings, read once at start-up and passed to whoever needs them.

Keys are kept as SHA-256 digests from the moment the settings are read
(`key_digest`): the plain key is never held on the app, so neither a repr
of the settings nor a log line can show it. A key may also be given as its
digest (`sha256:` and 64 hexadecimal digits), so a `.env` file need not hold it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_KEY_LENGTH = 16
DIGEST_PREFIX = "sha256:"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def key_digest(key: str) -> str:
    """The form a key is kept and compared in: `sha256:<hex>` of its UTF-8 bytes."""
    return DIGEST_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def _kept_as_digest(key: str, setting: str) -> str:
    if not key or _DIGEST.fullmatch(key):
        return key
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"{setting} must be at least {MIN_KEY_LENGTH} characters (got {len(key)})")
    return key_digest(key)


class Settings(BaseSettings):
    """Configuration from FORECAST_* environment variables (or a .env file)."""

    model_config = SettingsConfigDict(env_prefix="FORECAST_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = PROJECT_ROOT / "data"
    models_dir: Path = PROJECT_ROOT / "models"
    database_path: Path = PROJECT_ROOT / "forecast.sqlite3"
    database_url: SecretStr = Field(
        default=SecretStr(""),
        description="postgresql://user:password@host:5432/name: a PostgreSQL store that replicas share, instead of the SQLite file "
        "(secret: it may hold a password)",
    )
    replica_poll_seconds: float = Field(
        default=2.0, gt=0, description="with a shared store, how often a replica looks for models another replica fitted"
    )
    api_key: str = Field(default="", description="one write key; FORECAST_API_KEY (kept as its digest)")
    api_keys: list[str] = Field(default_factory=list, description="further write keys, a JSON list (kept as digests)")
    read_key: str = Field(default="", description="if set, every data route needs this key or a write key (kept as its digest)")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins a dashboard may call the API from, comma-separated; none by default"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    timeout_keep_alive: int = 5  # seconds an idle keep-alive connection stays open after its last response
    request_timeout: float = 10.0  # seconds a connection has to send a whole request (headers and body)
    max_header_bytes: int = 16384  # the request line and headers of one request (h11's default bound)
    cache_max_age: int = 5  # seconds dashboards may reuse a response before revalidating
    warm_first_load: bool = True  # build the dashboard's first bodies as soon as a snapshot is served (api/bodies.py)
    simulation_paths: int = 2000
    random_seed: int = 20231101
    horizon_months: int = 18  # the precomputed default horizon
    backtest_origins: int = 8
    replay_months: int = Field(
        default=18, ge=0, description="as-of replays: the month-ends with new figures in the last N months of releases; 0: all"
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, description="largest request body; a larger one is refused with 413 before it is read whole"
    )
    n_jobs: int = Field(default=-1, description="worker processes fitting series side by side (joblib); -1: every core, 1: none")
    dask_scheduler: str = Field(default="", description="tcp://host:8786: fit on this dask.distributed cluster instead of local workers")

    @field_validator("api_key", "read_key")
    @classmethod
    def key_kept_as_digest(cls, value: str, info: ValidationInfo) -> str:
        return _kept_as_digest(value, f"FORECAST_{str(info.field_name).upper()}")

    @field_validator("database_url")
    @classmethod
    def postgres_url(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("FORECAST_DATABASE_URL must start with postgresql:// (leave it empty for the SQLite file database_path)")
        return value

    @field_validator("api_keys")
    @classmethod
    def keys_kept_as_digests(cls, values: list[str]) -> list[str]:
        return [_kept_as_digest(value, f"FORECAST_API_KEYS[{i}]") for i, value in enumerate(values)]

    @field_validator("cors_origins", mode="before")
    @classmethod
    def origins_from_text(cls, value: object) -> object:
        """`https://a.example,https://b.example` or a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def database(self) -> Path | str:
        """What the store opens: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url.get_secret_value() or self.database_path

    @property
    def write_key_digests(self) -> frozenset[str]:
        return frozenset(k for k in [self.api_key, *self.api_keys] if k)

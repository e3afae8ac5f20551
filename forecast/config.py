"""Settings, read once at start-up and passed to whoever needs them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration from FORECAST_* environment variables (or a .env file)."""

    model_config = SettingsConfigDict(env_prefix="FORECAST_", env_file=".env", extra="ignore")

    data_dir: Path = PROJECT_ROOT / "data"
    models_dir: Path = PROJECT_ROOT / "models"
    database_path: Path = PROJECT_ROOT / "forecast.sqlite3"
    api_key: str = Field(default="", description="one write key; FORECAST_API_KEY")
    api_keys: list[str] = Field(default_factory=list, description="further write keys")
    read_key: str = Field(default="", description="if set, reads need this key too")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    cache_max_age: int = 5  # seconds dashboards may reuse a response before revalidating
    simulation_paths: int = 2000
    random_seed: int = 20231101
    horizon_months: int = 18  # the precomputed default horizon
    backtest_origins: int = 8
    n_jobs: int = Field(default=-1, description="worker processes fitting series side by side (joblib); -1: every core, 1: none")
    dask_scheduler: str = Field(default="", description="tcp://host:8786: fit on this dask.distributed cluster instead of local workers")

    @field_validator("api_key", "read_key")
    @classmethod
    def key_long_enough(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("keys must be at least 16 characters")
        return value

    @property
    def write_keys(self) -> frozenset[str]:
        return frozenset(k for k in [self.api_key, *self.api_keys] if k)

"""Snapshot: everything a service serves, computed once per refit and swapped whole (services.py).

Stored with joblib after each refit (artifacts.py) and loaded again at start-up, or by a replica
sharing the store when another replica fitted it (replicas.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date

from forecast.catalog import Catalog
from forecast.engine.borrowing import Prior
from forecast.engine.projection import SeriesForecast
from forecast.targets import Assessment


@dataclass(frozen=True)
class PendingHistory:
    """What the as-of history of a snapshot lacks after the first phase of a refit (services.ForecastService.refit):
    the replays of the series refitted since it was last complete, and the replay days new since (every series)."""

    series: tuple[str, ...]
    days: tuple[date, ...]

    @staticmethod
    def after(series: Iterable[str], days: Iterable[date], earlier: PendingHistory | None) -> PendingHistory | None:
        """What a snapshot lacks after a refit of `series` that opened replay `days`, with what the snapshot it
        followed still lacked (a refit that came before the history caught up); None when it lacks nothing."""
        lacking = set(series) | set(earlier.series if earlier else ())
        new_days = set(days) | set(earlier.days if earlier else ())
        return PendingHistory(tuple(sorted(lacking)), tuple(sorted(new_days))) if lacking or new_days else None

    def as_dict(self) -> dict[str, list[str]]:
        return {"series": list(self.series), "days": [day.isoformat() for day in self.days]}


@dataclass(frozen=True)
class Snapshot:
    """Everything served, computed once per refit."""

    version: str
    data_fingerprint: str
    catalog: Catalog
    forecasts: Mapping[str, SeriesForecast]
    failures: Mapping[str, str]
    assessments: Mapping[str, Assessment]
    replays: Mapping[date, Mapping[str, SeriesForecast]] = field(default_factory=dict)
    prior: Prior = Prior()
    created_at: str = ""
    seconds: float = 0.0
    refitted: tuple[str, ...] = ()  # the series this refit fitted; the others' fits were the previous snapshot's
    reassessed: tuple[str, ...] = ()  # the targets this refit assessed
    history_pending: PendingHistory | None = None  # as-of replays a two-phase refit has still to run; None when up to date

    def manifest(self) -> dict[str, object]:
        """What the stored models' manifest says of them (artifacts.ArtifactStore.save adds the hash and libraries)."""
        return {
            "estimator": "forecast.engine.series.fit_series (structural cumulator + annual growth curves)",
            "parameters": {sid: asdict(f.model.monthly) for sid, f in self.forecasts.items()},
            "data_fingerprint": self.version,
            "fitted_at": self.created_at,
            "backtest": {sid: f.model.backtest for sid, f in self.forecasts.items()},
        }

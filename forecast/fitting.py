"""Many fits at once: the series of a refit, or the series of the as-of replays, side by side on joblib workers.

A fit reads one series' figures (today's and at its backtest origins) and the
prior it borrows, nothing else (engine.series.fit_series), so each `FitRequest`
carries exactly that: catalogs cut down to its series (Catalog.restricted_to),
cheap to send to a worker process. Fits that borrow a prior wait for the lender's
fit: the service runs them in waves (Catalog.fitting_waves), the lender first.

Every fit draws from its own generator seeded by `seed`, so results do not depend
on the worker, the order or the number of workers: n_jobs=2 gives the very fits
n_jobs=1 gives (tests/test_fitting.py). With n_jobs=1 the fits run in this process,
one after another, without joblib.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from joblib import Parallel, delayed, effective_n_jobs

from forecast.catalog import Catalog
from forecast.config import Settings
from forecast.engine.borrowing import Prior
from forecast.engine.projection import SeriesForecast
from forecast.engine.series import MonthlySelection, fit_series
from forecast.errors import InsufficientHistory
from forecast.estimators.statespace import POSTERIOR_DRAWS

log = logging.getLogger("forecast")

CLUSTER_WORKERS = 64  # fits a Dask cluster is taken to run at once, where batches are cut (replays.py)


@dataclass(frozen=True)
class FitRequest:
    """One fit: a series, its figures as of `catalog` (and at each backtest origin), the prior it borrows."""

    series_id: str
    catalog: Catalog
    prior: Prior
    n_paths: int
    seed: int
    horizon_months: int
    origins: tuple[date, ...] = ()
    at_origins: Mapping[date, Catalog] = field(default_factory=dict)
    fixed_weights: MonthlySelection | None = None
    posterior_draws: int = POSTERIOR_DRAWS
    day: date | None = None  # the replay day, for a replay


@dataclass(frozen=True)
class FitOutcome:
    """A fit's result: the forecast, or why there is none (`insufficient`: too few figures, not a failure)."""

    series_id: str
    day: date | None
    forecast: SeriesForecast | None = None
    failure: str = ""
    insufficient: bool = False


def fit_request(request: FitRequest) -> FitOutcome:
    """Run one fit; any exception is this series' failure, never the whole refit's."""
    try:
        forecast = fit_series(
            request.series_id,
            request.catalog,
            prior=request.prior,
            n_paths=request.n_paths,
            seed=request.seed,
            horizon_months=request.horizon_months,
            catalog_at=request.at_origins.__getitem__ if request.origins else None,
            origins=request.origins,
            fixed_weights=request.fixed_weights,
            posterior_draws=request.posterior_draws,
        )
    except InsufficientHistory as error:
        return FitOutcome(request.series_id, request.day, failure=str(error), insufficient=True)
    except Exception as error:  # noqa: BLE001 - one series that breaks its fit must not stop the others
        when = f" as of {request.day}" if request.day else ""
        log.exception("fitting %s%s failed", request.series_id, when)
        return FitOutcome(request.series_id, request.day, failure=f"the fit failed: {type(error).__name__}: {error}")
    return FitOutcome(request.series_id, request.day, forecast)


@dataclass(frozen=True)
class ReplayDepth:
    """How many paths an as-of replay draws, and how many posterior draws tell a well-determined year from a guess."""

    n_paths: int
    posterior_draws: int


def today_request(
    catalog: Catalog, series_id: str, prior: Prior, settings: Settings, origins: Sequence[date], catalog_at: Callable[[date], Catalog]
) -> FitRequest:
    """Today's fit of a series, with its figures as known at each of its backtest `origins`."""
    return FitRequest(
        series_id,
        catalog.restricted_to(series_id),
        prior,
        n_paths=settings.simulation_paths,
        seed=settings.random_seed,
        horizon_months=settings.horizon_months,
        origins=tuple(origins),
        at_origins={origin: catalog_at(origin).restricted_to(series_id) for origin in origins},
    )


def replay_request(
    known: Catalog, series_id: str, prior: Prior, settings: Settings, fitted: SeriesForecast, depth: ReplayDepth
) -> FitRequest:
    """A series as of `known.as_of`, with today's monthly selection (`fitted`'s weights and scale)."""
    monthly = fitted.model.monthly
    return FitRequest(
        series_id,
        known.restricted_to(series_id),
        prior,
        n_paths=depth.n_paths,
        seed=settings.random_seed,
        horizon_months=settings.horizon_months,
        fixed_weights=MonthlySelection(dict(monthly.weights), monthly.calibration.scale),
        posterior_draws=depth.posterior_draws,
        day=known.as_of,
    )


class Fitter:
    """Runs fit requests with joblib.Parallel on `n_jobs` worker processes (-1: every core; 1: here, one by one),
    or on a dask.distributed cluster when `scheduler` names one (tcp://host:8786; its workers need this package).

    `on_done` is told of each outcome as it arrives (the CLI's progress bar).
    """

    def __init__(self, n_jobs: int = -1, scheduler: str = "") -> None:
        self.n_jobs = n_jobs
        self.scheduler = scheduler
        self.on_done: Callable[[FitOutcome], None] | None = None
        self._client: Any = None  # a distributed.Client, opened at the first fit that needs it

    def workers(self) -> int:
        """How many fits run at once: the local processes (a cluster: as many as a large batch keeps busy)."""
        return CLUSTER_WORKERS if self.scheduler else effective_n_jobs(self.n_jobs)

    def run(self, requests: Sequence[FitRequest]) -> list[FitOutcome]:
        """Every request's outcome, in the order of `requests`."""
        outcomes = []
        for outcome in self._outcomes(requests):
            if self.on_done is not None:
                self.on_done(outcome)
            outcomes.append(outcome)
        return outcomes

    def _outcomes(self, requests: Sequence[FitRequest]) -> Iterator[FitOutcome]:
        if self.scheduler and requests:
            futures = self._cluster().map(fit_request, list(requests), pure=False)
            return (future.result() for future in futures)
        if self.n_jobs == 1 or len(requests) < 2:
            return (fit_request(request) for request in requests)
        parallel = Parallel(n_jobs=self.n_jobs, return_as="generator")
        outcomes: Iterator[FitOutcome] = parallel(delayed(fit_request)(request) for request in requests)
        return outcomes

    def _cluster(self) -> Any:
        if self._client is None:
            from distributed import Client  # only when a cluster is configured: `pip install 'dask[distributed]'`

            self._client = Client(self.scheduler, set_as_default=False)  # type: ignore[no-untyped-call]
        return self._client

    def close(self) -> None:
        """Let go of the cluster's client, if one was opened."""
        if self._client is not None:
            self._client.close()
            self._client = None

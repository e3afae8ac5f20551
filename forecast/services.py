"""Use cases: load data/, fit everything, answer as of a date, assess targets, ingest and refit.

The only module that combines the store, the engine, the targets and the
artifacts. It knows nothing of HTTP. Results live in an immutable Snapshot
that is swapped whole when a refit completes, so readers never see half a set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import replace
from datetime import UTC, date, datetime

from forecast.artifacts import ArtifactStore
from forecast.backtest import spread_origins
from forecast.catalog import Catalog
from forecast.config import Settings
from forecast.data import load_directory, observations_from_rows
from forecast.domain import Target
from forecast.engine.borrowing import Prior, prior_from
from forecast.engine.projection import SeriesForecast
from forecast.errors import ArtifactRejected, InsufficientHistory, InvalidParameter, NotReady
from forecast.fitting import FitOutcome, Fitter, today_request
from forecast.refits import RefitQueue, history_report, visible_report
from forecast.related import use_related
from forecast.replays import Preempted, Replayer
from forecast.replicas import SharedModels
from forecast.snapshot import PendingHistory
from forecast.snapshot import Snapshot as Snapshot  # where it was defined before: importers and stored models name it here
from forecast.store import AddResult, Job, Store
from forecast.targets import Assessment, assess, history_entry, link_revisions, replay_days_since

log = logging.getLogger("forecast")

MODEL_VERSION = "23"  # bump when the engine changes what it computes
CATALOG_CACHE_SIZE = 256  # as-of catalogs kept: a refit's backtest origins and replay days, and recent queries


class ForecastService:
    def __init__(self, settings: Settings, store: Store, artifacts: ArtifactStore | None = None) -> None:
        self.settings = settings
        self.store = store
        fetch = store.artifact_content if store.shared else None  # replicas on other hosts get the models from the store
        self.artifacts = artifacts or ArtifactStore(settings.models_dir, store.record_artifact, store.artifact_hash, fetch)
        self.targets: list[Target] = []
        self._snapshot: Snapshot | None = None
        self._refit_lock = threading.Lock()
        self._persist_lock = threading.Lock()
        self._catalog_cache: OrderedDict[date | None, tuple[str, Catalog]] = OrderedDict()  # as_of -> (data fingerprint, catalog)
        self._catalog_lock = threading.Lock()
        self.on_swap: list[Callable[[Snapshot], None]] = []
        self.refits = RefitQueue(store, lambda hinted: visible_report(self.refit(hinted)), self._catch_up_for_jobs)
        self.fitter = Fitter(settings.n_jobs, settings.dask_scheduler)
        self.replayer = Replayer(self.fitter, settings, self.catalog)
        self.recomputing: str | None = None  # why the forecasts served are older than the data, while a refit runs
        self.replicas = SharedModels(store.shared, self.artifacts, self._artifact_name(), MODEL_VERSION)

    # data ---------------------------------------------------------------------
    def load_data_dir(self) -> AddResult:
        """Validate all of data/ and store it; nothing is stored if any row is bad. Idempotent."""
        series, observations, targets = load_directory(self.settings.data_dir)
        self.store.upsert_series(series.values())
        result = self.store.add_observations(observations, origin="data", revised_on=date.today())
        self.store.upsert_targets(targets)
        self.targets = self.store.targets()  # data/'s and those added over the API (tracking.py)
        return result

    def catalog(self, as_of: date | None = None) -> Catalog:
        """The figures known on `as_of` (all when None), resolved; kept for the CATALOG_CACHE_SIZE days used last."""
        fingerprint = self.store.fingerprint()
        with self._catalog_lock:
            cached = self._catalog_cache.get(as_of)
            if cached is not None and cached[0] == fingerprint:
                self._catalog_cache.move_to_end(as_of)
                return cached[1]
        built = Catalog.build(self.store.series(), self.store.observations(as_of), self.targets, as_of)
        with self._catalog_lock:
            self._catalog_cache[as_of] = (fingerprint, built)
            self._catalog_cache.move_to_end(as_of)
            while len(self._catalog_cache) > CATALOG_CACHE_SIZE:
                self._catalog_cache.popitem(last=False)
        return built

    # snapshot -------------------------------------------------------------------
    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise NotReady("forecasts are still being computed; see /readyz")
        return self._snapshot

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def _swap(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot  # one reference assignment: readers see the old set or the new one
        for listener in self.on_swap:
            listener(snapshot)

    def start(self) -> Snapshot:
        """Load artifacts if they match the data (and replay the as-of history they lack, if the service stopped between
        a refit's two phases), else serve the last good ones at once and refit; jobs a stopped process left
        unfinished are marked interrupted and closed by this refit."""
        interrupted = self.store.interrupt_unfinished("the service stopped before this refit ended; the refit at start-up reruns it")
        for leftover in self.artifacts.remove_leftovers():
            log.info("removed %s, left by a process stopped while writing models", leftover.name)
        name, resume = self._artifact_name(), False
        try:
            payload = self.artifacts.load(name, f"{self.store.fingerprint()}/{MODEL_VERSION}")
            if isinstance(payload, Snapshot):
                log.info("loaded fitted models from %s", self.artifacts.path_for(name))
                self._swap(payload)
                if payload.history_pending is None:
                    self._close_interrupted(interrupted, payload)
                    return payload
                resume = True
            else:
                log.warning("artifact %s holds no snapshot: refitting", name)
        except ArtifactRejected as reason:
            log.info("refitting: %s", reason)
            self._serve_last_good(name, str(reason))
        try:
            if resume:  # stopped between a refit's phases: its forecasts are served, its history is replayed now
                self.catch_up_history()
            snapshot = self.snapshot if resume else self.refit()
        except Exception as error:
            failure = f"{type(error).__name__}: {error}"
            if self.ready:  # the last good models keep serving; say why they stay older than the data
                self.recomputing = f"the refit at start-up failed ({failure}); serving the models fitted before"
            for job_id in interrupted:  # closed, so no client polls them for ever
                job = self.store.job(job_id)
                self.store.update_job(job_id, "failed", {**(job.detail if job else {}), "error": f"rerun at start-up failed: {failure}"})
            raise
        self._close_interrupted(interrupted, snapshot)
        return snapshot

    def _serve_last_good(self, name: str, reason: str) -> None:
        """Serve the models stored before the data changed (same model version) while they are refitted."""
        try:
            stale = self.artifacts.load(name, None)
        except ArtifactRejected:
            return
        if isinstance(stale, Snapshot) and stale.version.endswith(f"/{MODEL_VERSION}"):
            log.info("serving the last good models (%s) while refitting", stale.version)
            self.recomputing = f"refitting on data changed since the models served were fitted ({reason})"
            self._swap(stale)

    def _close_interrupted(self, job_ids: Sequence[str], snapshot: Snapshot) -> None:
        for job_id in job_ids:
            detail = dict(job.detail) if (job := self.store.job(job_id)) else {}
            if isinstance(history := detail.get("history"), dict):  # stopped between its phases: its history is replayed now
                detail["history"] = {**history, "status": "done"}
            self.store.update_job(job_id, "done", {**detail, "phase": "rerun at start-up", "version": snapshot.version})

    def _artifact_name(self) -> str:
        return "forecasts"

    def refit(self, only: Iterable[str] | None = None) -> Snapshot:
        """Fit, assess targets, swap and persist: everything with its as-of replays (`only` None, or no fit served yet), or
        what changed since the fit served (`only` the series an ingest named, a hint; the catalogs say the rest).

        A change refits the series whose figures or definition changed and the series that read them
        (Catalog.depending_on), and reassesses the targets that read a refitted series or changed; the rest is the
        served fit's. That is the first phase, served at once: the as-of replays of the refitted series and of replay
        days new since are left to catch_up_history (`history_pending` says what is left); the two phases serve what
        a full refit would compute (tests/test_incremental.py). With replicas sharing a store, one refits at a
        time; one that waited serves what the other stored instead, if fitted on the same data (replicas.py).
        """
        with self._refit_lock, self.store.refit_lock():
            adopted = self.replicas.stored_by_another(self.store.fingerprint()) if self.store.shared else None
            if adopted is not None:
                return self._adopt(adopted)
            if self.store.shared:
                self.targets = self.store.targets()  # another replica may have added some (tracking.py)
            fingerprint = self.store.fingerprint()  # before the catalog: figures stored meanwhile are the next refit's
            snapshot = self._fitted(fingerprint, self.catalog(), self._snapshot if only is not None else None, only)
            self._publish(snapshot, settled=only is None)
            return snapshot

    def _fitted(self, fingerprint: str, catalog: Catalog, previous: Snapshot | None, only: Iterable[str] | None) -> Snapshot:
        """Everything fitted (`previous` None), or the first phase of a refit of what changed since `previous`."""
        started = time.perf_counter()
        refitting = set(catalog.series)
        if previous is not None:
            refitting = catalog.depending_on(catalog.changed_since(previous.catalog) | set(only or ()))
        forecasts, failures, prior = self._fit_all(catalog, refitting, previous)
        forecasts = use_related(catalog.parts(), forecasts, prior, self.settings.random_seed)
        days = catalog.month_ends_with_news(self.settings.replay_months)
        reassessing, pending = None, None
        replays: Mapping[date, Mapping[str, SeriesForecast]]
        if previous is None:
            replays = self.replayer.replay(catalog, forecasts, days)
        else:  # the replays served, on the days still kept; what they lack is replayed in the second phase
            replays = {day: previous.replays[day] for day in days if day in previous.replays}
            pending = PendingHistory.after(refitting, [day for day in days if day not in replays], previous.history_pending)
            reading = {t.id for t in catalog.targets if {t.series_id, t.denominator_series_id} & refitting}
            reassessing = reading | catalog.targets_changed_since(previous.catalog)
        assessments = self.assess_all(forecasts, replays, prior, reassessing, previous.assessments if previous else {})
        return Snapshot(
            version=f"{fingerprint}/{MODEL_VERSION}",
            data_fingerprint=fingerprint,
            catalog=catalog,
            forecasts=forecasts,
            failures=failures,
            assessments=assessments,
            replays=replays,
            prior=prior,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            seconds=time.perf_counter() - started,
            refitted=tuple(sorted(refitting)),
            reassessed=tuple(sorted(assessments if reassessing is None else reassessing & set(assessments))),
            history_pending=pending,
        )

    def catch_up_history(self, yield_to: Callable[[], bool] | None = None) -> PendingHistory | None:
        """The second phase of a refit: replay what the served snapshot's as-of history lacks (`history_pending`),
        rebuild the histories of the targets reading those series, swap and persist. What it replayed; None when
        nothing was pending. With replicas, a snapshot another stored since is served first (and caught up if need be).
        Preempted (replays.py), nothing swapped, once `yield_to()` says newer figures wait to be served.
        """
        with self._refit_lock, self.store.refit_lock():
            adopted = self.replicas.stored_by_another(None) if self.store.shared else None
            if adopted is not None:
                self._adopt(adopted)
            served = self._snapshot
            if served is None or served.history_pending is None:
                return None
            started = time.perf_counter()
            lacking, catalog = set(served.history_pending.series), served.catalog
            days = catalog.month_ends_with_news(self.settings.replay_months)
            replays = self.replayer.replay(catalog, served.forecasts, days, served.replays, set(catalog.series) - lacking, yield_to)
            reading = {t.id for t in catalog.targets if {t.series_id, t.denominator_series_id} & lacking}
            assessments = self.assess_all(served.forecasts, replays, served.prior, reading, served.assessments)
            seconds = served.seconds + time.perf_counter() - started
            self._publish(replace(served, replays=replays, assessments=assessments, history_pending=None, seconds=seconds), False)
            return served.history_pending

    def _publish(self, snapshot: Snapshot, settled: bool) -> None:
        """Serve `snapshot` and store it (for a restart, and for the replicas sharing the store); `settled`: a full fit,
        so the forecasts served are no longer older than the data."""
        self._persist_lock.acquire()
        try:
            pickled = self.artifacts.pickled(snapshot)  # before it is served: readers then fill its lazy attributes
            try:
                self._swap(snapshot)
            except BaseException:
                pickled.discard()
                raise
            if settled:  # after the swap: /readyz never says "up to date" beside the models it replaces
                self.recomputing = None
            self.artifacts.save(self._artifact_name(), pickled, snapshot.manifest())
        finally:
            self._persist_lock.release()

    def follow_replicas(self) -> Snapshot | None:
        """Rerun the refits of replicas gone; serve the models another replica stored since, unless a refit runs here."""
        for job_id in self.store.interrupt_unfinished("its replica stopped before the refit ended; another replica reruns it"):
            series = (job.detail.get("series") if (job := self.store.job(job_id)) else None) or []
            self.refits.submit(job_id, [str(s) for s in series] if isinstance(series, list) else [])
        if not self._refit_lock.acquire(blocking=False):
            return None
        try:
            adopted = self.replicas.stored_by_another(None)
            return self._adopt(adopted) if adopted is not None else None
        finally:
            self._refit_lock.release()

    def _adopt(self, snapshot: Snapshot) -> Snapshot:
        self.targets = self.store.targets()  # another replica may have added some (tracking.py)
        self._swap(snapshot)
        if snapshot.data_fingerprint == self.store.fingerprint():  # after the swap, as in _publish
            self.recomputing = None
        return snapshot

    def _catch_up_for_jobs(self) -> dict[str, object]:
        """What a refit job reports of its second phase, the as-of history (GET /v1/jobs/{id}, `history`)."""
        started = time.perf_counter()
        try:
            replayed = self.catch_up_history(yield_to=self.refits.waiting)
        except Preempted as reason:  # newer figures are served first; this history is replayed after theirs
            return {"status": "queued", "yielded": str(reason)}
        return history_report(replayed, time.perf_counter() - started, self.snapshot.version)

    def close(self, timeout: float = 60.0) -> None:
        """Wait for fitted models being written to disk, so a stop right after readiness keeps them; leave the cluster."""
        if self._persist_lock.acquire(timeout=timeout):
            self._persist_lock.release()
        self.fitter.close()

    def _fit_all(
        self, catalog: Catalog, wanted: set[str], previous: Snapshot | None
    ) -> tuple[dict[str, SeriesForecast], dict[str, str], Prior]:
        """Fit the `wanted` series in waves (the lender first), the others' fits (or failures) taken from `previous`."""
        outcomes: dict[str, FitOutcome] = {}
        lender = catalog.prior_lender()
        prior = previous.prior if previous is not None and lender not in wanted else Prior()
        for wave in catalog.fitting_waves(wanted if previous is not None else catalog.series):
            requests = [
                today_request(catalog, series_id, prior, self.settings, self._origins(catalog, series_id), self.catalog)
                for series_id in wave
            ]
            outcomes.update((outcome.series_id, outcome) for outcome in self.fitter.run(requests))
            found = outcomes.get(lender) if lender is not None else None
            if found is not None and found.forecast is not None and lender in wave:
                prior = self.prior_from(found.forecast)
        forecasts: dict[str, SeriesForecast] = {}
        failures: dict[str, str] = {}
        for series_id in catalog.fitting_order():
            if series_id in outcomes:
                fitted = outcomes[series_id]
                if fitted.forecast is not None:
                    forecasts[series_id] = fitted.forecast
                else:
                    failures[series_id] = fitted.failure
            elif previous is not None and series_id in previous.forecasts:
                forecasts[series_id] = previous.forecasts[series_id]
            elif previous is not None and series_id in previous.failures:
                failures[series_id] = previous.failures[series_id]
        return forecasts, failures, prior

    @staticmethod
    def prior_from(lender: SeriesForecast) -> Prior:
        """What sparse series borrow from the lender's fit (borrowing.prior_from)."""
        return prior_from(lender.series_id, lender.model, lender.backtest_rows)

    def _origins(self, catalog: Catalog, series_id: str) -> list[date]:
        """Backtest origins: the days new figures of the series arrived, thinned to a handful."""
        return spread_origins([o.vintage for o in catalog.reported if o.series_id == series_id], self.settings.backtest_origins)

    def prior_as_of(self, replayed: Mapping[str, SeriesForecast]) -> Prior:
        return self.replayer.prior_as_of(replayed)  # replays.py

    def assess_all(
        self,
        forecasts: Mapping[str, SeriesForecast],
        replays: Mapping[date, Mapping[str, SeriesForecast]],
        prior: Prior,
        only: Set[str] | None = None,
        kept: Mapping[str, Assessment] | None = None,
    ) -> dict[str, Assessment]:
        """Assess every target, or `only` those, the others taken from `kept` with their history on replay days new since."""
        assessments = {}
        priors = {day: self.prior_as_of(known) for day, known in replays.items()}
        for target in self.targets:
            old = kept.get(target.id) if only is not None and target.id not in only and kept is not None else None
            if old is not None:
                had = {entry["as_of"]: entry for entry in old.history}
                history = [
                    had.get(day.isoformat()) or self._history_on(target, day, replays, priors) for day in replay_days_since(target, replays)
                ]
                assessments[target.id] = old if history == old.history else replace(old, history=history)
                continue
            assessment = self.assess_one(target, forecasts, prior)
            for day in replay_days_since(target, replays):
                assessment.history.append(self._history_on(target, day, replays, priors))
            link_revisions(assessment, target, self.targets)
            assessment.retired = {"on": target.retired_on, "reason": target.retired_reason} if target.retired_on else None
            assessments[target.id] = assessment
        return assessments

    def _history_on(
        self, target: Target, day: date, replays: Mapping[date, Mapping[str, SeriesForecast]], priors: Mapping[date, Prior]
    ) -> dict[str, object]:
        return history_entry(day, self.assess_one(target, replays[day], priors[day], today=day))

    def assess_one(self, target: Target, forecasts: Mapping[str, SeriesForecast], prior: Prior, today: date | None = None) -> Assessment:
        numerator = forecasts.get(target.series_id) if target.series_id else None
        denominator = forecasts.get(target.denominator_series_id) if target.denominator_series_id else None
        snapshot = self._snapshot
        why = ""
        if target.series_id and numerator is None:
            why = (snapshot.failures.get(target.series_id) if snapshot else None) or f"series '{target.series_id}' could not be projected"
        return assess(
            target,
            numerator,
            denominator,
            pooled_sd=prior.annual_sd,
            damping=prior.damping,
            seed=self.settings.random_seed,
            why_not=why,
            today=today or date.today(),
        )

    # reads --------------------------------------------------------------------------
    def forecast_for(self, series_id: str, as_of: date | None, freq: str = "month", horizon: int = 0) -> SeriesForecast:
        """The forecast as it stood on `as_of` (the latest replay on or before it), checked to reach `horizon` periods."""
        found = self._forecast_as_of(series_id, as_of)
        available = len(found.points.get(freq, []))
        if horizon > available:
            reach = f"through {found.points[freq][-1].period_end}" if available else "none: this series has no projection at this frequency"
            raise InvalidParameter("horizon", f"{horizon} {freq}s asked; the projection has {available} ({reach})")
        return found

    def _forecast_as_of(self, series_id: str, as_of: date | None) -> SeriesForecast:
        snapshot = self.snapshot
        snapshot.catalog.require(series_id)
        if as_of is not None and snapshot.replays:
            days = [d for d in sorted(snapshot.replays) if d <= as_of]
            latest_known = max(o.vintage for o in snapshot.catalog.reported)
            if as_of < latest_known:
                if not days:
                    raise InvalidParameter(
                        "as_of",
                        f"as-of answers are kept for the month-ends with new figures in the last {self.settings.replay_months} months "
                        f"of releases, from {min(snapshot.replays)}; {as_of} is earlier",
                    )
                replay = snapshot.replays[days[-1]]
                if series_id not in replay:
                    known = len(self.catalog(days[-1]).fit_figures(series_id))
                    raise InvalidParameter(
                        "as_of",
                        f"'{series_id}' had no forecast on {days[-1]}, the replay for {as_of}: {known} level figures were known then",
                    )
                return replay[series_id]
        if series_id not in snapshot.forecasts:
            raise InsufficientHistory(series_id, len(snapshot.catalog.fit_figures(series_id)), 2, "level figures")
        return snapshot.forecasts[series_id]

    # ingest ----------------------------------------------------------------------------
    def ingest(self, rows: Sequence[Mapping[str, object]], run_in_background: bool = True, correction: bool = False) -> Job:
        """Validate all rows, store them atomically (idempotent), and queue a refit of the affected series
        (merged with any other ingest waiting for one: refits.RefitQueue). Another value for a stored figure
        that is not a later release of it is refused (ConflictingFigure) unless the batch is a `correction`."""
        observations = observations_from_rows(rows, self.store.series(), source="request", loaded_on=date.today())
        result = self.store.add_observations(observations, "ingest", date.today(), source="request", corrections=correction)
        affected = sorted({o.series_id for o in observations})
        detail = {"series": affected, "new": result.new, "unchanged": result.unchanged, "revised": result.revised}
        return self.queue_refit(affected, detail, result.new > 0 or result.revised > 0, run_in_background)

    def queue_refit(self, affected: Sequence[str], detail: Mapping[str, object], changed: bool, background: bool = True) -> Job:
        """A refit job for a change to the store (figures, series, targets); done at once when nothing changed."""
        job = self.store.create_job("refit", detail)
        if not changed:
            self.store.update_job(job.id, "done", {"note": "nothing new: no refit needed", **job.detail})
        else:
            self.refits.submit(job.id, affected, background=background)
        return self.store.job(job.id) or job

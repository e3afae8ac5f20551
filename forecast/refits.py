"""Refits after ingests, merged: ingests that arrive while a refit runs join the next one.

One worker thread at a time takes every pending job, refits what their changes
touch (services.ForecastService.refit: the series whose figures changed and the
series that read them, replays and targets included; the rest is reused), and
closes all of those jobs together, saying which series were refitted. A job that
waits says `queued`, not `running`, and a poller sees which refit carried it
(`merged_with`). Five ingests five seconds apart thus cost at most two refits,
not five in a row.

A refit runs in two phases: the first serves the new fits and targets (the job's
`visible`), the second replays the as-of history they leave behind (its `history`);
the job is `done` after both. Pending first phases go before any second one, and
one second phase replays the history of every job served since the last.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from forecast.snapshot import PendingHistory, Snapshot
from forecast.store import Store

log = logging.getLogger("forecast")

Refit = Callable[[Iterable[str]], Mapping[str, object]]  # refit(hinted series) -> what it did: version, refitted, ...
CatchUp = Callable[[], Mapping[str, object]]  # the second phase: replays the as-of history the first left -> what it did


class RefitQueue:
    def __init__(self, store: Store, refit: Refit, catch_up: CatchUp | None = None) -> None:
        self._store = store
        self._refit = refit
        self._catch_up = catch_up
        self._lock = threading.Lock()
        self._pending: dict[str, list[str]] = {}  # job id -> its series
        self._awaiting: dict[str, float] = {}  # job id -> when its refit started, for the jobs served but not their history
        self._draining = False  # a worker thread is running (set and cleared under the lock: no job is left behind)

    def submit(self, job_id: str, series: Iterable[str], background: bool = True) -> None:
        """Queue a job's refit; start the worker unless one is running (which will take the job next). Not in the
        background, the caller runs the refit (both phases) and returns when it is done."""
        with self._lock:
            self._pending[job_id] = sorted(series)
            if background and self._draining:
                return
            self._draining = self._draining or background
        if background:
            threading.Thread(target=self._drain, args=(True,), daemon=True, name="refit").start()
        else:
            self._drain()

    def waiting(self) -> bool:
        """Jobs wait for a first phase: a second phase running yields to them (services.ForecastService.catch_up_history)."""
        with self._lock:
            return bool(self._pending)

    def idle(self) -> bool:
        with self._lock:
            return not self._pending and not self._awaiting and not self._draining

    def _drain(self, worker: bool = False) -> None:
        """First phases before second ones: jobs that arrive while a refit runs are served before any history
        is replayed, and one second phase then replays the history of every job served since."""
        while True:
            with self._lock:
                batch, self._pending = self._pending, {}
                waiting: dict[str, float] = {}
                if not batch:
                    waiting, self._awaiting = self._awaiting, {}
                if not batch and not waiting:
                    self._draining = self._draining and not worker
                    return
            try:
                if batch:
                    self._run(batch)
                else:
                    self._replay_history(waiting)
            except Exception:
                self._stop_after_error(batch, waiting, worker)
                if not worker:
                    raise
                return

    def _stop_after_error(self, batch: Mapping[str, list[str]], waiting: Mapping[str, float], worker: bool) -> None:
        """A store call outside the refit's own handling failed (a dropped database connection): the jobs taken go
        back to the queue, for the next submit's worker or a restart's rerun, and this worker stops; a worker left
        marked as running would keep every later job queued for ever."""
        log.exception("the refit worker stopped on an error; its jobs wait for the next refit")
        with self._lock:
            for job_id, series in batch.items():
                self._pending.setdefault(job_id, series)
            self._awaiting.update(waiting)
            self._draining = self._draining and not worker

    def _run(self, batch: Mapping[str, list[str]]) -> None:
        affected = sorted({series_id for series in batch.values() for series_id in series})
        jobs = {job_id: self._store.job(job_id) for job_id in batch}
        merged = sorted(batch)

        progress: dict[str, object] = {}

        def update(status: str, extra: Mapping[str, object]) -> None:
            progress.update(extra)
            for job_id, job in jobs.items():
                detail = {**(job.detail if job else {}), **progress}
                if len(merged) > 1:
                    detail["merged_with"] = [other for other in merged if other != job_id]
                self._store.update_job(job_id, status, detail)

        update("running", {"refitting": affected})
        started = time.perf_counter()
        try:
            summary = self._refit(affected)
        except Exception as error:  # noqa: BLE001 - a failed refit is reported on its jobs; the previous forecasts keep serving
            log.exception("refit failed")
            update("failed", {"error": f"{type(error).__name__}: {error}"})
            return
        seconds = round(time.perf_counter() - started, 3)
        if self._catch_up is None:
            update("done", {**summary, "seconds_total": seconds})
            return
        update("running", {**summary, "visible": {"status": "done", "at": _now(), "seconds": seconds}})
        with self._lock:
            self._awaiting.update(dict.fromkeys(batch, started))

    def _replay_history(self, waiting: Mapping[str, float]) -> None:
        """The second phase, for the jobs whose figures are served: `history` says how it went; then they are done."""
        self._update_history(waiting, "running", {"status": "running"})
        try:
            history = dict(self._catch_up()) if self._catch_up is not None else {"status": "up to date"}
            if history.get("status") == "queued":  # it yielded to newer figures: replayed with theirs, after them
                self._update_history(waiting, "running", history)
                with self._lock:
                    self._awaiting.update(waiting)
                return
            self._update_history(waiting, "done", history)
        except Exception as error:  # noqa: BLE001 - the forecasts stay served; the history is replayed by the next refit
            # the job is done: its figures are served; only `history` failed (a job's `failed` says its figures are not)
            log.exception("replaying the as-of history failed")
            self._update_history(waiting, "done", {"status": "failed", "error": f"{type(error).__name__}: {error}"})

    def _update_history(self, jobs: Mapping[str, float], status: str, history: Mapping[str, object]) -> None:
        for job_id, started in jobs.items():
            job = self._store.job(job_id)
            detail = dict(job.detail) if job else {}
            earlier = detail.get("history")
            detail["history"] = {**(earlier if isinstance(earlier, dict) else {}), **history}
            if status != "running":
                detail["seconds_total"] = round(time.perf_counter() - started, 3)
            self._store.update_job(job_id, status, detail)


def visible_report(done: Snapshot) -> dict[str, object]:
    """What a refit job reports when its first phase is done and its figures are served (GET /v1/jobs/{id})."""
    pending = done.history_pending
    return {
        "version": done.version,
        "refitted": list(done.refitted),
        "reassessed": list(done.reassessed),
        "seconds": round(done.seconds, 3),
        "history": {"status": "queued", **pending.as_dict()} if pending else {"status": "up to date"},
    }


def history_report(replayed: PendingHistory | None, seconds: float, version: str) -> dict[str, object]:
    """What a refit job reports when its second phase is done: the as-of replays run (`replayed`; None: none were due)."""
    if replayed is None:
        return {"status": "up to date"}
    return {"status": "done", **replayed.as_dict(), "seconds": round(seconds, 3), "version": version}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

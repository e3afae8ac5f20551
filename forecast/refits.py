"""Refits after ingests, merged: ingests that arrive while a refit runs join the next one.

One worker thread at a time takes every pending job, refits what their changes
touch (services.ForecastService.refit: the series whose figures changed and the
series that read them, replays and targets included; the rest is reused), and
closes all of those jobs together, saying which series were refitted. A job that
waits says `queued`, not `running`, and a poller sees which refit carried it
(`merged_with`). Five ingests five seconds apart thus cost at most two refits,
not five in a row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from forecast.store import Store

log = logging.getLogger("forecast")

Refit = Callable[[Iterable[str]], Mapping[str, object]]  # refit(hinted series) -> what it did: version, refitted, ...


class RefitQueue:
    def __init__(self, store: Store, refit: Refit) -> None:
        self._store = store
        self._refit = refit
        self._lock = threading.Lock()
        self._pending: dict[str, list[str]] = {}  # job id -> its series
        self._worker: threading.Thread | None = None

    def submit(self, job_id: str, series: Iterable[str], background: bool = True) -> None:
        """Queue a job's refit; start the worker unless one is running (which will take the job next)."""
        with self._lock:
            self._pending[job_id] = sorted(series)
            if background and self._worker is not None and self._worker.is_alive():
                return
            if background:
                self._worker = threading.Thread(target=self._drain, daemon=True, name="refit")
                self._worker.start()
                return
        self._drain()

    def idle(self) -> bool:
        with self._lock:
            return not self._pending and (self._worker is None or not self._worker.is_alive())

    def _drain(self) -> None:
        while True:
            with self._lock:
                batch, self._pending = self._pending, {}
                if not batch:
                    return
            self._run(batch)

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
            update("done", {**summary, "seconds_total": round(time.perf_counter() - started, 3)})
        except Exception as error:  # noqa: BLE001 - a failed refit is reported on its jobs; the previous forecasts keep serving
            log.exception("refit failed")
            update("failed", {"error": f"{type(error).__name__}: {error}"})

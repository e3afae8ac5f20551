"""Replicas sharing one PostgreSQL store: every replica serves the models whichever replica fitted last.

A refit runs on one replica at a time (Store.refit_lock, a PostgreSQL advisory lock) and the fitted
models' bytes go into the store with their hash (artifacts.py), so replicas on different hosts need
no shared folder. The other replicas look for newer models every `replica_poll_seconds` and serve
them (a new snapshot: new response bodies and ETags, api/state.py). A replica whose own refit waited
on the lock serves the models the other stored instead of fitting again, when they were fitted on
the data it would fit. The same poll takes over the unfinished jobs of a replica gone (its connection to
the database closed) and reruns their refits. With SQLite (one process owns the file) none of this runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from forecast.artifacts import ArtifactStore
from forecast.errors import ArtifactRejected
from forecast.snapshot import Snapshot

log = logging.getLogger("forecast")


class SharedModels:
    """The models another replica stored under `name`, for a service on a shared store."""

    def __init__(self, shared: bool, artifacts: ArtifactStore, name: str, model_version: str) -> None:
        self.shared = shared
        self._artifacts = artifacts
        self._name = name
        self._model_version = model_version

    def stored_by_another(self, fingerprint: str | None) -> Snapshot | None:
        """Models another replica stored since this one last saved or loaded its own, if they load (fitted on
        `fingerprint`'s data unless None, with this model version); None when there are none, or on SQLite."""
        if not self.shared or self._artifacts.is_held(self._name):
            return None
        wanted = None if fingerprint is None else f"{fingerprint}/{self._model_version}"
        try:
            payload = self._artifacts.load(self._name, wanted)
        except ArtifactRejected as reason:
            log.info("models stored by another replica not served: %s", reason)
            return None
        if isinstance(payload, Snapshot) and payload.version.endswith(f"/{self._model_version}"):
            log.info("serving models another replica fitted (%s)", payload.version)
            return payload
        return None


class ModelFollower:
    """A thread calling `follow` every `seconds` until stopped: a replica picking up what other replicas fitted or left."""

    def __init__(self, follow: Callable[[], object], seconds: float) -> None:
        self._follow = follow
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="follow-replicas")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self._follow()
            except Exception:  # noqa: BLE001 - a failed look (the database away) is retried next time; serving goes on
                log.exception("looking for models fitted by another replica failed")

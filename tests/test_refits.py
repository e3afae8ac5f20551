"""Refits after ingests are merged (jobs in SQLite and in PostgreSQL), run in two phases (figures served, then their
as-of history), and jobs a stopped process left behind are closed (the PostgreSQL case, where a live replica's jobs
are kept, is in tests/test_replicas.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator

import pytest

from forecast.refits import RefitQueue
from forecast.store import Store


class SlowRefit:
    """A fake refit that waits until released, and records what each call refitted."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()

    def __call__(self, only: Iterable[str]) -> dict[str, object]:
        self.calls.append(sorted(only))
        self.release.wait(5)
        return {"version": f"v{len(self.calls)}", "refitted": sorted(only)}


def _wait_until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    made = Store(":memory:" if request.param == "sqlite" else request.getfixturevalue("postgres_url"))
    yield made
    made.close()


def test_ingests_that_arrive_during_a_refit_are_merged_into_the_next_one(store: Store) -> None:
    refit = SlowRefit()
    queue = RefitQueue(store, refit)
    jobs = [store.create_job("refit", {"series": [f"s{i}"]}).id for i in range(5)]
    queue.submit(jobs[0], ["s0"])
    _wait_until(lambda: len(refit.calls) == 1)
    for i in range(1, 5):
        queue.submit(jobs[i], [f"s{i}"])
    assert {store.job(j).status for j in jobs[1:]} == {"queued"}  # waiting, not pretending to run  # type: ignore[union-attr]
    refit.release.set()
    _wait_until(queue.idle)
    assert refit.calls == [["s0"], ["s1", "s2", "s3", "s4"]]  # two refits, not five
    assert all(store.job(j).status == "done" for j in jobs)  # type: ignore[union-attr]
    merged = store.job(jobs[4]).detail  # type: ignore[union-attr]
    assert sorted(merged["merged_with"]) == sorted(jobs[1:4]) and merged["refitting"] == ["s1", "s2", "s3", "s4"]
    assert merged["refitted"] == ["s1", "s2", "s3", "s4"] and merged["version"] == "v2"


def test_a_refit_that_fails_fails_every_job_it_carried_and_the_queue_goes_on(store: Store) -> None:

    def broken(only: Iterable[str]) -> dict[str, object]:
        raise ValueError("optimiser diverged")

    queue = RefitQueue(store, broken)
    job = store.create_job("refit", {"series": ["s0"]}).id
    queue.submit(job, ["s0"], background=False)
    failed = store.job(job)
    assert failed is not None and failed.status == "failed" and failed.detail["error"] == "ValueError: optimiser diverged"
    assert queue.idle()


class StoreFailingOnce:
    """The store, except that its next `update_job` raises, as a dropped database connection would."""

    def __init__(self, store: Store) -> None:
        self._store, self.fail_next = store, True

    def update_job(self, *args: object) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("server closed the connection unexpectedly")
        self._store.update_job(*args)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_store_error_outside_the_refit_stops_the_worker_but_loses_no_job(store: Store) -> None:
    refit = SlowRefit()
    refit.release.set()
    flaky = StoreFailingOnce(store)
    queue = RefitQueue(flaky, refit)  # type: ignore[arg-type]
    first = store.create_job("refit", {"series": ["s0"]}).id
    queue.submit(first, ["s0"])
    _wait_until(lambda: not flaky.fail_next and queue.waiting())
    assert queue.waiting() and refit.calls == []  # the job went back to the queue; the worker stopped
    second = store.create_job("refit", {"series": ["s1"]}).id
    queue.submit(second, ["s1"])  # a new worker starts: a stopped one no longer blocks the queue
    _wait_until(queue.idle)
    assert refit.calls == [["s0", "s1"]]
    assert store.job(first).status == store.job(second).status == "done"  # type: ignore[union-attr]


def test_jobs_left_queued_or_running_by_a_stopped_process_are_marked_interrupted() -> None:
    store = Store(":memory:")
    running, queued, done = (store.create_job("refit", {"series": ["s"]}).id for _ in range(3))
    store.update_job(running, "running", {"series": ["s"]})
    store.update_job(done, "done", {"series": ["s"]})
    assert sorted(store.interrupt_unfinished("stopped")) == sorted([running, queued])
    assert store.job(running).status == store.job(queued).status == "interrupted"  # type: ignore[union-attr]
    assert store.job(running).detail["interrupted"] == "stopped" and store.job(done).status == "done"  # type: ignore[union-attr]


class SlowHistory:
    """A fake second phase (the as-of history) that waits until released, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> dict[str, object]:
        self.calls += 1
        self.started.set()
        self.release.wait(5)
        return {"status": "done", "series": ["s0"], "days": ["2026-03-31"], "seconds": 0.1}


def test_a_job_says_its_figures_are_served_before_its_history_is_replayed_then_done(store: Store) -> None:
    refit, history = SlowRefit(), SlowHistory()
    refit.release.set()
    queue = RefitQueue(store, refit, history)
    job = store.create_job("refit", {"series": ["s0"], "new": 1}).id
    queue.submit(job, ["s0"])
    history.started.wait(5)
    served = store.job(job)
    assert served is not None and served.status == "running" and served.finished_at is None  # not done before its history
    assert served.detail["visible"]["status"] == "done" and served.detail["refitted"] == ["s0"] and served.detail["version"] == "v1"
    assert served.detail["history"] == {"status": "running"} and served.detail["new"] == 1  # what was ingested stays
    history.release.set()
    _wait_until(queue.idle)
    done = store.job(job)
    assert done is not None and done.status == "done" and done.finished_at is not None
    assert done.detail["history"] == {"status": "done", "series": ["s0"], "days": ["2026-03-31"], "seconds": 0.1}
    assert done.detail["seconds_total"] >= done.detail["visible"]["seconds"]


def test_an_ingest_during_the_history_replay_is_refitted_after_it_and_its_history_replayed_once_more(store: Store) -> None:
    refit, history = SlowRefit(), SlowHistory()
    refit.release.set()
    queue = RefitQueue(store, refit, history)
    first, second, third = (store.create_job("refit", {"series": [f"s{i}"]}).id for i in range(3))
    queue.submit(first, ["s0"])
    history.started.wait(5)
    queue.submit(second, ["s1"])
    queue.submit(third, ["s2"])
    assert {store.job(j).status for j in (second, third)} == {"queued"}  # type: ignore[union-attr]
    assert store.job(first).status == "running"  # type: ignore[union-attr]
    history.release.set()
    _wait_until(queue.idle)
    assert refit.calls == [["s0"], ["s1", "s2"]] and history.calls == 2  # the two waiting ingests: one refit, one replay
    assert all(store.job(j).status == "done" for j in (first, second, third))  # type: ignore[union-attr]
    assert store.job(third).detail["merged_with"] == [second]  # type: ignore[union-attr]


def test_ingests_served_while_others_wait_share_one_history_replay(store: Store) -> None:
    refit, history = SlowRefit(), SlowHistory()
    history.release.set()
    queue = RefitQueue(store, refit, history)
    first, second = (store.create_job("refit", {"series": [f"s{i}"]}).id for i in range(2))
    queue.submit(first, ["s0"])
    _wait_until(lambda: len(refit.calls) == 1)
    queue.submit(second, ["s1"])
    refit.release.set()
    _wait_until(queue.idle)
    assert refit.calls == [["s0"], ["s1"]] and history.calls == 1  # the second was served before any history was replayed
    assert all(store.job(j).status == "done" and store.job(j).detail["history"]["status"] == "done" for j in (first, second))  # type: ignore[union-attr]


def test_a_history_replay_that_fails_is_said_in_history_and_the_job_is_done_its_figures_served(store: Store) -> None:
    def broken() -> dict[str, object]:
        raise ValueError("replay diverged")

    refit = SlowRefit()
    refit.release.set()
    queue = RefitQueue(store, refit, broken)
    job = store.create_job("refit", {"series": ["s0"]}).id
    queue.submit(job, ["s0"], background=False)
    done = store.job(job)
    assert done is not None and done.status == "done" and done.detail["visible"]["status"] == "done"
    assert done.detail["history"] == {"status": "failed", "error": "ValueError: replay diverged"}
    assert "error" not in done.detail and queue.idle()  # the job's `error` is for figures not served


def test_a_history_replay_yields_to_ingests_waiting_then_replays_for_all_of_them(store: Store) -> None:
    refit, replayed = SlowRefit(), threading.Event()
    refit.release.set()
    calls: list[bool] = []

    def catch_up() -> dict[str, object]:  # as the service's: gives up between batches of fits while first phases wait
        replayed.set()
        deadline = time.monotonic() + 5
        while not queue.waiting() and not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        calls.append(queue.waiting())
        return {"status": "queued", "yielded": "3 of 4 replays left"} if calls[-1] else {"status": "done", "series": ["s0", "s1"]}

    queue = RefitQueue(store, refit, catch_up)
    first, second = (store.create_job("refit", {"series": [f"s{i}"]}).id for i in range(2))
    queue.submit(first, ["s0"])
    replayed.wait(5)
    queue.submit(second, ["s1"])
    _wait_until(queue.idle)
    assert calls == [True, False] and refit.calls == [["s0"], ["s1"]]  # yielded once; the second ingest served before it went on
    history = store.job(first).detail["history"]  # type: ignore[union-attr]
    assert store.job(first).status == store.job(second).status == "done"  # type: ignore[union-attr]
    assert history["status"] == "done" and history["series"] == ["s0", "s1"] and history["yielded"] == "3 of 4 replays left"

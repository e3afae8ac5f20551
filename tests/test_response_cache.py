"""The bodies kept per snapshot: bounded, and the bound grows with the series served."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from forecast.api.hotpath import StoredResponse
from forecast.api.render import KEPT_AT_LEAST, KEPT_PER_SERIES, ResponseCache
from forecast.services import Snapshot


def _cache(series: int) -> ResponseCache:
    snapshot = SimpleNamespace(catalog=SimpleNamespace(series={f"s{k}": None for k in range(series)}))
    return ResponseCache(cast(Snapshot, snapshot))


def _poll_every_series(cache: ResponseCache, series: int) -> None:
    for k in range(series):
        path = f"/v1/series/s{k}/forecast"
        cache.get(path, lambda: ({"k": 1}, "application/json"))
        cache.remember((path, b"", False), StoredResponse.build("forecast", b"{}", '"e"', "application/json", "public"))


def test_a_poll_of_every_series_keeps_every_body_when_there_are_more_series_than_the_least_bound() -> None:
    series = 2 * KEPT_AT_LEAST
    cache = _cache(series)
    assert cache.limit == KEPT_PER_SERIES * series
    _poll_every_series(cache, series)
    assert len(cache.stored) == series and len(cache._bodies) == series  # noqa: SLF001


def test_odd_queries_past_the_bound_start_the_cache_again() -> None:
    cache = _cache(10)
    assert cache.limit == KEPT_AT_LEAST
    _poll_every_series(cache, KEPT_AT_LEAST + 2)
    assert len(cache.stored) == 1 and len(cache._bodies) == 1  # noqa: SLF001

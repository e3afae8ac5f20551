"""What the routes share between requests: the service, the current ResponseCache, the metrics, the keys.

One ApiState per app, kept on `app.state.api` and handed to routes by deps.py.
The service tells it of every new snapshot (`on_swap`); it then starts a new
ResponseCache, so no body of the old snapshot is served after the swap, and builds
the dashboard's first bodies in the background (bodies.warm_first_load).
"""

from __future__ import annotations

import threading

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from forecast.api.bodies import warm_first_load
from forecast.api.hotpath import RawKey, StoredResponse, wants_csv
from forecast.api.keys import KeyRing
from forecast.api.render import Body, ResponseCache
from forecast.config import Settings
from forecast.errors import NotReady
from forecast.services import ForecastService, Snapshot


class Metrics:
    """The Prometheus registry of one app and what /metrics shows."""

    media_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("forecast_requests_total", "Requests served", ["route", "status"], registry=self.registry)
        self.ready = Gauge("forecast_ready", "1 once forecasts are loaded", registry=self.registry)
        self.refit_seconds = Gauge("forecast_last_refit_seconds", "Seconds the last refit took", registry=self.registry)
        self.series = Gauge("forecast_series_projected", "Series with a projection", registry=self.registry)

    def count(self, route: str, status: str) -> None:
        self.requests.labels(route, status).inc()

    def swapped(self, snapshot: Snapshot) -> None:
        self.ready.set(1)
        self.refit_seconds.set(snapshot.seconds)
        self.series.set(len(snapshot.forecasts))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ApiState:
    """The service behind one app, the bodies of its current snapshot, and the app's metrics."""

    def __init__(self, settings: Settings, service: ForecastService) -> None:
        self.settings = settings
        self.service = service
        self.metrics = Metrics()
        self.keys = KeyRing.from_settings(settings)
        self.cache: ResponseCache | None = None  # None until the service has a snapshot
        self.warming: threading.Thread | None = None  # building the first load's bodies of the current snapshot
        self.cache_control = f"public, max-age={settings.cache_max_age}, must-revalidate"
        service.on_swap.append(self.swap)
        if service.ready:  # built around a service that has already fitted or loaded its models
            self.swap(service.snapshot)

    def swap(self, snapshot: Snapshot) -> None:
        self.cache = ResponseCache(snapshot)
        self.metrics.swapped(snapshot)
        if self.settings.warm_first_load:
            self.warming = threading.Thread(target=warm_first_load, args=(self.service, self.cache), name="warm-bodies", daemon=True)
            self.warming.start()

    def stop_warming(self, timeout: float = 30.0) -> None:
        """Wait for the warm-up of the current snapshot (at shutdown, before the store is closed)."""
        if self.warming is not None:
            self.warming.join(timeout)

    def current(self) -> ResponseCache:
        """The bodies of the snapshot being served; NotReady (503) before the first fit or load."""
        cache = self.cache
        if cache is None:
            raise NotReady("forecasts are still being computed; see /readyz")
        return cache

    def stored(self, key: RawKey) -> StoredResponse | None:
        """The finished response for a raw URL, for the hot path (hotpath.HotPath)."""
        cache = self.cache
        return cache.stored.get(key) if cache is not None else None

    def read_allowed(self, authorization: bytes | None) -> bool:
        return self.keys.may_read(authorization)

    def respond(self, request: Request, body: Body, route: str, cache: ResponseCache) -> Response:
        """The body with its ETag (or a 304), stored under the raw URL so the next identical GET skips FastAPI."""
        key = (request.url.path, request.scope["query_string"], wants_csv(request.headers.get("accept", "")))
        cache.remember(key, StoredResponse.build(route, body.content, body.etag, body.media_type, self.cache_control))
        headers = {"ETag": body.etag, "Cache-Control": self.cache_control, "Vary": "Accept"}
        if request.headers.get("if-none-match") == body.etag:
            self.metrics.count(route, "304")
            return Response(status_code=304, headers=headers)
        self.metrics.count(route, "200")
        return Response(body.content, media_type=body.media_type, headers=headers)

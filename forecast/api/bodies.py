"""The bodies of the reading routes, one function each, and the warm-up that builds the dashboard's first ones.

A route and the warm-up ask for a body through the same function, so they share its cache key
(render.ResponseCache) and a body the warm-up built is the very one a request is then served.
"""

from __future__ import annotations

import logging
from datetime import date

from forecast.api import render
from forecast.api.render import Body, ResponseCache
from forecast.api.schemas import ALLOWED_LEVELS, DEFAULT_HORIZON, ForecastQuery
from forecast.errors import InvalidParameter
from forecast.services import ForecastService

log = logging.getLogger("forecast")
WARM_SERIES = 50  # a bound on the warm-up's work per swap: at 10,000 series it builds what one first load reads


def series_list(bodies: ResponseCache) -> Body:
    return bodies.get("series", lambda: (render.series_list(bodies.snapshot), "application/json"))


def targets_list(bodies: ResponseCache) -> Body:
    return bodies.get("targets", lambda: (render.targets_list(bodies.snapshot), "application/json"))


def observations(service: ForecastService, bodies: ResponseCache, series_id: str, as_of: date | None, as_csv: bool) -> Body:
    bodies.snapshot.catalog.require(series_id)

    def build() -> tuple[object, str]:
        body = render.observations_body(service.catalog(as_of), series_id)
        return (render.observations_csv(body), "text/csv") if as_csv else (body, "application/json")

    return bodies.get(f"obs|{series_id}|{as_of}|{as_csv}", build)


def forecast(service: ForecastService, bodies: ResponseCache, series_id: str, query: ForecastQuery, as_csv: bool) -> Body:
    return bodies.get(query.cache_key(series_id, as_csv), lambda: forecast_payload(service, bodies, series_id, query, as_csv))


def forecast_payload(
    service: ForecastService, bodies: ResponseCache, series_id: str, query: ForecastQuery, as_csv: bool
) -> tuple[object, str]:
    """The forecast body (JSON-ready, or CSV bytes) and its media type."""
    bodies.snapshot.catalog.require(series_id)
    levels = parse_levels(query.levels)
    freq = query.freq.value
    found = service.forecast_for(series_id, query.as_of, freq=freq, horizon=query.horizon or 0)
    # asked for: exactly that many, or a 422; not asked: a default no projection can fail (years run only to 2035)
    periods = query.horizon or min(DEFAULT_HORIZON, len(found.points.get(freq, [])))
    payload = render.forecast_body(bodies.snapshot, found, freq, periods, levels, query.as_of)
    return (render.forecast_csv(payload, levels), "text/csv") if as_csv else (payload, "application/json")


def parse_levels(levels: str) -> list[int]:
    """'95,80' -> [80, 95]; InvalidParameter (422) unless each is one of ALLOWED_LEVELS."""
    try:
        parsed = sorted({int(part) for part in levels.split(",") if part.strip()})
    except ValueError:
        raise InvalidParameter("levels", f"'{levels}' must be comma-separated integers out of {ALLOWED_LEVELS}") from None
    if not parsed or any(level not in ALLOWED_LEVELS for level in parsed):
        raise InvalidParameter("levels", f"each level must be one of {ALLOWED_LEVELS}")
    return parsed


def warm_first_load(service: ForecastService, bodies: ResponseCache) -> None:
    """Build what the dashboard's first load reads (app.js `refresh`): the series and targets lists, the default
    forecast and the figures of the first WARM_SERIES projected series, and the figures of every target's series.

    Run once per swap, off the request path: the first visitor after a start or a refit then reads stored
    bytes (BENCHMARKS.md, dashboard: the cold first load was 0.9 s slower than a warm one without it).
    """
    try:
        series_list(bodies)
        targets_list(bodies)
        projected = [series_id for series_id in bodies.snapshot.catalog.series if series_id in bodies.snapshot.forecasts]
        for series_id in projected[:WARM_SERIES]:
            forecast(service, bodies, series_id, ForecastQuery.model_validate({}), as_csv=False)  # the defaults app.js asks for
        read_by_targets = {t.series_id for t in bodies.snapshot.catalog.targets} & set(bodies.snapshot.catalog.series)
        for series_id in sorted(read_by_targets | set(projected[:WARM_SERIES])):
            observations(service, bodies, series_id, None, as_csv=False)
    except Exception as error:  # noqa: BLE001 - a body that cannot be built is the route's to report when asked for
        log.warning("warm-up stopped: %s: %s", type(error).__name__, error)

"""As-of replays: every series fitted again on what was known at each of the past days whose answers are kept.

A refit publishes in two phases (services.ForecastService.refit, then catch_up_history): the current fits and
their targets first, these replays (and the targets' histories read from them) after, so a new figure is served
without waiting for them (docs/decisions.md, "Two-phase publishing").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from datetime import date

from forecast.catalog import Catalog
from forecast.config import Settings
from forecast.engine.borrowing import Prior, prior_from
from forecast.engine.projection import SeriesForecast
from forecast.fitting import FitOutcome, FitRequest, Fitter, ReplayDepth, replay_request

ASOF_PATHS = 500
ASOF_POSTERIOR_DRAWS = 40  # enough to tell a well-determined year total from a guess
ASOF = ReplayDepth(ASOF_PATHS, ASOF_POSTERIOR_DRAWS)
BATCH_PER_WORKER = 4  # fits per worker between two looks at `yield_to`: the workers stay busy, a new figure waits little


class Preempted(Exception):
    """A replay given up between two batches of fits because newer figures wait to be served (`yield_to`)."""


class Replayer:
    """Replays on the service's fitter; `catalogs(day)` gives the figures known on a day (None: all of them)."""

    def __init__(self, fitter: Fitter, settings: Settings, catalogs: Callable[[date | None], Catalog]) -> None:
        self._fitter = fitter
        self._settings = settings
        self._catalogs = catalogs

    def prior_as_of(self, replayed: Mapping[str, SeriesForecast]) -> Prior:
        """The prior as it stood on a replay's day: from the national series replayed then, not from today's fit.

        Today's would lend a replay the variances, damping and seasonal pattern of figures
        published after its day.
        """
        return _prior_lent_by(self._catalogs(None).prior_lender(), replayed)

    def replay(
        self,
        catalog: Catalog,
        forecasts: Mapping[str, SeriesForecast],
        days: Sequence[date],
        reused: Mapping[date, Mapping[str, SeriesForecast]] | None = None,
        unchanged: Set[str] = frozenset(),
        yield_to: Callable[[], bool] | None = None,
    ) -> dict[date, dict[str, SeriesForecast]]:
        """Refit each series as of each of `days`, with the current fit's monthly weights and scale (no monthly backtests);
        an `unchanged` series' replay on a day in `reused` is taken from there instead. With `yield_to`, the fits run in
        batches of a few per worker and Preempted is raised between two batches once `yield_to()` is true.

        As in a fresh fit, the lender comes first, with the default prior; the series after it
        borrow from its replay (prior_as_of). Every series backtests its annual curves on what was
        known that day, so a replay's annual weights and calibration are not chosen on later
        figures. The monthly weights and calibration scale are today's: a nested monthly backtest
        per replay would cost minutes (docs/decisions.md, "As-of replays"). A series that cannot be
        fitted on what was known that day is left out of the day's replay.
        """
        replays: dict[date, dict[str, SeriesForecast]] = {day: {} for day in days}
        priors = {day: Prior() for day in days}
        order, lender = catalog.fitting_order(forecasts), catalog.prior_lender()
        known_on = {day: self._catalogs(day) for day in days}  # once a day: each is a read of the store's fingerprint
        for wave in catalog.fitting_waves(order):
            requests = []
            for day in days:
                kept = (reused or {}).get(day)
                for series_id in wave:
                    if kept is not None and series_id in unchanged:
                        replays[day].update({series_id: kept[series_id]} if series_id in kept else {})
                    else:
                        requests.append(replay_request(known_on[day], series_id, priors[day], self._settings, forecasts[series_id], ASOF))
            for outcome in self._run(requests, yield_to):
                if outcome.forecast is not None and outcome.day is not None:
                    replays[outcome.day][outcome.series_id] = outcome.forecast
            priors = {day: _prior_lent_by(lender, replays[day]) for day in days}
        return {day: {sid: replays[day][sid] for sid in order if sid in replays[day]} for day in days}

    def _run(self, requests: Sequence[FitRequest], yield_to: Callable[[], bool] | None) -> list[FitOutcome]:
        if yield_to is None:
            return self._fitter.run(requests)
        size, outcomes = BATCH_PER_WORKER * self._fitter.workers(), []
        for start in range(0, len(requests), size):
            if yield_to():
                raise Preempted(f"{len(requests) - start} of {len(requests)} replays left")
            outcomes += self._fitter.run(requests[start : start + size])
        return outcomes


def _prior_lent_by(lender: str | None, replayed: Mapping[str, SeriesForecast]) -> Prior:
    """The prior from the lender's replay among `replayed`; the default one when it has none."""
    found = replayed.get(lender) if lender is not None else None
    return prior_from(found.series_id, found.model, found.backtest_rows) if found is not None else Prior()

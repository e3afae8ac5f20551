"""The HTTP API on the real data: contract, numbers, errors, caching, as-of answers, ingest, stored models.

Every read is answered by an app around the session's one fitted service
(`fitted_service` in conftest.py, wrapped here as `fitted`). Tests that write
figures or models get their own database and models folder: a copy of the
fitted one (so they start by loading the stored models instead of fitting
again) or an empty one where nothing needs fitting. The one ingest that
refits is shared by the two tests that look at it (`ingested`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from httpx import Response
from pydantic import TypeAdapter

from forecast import services
from forecast.api.schemas import (
    ErrorOut,
    ForecastOut,
    HealthOut,
    IngestAcceptedOut,
    JobOut,
    ObservationsOut,
    ReadyOut,
    SeriesOut,
    TargetOut,
)
from forecast.config import Settings, key_digest
from forecast.data import OBSERVATION_COLUMNS, SEED_FILE
from forecast.services import ForecastService
from forecast.store import Store
from tests.fitted import copy_fitted, started_on_stored

with warnings.catch_warnings():
    # starlette warns on import that it prefers httpx2; httpx is what the dev extra installs
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

from forecast.api.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SEEDS_DIR = ROOT / "data" / "seeds"
KEY = "test-key-0123456789"  # the write key of conftest.settings_in; the `fitted` fixture checks it
AUTH = {"Authorization": f"Bearer {KEY}"}
CAAM = "china_exports_caam"
CAAM_FORECAST = f"/v1/series/{CAAM}/forecast"
TARGET_FIELDS = {
    "id",
    "description",
    "deadline_year",
    "comparator",
    "threshold",
    "unit",
    "latest_actual",
    "projection",
    "probability",
    "required_cagr",
    "projected_cagr",
    "attainment_year",
    "gap",
    "status",
    "history",
    "revisions",
    "assumptions",
    "what_if",
}
STATUSES = {"on_track", "at_risk", "off_track", "achieved", "missed", "not_assessed"}


# helpers -----------------------------------------------------------------------------------------


def day(text: str) -> date:
    return date.fromisoformat(text)


def next_month(first_day: date) -> date:
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


def month_end(first_day: date) -> date:
    return next_month(first_day) - timedelta(days=1)


def bounds(point: dict) -> dict[int, tuple[float, float]]:
    return {interval["level"]: (interval["lower"], interval["upper"]) for interval in point["intervals"]}


def csv_records(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def data_rows(series_id: str) -> list[dict[str, str]]:
    with (DATA_DIR / "observations.csv").open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["series_id"] == series_id]


def next_caam_month(value_factor: float = 1.03, note: str = "synthetic figure sent by tests/test_api.py") -> dict[str, object]:
    """A CAAM month the data does not have yet: the month after the last one reported, shaped like the real rows."""
    months = [row for row in data_rows(CAAM) if row["aggregation"] == "month" and row["kind"] == "level"]
    last = max(months, key=lambda row: row["period_end"])
    start = next_month(day(last["period_start"]))
    row: dict[str, object] = dict(last)
    row.update(
        period_start=start.isoformat(),
        period_end=month_end(start).isoformat(),
        value=round(float(last["value"]) * value_factor),
        yoy_pct=None,
        mom_pct=None,
        source_publisher="API test fixture",
        source_url=f"https://example.test/caam/{start:%Y-%m}",
        source_file="",
        published_date=(month_end(start) + timedelta(days=10)).isoformat(),
        published_date_estimated=False,
        disputed=False,
        note=note,
    )
    assert set(row) == set(OBSERVATION_COLUMNS)
    return row


def stored(service: ForecastService) -> tuple[int, str]:
    """What the store holds: figures (latest versions) and the fingerprint of every version."""
    return len(service.store.observations()), service.store.fingerprint()


def wait_for_job(client: TestClient, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.25)


# fixtures ----------------------------------------------------------------------------------------


@dataclass
class Fitted:
    settings: Settings
    service: ForecastService
    client: TestClient


@pytest.fixture(scope="module")
def fitted(fitted_service: ForecastService) -> Iterator[Fitted]:
    """The session's fitted service behind an app of this module's own (its own response cache and metrics)."""
    assert fitted_service.settings.write_key_digests == {key_digest(KEY)}, "KEY here must be the write key of conftest.settings_in"
    with TestClient(create_app(fitted_service.settings, fitted_service, fit_on_start=False)) as client:
        yield Fitted(fitted_service.settings, fitted_service, client)


@pytest.fixture
def new_service() -> Iterator[Callable[[Settings], ForecastService]]:
    """A ForecastService that has read data/ (as the app does at start-up); its store is closed after the test."""
    stores: list[Store] = []

    def make(settings: Settings) -> ForecastService:
        stores.append(Store(settings.database_path))
        service = ForecastService(settings, stores[-1])
        service.load_data_dir()  # the targets live in memory: a refit without them assesses none
        return service

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def unfitted(
    tmp_path: Path,
    make_settings: Callable[[Path], Settings],
    new_service: Callable[[Settings], ForecastService],
) -> Iterator[tuple[ForecastService, TestClient]]:
    """data/ stored in an empty database, nothing fitted: enough for validation and readiness."""
    service = new_service(make_settings(tmp_path))
    with TestClient(create_app(service.settings, service, fit_on_start=False)) as client:
        yield service, client


# readiness and operations ------------------------------------------------------------------------


def test_before_any_fit_only_liveness_answers(unfitted: tuple[ForecastService, TestClient]) -> None:
    _, client = unfitted
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (503, {"ready": False})
    for path in ("/v1/series", CAAM_FORECAST, f"/v1/series/{CAAM}/observations", "/v1/targets", "/v1/targets/chongqing_share_2027"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.json()["error"] == "NotReady", path
    assert "forecast_ready 0.0" in client.get("/metrics").text
    assert client.get(CAAM_FORECAST, params={"horizon": 0}).status_code == 422  # a bad query is a bad query, ready or not


def test_readyz_after_the_fit_names_the_fitted_snapshot(fitted: Fitted) -> None:
    response = fitted.client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["version"] == fitted.service.snapshot.version
    projected = [s["id"] for s in fitted.client.get("/v1/series").json() if s["forecast_available"]]
    assert body["series"] == len(projected) >= 10
    assert body["fitted_at"] == fitted.service.snapshot.created_at
    assert body["recomputing"] is None  # the served fit is the data's own
    assert body["failures"] == dict(fitted.service.snapshot.failures)  # the series not projected, and why


def test_metrics_are_prometheus_text_with_readiness(fitted: Fitted) -> None:
    response = fitted.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "# TYPE forecast_ready gauge" in lines
    assert "forecast_ready 1.0" in lines
    projected = sum(s["forecast_available"] for s in fitted.client.get("/v1/series").json())
    assert f"forecast_series_projected {float(projected)}" in lines


# series and observations -------------------------------------------------------------------------


def test_series_list_documents_each_series_and_its_last_figure(fitted: Fitted) -> None:
    response = fitted.client.get("/v1/series")
    assert response.status_code == 200
    listed = {s["id"]: s for s in response.json()}
    with (DATA_DIR / "series.csv").open(encoding="utf-8") as handle:
        assert set(listed) == {row["id"] for row in csv.DictReader(handle)}
    for entry in listed.values():
        assert {"id", "entity", "measure", "basis", "segment", "unit", "last_observation"} <= set(entry)
    caam, customs = listed[CAAM], listed["china_exports_gac"]
    assert (caam["entity"], caam["basis"], caam["unit"]) == ("China", "caam", "vehicles")
    assert (customs["entity"], customs["basis"], customs["unit"]) == ("China", "customs", "vehicles")
    assert caam["measure"] == customs["measure"] and caam["segment"] == customs["segment"]  # siblings, two bases
    levels = [row for row in data_rows(CAAM) if row["kind"] == "level"]
    latest_end = max(row["period_end"] for row in levels)
    assert caam["last_observation"]["period_end"] == latest_end
    assert caam["last_observation"]["value"] in {float(row["value"]) for row in levels if row["period_end"] == latest_end}
    assert caam["forecast_available"] and customs["forecast_available"]


def test_observations_carry_provenance_and_conflict_flags(fitted: Fitted) -> None:
    response = fitted.client.get(f"/v1/series/{CAAM}/observations")
    assert response.status_code == 200
    body = response.json()
    rows = body["observations"]
    assert body["series_id"] == CAAM and body["as_of"] is None and body["count"] == len(rows)
    reported = [row for row in rows if not row["derived"]]
    assert len(reported) == len(data_rows(CAAM))
    assert [row["period_end"] for row in rows] == sorted(row["period_end"] for row in rows)
    for row in rows:
        assert {
            "period_start",
            "period_end",
            "aggregation",
            "kind",
            "value",
            "unit",
            "qualifier",
            "vintage",
            "derived",
            "derived_from",
            "disputed",
            "conflicts",
            "used_in_fit",
            "source",
        } <= set(row)
        source = row["source"]
        assert source["publisher"], row
        assert source["url"] or source["seed_file"], row
        assert source["published_date"] is not None and day(source["published_date"]) >= day(row["period_end"])
        assert bool(row["derived_from"]) == row["derived"]
    seeds = {row["source"]["seed_file"] for row in rows if row["source"]["seed_file"]}
    assert seeds, "no CAAM figure cites a seed article"
    for name in seeds:
        assert SEED_FILE.fullmatch(name), name
        assert (SEEDS_DIR / name).is_file(), name
    flagged = [row for row in rows if row["conflicts"]]
    assert flagged, "the CAAM history has known conflicts; none is flagged"
    for conflict in (c for row in flagged for c in row["conflicts"]):
        assert conflict["check"] and conflict["resolution"]
    assert any(row["disputed"] for row in rows)  # the 2019 Jan-Sep figure marked SUSPECT in data/
    assert any(row["used_in_fit"] for row in rows) and not all(row["used_in_fit"] for row in rows)


def test_observations_as_of_an_early_date_only_hold_what_was_known_then(fitted: Fitted) -> None:
    now = fitted.client.get(f"/v1/series/{CAAM}/observations").json()
    cutoff = date(2023, 6, 30)
    then = fitted.client.get(f"/v1/series/{CAAM}/observations", params={"as_of": cutoff.isoformat()}).json()
    assert then["as_of"] == cutoff.isoformat()
    assert 0 < then["count"] == len(then["observations"]) < now["count"]
    for row in then["observations"]:
        assert day(row["vintage"]) <= cutoff, row
        assert day(row["source"]["published_date"]) <= cutoff, row
    known_by_cutoff = [row for row in now["observations"] if day(row["vintage"]) <= cutoff]
    assert len(known_by_cutoff) == then["count"]  # nothing known by then is missing (no CAAM figure was revised)
    assert fitted.client.get(f"/v1/series/{CAAM}/observations", params={"as_of": "2000-01-01"}).json()["count"] == 0


# forecasts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("freq,horizon", [("month", 12), ("quarter", 4), ("year", 3)])
def test_forecast_has_the_documented_shape(fitted: Fitted, freq: str, horizon: int) -> None:
    response = fitted.client.get(CAAM_FORECAST, params={"freq": freq, "horizon": horizon, "levels": "80,95"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert {"series_id", "unit", "freq", "as_of", "model", "points", "sources"} <= set(body)
    assert (body["series_id"], body["unit"], body["freq"], body["as_of"]) == (CAAM, "vehicles", freq, None)
    assert {"name", "fitted_at", "backtest"} <= set(body["model"])
    assert body["model"]["name"] and body["model"]["fitted_at"] == fitted.service.snapshot.forecasts[CAAM].fitted_at
    assert body["model"]["backtest"]["monthly"], "no monthly backtest table"
    assert len(body["points"]) == horizon
    for point in body["points"]:
        assert {"period_start", "period_end", "mean", "intervals"} <= set(point)
        assert [i["level"] for i in point["intervals"]] == [80, 95]
        assert day(point["period_start"]) < day(point["period_end"])
    starts = [day(p["period_start"]) for p in body["points"]]
    assert starts == sorted(set(starts))
    assert body["sources"] and all(s["publisher"] and (s["url"] or s["seed_file"]) for s in body["sources"])


@pytest.mark.parametrize("series_id", [CAAM, "china_exports_gac", "china_nev_exports_caam", "chongqing_exports_units"])
@pytest.mark.parametrize("freq", ["month", "quarter", "year"])
def test_intervals_are_nested_and_contain_the_centre(fitted: Fitted, series_id: str, freq: str) -> None:
    body = fitted.client.get(f"/v1/series/{series_id}/forecast", params={"freq": freq, "horizon": 6, "levels": "50,80,95"}).json()
    assert body["points"]
    for point in body["points"]:
        b = bounds(point)
        assert b[95][0] <= b[80][0] <= b[50][0] <= point["median"] <= b[50][1] <= b[80][1] <= b[95][1], point
        assert b[80][0] <= point["mean"] <= b[80][1], point
        assert b[95][0] >= 0, point  # vehicles are never negative
        assert b[95][1] > b[95][0], point  # an honest interval has width


def test_monthly_points_start_the_month_after_the_last_reported_one(fitted: Fitted) -> None:
    body = fitted.client.get(CAAM_FORECAST, params={"freq": "month", "horizon": 12}).json()
    last_reported = max(day(row["period_end"]) for row in data_rows(CAAM) if row["kind"] == "level")
    assert day(body["last_reported_period_end"]) == last_reported
    first = body["points"][0]
    assert day(first["period_start"]) == last_reported + timedelta(days=1)
    for earlier, later in zip(body["points"], body["points"][1:], strict=False):
        assert day(later["period_start"]) == day(earlier["period_end"]) + timedelta(days=1)  # consecutive months


def test_a_partly_reported_quarter_and_year_add_the_reported_months_to_the_forecast_ones(fitted: Fitted) -> None:
    client = fitted.client
    months = client.get(CAAM_FORECAST, params={"freq": "month", "horizon": 18}).json()
    quarters = client.get(CAAM_FORECAST, params={"freq": "quarter", "horizon": 4}).json()
    years = client.get(CAAM_FORECAST, params={"freq": "year", "horizon": 3}).json()
    last_reported = day(months["last_reported_period_end"])
    first_open = last_reported + timedelta(days=1)
    for first in (quarters["points"][0], years["points"][0]):  # the period holding the first unreported month comes first
        assert day(first["period_start"]) <= first_open <= day(first["period_end"])
    year = years["points"][0]
    assert year["period_start"] == f"{first_open.year}-01-01" and year["period_end"] == f"{first_open.year}-12-31"
    assert year["reported_share"] == pytest.approx((first_open.month - 1) / 12, abs=1e-6)
    forecast_months = sum(p["mean"] for p in months["points"] if day(p["period_start"]).year == first_open.year)
    ytd = [
        row
        for row in client.get(f"/v1/series/{CAAM}/observations").json()["observations"]
        if row["aggregation"] == "ytd" and day(row["period_end"]) == last_reported and not row["derived"]
    ]
    assert ytd, "the data reports the year to date at the last reported month"
    assert year["mean"] == pytest.approx(ytd[0]["value"] + forecast_months, rel=0.01)
    for quarter in quarters["points"]:
        inside = [p["mean"] for p in months["points"] if quarter["period_start"] <= p["period_start"] <= quarter["period_end"]]
        if len(inside) == 3:  # a quarter with nothing reported is the sum of its forecast months
            assert quarter["mean"] == pytest.approx(sum(inside), rel=0.01)


def test_year_totals_are_larger_than_any_month(fitted: Fitted) -> None:
    months = fitted.client.get(CAAM_FORECAST, params={"freq": "month", "horizon": 18}).json()["points"]
    years = fitted.client.get(CAAM_FORECAST, params={"freq": "year", "horizon": 3}).json()["points"]
    largest_month = max(p["mean"] for p in months)
    assert [day(p["period_start"]).year for p in years] == list(
        range(day(years[0]["period_start"]).year, day(years[0]["period_start"]).year + 3)
    )
    for year in years:
        assert year["mean"] > 4 * largest_month, year
        assert bounds(year)[80][0] > largest_month, year


def test_every_projected_series_starts_its_year_totals_with_the_first_unreported_year(fitted: Fitted) -> None:
    """Regression (HEAD 49b8175): NEV exports, projected through their share of all exports, skipped the partly reported 2025."""
    checked = 0
    for series_id in [s["id"] for s in fitted.client.get("/v1/series").json() if s["forecast_available"]]:
        body = fitted.client.get(f"/v1/series/{series_id}/forecast", params={"freq": "year", "horizon": 2}).json()
        first_open = day(body["last_reported_period_end"]) + timedelta(days=1)
        assert day(body["points"][0]["period_start"]).year == first_open.year, series_id
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("freq,horizon", [("month", 24), ("quarter", 12), ("year", 12)])
def test_the_horizon_asked_for_is_the_number_of_points_or_a_422(fitted: Fitted, freq: str, horizon: int) -> None:
    """Regression (HEAD 49b8175): a horizon past the precomputed points (18 months, 6 quarters, years to 2035) was cut silently."""
    response = fitted.client.get(CAAM_FORECAST, params={"freq": freq, "horizon": horizon})
    if response.status_code == 422:
        assert "horizon" in response.json()["message"]
    else:
        assert response.status_code == 200 and len(response.json()["points"]) == horizon


@pytest.mark.parametrize("freq", ["month", "quarter", "year"])
def test_a_forecast_without_a_horizon_never_fails_for_want_of_periods(fitted: Fitted, freq: str) -> None:
    """Regression: the default horizon of 12 asked for 12 years, and the years run only to 2035, so ?freq=year alone was a 422."""
    response = fitted.client.get(CAAM_FORECAST, params={"freq": freq})
    assert response.status_code == 200, response.text
    points = response.json()["points"]
    assert points[-1]["period_end"] <= "2035-12-31"
    if freq == "year":
        assert len(points) < 12 and points[-1]["period_end"] == "2035-12-31"  # every year there is
    else:
        assert len(points) == 12


def test_forecast_as_of_a_date_in_the_replay_window_is_the_one_known_then(fitted: Fitted) -> None:
    client = fitted.client
    rows = client.get(f"/v1/series/{CAAM}/observations").json()["observations"]
    latest_published = max(day(row["vintage"]) for row in rows)
    six_months_before = date(latest_published.year - (latest_published.month <= 6), (latest_published.month - 7) % 12 + 1, 1)
    as_of = month_end(six_months_before)
    current = client.get(CAAM_FORECAST, params={"horizon": 12}).json()
    then = client.get(CAAM_FORECAST, params={"horizon": 12, "as_of": as_of.isoformat()})
    assert then.status_code == 200, then.text
    then_body = then.json()
    assert then_body["as_of"] == as_of.isoformat()
    assert day(then_body["data_as_of"]) <= as_of
    assert day(then_body["last_reported_period_end"]) < day(current["last_reported_period_end"])
    first_then, first_now = day(then_body["points"][0]["period_start"]), day(current["points"][0]["period_start"])
    assert first_then < first_now  # CAAM published several months between then and now
    assert first_then == day(then_body["last_reported_period_end"]) + timedelta(days=1)
    same_month = {p["period_start"]: p["mean"] for p in then_body["points"]}
    overlap = [p for p in current["points"] if p["period_start"] in same_month]
    assert overlap and all(same_month[p["period_start"]] != pytest.approx(p["mean"], rel=1e-4) for p in overlap)
    for source in then_body["sources"]:  # the replay cites nothing published after its date
        assert day(source["published_date"]) <= as_of, source
    assert then.headers["etag"] != client.get(CAAM_FORECAST, params={"horizon": 12}).headers["etag"]


# targets -----------------------------------------------------------------------------------------


def test_targets_list_every_target_with_the_documented_fields(fitted: Fitted) -> None:
    response = fitted.client.get("/v1/targets")
    assert response.status_code == 200
    listed = response.json()
    with (DATA_DIR / "targets.csv").open(encoding="utf-8") as handle:
        assert [t["id"] for t in listed] == [row["target_id"] for row in csv.DictReader(handle)]
    for target in listed:
        assert TARGET_FIELDS <= set(target), TARGET_FIELDS - set(target)
        assert target["status"].removeprefix("superseded (").removesuffix(")") in STATUSES, target["id"]
        assert target["probability"] is None or 0.0 <= target["probability"] <= 1.0
        assert isinstance(target["history"], list)


@pytest.mark.parametrize("target_id", ["chongqing_share_2027", "changan_overseas_sales_2030"])
def test_a_headline_target_is_assessed_consistently(fitted: Fitted, target_id: str) -> None:
    response = fitted.client.get(f"/v1/targets/{target_id}")
    assert response.status_code == 200
    target = response.json()
    assert TARGET_FIELDS <= set(target), TARGET_FIELDS - set(target)
    assert target == next(t for t in fitted.client.get("/v1/targets").json() if t["id"] == target_id)
    assert target["id"] == target_id and target["description"]
    assert isinstance(target["deadline_year"], int) and target["comparator"] in {">=", ">", "<=", "<"}
    assert target["status"] in {"on_track", "at_risk", "off_track"}
    probability = target["probability"]
    assert 0.0 <= probability <= 1.0
    assert target["status"] == ("on_track" if probability >= 0.7 else "at_risk" if probability >= 0.3 else "off_track")
    latest, projection = target["latest_actual"], target["projection"]
    assert latest["value"] > 0 and latest["year"] < target["deadline_year"]
    assert projection["year"] == target["deadline_year"] and projection["mean"] > 0
    (low80, high80), (low95, high95) = projection["intervals"]["80"], projection["intervals"]["95"]
    assert low95 <= low80 <= projection["median"] <= high80 <= high95
    years = target["deadline_year"] - latest["year"]
    required = (target["threshold"] / latest["value"]) ** (1 / years) - 1
    projected = (projection["median"] / latest["value"]) ** (1 / years) - 1
    assert target["required_cagr"] == pytest.approx(required, rel=1e-3)
    assert target["projected_cagr"] == pytest.approx(projected, rel=1e-3, abs=1e-5)
    assert target["gap"] == pytest.approx(target["threshold"] - projection["median"], rel=1e-3)
    attainment = target["attainment_year"]
    assert (isinstance(attainment, int) and attainment >= latest["year"]) or attainment.startswith("not by ")
    history = target["history"]
    assert len(history) >= 3
    assert [h["as_of"] for h in history] == sorted(h["as_of"] for h in history)
    assert all(h["as_of"] >= target["stated_on"][:7] for h in history)
    assert all(h["probability"] is None or 0.0 <= h["probability"] <= 1.0 for h in history)


def test_the_share_target_divides_by_the_customs_count(fitted: Fitted) -> None:
    target = fitted.client.get("/v1/targets/chongqing_share_2027").json()
    assert (target["unit"], target["threshold"]) == ("ratio", 0.1)
    assert 0.0 < target["latest_actual"]["value"] < target["threshold"]
    assert any("no yuan-to-vehicle conversion" in line for line in target["assumptions"])


# errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,error",
    [
        ("/v1/series/mars_exports/observations", "UnknownSeries"),
        ("/v1/series/mars_exports/forecast", "UnknownSeries"),
        ("/v1/series/mars_exports/forecast?freq=year&horizon=3&as_of=2025-01-31", "UnknownSeries"),
        ("/v1/targets/mars_share_2030", "UnknownTarget"),
    ],
)
def test_unknown_ids_are_404_with_a_named_error(fitted: Fitted, path: str, error: str) -> None:
    response = fitted.client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == error and "mars_" in body["message"]


def test_a_series_too_short_to_project_says_why(fitted: Fitted) -> None:
    short = next(s for s in fitted.client.get("/v1/series").json() if not s["forecast_available"])
    assert short["forecast_unavailable_reason"]
    response = fitted.client.get(f"/v1/series/{short['id']}/forecast")
    assert response.status_code == 422
    assert response.json()["error"] == "InsufficientHistory"


BAD_PARAMETERS = [
    ("horizon=0", "horizon"),
    ("horizon=241", "horizon"),
    ("freq=week", "freq"),
    ("levels=70", "levels"),
    ("levels=abc", "levels"),
    ("levels=", "levels"),
    ("as_of=notadate", "as_of"),
]


@pytest.mark.parametrize("query,parameter", BAD_PARAMETERS)
def test_a_bad_forecast_parameter_is_422_naming_it(fitted: Fitted, query: str, parameter: str) -> None:
    response = fitted.client.get(f"{CAAM_FORECAST}?{query}")
    assert response.status_code == 422
    assert parameter in response.text


def test_an_as_of_before_the_replays_is_422_saying_where_they_start(fitted: Fitted) -> None:
    response = fitted.client.get(CAAM_FORECAST, params={"horizon": 3, "as_of": "2019-06-30"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "as_of" and "2019-06-30 is earlier" in body["message"]


def test_a_bad_as_of_on_observations_is_422(fitted: Fitted) -> None:
    response = fitted.client.get(f"/v1/series/{CAAM}/observations?as_of=2025-13-01")
    assert response.status_code == 422 and "as_of" in response.text


@pytest.mark.parametrize(
    "method,path,headers,status",
    [
        *[("GET", f"{CAAM_FORECAST}?{query}", {}, 422) for query in ("horizon=0", "freq=week", "levels=70", "as_of=notadate")],
        ("POST", "/v1/observations", {}, 401),
        ("POST", "/v1/observations", {"Authorization": "Bearer wrong-key-0123456789"}, 401),
        ("GET", "/v1/jobs/no-such-job", {}, 404),
    ],
    ids=["horizon=0", "freq=week", "levels=70", "as_of=notadate", "no-key", "wrong-key", "unknown-job"],
)
def test_every_error_has_the_documented_error_and_message(
    fitted: Fitted,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    """Regression (HEAD 49b8175): README promises {error, message, ...}; parameter 422s, 401s and 404s had FastAPI's {detail}."""
    # an empty batch: even if the key check let it through, nothing could be stored in the module's database
    response = fitted.client.request(method, path, headers=headers, json={"observations": []} if method == "POST" else None)
    assert response.status_code == status
    body = response.json()
    assert {"error", "message"} <= set(body) and body["error"] and body["message"]
    ErrorOut.model_validate(body)  # the shape /openapi.json declares for it


# the contract: /openapi.json and the response schemas ---------------------------------------------


# what each operation answers, as /openapi.json declares it
DOCUMENTED = {
    ("get", "/healthz"): {"200"},
    ("get", "/readyz"): {"200", "503"},
    ("get", "/metrics"): {"200", "401"},
    ("get", "/v1/series"): {"200", "401", "422", "503"},
    ("get", "/v1/series/{series_id}/observations"): {"200", "401", "404", "422", "503"},
    ("get", "/v1/series/{series_id}/forecast"): {"200", "401", "404", "422", "503"},
    ("get", "/v1/targets"): {"200", "401", "422", "503"},
    ("get", "/v1/targets/{target_id}"): {"200", "401", "404", "422", "503"},
    ("post", "/v1/observations"): {"202", "400", "401", "409", "413", "422"},
    ("post", "/v1/observations/retire"): {"202", "400", "401", "404", "413", "422"},
    ("post", "/v1/extract"): {"200", "400", "401", "413", "422"},
    ("get", "/v1/jobs/{job_id}"): {"200", "401", "404", "422"},
    ("get", "/v1/series/{series_id}/chart.svg"): {"200", "401", "404", "422", "503"},
    ("get", "/v1/targets/{target_id}/chart.svg"): {"200", "401", "404", "422", "503"},
    ("post", "/v1/series"): {"202", "400", "401", "413", "422"},
    ("post", "/v1/targets"): {"202", "400", "401", "413", "422"},
    ("post", "/v1/series/{series_id}/retire"): {"202", "400", "401", "404", "413", "422"},
    ("post", "/v1/targets/{target_id}/retire"): {"202", "400", "401", "404", "413", "422"},
}


def test_every_operation_declares_a_schema_for_its_body_and_for_each_error(fitted: Fitted) -> None:
    spec = fitted.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    operations = {(method, path): operation for path, item in spec["paths"].items() for method, operation in item.items()}
    assert {key: set(operation["responses"]) for key, operation in operations.items()} == DOCUMENTED
    for (method, path), operation in operations.items():
        success = next(status for status in operation["responses"] if status.startswith("2"))
        content = operation["responses"][success].get("content", {})
        assert content, (method, path)
        for media_type, declared in content.items():
            schema = declared["schema"]
            assert schema.get("$ref") or schema.get("type"), (method, path, media_type, schema)
            if media_type == "application/json" and path != "/healthz":
                reference = schema.get("$ref") or schema["items"]["$ref"]
                assert reference.removeprefix("#/components/schemas/") in schemas
        for status, response in operation["responses"].items():
            if status != success:
                expected = "ReadyOut" if path == "/readyz" else "ErrorOut"
                assert response["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{expected}"}, (
                    method,
                    path,
                    status,
                )
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 shape is never served: errors.invalid_request answers
    assert {"text/csv", "application/json"} == set(operations["get", "/v1/series/{series_id}/forecast"]["responses"]["200"]["content"])


def test_served_bodies_are_the_shapes_their_schemas_declare(
    fitted: Fitted,
    unfitted: tuple[ForecastService, TestClient],
) -> None:
    """Routes serve stored bytes, which FastAPI does not check against response_model: this checks real bodies.
    The ...Out schemas forbid undeclared fields, so a field added to a body without its schema fails here."""
    client = fitted.client
    series = TypeAdapter(list[SeriesOut]).validate_python(client.get("/v1/series").json())
    projected = [s.id for s in series if s.forecast_available]
    assert len(projected) >= 10
    for series_id in (s.id for s in series):
        ObservationsOut.model_validate(client.get(f"/v1/series/{series_id}/observations").json())
    for series_id in projected:
        for freq in ("month", "quarter", "year"):
            body = client.get(f"/v1/series/{series_id}/forecast", params={"freq": freq, "levels": "50,80,90,95,99"}).json()
            assert ForecastOut.model_validate(body).series_id == series_id
    replayed_on = max(fitted.service.snapshot.replays)
    replay = client.get(CAAM_FORECAST, params={"as_of": replayed_on.isoformat(), "horizon": 3})
    assert ForecastOut.model_validate(replay.json()).as_of == replayed_on
    targets = TypeAdapter(list[TargetOut]).validate_python(client.get("/v1/targets").json())
    assert any(t.projection is not None for t in targets) and any(t.revisions for t in targets)
    for target in targets:
        assert TargetOut.model_validate(client.get(f"/v1/targets/{target.id}").json()) == target
    ReadyOut.model_validate(client.get("/readyz").json())
    HealthOut.model_validate(client.get("/healthz").json())
    _, idle = unfitted  # a figure data/ already has: a job that is done at once, with nothing to refit
    ReadyOut.model_validate(idle.get("/readyz").json())
    accepted = idle.post("/v1/observations", json={"observations": [data_rows(CAAM)[-1]]}, headers=AUTH)
    assert accepted.status_code == 202, accepted.text
    job_id = IngestAcceptedOut.model_validate(accepted.json()).job_id
    job = JobOut.model_validate(idle.get(f"/v1/jobs/{job_id}").json())
    assert (job.status, job.detail["unchanged"]) == ("done", 1)


# caching -----------------------------------------------------------------------------------------


def test_etag_and_304_cycle_on_a_forecast(fitted: Fitted) -> None:
    client = fitted.client
    url = f"{CAAM_FORECAST}?horizon=5&freq=month&levels=50,80"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    assert "max-age=" in first.headers["cache-control"]
    again = client.get(url, headers={"If-None-Match": etag})  # answered from stored bytes
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == first.headers["cache-control"]
    reordered = f"{CAAM_FORECAST}?levels=50,80&freq=month&horizon=5"  # same query, new URL: routed by FastAPI
    assert client.get(reordered, headers={"If-None-Match": etag}).status_code == 304
    fresh = client.get(reordered)
    assert (fresh.status_code, fresh.headers["etag"], fresh.content) == (200, etag, first.content)
    stale = client.get(url, headers={"If-None-Match": '"not-the-current-one"'})
    assert (stale.status_code, stale.content) == (200, first.content)
    other = client.get(f"{CAAM_FORECAST}?horizon=6&freq=month&levels=50,80")
    assert other.headers["etag"] != etag
    assert 'forecast_requests_total{route="forecast",status="304"}' in client.get("/metrics").text


@pytest.mark.parametrize("path", ["/v1/series", f"/v1/series/{CAAM}/observations", "/v1/targets", "/v1/targets/chongqing_share_2027"])
def test_every_read_revalidates_with_its_etag(fitted: Fitted, path: str) -> None:
    first = fitted.client.get(path)
    assert first.status_code == 200 and first.headers["cache-control"]
    for _ in range(2):  # through the route, then from stored bytes
        repeat = fitted.client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert (repeat.status_code, repeat.content) == (304, b"")


def test_csv_and_json_of_one_url_have_different_etags(fitted: Fitted) -> None:
    as_json = fitted.client.get(CAAM_FORECAST)
    as_csv = fitted.client.get(CAAM_FORECAST, headers={"Accept": "text/csv"})
    assert as_json.headers["etag"] != as_csv.headers["etag"]
    assert fitted.client.get(CAAM_FORECAST, headers={"Accept": "text/csv", "If-None-Match": as_json.headers["etag"]}).status_code == 200


def test_a_response_negotiated_on_accept_says_so(fitted: Fitted) -> None:
    """Regression (HEAD 49b8175): JSON or CSV by Accept, Cache-Control public, and no Vary: Accept for shared caches."""
    url = f"{CAAM_FORECAST}?horizon=4&freq=quarter"
    for accept in ("application/json", "text/csv"):
        first = fitted.client.get(url, headers={"Accept": accept})  # through the route
        stored = fitted.client.get(url, headers={"Accept": accept})  # from stored bytes
        revalidated = fitted.client.get(url, headers={"Accept": accept, "If-None-Match": first.headers["etag"]})
        assert revalidated.status_code == 304
        for response in (first, stored, revalidated):
            assert "accept" in response.headers.get("vary", "").lower(), (accept, response.status_code)


# CSV ---------------------------------------------------------------------------------------------


def test_forecast_as_csv_has_a_header_and_one_line_per_point(fitted: Fitted) -> None:
    params = {"horizon": 7, "freq": "month", "levels": "80,95"}
    as_json = fitted.client.get(CAAM_FORECAST, params=params).json()
    for _ in range(2):  # the second answer comes from stored bytes
        response = fitted.client.get(CAAM_FORECAST, params=params, headers={"Accept": "text/csv"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        header, *records = csv_records(response.content)
        assert header[:6] == ["series_id", "unit", "freq", "period_start", "period_end", "mean"]
        assert {"lower_80", "upper_80", "lower_95", "upper_95"} <= set(header)
        assert len(records) == len(as_json["points"]) == 7
        for record, point in zip(records, as_json["points"], strict=True):
            row = dict(zip(header, record, strict=False))
            assert (row["series_id"], row["period_start"]) == (CAAM, point["period_start"])
            assert float(row["mean"]) == pytest.approx(point["mean"], abs=0.06)
            assert float(row["upper_95"]) == pytest.approx(bounds(point)[95][1], abs=0.06)


def test_observations_as_csv_have_a_header_and_one_line_per_figure(fitted: Fitted) -> None:
    as_json = fitted.client.get(f"/v1/series/{CAAM}/observations").json()
    response = fitted.client.get(f"/v1/series/{CAAM}/observations", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    header, *records = csv_records(response.content)
    assert {"period_start", "period_end", "value", "publisher", "url", "seed_file", "vintage", "conflicts"} <= set(header)
    assert len(records) == as_json["count"]
    assert all(len(record) == len(header) for record in records)
    seeds = {dict(zip(header, r, strict=False))["seed_file"] for r in records} - {""}
    assert seeds == {row["source"]["seed_file"] for row in as_json["observations"] if row["source"]["seed_file"]}


# ingest: rejected batches ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-key-0123456789"}, {"Authorization": f"Bearer {KEY[:-1]}"}],
    ids=["no-key", "wrong-key", "truncated-key"],
)
def test_ingest_without_the_write_key_is_401_and_stores_nothing(
    unfitted: tuple[ForecastService, TestClient], headers: dict[str, str]
) -> None:
    service, client = unfitted
    before = stored(service)
    response = client.post("/v1/observations", json={"observations": [next_caam_month()]}, headers=headers)
    assert response.status_code == 401
    assert stored(service) == before


@pytest.mark.parametrize(
    "change,field",
    [
        ({"value": -5}, "observations[0].value"),
        ({"series_id": "mars_exports"}, "observations[0].series_id"),
        ({"period_start": "2025-06-30", "period_end": "2025-06-01"}, "observations[0].period_end"),
        ({"published_date": "2025-06-15"}, "observations[0].published_date"),  # before the month it reports ends
    ],
)
def test_a_bad_row_is_422_naming_the_field_and_nothing_is_stored(
    unfitted: tuple[ForecastService, TestClient], change: dict, field: str
) -> None:
    service, client = unfitted
    before = stored(service)
    response = client.post("/v1/observations", json={"observations": [{**next_caam_month(), **change}]}, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert (body["error"], body["field"]) == ("DataError", field)
    assert body["reason"]
    assert stored(service) == before


def test_a_batch_with_one_bad_row_stores_none_of_it(unfitted: tuple[ForecastService, TestClient]) -> None:
    service, client = unfitted
    before = stored(service)
    good = next_caam_month()
    response = client.post(
        "/v1/observations",
        json={"observations": [good, {**good, "period_start": "2025-07-01", "period_end": "2025-07-31", "value": -1}]},
        headers=AUTH,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "observations[1].value"
    assert stored(service) == before
    missing = {k: v for k, v in good.items() if k != "source_publisher"}
    response = client.post("/v1/observations", json={"observations": [missing]}, headers=AUTH)
    assert response.status_code == 422 and "source_publisher" in response.text
    assert client.post("/v1/observations", json={"observations": []}, headers=AUTH).status_code == 422
    assert stored(service) == before


def test_the_field_names_the_right_row_when_an_earlier_note_spans_lines(unfitted: tuple[ForecastService, TestClient]) -> None:
    """Regression (HEAD 49b8175): the row index counted CSV lines, so a two-line note before it gave observations[2]."""
    service, client = unfitted
    before = stored(service)
    good = next_caam_month(note="first line\nsecond line")
    bad = {**good, "period_start": "2025-07-01", "period_end": "2025-07-31", "value": -1, "note": ""}
    response = client.post("/v1/observations", json={"observations": [good, bad]}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["field"] == "observations[1].value"
    assert stored(service) == before


# ingest: accepted batches (on a private copy of the fitted service) ------------------------------


WATCHED = [CAAM_FORECAST, "/v1/targets/chongqing_share_2027"]


@dataclass
class Ingested:
    """A new CAAM month POSTed to a private copy of the fitted service, and what was seen before, during and after."""

    service: ForecastService
    client: TestClient
    row: dict[str, object]
    before: Response  # GET CAAM_FORECAST before the POST
    stored_before: tuple[int, str]
    accepted: Response  # the POST's answer
    job: dict  # GET /v1/jobs/<id> once the refit is done
    seen: list[tuple[str, int, str, bytes]]  # (path, status, ETag, body) of WATCHED before the POST and right after the swap


def wait_for_refit(service: ForecastService, job_id: str, timeout: float = 600.0) -> None:
    """Until the job is done or failed, read from the store: the refit's own thread GETs through the client meanwhile."""
    deadline = time.monotonic() + timeout
    while (job := service.store.job(job_id)) is not None and job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.25)


@pytest.fixture(scope="module")
def ingested(fitted: Fitted, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    """One ingest and its refit (what the new figure touches: two swaps, its figures then their as-of history), shared by
    the tests that look at it."""
    # the refit replays the last 2 month-ends with news: the same code as with more, a fraction of the time
    settings = copy_fitted(fitted.settings, tmp_path_factory.mktemp("ingested"), replay_months=2)
    service = started_on_stored(settings)  # loads the copied models
    store = service.store
    app = create_app(settings, service, fit_on_start=False)
    with TestClient(app) as client:
        before, row, stored_before = client.get(CAAM_FORECAST), next_caam_month(), stored(service)
        seen: list[tuple[str, int, str, bytes]] = []

        def sample(_snapshot: services.Snapshot) -> None:  # runs right after the app has swapped in each new set
            for path in WATCHED:  # nothing here may raise: the refit job would record it as its own failure
                response = client.get(path)
                seen.append((path, response.status_code, response.headers.get("etag", ""), response.content))

        sample(service.snapshot)  # as served before the ingest
        service.on_swap.append(sample)
        accepted = client.post("/v1/observations", json={"observations": [row]}, headers=AUTH)
        if accepted.status_code == 202:
            wait_for_refit(service, accepted.json()["job_id"])
        service.on_swap.remove(sample)
        job = wait_for_job(client, accepted.json()["job_id"]) if accepted.status_code == 202 else {}
        yield Ingested(service, client, row, before, stored_before, accepted, job, seen)
    store.close()


@pytest.mark.slow
def test_ingesting_a_new_month_refits_and_moves_the_forecast_on(fitted: Fitted, ingested: Ingested) -> None:
    client, service, row, before = ingested.client, ingested.service, ingested.row, ingested.before
    assert before.status_code == 200 and before.content == fitted.client.get(CAAM_FORECAST).content
    first_before = day(before.json()["points"][0]["period_start"])
    assert day(str(row["period_start"])) == first_before  # the month the forecast started with
    count, fingerprint = ingested.stored_before

    accepted = ingested.accepted
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["job_id"] and accepted.json()["detail"]["new"] == 1
    job = ingested.job
    assert job["status"] == "done", job
    assert (job["kind"], job["detail"]["series"], job["detail"]["new"]) == ("refit", [CAAM], 1)
    assert job["finished_at"] is not None
    after_ingest = stored(service)
    assert after_ingest[0] == count + 1 and after_ingest[1] != fingerprint

    after = client.get(CAAM_FORECAST)
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert client.get(CAAM_FORECAST, headers={"If-None-Match": before.headers["etag"]}).status_code == 200
    body = after.json()
    assert body["last_reported_period_end"] == row["period_end"]
    assert day(body["points"][0]["period_start"]) == next_month(first_before)
    observed = client.get(f"/v1/series/{CAAM}/observations").json()["observations"]
    sent = [o for o in observed if o["source"]["url"] == row["source_url"]]
    assert [(o["period_end"], o["value"], o["vintage"]) for o in sent] == [(row["period_end"], row["value"], row["published_date"])]
    ready = client.get("/readyz").json()
    assert ready["version"] == service.snapshot.version != fitted.service.snapshot.version
    targets = client.get("/v1/targets").json()
    assert [t["id"] for t in targets] == [t["id"] for t in fitted.client.get("/v1/targets").json()]

    again = client.post("/v1/observations", json={"observations": [row]}, headers=AUTH)
    assert again.status_code == 202
    repeat = wait_for_job(client, again.json()["job_id"])
    assert repeat["status"] == "done"
    assert (repeat["detail"]["new"], repeat["detail"]["revised"], repeat["detail"]["unchanged"]) == (0, 0, 1)
    assert stored(service) == after_ingest
    assert client.get(CAAM_FORECAST).headers["etag"] == after.headers["etag"]


@pytest.mark.slow
def test_one_etag_never_names_two_bodies_across_the_refit_of_an_ingest(ingested: Ingested) -> None:
    """Regression (HEAD 49b8175): an ingest swapped twice (affected series, then all) under one data version; ETags hashed
    version and query only, so one ETag named two bodies and a client holding the first got 304 for the second. An
    ingest swaps twice again, under one data version (its figures served, then their as-of history: two phases); the
    bodies before, between and after must never share an ETag unless they are the same bytes."""
    job, seen = ingested.job, ingested.seen
    if job.get("status") != "done" or len(seen) != 3 * len(WATCHED) or any(s[1] != 200 for s in seen):
        raise RuntimeError(f"set-up failed, not the property under test: {job}, {[s[:3] for s in seen]}")
    for path in WATCHED:
        samples = [s for s in seen if s[0] == path]
        for (_, _, first_tag, first_body), (_, _, later_tag, later_body) in itertools.combinations(samples, 2):
            assert first_tag != later_tag or first_body == later_body, f"{path}: {first_tag} names two bodies"
        revalidated = ingested.client.get(path, headers={"If-None-Match": samples[0][2]})
        assert revalidated.status_code == 200 or samples[0][3] == samples[-1][3]


# stored models -----------------------------------------------------------------------------------


def test_the_fit_writes_the_model_and_its_manifest(fitted: Fitted) -> None:
    models = fitted.settings.models_dir
    artifact, manifest_path = models / "forecasts.joblib", models / "forecasts.manifest.json"
    assert artifact.is_file() and artifact.stat().st_size > 0
    manifest = json.loads(manifest_path.read_text())
    assert {"estimator", "parameters", "data_fingerprint", "libraries", "fitted_at", "backtest"} <= set(manifest)
    snapshot = fitted.service.snapshot
    assert manifest["data_fingerprint"] == snapshot.version == fitted.client.get("/readyz").json()["version"]
    assert manifest["fitted_at"] == snapshot.created_at
    assert set(manifest["parameters"]) == set(manifest["backtest"]) == set(snapshot.forecasts)
    assert manifest["backtest"][CAAM]["monthly"]
    assert {"python", "numpy", "statsmodels", "joblib"} <= set(manifest["libraries"])
    assert manifest["sha256"] == hashlib.sha256(artifact.read_bytes()).hexdigest()
    assert fitted.service.store.artifact_hash("forecasts") == manifest["sha256"]


def test_a_fresh_service_loads_the_stored_model_instead_of_refitting(
    fitted: Fitted,
    tmp_path: Path,
    new_service: Callable[[Settings], ForecastService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_refit(self: ForecastService, only: object = None) -> None:
        raise AssertionError("refit called although a valid stored model exists")

    monkeypatch.setattr(ForecastService, "refit", no_refit)
    service = new_service(copy_fitted(fitted.settings, tmp_path))  # the fitted database and models folder, as a restart finds them
    app = create_app(service.settings, service, fit_on_start=False)
    service.start()
    assert service.ready
    with TestClient(app) as client:
        for path in (f"{CAAM_FORECAST}?freq=year&horizon=3", "/v1/targets/changan_overseas_sales_2030", "/v1/series"):
            mine, theirs = client.get(path), fitted.client.get(path)
            assert mine.status_code == 200
            assert (mine.content, mine.headers["etag"]) == (theirs.content, theirs.headers["etag"]), path


def test_an_app_started_with_fit_on_start_becomes_ready_from_the_stored_model(
    fitted: Fitted,
    tmp_path: Path,
    new_service: Callable[[Settings], ForecastService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(ForecastService, "refit", lambda self, only=None: calls.append(only))
    service = new_service(copy_fitted(fitted.settings, tmp_path))
    with TestClient(create_app(service.settings, service, fit_on_start=True)) as client:
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/readyz").json()["version"] == fitted.service.snapshot.version
        assert client.get(CAAM_FORECAST).content == fitted.client.get(CAAM_FORECAST).content
    assert calls == []


class RefitCalled(Exception):
    pass


def test_a_model_file_with_bytes_appended_is_refitted_not_loaded(
    fitted: Fitted,
    tmp_path: Path,
    new_service: Callable[[Settings], ForecastService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = copy_fitted(fitted.settings, tmp_path)
    with (settings.models_dir / "forecasts.joblib").open("ab") as handle:
        handle.write(b"\x00tampered")

    def refit(self: ForecastService, only: object = None) -> None:
        raise RefitCalled

    monkeypatch.setattr(ForecastService, "refit", refit)
    service = new_service(settings)
    with pytest.raises(RefitCalled):
        service.start()
    assert not service.ready  # nothing was loaded from the tampered file first


@pytest.mark.slow
def test_a_model_file_with_bytes_flipped_is_refitted_and_the_service_still_serves(
    fitted: Fitted,
    tmp_path: Path,
    new_service: Callable[[Settings], ForecastService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = copy_fitted(fitted.settings, tmp_path, replay_months=2)  # the refit replays 2 month-ends: a fraction of the time
    artifact = settings.models_dir / "forecasts.joblib"
    content = bytearray(artifact.read_bytes())
    middle = len(content) // 2
    content[middle : middle + 8] = bytes(b ^ 0xFF for b in content[middle : middle + 8])
    artifact.write_bytes(bytes(content))
    calls: list[object] = []
    real_refit = ForecastService.refit

    def spy(self: ForecastService, only: object = None) -> services.Snapshot:
        calls.append(only)
        return real_refit(self, only)  # type: ignore[arg-type]

    monkeypatch.setattr(ForecastService, "refit", spy)
    service = new_service(settings)
    app = create_app(settings, service, fit_on_start=False)
    service.start()
    assert calls == [None]
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        mine = client.get(CAAM_FORECAST, params={"freq": "month", "horizon": 12}).json()
        theirs = fitted.client.get(CAAM_FORECAST, params={"freq": "month", "horizon": 12}).json()
        assert [p["period_start"] for p in mine["points"]] == [p["period_start"] for p in theirs["points"]]
        assert [p["mean"] for p in mine["points"]] == pytest.approx([p["mean"] for p in theirs["points"]], rel=1e-6)
    assert artifact.read_bytes() != bytes(content)  # the refit wrote a good file over the tampered one
    calls.clear()
    new_service(settings).start()  # and the next start loads it
    assert calls == []


def test_an_app_built_around_a_started_service_serves_it(
    fitted: Fitted,
    tmp_path: Path,
    new_service: Callable[[Settings], ForecastService],
) -> None:
    """Regression (HEAD 49b8175): /readyz said ready but every read answered 503, the app only hearing of later swaps."""
    service = new_service(copy_fitted(fitted.settings, tmp_path))
    service.start()  # loads the stored model
    with TestClient(create_app(service.settings, service, fit_on_start=False)) as client:
        assert client.get("/readyz").status_code == 200
        response = client.get("/v1/series")
        assert response.status_code == 200
        assert response.content == fitted.client.get("/v1/series").content
        assert "forecast_ready 1.0" in client.get("/metrics").text


def test_numpy_scalars_in_a_model_description_serialise_as_plain_json() -> None:
    import numpy as np

    from forecast.api.render import to_json

    body = json.loads(to_json({"year": np.int64(2027), "flag": np.bool_(True), "sd": np.float64(0.25), "gap": float("nan")}))
    assert body == {"year": 2027, "flag": True, "sd": 0.25, "gap": None}

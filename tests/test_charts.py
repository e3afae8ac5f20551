"""Charts: known shapes for reported figures, SVG layers that carry the values drawn, and the chart endpoints,
whose drawn values must equal the JSON forecast's (same query) and which answer 304 to a repeat."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date

import pytest

from forecast import charts
from forecast.api.app import create_app
from forecast.services import ForecastService

with warnings.catch_warnings():
    # starlette warns on import that it prefers httpx2; httpx is what the dev extra installs
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

SVG = "{http://www.w3.org/2000/svg}"


def layers(svg: bytes) -> dict[str, list[list[object]]]:
    """Group id -> its data-points, from an SVG that must parse."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return {g.get("id", ""): json.loads(g.get("data-points", "")) for g in root.iter(f"{SVG}g") if g.get("data-points") is not None}


def test_a_month_in_the_month_view_is_a_point() -> None:
    assert charts.figure_shape("month", date(2025, 5, 1), date(2025, 5, 31), "month") == ("point", 1.0)


def test_a_year_total_in_the_month_view_is_a_segment_at_its_monthly_average() -> None:
    assert charts.figure_shape("year", date(2024, 1, 1), date(2024, 12, 31), "month") == ("segment", 12.0)


def test_a_year_to_date_total_in_the_quarter_view_is_a_segment_over_its_quarters() -> None:
    assert charts.figure_shape("ytd", date(2025, 1, 1), date(2025, 6, 30), "quarter") == ("segment", 2.0)


def test_a_month_is_not_drawn_in_the_year_view() -> None:
    assert charts.figure_shape("month", date(2025, 5, 1), date(2025, 5, 31), "year") is None


FORECAST = {
    "series_id": "made_up",
    "unit": "vehicles",
    "freq": "month",
    "points": [
        {
            "period_start": f"2026-0{m}-01",
            "period_end": f"2026-0{m}-28",
            "median": 100.0 * m,
            "intervals": [{"level": 80, "lower": 90.0 * m, "upper": 110.0 * m}, {"level": 95, "lower": 80.0 * m, "upper": 120.0 * m}],
        }
        for m in (3, 4, 5)
    ],
}


def observation(start: str, end: str, aggregation: str, value: float, disputed: bool = False) -> dict[str, object]:
    return {
        "period_start": start,
        "period_end": end,
        "aggregation": aggregation,
        "kind": "level",
        "unit": "vehicles",
        "value": value,
        "disputed": disputed,
    }


OBSERVATIONS = {
    "observations": [
        observation("2026-01-01", "2026-01-31", "month", 250.0),
        observation("2026-02-01", "2026-02-28", "month", 260.0, disputed=True),
        observation("2025-01-01", "2025-12-31", "year", 2400.0),
    ]
}


def test_a_fan_chart_carries_the_values_it_draws() -> None:
    drawn = layers(charts.series_chart(FORECAST, OBSERVATIONS))
    assert drawn["median"] == [["2026-03-28", 300.0], ["2026-04-28", 400.0], ["2026-05-28", 500.0]]
    assert drawn["band-80"][0] == ["2026-03-28", 270.0, 330.0]
    assert drawn["band-95"][2] == ["2026-05-28", 400.0, 600.0]
    assert [row[:2] for row in drawn["reported-month"]] == [["2026-01-31", 250.0], ["2026-02-28", 260.0]]
    assert drawn["reported-total-year"][0][:2] == ["2025-12-31", 200.0]  # 2,400 a year drawn as 200 a month
    assert drawn["reported-disputed"] == [["2026-02-28", 260.0]]


def test_the_same_chart_is_the_same_bytes() -> None:
    assert charts.series_chart(FORECAST, OBSERVATIONS) == charts.series_chart(FORECAST, OBSERVATIONS)


def test_a_chart_can_be_a_png() -> None:
    assert charts.series_chart(FORECAST, OBSERVATIONS, fmt="png").startswith(b"\x89PNG")


def test_a_target_chart_draws_its_history_then_the_current_probability() -> None:
    assessment = {
        "id": "made_up_target",
        "status": "at_risk",
        "threshold": 1000.0,
        "unit": "vehicles",
        "deadline_year": 2030,
        "probability": 0.5,
        "projection": {"median": 950.0},
        "history": [
            {"as_of": "2025-01-31", "probability": 0.2, "projection_median": 800.0},
            {"as_of": "2025-06-30", "probability": 0.4, "projection_median": 900.0},
        ],
    }
    drawn = layers(charts.target_chart(assessment, now=date(2026, 3, 1)))
    assert drawn["probability"] == [["2025-01-31", 0.2], ["2025-06-30", 0.4], ["2026-03-01", 0.5]]
    assert drawn["projection-median"][-1] == ["2026-03-01", 950.0]
    assert drawn["threshold"] == [["2030", 1000.0]]
    assert layers(charts.target_chart(assessment, as_of=date(2025, 3, 1)))["probability"] == [["2025-01-31", 0.2]]


# the endpoints, on the session's fitted service ----------------------------------------------------------


@pytest.fixture(scope="module")
def client(fitted_service: ForecastService) -> Iterator[TestClient]:
    with TestClient(create_app(fitted_service.settings, fitted_service, fit_on_start=False)) as client:
        yield client


@pytest.mark.parametrize("freq", ["month", "quarter", "year"])
def test_the_series_chart_draws_the_json_forecast(client: TestClient, fitted_service: ForecastService, freq: str) -> None:
    series_id = next(iter(fitted_service.snapshot.forecasts))
    query = f"freq={freq}&levels=80,95"
    response = client.get(f"/v1/series/{series_id}/chart.svg?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    points = client.get(f"/v1/series/{series_id}/forecast?{query}").json()["points"]
    drawn = layers(response.content)
    assert drawn["median"] == [[p["period_end"], p["median"]] for p in points]
    for level in (80, 95):
        bounds = [next(i for i in p["intervals"] if i["level"] == level) for p in points]
        assert drawn[f"band-{level}"] == [[p["period_end"], b["lower"], b["upper"]] for p, b in zip(points, bounds, strict=True)]
    assert any(gid.startswith("reported-") for gid in drawn)


def test_a_repeated_chart_request_is_a_304(client: TestClient, fitted_service: ForecastService) -> None:
    series_id = next(iter(fitted_service.snapshot.forecasts))
    first = client.get(f"/v1/series/{series_id}/chart.svg?freq=year")
    again = client.get(f"/v1/series/{series_id}/chart.svg?freq=year", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_chart_takes_the_forecast_query_and_its_errors(client: TestClient, fitted_service: ForecastService) -> None:
    series_id = next(iter(fitted_service.snapshot.forecasts))
    assert client.get(f"/v1/series/{series_id}/chart.svg?levels=81").status_code == 422
    assert client.get(f"/v1/series/{series_id}/chart.svg?horizon=0").status_code == 422
    assert client.get("/v1/series/no_such_series/chart.svg").status_code == 404
    drawn = layers(client.get(f"/v1/series/{series_id}/chart.svg?horizon=3&levels=50").content)
    assert len(drawn["median"]) == 3 and "band-50" in drawn and "band-80" not in drawn


def test_the_target_chart_draws_the_json_history_and_probability(client: TestClient, fitted_service: ForecastService) -> None:
    target = next(a for a in fitted_service.snapshot.assessments.values() if a.history and a.probability is not None)
    body = client.get(f"/v1/targets/{target.id}").json()
    response = client.get(f"/v1/targets/{target.id}/chart.svg")
    assert response.status_code == 200
    drawn = [p for _, p in layers(response.content)["probability"]]
    assert drawn == [h["probability"] for h in body["history"] if h["probability"] is not None] + [body["probability"]]
    first_day = body["history"][0]["as_of"]
    assert len(layers(client.get(f"/v1/targets/{target.id}/chart.svg?as_of={first_day}").content)["probability"]) == 1
    assert client.get("/v1/targets/no_such_target/chart.svg").status_code == 404

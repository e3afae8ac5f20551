"""A table of bad inputs to POST /v1/observations: each is refused at the door with a 4xx whose JSON body names
the field and the reason, and the store is byte for byte what it was (an SQL dump of the database compared).

The limits are the documented ones (README "Limits and validation"): forecast/plausibility.py (years, values
per unit, growth rates), forecast/rows.py (text length, control characters), ObservationBatchIn (rows per
batch) and Settings.max_body_bytes (body size). Cases the schemathesis run (tests/test_schema_fuzz.py) found
are here too, marked "fuzz".

The service here has data/ stored and nothing fitted: no refusal needs a fit, and none may start one.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest

from forecast.config import Settings
from forecast.data import observations_from_rows
from forecast.plausibility import FIRST_YEAR
from forecast.rows import MAX_TEXT_CHARS
from forecast.services import ForecastService
from forecast.store import Store

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

from forecast.api.app import create_app  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
CAAM = "china_exports_caam"
TODAY = date.today()
NEXT_YEAR = TODAY.year + 1


def good_row() -> dict[str, object]:
    """A CAAM month of the past year, shaped like the rows of data/observations.csv (a made-up test figure)."""
    start = date(TODAY.year - 1, 3, 1)
    return {
        "series_id": CAAM,
        "period_start": start.isoformat(),
        "period_end": date(start.year, 3, 31).isoformat(),
        "aggregation": "month",
        "kind": "level",
        "value": 600_000,
        "unit": "vehicles",
        "qualifier": "exact",
        "yoy_pct": None,
        "mom_pct": None,
        "source_publisher": "bad-input test",
        "source_url": "https://example.test/caam",
        "source_file": "",
        "published_date": date(start.year, 4, 12).isoformat(),
        "published_date_estimated": False,
        "disputed": False,
        "note": "made up by tests/test_bad_inputs.py",
    }


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForecastService]:
    workdir = tmp_path_factory.mktemp("bad-inputs")
    settings = Settings(
        data_dir=DATA_DIR,
        models_dir=workdir / "models",
        database_path=workdir / "forecast.sqlite3",
        api_key=KEY,
        _env_file=None,  # type: ignore[call-arg]
    )
    store = Store(settings.database_path)
    made = ForecastService(settings, store)
    made.load_data_dir()
    yield made
    store.close()


@pytest.fixture(scope="module")
def client(service: ForecastService) -> Iterator[TestClient]:
    with TestClient(create_app(service.settings, service, fit_on_start=False)) as made:
        yield made


def dump(service: ForecastService) -> str:
    """Every table and row of the store, as SQL: equal dumps are byte-for-byte equal contents."""
    with closing(sqlite3.connect(service.settings.database_path)) as connection:
        return "\n".join(connection.iterdump())


def test_the_good_row_the_table_starts_from_is_valid(service: ForecastService) -> None:
    """Each bad case changes one thing of this row, so its refusal is the change's."""
    (figure,) = observations_from_rows([good_row()], service.store.series(), loaded_on=TODAY)
    assert figure.value == 600_000


BAD_ROWS = [
    # (case, change to the good row, field named, words of the reason)
    ("value true (strict types)", {"value": True}, "value", "valid number"),
    ("value a list", {"value": [1]}, "value", ""),
    ("period_start a number", {"period_start": 20250301}, "period_start", "valid string"),
    ("value NaN as text", {"value": "NaN"}, "value", "not a finite number"),
    ("value Infinity as text", {"value": "Infinity"}, "value", "not a finite number"),
    ("value 1e308", {"value": 1e308}, "value", "plausible range"),
    ("value beyond the unit's range", {"value": 2e8}, "value", "plausible range"),
    ("negative volume", {"value": -5}, "value", "negative"),
    ("end before start", {"period_end": f"{TODAY.year - 1}-02-28"}, "period_end", "before period_start"),
    ("period in the future", {"period_start": f"{NEXT_YEAR}-03-01", "period_end": f"{NEXT_YEAR}-03-31"}, "period_end", "future"),
    ("month in year 9999", {"period_start": "9999-03-01", "period_end": "9999-03-31"}, "period_end", "future"),
    (
        "year 0001 with a growth rate",
        {"period_start": "0001-01-01", "period_end": "0001-12-31", "aggregation": "year", "yoy_pct": 5},
        "period_start",
        f"before {FIRST_YEAR}",
    ),
    ("period before the first year", {"period_start": "1989-03-01", "period_end": "1989-03-31"}, "period_start", str(FIRST_YEAR)),
    ("published in the future", {"published_date": f"{NEXT_YEAR}-01-10"}, "published_date", "future"),
    ("published 2062 (typo)", {"published_date": "2062-04-12"}, "published_date", "future"),
    ("published before the period ends", {"published_date": f"{TODAY.year - 1}-03-15"}, "published_date", "before the period"),
    ("published_date 0000 (fuzz)", {"published_date": "0000"}, "published_date", "year 0"),
    ("published_date 0000-05 (fuzz)", {"published_date": "0000-05"}, "published_date", "year 0"),
    ("published_date month 13", {"published_date": "2025-13"}, "published_date", "no month 13"),
    ("unknown series", {"series_id": "no_such_series"}, "series_id", "unknown series"),
    ("unknown unit", {"unit": "furlongs"}, "unit", "unknown unit"),
    ("unit not the series'", {"unit": "usd"}, "unit", "is in vehicles"),
    ("unknown kind", {"kind": "guess"}, "kind", "not one of"),
    (
        "month-on-month rate on a quarter",
        {"mom_pct": 3, "aggregation": "quarter", "period_start": f"{TODAY.year - 1}-01-01"},
        "mom_pct",
        "without a base",
    ),
    (
        "growth rate whose base is before the first year",
        {"period_start": f"{FIRST_YEAR}-03-01", "period_end": f"{FIRST_YEAR}-03-31", "published_date": "", "yoy_pct": 10},
        "yoy_pct",
        "without a base",
    ),
    ("growth rate implying an implausible base", {"yoy_pct": -99.9999}, "yoy_pct", "implies a base"),
    ("growth rate of -100%", {"yoy_pct": -100}, "yoy_pct", "above -100%"),
    ("growth rate beyond the range", {"yoy_pct": 1e6}, "yoy_pct", "plausible range"),
    ("lone carriage return in a note (fuzz)", {"note": "first\rsecond"}, "note", "U+000D"),
    ("NUL in the publisher", {"source_publisher": "CAAM\x00"}, "source_publisher", "U+0000"),
    ("line separator in the url", {"source_url": "https://example.test/\u2028x"}, "source_url", "U+2028"),
    ("note over the text limit", {"note": "x" * (MAX_TEXT_CHARS + 1)}, "note", f"at most {MAX_TEXT_CHARS:,}"),
    ("a megabyte of text", {"note": "y" * 1_048_576}, "note", f"at most {MAX_TEXT_CHARS:,}"),
    ("unknown field (named)", {"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ("no source", {"source_url": "", "source_file": ""}, "source_url", "needs a source_url"),
    ("flag not true or false", {"disputed": "perhaps"}, "disputed", "not true or false"),
    ("flag a number (strict types)", {"disputed": 1}, "disputed", ""),
]


@pytest.mark.parametrize(("change", "field", "reason"), [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS])
def test_a_bad_row_is_a_4xx_naming_the_field_and_the_reason_and_the_store_is_unchanged(
    service: ForecastService, client: TestClient, change: dict[str, object], field: str, reason: str
) -> None:
    before = dump(service)
    good = good_row()
    response = client.post("/v1/observations", json={"observations": [good, {**good, **change}]}, headers=AUTH)
    assert response.status_code == 422, response.text[:500]
    body = response.json()
    assert body["field"] == f"observations[1].{field}"
    assert reason in body["reason"] and body["reason"]
    assert body["error"] in ("DataError", "InvalidRequest") and body["message"]
    assert dump(service) == before


def refused(client: TestClient, content: bytes | str, status: int = 422, **headers: str) -> dict[str, object]:
    response = client.post("/v1/observations", content=content, headers={**AUTH, "Content-Type": "application/json", **headers})
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert body["error"] and body["message"]
    return body


def test_a_bad_batch_is_refused_whole_naming_the_field(service: ForecastService, client: TestClient) -> None:
    before = dump(service)
    good = good_row()
    duplicate = refused(client, json.dumps({"observations": [good, dict(good)]}))
    assert (duplicate["field"], duplicate["error"]) == ("observations[1].series_id", "DataError")
    assert "duplicate of row 0" in str(duplicate["reason"])
    assert refused(client, b'{"observations": [')["field"] == "body"  # malformed JSON
    assert "not JSON" in str(refused(client, b"{'observations': []}")["reason"])
    assert refused(client, json.dumps({"observations": []}))["field"] == "observations"
    assert refused(client, json.dumps({"observations": [good], "dry_run": True}))["field"] == "dry_run"
    assert refused(client, json.dumps([good]))["field"] == ""  # a list, not the batch object
    for literal in ("NaN", "Infinity", "-Infinity"):  # JSON has no such numbers; Python's parser reads them
        body = refused(client, json.dumps({"observations": [good]}).replace("600000", literal))
        assert (body["field"], body["reason"]) == (
            "observations[0].value",
            f"'{literal.lower().replace('infinity', 'inf')}' is not a finite number",
        )
    assert dump(service) == before


def test_what_json_can_say_but_a_field_cannot_hold_is_a_422_in_json(service: ForecastService, client: TestClient) -> None:
    """Found by probing past the schema: a lone surrogate (JSON "\\ud800") once stored would make every later read a
    500, and an error body quoting one (or a NaN) could not be written at all."""
    before = dump(service)
    batch = json.dumps({"observations": [{**good_row(), "note": "NOTE"}]})  # ASCII JSON: escapes stay escapes
    body = refused(client, batch.replace('"NOTE"', '"\\ud800"'))
    assert (body["field"], body["reason"]) == ("observations[0].note", "holds the control character U+D800 at position 0")
    body = refused(client, json.dumps({"observations": [{"note": "x"}]}).replace('"x"', '"\\udfff"'))  # echoed in the 422
    assert body["field"] == "observations[0].series_id"
    body = refused(client, json.dumps({"observations": [{**good_row(), "period_start": 0}]}).replace(": 0,", ": NaN,"))
    assert body["field"] == "observations[0].period_start"
    assert refused(client, b'{"observations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", status=400)["error"] == "BadRequest"
    assert dump(service) == before


def test_another_value_for_a_stored_figure_of_the_same_release_is_a_409_naming_it(service: ForecastService, client: TestClient) -> None:
    """The same publisher's figure for the same period, dated the same day, with another value: not a revision (that
    needs a later publication date) but a contradiction; refused whole, unless the batch says it is a correction."""
    stored = next(
        o
        for o in service.store.observations(series_id=CAAM)
        if o.aggregation.value == "month" and o.kind.value == "level" and o.source.url and not o.source.published_date_estimated
    )
    assert stored.source.published_date is not None
    contradiction = {
        **good_row(),
        "period_start": stored.period.start.isoformat(),
        "period_end": stored.period.end.isoformat(),
        "value": stored.value + 1_000,
        "source_publisher": stored.source.publisher,
        "source_url": stored.source.url,
        "published_date": stored.source.published_date.isoformat(),
    }
    before = dump(service)
    body = refused(client, json.dumps({"observations": [good_row(), contradiction]}), status=409)
    assert (body["error"], body["field"]) == ("ConflictingFigure", "observations[1].value")
    assert f"contradicts the stored figure {stored.key} ({stored.value:g}" in str(body["reason"])
    assert '"correction": true' in str(body["reason"])
    assert dump(service) == before


def test_ten_thousand_rows_are_refused_naming_the_batch(service: ForecastService, client: TestClient) -> None:
    before = dump(service)
    compact = {k: v for k, v in good_row().items() if k not in ("note", "yoy_pct", "mom_pct", "qualifier", "kind", "source_file")}
    content = json.dumps({"observations": [compact] * 10_000})
    assert len(content) < service.settings.max_body_bytes  # refused for its rows, not its size
    body = refused(client, content)
    assert body["field"] == "observations"
    assert "at most 5000" in str(body["reason"])
    assert dump(service) == before


def test_a_body_over_the_limit_is_a_json_413_and_the_store_is_unchanged(service: ForecastService, client: TestClient) -> None:
    before = dump(service)
    limit = service.settings.max_body_bytes
    padding = "z" * (limit + 1 - len('{"observations": [], "x": ""}'))
    body = refused(client, '{"observations": [], "x": "' + padding + '"}', status=413)
    assert body["error"] == "ContentTooLarge"
    assert dump(service) == before


def test_a_body_streamed_past_the_limit_is_refused_before_it_is_read_whole(service: ForecastService) -> None:
    """No Content-Length: the body is counted as it arrives, and reading stops at the first chunk past the limit."""
    import asyncio

    app = create_app(service.settings, service, fit_on_start=False)
    chunk = b" " * 65_536
    chunks_in_body = 4 * service.settings.max_body_bytes // len(chunk)
    sent: list[dict[str, object]] = []
    read = 0

    async def receive() -> dict[str, object]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks_in_body}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/observations",
        "raw_path": b"/v1/observations",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"authorization", f"Bearer {KEY}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert read <= service.settings.max_body_bytes // len(chunk) + 1 < chunks_in_body
    assert json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["error"] == "ContentTooLarge"  # type: ignore[arg-type]


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(service: ForecastService, client: TestClient) -> None:
    before = dump(service)
    body = refused(client, b"{}", status=413, **{"Content-Length": str(service.settings.max_body_bytes + 1)})
    assert body["error"] == "ContentTooLarge"
    assert dump(service) == before


def test_the_limits_hold_for_csv_rows_too(service: ForecastService) -> None:
    """One validator: the plausibility checks refuse a line of observations.csv as they refuse a JSON row."""
    from forecast.data import OBSERVATION_COLUMNS, parse_observations
    from forecast.errors import DataError

    row = {**good_row(), "value": "1e308", "yoy_pct": "", "mom_pct": "", "published_date_estimated": "false", "disputed": "false"}
    text = ",".join(OBSERVATION_COLUMNS) + "\n" + ",".join(str(row[c]) for c in OBSERVATION_COLUMNS) + "\n"
    with pytest.raises(DataError) as refusal:
        parse_observations(text, service.store.series())
    assert (refusal.value.line, refusal.value.field) == (2, "value")
    assert "plausible range" in refusal.value.reason


def test_the_undated_path_accepts_today(service: ForecastService) -> None:
    """A figure sent without a publication date is dated the day it is loaded: today is never 'in the future'."""
    row = {**good_row(), "published_date": ""}
    (figure,) = observations_from_rows([row], service.store.series(), loaded_on=TODAY)
    assert figure.vintage == TODAY
    recent = {**row, "period_start": (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()}
    recent["period_end"] = (TODAY.replace(day=1) - timedelta(days=1)).isoformat()
    assert observations_from_rows([recent], service.store.series(), loaded_on=TODAY)[0].period.end < TODAY


def test_a_method_a_path_does_not_serve_is_a_405_naming_every_method_it_does_serve(client: TestClient) -> None:
    # /v1/series is read by the series router and written by the tracking router (schemathesis ST205 found
    # Starlette naming only the first router's methods)
    response = client.request("OPTIONS", "/v1/series")
    assert response.status_code == 405 and response.json()["error"] == "MethodNotAllowed"
    assert response.headers["allow"] == "GET, POST"

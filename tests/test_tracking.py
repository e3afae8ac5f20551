"""Teams add series, figures and targets over HTTP, revise and retire them; it all survives a restart and exports to data/.

The data here is made up for the tests (two yearly series), not reported figures.
The as-of replays are cut to the last two months with new figures, for speed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from forecast.cli import main
from forecast.config import Settings
from forecast.data import OBSERVATION_COLUMNS, load_directory
from forecast.definitions import TARGET_COLUMNS
from forecast.services import ForecastService
from forecast.store import Store

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

from forecast.api.app import create_app  # noqa: E402

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
LENDER, MAKER = "lender_exports", "maker_a_exports"


def _series_row(series_id: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": series_id,
        "entity": series_id.split("_")[0],
        "measure": "vehicle exports",
        "basis": "company",
        "segment": "all vehicles",
        "unit": "vehicles",
        "description": "made-up test series",
        "lends_prior": False,
        "part_of": "",
    }
    return {**row, **changes}


def _year_row(series_id: str, year: int, value: float) -> dict[str, object]:
    row: dict[str, object] = {column: "" for column in OBSERVATION_COLUMNS}
    row.update(
        series_id=series_id,
        period_start=f"{year}-01-01",
        period_end=f"{year}-12-31",
        aggregation="year",
        kind="level",
        value=value,
        unit="vehicles",
        qualifier="exact",
        source_publisher="test fixture",
        source_url=f"https://example.test/{series_id}/{year}",
        published_date=f"{year + 1}-01-20",
        published_date_estimated=False,
        disputed=False,
    )
    return row


def _target_row(target_id: str, series_id: str, threshold: float, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {column: "" for column in TARGET_COLUMNS if not column.startswith("retired")}
    row.update(
        target_id=target_id,
        entity="maker",
        metric="annual exports",
        comparator=">=",
        threshold=threshold,
        unit="vehicles",
        deadline_year=2028,
        stated_on="2022-06",
        series_id=series_id,
        source_publisher="test fixture",
        source_url=f"https://example.test/targets/{target_id}",
    )
    return {**row, **changes}


def _made_up_data(folder: Path) -> Path:
    """A lender and one maker, yearly 2014-2024, growing 8% a year (test figures), and no targets."""
    folder.mkdir()
    header = "id,entity,measure,basis,segment,unit,description,lends_prior,part_of"
    lines = [header, f"{LENDER},lender,vehicle exports,company,all vehicles,vehicles,made-up,true,"]
    lines.append(f"{MAKER},maker,vehicle exports,company,all vehicles,vehicles,made-up,false,")
    (folder / "series.csv").write_text("\n".join(lines) + "\n")
    rows = [",".join(OBSERVATION_COLUMNS)]
    for i, sid in enumerate((LENDER, MAKER)):
        for year in range(2014, 2025):
            row = _year_row(sid, year, round(100_000 * (i + 1) * 1.08 ** (year - 2014)))
            rows.append(
                ",".join(str(row[column]).lower() if isinstance(row[column], bool) else str(row[column]) for column in OBSERVATION_COLUMNS)
            )
    (folder / "observations.csv").write_text("\n".join(rows) + "\n")
    (folder / "targets.csv").write_text(",".join(TARGET_COLUMNS[:15]) + "\n")
    return folder


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=_made_up_data(tmp_path / "data"),
        models_dir=tmp_path / "models",
        database_path=tmp_path / "db.sqlite3",
        api_key=KEY,
        simulation_paths=200,
        backtest_origins=2,
        n_jobs=1,
        _env_file=None,
    )


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """An app on a fitted service of the made-up data (write key KEY)."""
    settings = _settings(tmp_path).model_copy(update={"replay_months": 2})
    service = ForecastService(settings, Store(settings.database_path))
    service.load_data_dir()
    service.refit()
    with TestClient(create_app(settings, service, fit_on_start=False)) as made:
        yield made
    service.store.close()


def _done(client: TestClient, response: object, timeout: float = 300.0) -> dict[str, object]:
    """The job of a 202, once it is done (or failed)."""
    assert getattr(response, "status_code", None) == 202, getattr(response, "text", response)
    job_id = response.json()["job_id"]  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, object] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            assert job["status"] == "done", job
            return job
        time.sleep(0.1)


def test_a_team_adds_a_series_its_figures_and_a_target_and_sees_the_target_assessed_without_a_restart(client: TestClient) -> None:
    new = "maker_b_exports"
    _done(client, client.post("/v1/series", json={"series": [_series_row(new)]}, headers=AUTH))
    assert new in {s["id"] for s in client.get("/v1/series").json()}
    figures = [_year_row(new, year, 50_000 * 1.1 ** (year - 2016)) for year in range(2016, 2025)]
    _done(client, client.post("/v1/observations", json={"observations": figures}, headers=AUTH))
    _done(client, client.post("/v1/targets", json={"targets": [_target_row("maker_b_2028", new, 150_000)]}, headers=AUTH))
    target = client.get("/v1/targets/maker_b_2028").json()
    assert target["status"] in ("on_track", "at_risk", "off_track") and 0 <= target["probability"] <= 1
    assert target["latest_actual"]["year"] == 2024 and target["retired"] is None
    forecast = client.get(f"/v1/series/{new}/forecast?freq=year&horizon=3").json()
    assert [p["period_start"][:4] for p in forecast["points"]] == ["2025", "2026", "2027"]


def test_bad_rows_are_refused_whole_and_every_bad_one_is_named(client: TestClient) -> None:
    before = client.get("/v1/series").json()
    bad = [_series_row("maker_c_exports", unit="cars"), _series_row("ok_exports"), _series_row("maker_d_exports", lends_prior=True)]
    response = client.post("/v1/series", json={"series": bad}, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "series[0].unit" and "unknown unit 'cars'" in body["reason"]
    assert [(p["field"], p["row"]) for p in body["problems"]] == [("series[0].unit", 0), ("series[2].lends_prior", 2)]
    assert f"'{LENDER}' (stored) already does" in body["problems"][1]["reason"]
    assert client.get("/v1/series").json() == before
    assert "ok_exports" not in client.app.state.service.store.series()  # type: ignore[attr-defined]
    changed = client.post("/v1/series", json={"series": [_series_row(MAKER, unit="cny")]}, headers=AUTH)
    assert changed.status_code == 422 and changed.json()["field"] == "series[0].id" and "another definition" in changed.json()["reason"]
    targets = [_target_row("t1", MAKER, 1e6, supersedes="nowhere"), _target_row("t2", "no_such_series", 1e6)]
    refused = client.post("/v1/targets", json={"targets": targets}, headers=AUTH).json()
    assert [p["field"] for p in refused["problems"]] == ["targets[1].series_id", "targets[0].supersedes"]
    assert client.post("/v1/targets", json={"targets": [_target_row("t3", MAKER, 1, colour="red")]}, headers=AUTH).status_code == 422
    assert client.post("/v1/series", json={"series": [_series_row("x_exports")]}).status_code == 401
    assert client.app.state.service.store.targets() == []  # type: ignore[attr-defined]


def test_a_revision_keeps_the_target_it_supersedes_and_retired_ones_stay_readable_and_flagged(client: TestClient) -> None:
    _done(client, client.post("/v1/targets", json={"targets": [_target_row("maker_2028", MAKER, 300_000)]}, headers=AUTH))
    revised = _target_row("maker_2028_revised", MAKER, 400_000, stated_on="2023-06", supersedes="maker_2028")
    _done(client, client.post("/v1/targets", json={"targets": [revised]}, headers=AUTH))
    old, new = client.get("/v1/targets/maker_2028").json(), client.get("/v1/targets/maker_2028_revised").json()
    assert (
        old["status"].startswith("superseded (")
        and {"id": "maker_2028_revised", "relation": "superseded_by"}.items() <= old["revisions"][0].items()
    )
    assert new["revisions"][0]["id"] == "maker_2028" and new["revisions"][0]["relation"] == "supersedes"
    assert old["history"] and new["history"]  # both keep their histories (the as-of replays since each was stated)
    job = _done(client, client.post("/v1/targets/maker_2028/retire", json={"reason": "replaced by the 2026 plan"}, headers=AUTH))
    assert job["detail"]["retired"]["id"] == "maker_2028"
    retired = client.get("/v1/targets/maker_2028").json()
    assert retired["retired"]["reason"] == "replaced by the 2026 plan" and retired["probability"] is not None
    _done(client, client.post(f"/v1/series/{MAKER}/retire", json={"reason": "the maker stopped reporting"}, headers=AUTH))
    listed = {s["id"]: s for s in client.get("/v1/series").json()}
    assert listed[MAKER]["retired"]["reason"] == "the maker stopped reporting" and listed[LENDER]["retired"] is None
    observations = client.get(f"/v1/series/{MAKER}/observations").json()
    assert observations["count"] == 11 and observations["retired"]["reason"] == "the maker stopped reporting"
    refused = client.post("/v1/observations", json={"observations": [_year_row(MAKER, 2025, 1)]}, headers=AUTH)
    assert refused.status_code == 422 and refused.json()["field"] == "observations[0].series_id" and "retired" in refused.json()["reason"]
    again = client.post(f"/v1/series/{MAKER}/retire", json={"reason": "twice"}, headers=AUTH)
    assert again.status_code == 202 and "retired already" in again.json()["detail"]["note"]
    assert client.post("/v1/series/nothing/retire", json={"reason": "x"}, headers=AUTH).status_code == 404


def test_what_was_added_over_the_api_survives_a_restart_and_exports_to_data_files(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = "maker_b_exports"
    _done(client, client.post("/v1/series", json={"series": [_series_row(new)]}, headers=AUTH))
    figures = [_year_row(new, year, 60_000 + 1000 * year % 7) for year in range(2020, 2025)]
    _done(client, client.post("/v1/observations", json={"observations": figures}, headers=AUTH))
    _done(client, client.post("/v1/targets", json={"targets": [_target_row("maker_b_2028", new, 150_000)]}, headers=AUTH))
    _done(client, client.post("/v1/targets/maker_b_2028/retire", json={"reason": "dropped"}, headers=AUTH))
    service: ForecastService = client.app.state.service  # type: ignore[attr-defined]
    restarted = ForecastService(service.settings, Store(service.settings.database_path))
    restarted.load_data_dir()  # data/ is read again on every start: what came over the API stays
    assert new in restarted.store.series() and [t.id for t in restarted.targets] == ["maker_b_2028"]
    assert restarted.targets[0].retired_reason == "dropped"
    exported = tmp_path / "exported"
    for name in ("LENDER", "MAKER"):
        monkeypatch.delenv(f"FORECAST_{name}", raising=False)
    monkeypatch.setenv("FORECAST_DATABASE_PATH", str(service.settings.database_path))
    monkeypatch.setenv("FORECAST_DATA_DIR", str(service.settings.data_dir))
    assert main(["export", "data", "-o", str(exported)]) == 0
    series, observations, targets = load_directory(exported)
    assert series == restarted.store.series()
    assert targets == restarted.store.targets()
    assert sorted(observations, key=lambda o: o.key) == sorted(restarted.store.observations(), key=lambda o: o.key)

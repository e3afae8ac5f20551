"""Every command of `forecast`, with its exit code: 0 done, 2 bad input (naming the field as the API does), 1 failure.

The reading commands run on a copy of the session's fitted models and must not refit (ForecastService.refit is
replaced by a fake that fails the test). `fit` runs on a small made-up slice of data/ (two carmakers and one
series with too few figures), so it takes seconds and has a failure to report.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from forecast import cli
from forecast.api.server import DeadlineProtocol
from forecast.config import Settings
from forecast.data import OBSERVATION_COLUMNS
from forecast.services import ForecastService
from forecast.store import Store
from tests.fitted import copy_fitted

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
Run = Callable[..., tuple[int, str, str]]


def use_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The CLI reads FORECAST_* variables: point them at `settings`."""
    for name in ("data_dir", "models_dir", "database_path", "simulation_paths", "backtest_origins", "replay_months", "api_key"):
        monkeypatch.setenv(f"FORECAST_{name.upper()}", str(getattr(settings, name)))


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def fitted_copy(fitted_service: ForecastService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI on a private copy of the fitted models; a refit fails the test (they must be read, not refitted)."""
    settings = copy_fitted(fitted_service.settings, tmp_path)
    use_settings(monkeypatch, settings)

    def no_refit(self: ForecastService, only: object = None) -> None:
        raise AssertionError("the command refitted instead of reading the stored models")

    monkeypatch.setattr(ForecastService, "refit", no_refit)
    return settings


def test_series_prints_every_series_from_the_stored_models(run: Run, fitted_copy: Settings, fitted_service: ForecastService) -> None:
    code, out, _ = run("series")
    assert code == 0
    for series_id in fitted_service.snapshot.catalog.series:
        assert series_id in out


def test_targets_prints_every_target_with_its_status(run: Run, fitted_copy: Settings, fitted_service: ForecastService) -> None:
    code, out, _ = run("targets")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()[2:]}
    for target_id, assessment in fitted_service.snapshot.assessments.items():
        assert assessment.status.split()[0] in lines[target_id]


def test_backtest_prints_scores_by_horizon(run: Run, fitted_copy: Settings, fitted_service: ForecastService) -> None:
    series_id = fitted_service.snapshot.catalog.prior_lender() or next(iter(fitted_service.snapshot.forecasts))
    code, out, _ = run("backtest", series_id)
    assert code == 0
    assert "horizon" in out.splitlines()[1] and " 1 " in out and " all " in out


def test_backtest_of_an_unknown_series_is_bad_input(run: Run, fitted_copy: Settings) -> None:
    code, _, err = run("backtest", "no_such_series")
    assert code == 2 and "unknown series 'no_such_series'" in err


def test_plot_draws_a_series_and_a_target(run: Run, fitted_copy: Settings, fitted_service: ForecastService, tmp_path: Path) -> None:
    series_id = next(iter(fitted_service.snapshot.forecasts))
    target_id = next(iter(fitted_service.snapshot.assessments))
    assert run("plot", series_id, "-o", str(tmp_path / "s.svg"), "--freq", "year")[0] == 0
    assert (tmp_path / "s.svg").read_text().startswith("<?xml")
    assert run("plot", target_id, "-o", str(tmp_path / "t.png"))[0] == 0
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")


def test_plot_refuses_a_bad_option_naming_it(run: Run, fitted_copy: Settings, fitted_service: ForecastService, tmp_path: Path) -> None:
    series_id = next(iter(fitted_service.snapshot.forecasts))
    code, _, err = run("plot", series_id, "-o", str(tmp_path / "s.gif"))
    assert code == 2 and "(field output)" in err
    code, _, err = run("plot", series_id, "-o", str(tmp_path / "s.svg"), "--levels", "81")
    assert code == 2 and "(field levels)" in err
    assert run("plot", "no_such_id", "-o", str(tmp_path / "s.svg"))[0] == 2


@pytest.mark.parametrize("what", ["forecasts", "observations", "assessments"])
def test_export_writes_a_csv(run: Run, fitted_copy: Settings, fitted_service: ForecastService, tmp_path: Path, what: str) -> None:
    path = tmp_path / f"{what}.csv"
    assert run("export", what, "-o", str(path))[0] == 0
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    snapshot = fitted_service.snapshot
    expected = {"forecasts": snapshot.forecasts, "observations": snapshot.catalog.series, "assessments": snapshot.assessments}[what]
    key = "id" if what == "assessments" else "series_id"
    assert {row[key] for row in rows} <= set(expected) and len(rows) >= len(expected if what != "observations" else [])
    if what == "assessments":
        assert {row["id"] for row in rows} == set(snapshot.assessments)


def a_new_row(service: ForecastService) -> dict[str, object]:
    """A made-up monthly figure one month after a series' last reported month (the shape of a real row)."""
    last = max((o for o in service.snapshot.catalog.reported if o.aggregation.value == "month"), key=lambda o: o.period.end)
    end = last.period.end
    start = end.replace(day=1).replace(month=end.month % 12 + 1, year=end.year + (end.month == 12))
    following = start.replace(month=start.month % 12 + 1, year=start.year + (start.month == 12))
    row: dict[str, object] = {column: "" for column in OBSERVATION_COLUMNS}
    row.update(
        {
            "series_id": last.series_id,
            "period_start": start.isoformat(),
            "period_end": following.fromordinal(following.toordinal() - 1).isoformat(),
            "aggregation": "month",
            "kind": "level",
            "value": round(last.value * 1.01),
            "unit": last.unit,
            "qualifier": "exact",
            "source_publisher": "test",
            "source_url": "https://example.org/made-up",
            "published_date": following.isoformat(),
            "disputed": "false",
        }
    )
    return row


def test_ingest_of_a_bad_file_stores_nothing_and_names_the_field(
    run: Run, fitted_copy: Settings, fitted_service: ForecastService, tmp_path: Path
) -> None:
    good, bad = a_new_row(fitted_service), {**a_new_row(fitted_service), "value": "many"}
    path = tmp_path / "new.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, OBSERVATION_COLUMNS)
        writer.writeheader()
        writer.writerows([good, bad])
    before = Store(fitted_copy.database_path).fingerprint()
    code, _, err = run("ingest", str(path), "--no-refit")
    assert code == 2 and "observations[1].value" in err
    assert Store(fitted_copy.database_path).fingerprint() == before  # all or nothing
    assert run("ingest", str(tmp_path / "missing.json"))[0] == 2
    (tmp_path / "broken.json").write_text("{not json")
    assert run("ingest", str(tmp_path / "broken.json"))[0] == 2


def test_ingest_of_a_good_file_stores_its_figures(run: Run, fitted_copy: Settings, fitted_service: ForecastService, tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    path.write_text(json.dumps({"observations": [a_new_row(fitted_service)]}))
    before = Store(fitted_copy.database_path).fingerprint()
    code, out, _ = run("ingest", str(path), "--no-refit")
    assert code == 0 and "1 new" in out
    assert Store(fitted_copy.database_path).fingerprint() != before


def test_ingest_refuses_another_value_for_a_stored_figure_unless_a_correction(
    run: Run, fitted_copy: Settings, fitted_service: ForecastService, tmp_path: Path
) -> None:
    row = a_new_row(fitted_service)
    first, contradiction = tmp_path / "first.json", tmp_path / "again.json"
    first.write_text(json.dumps({"observations": [row]}))
    contradiction.write_text(json.dumps({"observations": [{**row, "value": int(str(row["value"])) + 7}]}))
    assert run("ingest", str(first), "--no-refit")[0] == 0
    before = Store(fitted_copy.database_path).fingerprint()
    code, _, err = run("ingest", str(contradiction), "--no-refit")
    assert code == 2 and "observations[0].value" in err and "contradicts the stored figure" in err
    assert Store(fitted_copy.database_path).fingerprint() == before
    code, out, _ = run("ingest", str(contradiction), "--no-refit", "--correction")
    assert code == 0 and "1 revised" in out


def test_load_validates_and_stores_data(run: Run, fitted_copy: Settings) -> None:
    code, _, err = run("load")
    assert code == 0 and "0 new" in err


def test_serve_starts_uvicorn_on_the_settings(run: Run, fitted_copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: started.update(target=target, **options))
    monkeypatch.setenv("FORECAST_PORT", "8123")
    assert run("serve")[0] == 0
    assert started["target"] == "forecast.api.app:create_app" and started["factory"] is True and started["port"] == 8123
    assert started["http"].func is DeadlineProtocol and started["timeout_keep_alive"] == 5  # type: ignore[attr-defined]


def test_a_usage_error_exits_with_2(run: Run) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["export", "everything"])
    assert exited.value.code == 2


def small_data(workdir: Path, fitted: Settings) -> Settings:
    """Two carmakers with several figures and one series with one figure, and their single-series targets."""
    keep = {"byd_overseas_sales", "saic_overseas_sales", "dongfeng_exports"}  # made-up slice: ids of data/
    data = workdir / "data"
    data.mkdir()
    for name, column in (("series.csv", "id"), ("observations.csv", "series_id"), ("targets.csv", "series_id")):
        with (DATA_DIR / name).open(newline="") as source, (data / name).open("w", newline="") as target:
            reader = csv.DictReader(source)
            writer = csv.DictWriter(target, reader.fieldnames or [], lineterminator="\n")
            writer.writeheader()
            writer.writerows(row for row in reader if row[column] in keep and not row.get("denominator_series_id"))
    return fitted.model_copy(update={"data_dir": data, "models_dir": workdir / "models", "database_path": workdir / "f.sqlite3"})


def test_fit_shows_progress_and_says_what_failed(
    run: Run, fitted_service: ForecastService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_settings(monkeypatch, small_data(tmp_path, fitted_service.settings))
    monkeypatch.setenv("FORECAST_REPLAY_MONTHS", "2")
    code, out, err = run("fit")
    assert code == 0
    assert "fitted 2 of 3 series" in out and "dongfeng_exports" in out and "at least 2 are needed" in out
    assert "fitting" in err and "3/3" in err and "as-of replays" in err
    assert (tmp_path / "models").is_dir()

"""The store, on SQLite and on PostgreSQL: schema, idempotent loads, as-of reads of revised figures, atomic batches."""

from __future__ import annotations

import pickle
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from forecast.catalog import Catalog
from forecast.data import OBSERVATION_COLUMNS, load_directory, parse_observations
from forecast.domain import Aggregation, Basis, Kind, Observation, Period, Qualifier, Series, Source
from forecast.errors import ConflictingFigure, DataError
from forecast.store import AddResult, IntegrityError, Store

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CAAM = Series("china_exports_caam", "China", "vehicle exports", Basis.CAAM, "all vehicles", "vehicles")


def december_2023(value: float, published: date) -> Observation:
    """CAAM December 2023 exports as CnEVPost reported them on `published`."""
    return Observation(
        series_id=CAAM.id,
        period=Period(date(2023, 12, 1), date(2023, 12, 31)),
        aggregation=Aggregation.MONTH,
        kind=Kind.LEVEL,
        value=value,
        unit="vehicles",
        qualifier=Qualifier.EXACT,
        source=Source("CnEVPost", "https://cnevpost.com/2024/01/11/china-sells-1-2-million-nevs-dec-caam", "", published),
        vintage=published,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request):
    """A new store on each database: SQLite in memory, and a fresh PostgreSQL database (tests/postgres.py)."""
    store = Store(":memory:" if request.param == "sqlite" else request.getfixturevalue("postgres_url"))
    yield store
    store.close()


@pytest.fixture
def caam_store(store):
    store.upsert_series([CAAM])
    return store


def test_a_new_store_creates_its_schema(store):
    assert store.schema_version >= 1
    assert store.series() == {}
    assert store.observations() == []


def test_series_round_trip_through_the_store(store):
    store.upsert_series([CAAM])
    store.upsert_series([replace(CAAM, description="CAAM count")])
    assert store.series() == {CAAM.id: replace(CAAM, description="CAAM count")}


def test_series_roles_round_trip_through_the_store(store):
    nev = Series("china_nev_exports_caam", "China", "NEV exports", Basis.CAAM, "new energy vehicles", "vehicles", part_of=CAAM.id)
    store.upsert_series([replace(CAAM, lends_prior=True), nev])
    assert store.series()[CAAM.id].lends_prior is True
    assert store.series()[nev.id].part_of == CAAM.id and store.series()[nev.id].lends_prior is False


def test_a_store_written_before_the_series_roles_gains_them_empty(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE series (id TEXT PRIMARY KEY, entity TEXT NOT NULL, measure TEXT NOT NULL, basis TEXT NOT NULL, "
        "segment TEXT NOT NULL, unit TEXT NOT NULL, description TEXT NOT NULL DEFAULT '');"
        "INSERT INTO series VALUES ('china_exports_caam', 'China', 'vehicle exports', 'caam', 'all vehicles', 'vehicles', '');"
        "CREATE TABLE observations (id INTEGER PRIMARY KEY); CREATE TABLE jobs (id TEXT PRIMARY KEY);"
        "CREATE TABLE artifacts (name TEXT PRIMARY KEY); PRAGMA user_version = 2;"
    )
    old.close()
    store = Store(path)
    assert store.series()[CAAM.id] == CAAM  # no role until data/ is loaded again
    store.close()


def test_loading_the_real_data_twice_stores_each_figure_once(store):
    series, observations, _ = load_directory(DATA_DIR)
    store.upsert_series(series.values())
    first = store.add_observations(observations, origin="data", revised_on=date(2025, 7, 1))
    stored = store.observations()
    fingerprint = store.fingerprint()
    second = store.add_observations(observations, origin="data", revised_on=date(2025, 7, 2))
    assert first == AddResult(new=len(observations), unchanged=0, revised=0)
    assert second == AddResult(new=0, unchanged=len(observations), revised=0)
    assert store.observations() == stored
    assert store.fingerprint() == fingerprint
    assert len(stored) == len(observations)


def test_a_figure_read_back_from_the_store_equals_the_one_stored(caam_store):
    figure = december_2023(499_000, date(2024, 1, 11))
    caam_store.add_observations([figure], origin="data", revised_on=date(2024, 1, 11))
    assert caam_store.observations() == [figure]


def test_as_of_reads_return_the_version_known_on_that_day(caam_store):
    first = december_2023(499_000, date(2024, 1, 10))
    revised = december_2023(500_000, date(2024, 2, 10))
    assert first.key == revised.key
    assert caam_store.add_observations([first], "data", date(2024, 1, 10)) == AddResult(1, 0, 0)
    assert caam_store.add_observations([revised], "ingest", date(2024, 2, 10)) == AddResult(0, 0, 1)

    assert caam_store.observations(as_of=date(2024, 1, 9)) == []
    assert [o.value for o in caam_store.observations(as_of=date(2024, 1, 31))] == [499_000]
    assert [o.value for o in caam_store.observations(as_of=date(2024, 3, 1))] == [500_000]
    assert [o.value for o in caam_store.observations()] == [500_000]
    assert [(o.value, o.vintage) for o in caam_store.versions(first.key)] == [
        (499_000, date(2024, 1, 10)),
        (500_000, date(2024, 2, 10)),
    ]
    assert caam_store.vintages() == [date(2024, 1, 10), date(2024, 2, 10)]


def test_a_correction_without_a_later_date_is_known_from_the_day_it_was_made(caam_store):
    caam_store.add_observations([december_2023(499_000, date(2024, 1, 10))], "data", date(2024, 1, 10))
    result = caam_store.add_observations([december_2023(498_000, date(2024, 1, 10))], "ingest", date(2024, 3, 5))
    assert result == AddResult(0, 0, 1)
    assert [o.value for o in caam_store.observations(as_of=date(2024, 3, 4))] == [499_000]
    assert [o.value for o in caam_store.observations(as_of=date(2024, 3, 5))] == [498_000]


def test_another_value_for_a_figure_known_on_its_own_date_is_refused_unless_a_correction(caam_store):
    """A later release revises; the same release read twice with two values is a contradiction (issue 22)."""
    caam_store.add_observations([december_2023(499_000, date(2024, 1, 10))], "data", date(2024, 1, 10))
    before = caam_store.fingerprint()
    november = replace(december_2023(1, date(2024, 1, 9)), period=Period(date(2023, 11, 1), date(2023, 11, 30)))
    sent = [november, december_2023(498_000, date(2024, 1, 10))]  # a new key, then the contradiction
    with pytest.raises(ConflictingFigure) as refusal:
        caam_store.add_observations(sent, "ingest", date(2024, 3, 5), source="request", corrections=False)
    assert [(p.row, p.field) for p in refusal.value.problems] == [(1, "value")]
    assert "498000 contradicts the stored figure" in refusal.value.reason and "499000" in refusal.value.reason
    assert caam_store.fingerprint() == before  # nothing of the batch was stored, the new key neither
    later = december_2023(498_000, date(2024, 2, 10))  # a later release is a revision, refused or not
    assert caam_store.add_observations([later], "ingest", date(2024, 3, 5), corrections=False) == AddResult(0, 0, 1)
    first_again = december_2023(499_000, date(2024, 1, 10))  # the original version sent again is known: not a conflict
    assert caam_store.add_observations([first_again], "ingest", date(2024, 3, 5), corrections=False) == AddResult(0, 1, 0)


def test_loading_the_original_figure_again_after_a_revision_stores_nothing_new(caam_store):
    first = december_2023(499_000, date(2024, 1, 10))
    caam_store.add_observations([first], "data", date(2024, 1, 10))
    caam_store.add_observations([december_2023(500_000, date(2024, 2, 10))], "ingest", date(2024, 2, 10))
    # data/ read again at the next start-up: the same figure with the same date is already stored
    again = caam_store.add_observations([first], "data", date(2024, 3, 5))
    assert again == AddResult(new=0, unchanged=1, revised=0)
    assert [o.value for o in caam_store.observations()] == [500_000]
    assert len(caam_store.versions(first.key)) == 2


def test_a_batch_failing_midway_leaves_nothing_stored(caam_store):
    before = caam_store.fingerprint()
    good = december_2023(499_000, date(2024, 1, 11))
    orphan = replace(good, series_id="mars_exports")  # no such series: the foreign key fails
    with pytest.raises(IntegrityError):
        caam_store.add_observations([good, orphan], origin="ingest", revised_on=date(2024, 1, 11))
    assert caam_store.observations() == []
    assert caam_store.versions(good.key) == []
    assert caam_store.fingerprint() == before and before.startswith("0-0-0-")


def test_a_batch_with_a_bad_row_never_reaches_the_store(caam_store):
    text = (
        ",".join(OBSERVATION_COLUMNS)
        + "\n"
        + (
            "china_exports_caam,2024-10-01,2024-10-31,month,level,542000,vehicles,exact,,,MENAFN,https://m.example,,2024-11-12,,false,\n"
            "china_exports_caam,2024-11-01,2024-11-30,month,level,-533000,vehicles,exact,,,MENAFN,https://m.example,,2024-12-11,,false,\n"
        )
    )
    with pytest.raises(DataError) as caught:
        caam_store.add_observations(parse_observations(text, {CAAM.id: CAAM}), "ingest", date(2024, 12, 11))
    assert (caught.value.line, caught.value.field) == (3, "value")
    assert caam_store.observations() == []


def test_the_store_stays_usable_after_a_failed_batch(caam_store):
    good = december_2023(499_000, date(2024, 1, 11))
    with pytest.raises(IntegrityError):
        caam_store.add_observations([good, replace(good, series_id="mars_exports")], "ingest", date(2024, 1, 11))
    assert caam_store.add_observations([good], "ingest", date(2024, 1, 11)) == AddResult(1, 0, 0)
    assert caam_store.observations() == [good]


def test_targets_are_stored_in_order_and_a_retirement_outlives_the_definition_stored_again(caam_store):
    from forecast.domain import Source, Target

    first = Target(
        "a_2030",
        "A",
        "exports",
        ">=",
        1e6,
        "vehicles",
        2030,
        "2024-05",
        Source("X", "https://example.test/a", "", date(2024, 5, 31), True),
        CAAM.id,
    )
    second = replace(first, id="a_2030_v2", threshold=1.2e6, supersedes="a_2030")
    caam_store.upsert_targets([first, second], origin="api")
    assert caam_store.targets() == [first, second]
    before = caam_store.fingerprint()
    assert caam_store.retire("targets", "a_2030", date(2025, 1, 2), "replaced") and not caam_store.retire(
        "targets", "a_2030", date(2025, 2, 2), "again"
    )
    caam_store.upsert_targets([first])  # data/ read again at the next start-up
    assert caam_store.targets()[0] == replace(first, retired_on="2025-01-02", retired_reason="replaced")
    assert caam_store.fingerprint() != before and caam_store.origins("targets") == {"a_2030": "api", "a_2030_v2": "api"}
    assert caam_store.retire("series", CAAM.id, date(2025, 1, 3), "renamed")
    caam_store.upsert_series([CAAM])
    assert caam_store.series()[CAAM.id].retired_reason == "renamed"


def test_a_catalog_pickles_without_its_cached_index_and_rebuilds_it() -> None:
    """A served catalog fills its cached index as it is read; pickling (the model file) leaves it out, so a reader
    filling it meanwhile cannot change the dict being pickled, and the loaded catalog answers the same."""
    series, observations, targets = load_directory(DATA_DIR)
    catalog = Catalog.build(series, observations, targets, None)
    series_id = next(iter(catalog.series))
    before = catalog.figures_of([series_id])
    assert before and "_positions_by_series" in catalog.__dict__  # filled by the read
    loaded = pickle.loads(pickle.dumps(catalog))
    assert "_positions_by_series" not in loaded.__dict__
    assert loaded.figures_of([series_id]) == before

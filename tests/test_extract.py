"""The extractor: every figure data/ takes from a seed article is proposed from that article's text (a test per
seed), the readers of periods, amounts and rates on their own, the review against stored figures, and
POST /v1/extract on a service that has loaded data/ (no fit needed)."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from forecast.config import Settings
from forecast.data import load_directory
from forecast.domain import Aggregation, Kind, Period
from forecast.extract import Article, extract
from forecast.extract.english import ENGLISH
from forecast.extract.growth import growth_mentions
from forecast.extract.model import Sentence, Span
from forecast.extract.numbers import quantities
from forecast.extract.periods import period_mentions
from forecast.extract.review import reviewed
from forecast.services import ForecastService
from forecast.store import Store

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

from forecast.api.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "seeds"
SERIES, STORED, _ = load_directory(ROOT / "data")
ROWS = list(csv.DictReader(io.StringIO((ROOT / "data" / "observations.csv").read_text())))
SEED_FILES = sorted({row["source_file"] for row in ROWS if row["source_file"]})
AUTH = {"Authorization": "Bearer test-key-0123456789"}


def _number(text: str) -> float | None:
    return float(text) if text else None


def _row_key(row: dict[str, str]) -> tuple[object, ...]:
    return (
        row["period_start"],
        row["period_end"],
        row["aggregation"],
        row["kind"],
        float(row["value"]),
        row["unit"],
        _number(row["yoy_pct"]),
        _number(row["mom_pct"]),
    )


def _seed_article(name: str) -> Article:
    published = next(row["published_date"] for row in ROWS if row["source_file"] == name and row["published_date"])
    return Article((SEEDS / name).read_text(), publisher="seed", published_date=date.fromisoformat(published), source_file=name)


def test_every_seed_with_figures_is_tested() -> None:
    assert len(SEED_FILES) == 5 and all((SEEDS / name).is_file() for name in SEED_FILES)


@pytest.mark.parametrize("seed", SEED_FILES)
def test_every_figure_data_takes_from_a_seed_is_proposed(seed: str) -> None:
    """Same period, aggregation, kind, value, unit and growth rates as the row in data/observations.csv."""
    article = _seed_article(seed)
    proposed = [
        (p.period.start.isoformat(), p.period.end.isoformat(), p.aggregation.value, p.kind.value, p.value, p.unit, p.yoy_pct, p.mom_pct)
        for p in extract(article, SERIES).proposals
    ]
    expected = [_row_key(row) for row in ROWS if row["source_file"] == seed]
    missing = [key for key in expected if key not in proposed]
    assert expected and not missing, f"not proposed from {seed}: {missing}\nproposed: {proposed}"


@pytest.mark.parametrize("seed", SEED_FILES)
def test_each_proposal_points_at_the_words_it_came_from(seed: str) -> None:
    article = _seed_article(seed)
    for proposal in extract(article, SERIES).proposals:
        words = proposal.span.cut(article.text)
        assert words and words in proposal.sentence.text
        assert proposal.sentence.span.cut(article.text) == proposal.sentence.text


def _sentence(text: str) -> Sentence:
    return Sentence(Span(0, len(text)), text)


@pytest.mark.parametrize(
    ("text", "published", "period", "aggregation", "guessed"),
    [
        (
            "In the first three quarters of this year, exports rose.",
            date(2024, 11, 20),
            ("2024-01-01", "2024-09-30"),
            Aggregation.YTD,
            True,
        ),
        (
            "From January to May, 2.49 million vehicles were exported.",
            date(2025, 6, 20),
            ("2025-01-01", "2025-05-31"),
            Aggregation.YTD,
            True,
        ),
        ("Exports reached 551,000 units in May.", date(2025, 6, 20), ("2025-05-01", "2025-05-31"), Aggregation.MONTH, True),
        ("in the January-to-November period of 2023", None, ("2023-01-01", "2023-11-30"), Aggregation.YTD, True),
        ("Exports reached 551,000 units in May.", date(2025, 5, 20), ("2024-05-01", "2024-05-31"), Aggregation.MONTH, True),
        ("In the first half of 2023, exports doubled.", None, ("2023-01-01", "2023-06-30"), Aggregation.HALF, False),
        ("In the third quarter of 2025, exports fell.", None, ("2025-07-01", "2025-09-30"), Aggregation.QUARTER, False),
        (
            "It continued into 2024, with 4.7 million exported in the first nine months.",
            None,
            ("2024-01-01", "2024-09-30"),
            Aggregation.YTD,
            True,
        ),
    ],
)
def test_periods(text: str, published: date | None, period: tuple[str, str], aggregation: Aggregation, guessed: bool) -> None:
    mentions = period_mentions(_sentence(text), ENGLISH, published)
    assert len(mentions) == 1
    assert mentions[0].period == Period(date.fromisoformat(period[0]), date.fromisoformat(period[1]))
    assert mentions[0].aggregation is aggregation
    assert bool(mentions[0].guesses) is guessed


def test_years_that_are_not_the_period_are_left_out() -> None:
    text = "Exports were 17.8 times those of the same period in 2022 and should double by 2030."
    assert period_mentions(_sentence(text), ENGLISH, None) == []


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("shipping 4.91 million vehicles", 4_910_000, "vehicles", "exact"),
        ("worth approximately 490 million yuan", 490_000_000, "cny", "approx"),
        ("($4.58 billion)", 4_580_000_000, "usd", "exact"),
        ("for more than 280,000 vehicles", 280_000, "vehicles", "lower_bound"),
        ("212,000 new energy vehicles were exported", 212_000, "vehicles", "exact"),
        ("exported two million vehicles", 2_000_000, "vehicles", "exact"),
        ("nearly half a million cars", 500_000, "vehicles", "approx"),
        ("totalled 491k units", 491_000, "vehicles", "exact"),
        ("rose to 4.91mn units", 4_910_000, "vehicles", "exact"),
    ],
)
def test_amounts(text: str, value: float, unit: str, qualifier: str) -> None:
    found = quantities(_sentence(text), ENGLISH)
    assert [(q.value, q.unit, q.qualifier.value) for q in found] == [(value, unit, qualifier)]


def test_model_names_years_and_prices_are_not_amounts() -> None:
    text = "In 2023 the Aito M9 and Avatr 11 sold from $5,000 per unit; faults per 100 new vehicles fell."
    assert [q.value for q in quantities(_sentence(text), ENGLISH) if q.unit] == []


@pytest.mark.parametrize(
    ("text", "kind", "pct", "qualifier"),
    [
        ("a month-on-month increase of 6.6%", Kind.MOM_PCT, 6.6, "exact"),
        ("a year-on-year increase of 1.2 times", Kind.YOY_PCT, 120.0, "exact"),
        ("an increase of 17.8 times compared to the same period", Kind.YOY_PCT, 1680.0, "exact"),
        ("exports more than doubled year-on-year", Kind.YOY_PCT, 100.0, "lower_bound"),
        ("sales were down 4.9% year on year", Kind.YOY_PCT, -4.9, "exact"),
        ("a 61.81 percent increase year-on-year", Kind.YOY_PCT, 61.81, "exact"),
        ("export growth slowed to just 2% year-over-year", Kind.YOY_PCT, 2.0, "exact"),
        ("exports in April were down 2.5% from March", Kind.MOM_PCT, -2.5, "exact"),
        ("25.5 per cent more than a year earlier", Kind.YOY_PCT, 25.5, "exact"),
    ],
)
def test_growth_rates(text: str, kind: Kind, pct: float, qualifier: str) -> None:
    found = growth_mentions(_sentence(text), ENGLISH)
    assert [(g.kind, g.pct, g.qualifier.value) for g in found] == [(kind, pct, qualifier)]


def test_a_difference_is_not_a_level_but_gives_the_year_before() -> None:
    text = "In the first three quarters of 2024, exports reached 4.7 million units, an increase of nearly 1 million compared to the same period last year."
    proposals = extract(Article(text), SERIES).proposals
    values = {(p.period.start.year, p.value, p.qualifier.value) for p in proposals}
    assert values == {(2024, 4_700_000, "exact"), (2023, 3_700_000, "approx")}


def test_a_stated_goal_is_a_target_not_a_figure() -> None:
    article = _seed_article("001_5d533b8b31385b19.txt")
    extraction = extract(article, SERIES)
    goal = next(t for t in extraction.targets if t.unit == "vehicles")
    assert (goal.subject.entity, goal.comparator, goal.threshold, goal.deadline_year) == ("Changan Automobile", ">", 1_200_000, 2030)
    assert all(p.period.end.year < 2030 for p in extraction.proposals)


def test_review_finds_seed_000s_basis_mix_up_and_figures_already_stored() -> None:
    seed = "000_46fb8e2fee177be0.txt"
    others = [figure for figure in STORED if figure.source.seed_file != seed]
    proposals = reviewed(extract(_seed_article(seed), SERIES), SERIES, others).proposals
    by_value = {p.value: p for p in proposals}
    assert by_value[4_910_000].subject.series_id == "china_exports_gac"
    assert by_value[4_910_000].review_status == "basis_mixup" and "china_exports_caam" in by_value[4_910_000].review
    assert by_value[368_000].review_status == "same"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    workdir = tmp_path_factory.mktemp("extract")
    settings = Settings(
        data_dir=ROOT / "data", models_dir=workdir / "models", database_path=workdir / "db.sqlite3", api_key="test-key-0123456789"
    )
    store = Store(settings.database_path)
    service = ForecastService(settings, store)
    service.load_data_dir()
    with TestClient(create_app(settings, service, fit_on_start=False)) as test_client:
        yield test_client
    store.close()


def test_post_extract_proposes_rows_with_spans_guesses_and_reviews(client: TestClient) -> None:
    text = (SEEDS / "002_9bb480553c6e5ad1.txt").read_text()
    body = {"text": text, "publisher": "Example News", "url": "https://example.com/a", "published_date": "2025-06-20"}
    response = client.post("/v1/extract", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    proposals = response.json()["proposals"]
    may = next(p for p in proposals if p["value"] == 551_000)
    assert (may["series_id"], may["period_start"], may["aggregation"], may["yoy_pct"], may["mom_pct"]) == (
        "china_exports_caam",
        "2025-05-01",
        "month",
        14.5,
        6.6,
    )
    assert text[may["span"]["start"] : may["span"]["end"]] == may["span"]["text"] == "551,000 units"
    assert any(g["field"] == "period" and "publication date" in g["why"] for g in may["uncertain"])
    assert may["review"]["status"] == "same"
    assert may["row"]["source_publisher"] == "Example News" and may["row"]["series_id"] == "china_exports_caam"


def test_post_extract_needs_the_write_key_and_names_bad_fields(client: TestClient) -> None:
    assert client.post("/v1/extract", json={"text": "x"}).status_code == 401
    bad_date = client.post("/v1/extract", json={"text": "x", "published_date": "2025-13-01"}, headers=AUTH)
    assert bad_date.status_code == 422 and "published_date" in bad_date.json()["field"]
    bad_language = client.post("/v1/extract", json={"text": "x", "language": "xx"}, headers=AUTH)
    assert bad_language.status_code == 422 and bad_language.json()["field"] == "language"
    empty = client.post("/v1/extract", json={"text": ""}, headers=AUTH)
    assert empty.status_code == 422 and "text" in empty.json()["field"]


def test_cli_prints_the_proposals_and_writes_rows_ingest_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.cli import main, read_rows
    from forecast.data import observations_from_rows

    monkeypatch.setenv("FORECAST_DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("FORECAST_DATA_DIR", str(ROOT / "data"))
    out = tmp_path / "rows.csv"
    seed = SEEDS / "004_a1ed7ff298aff8e5.txt"
    assert main(["extract", str(seed), "--publisher", "PhoneAuto", "--published-date", "2023-05-23", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4,119 cars" in printed and "chongqing_central_asia_exports_units" in printed
    rows = read_rows(out)
    assert len(rows) == len(extract(_seed_article(seed.name), SERIES).proposals)
    assert observations_from_rows([r for r in rows if r["series_id"]], SERIES, source=out.name, loaded_on=date.today())
    assert main(["extract", str(seed), "--publisher", "x", "--published-date", "2023-02-30"]) == 2
    assert main(["extract", str(tmp_path / "missing.txt"), "--publisher", "x", "--published-date", "2023-05-23"]) == 2


def test_the_review_page_is_served(client: TestClient) -> None:
    page = client.get("/review")
    assert page.status_code == 200 and "/static/review.js" in page.text
    assert client.get("/static/review.js").status_code == 200


@pytest.fixture(scope="module")
def live_url(client: TestClient) -> Iterator[str]:
    """The same app (data/ loaded, nothing fitted) served by uvicorn on a free port, for the browser."""
    import uvicorn

    from tests.live import serving

    with serving(uvicorn.Config(client.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")) as port:
        yield f"http://127.0.0.1:{port}"


def test_an_analyst_pastes_an_article_accepts_edits_and_rejects_and_sends_the_accepted(live_url: str, tmp_path: Path) -> None:
    """In headless Chromium (as tests/test_dashboard.py): the proposals are marked in the text; the accepted
    and edited rows are what POST /v1/observations receives (intercepted here, so nothing is refitted)."""
    import json
    import shutil

    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it: apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    sent: list[dict[str, object]] = []

    def capture(route: object) -> None:
        sent.append(json.loads(route.request.post_data))  # type: ignore[attr-defined]
        route.fulfill(status=202, content_type="application/json", body='{"job_id": "j1", "status": "queued", "detail": {}}')  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/v1/observations", capture)
            page.goto(f"{live_url}/review")
            page.fill("#publisher", "Example News")
            page.fill("#url", "https://example.com/article")
            page.fill("#published-date", "2025-06-20")
            page.fill("#key", "test-key-0123456789")
            page.fill("#text", (SEEDS / "002_9bb480553c6e5ad1.txt").read_text())
            page.click("#propose")
            page.wait_for_selector("#marked mark")
            assert page.locator("#marked mark").count() == page.locator("#proposals tbody tr").count() == 5
            assert page.locator("#marked mark >> nth=1").inner_text() == "551,000 units"
            page.check('input[name="d1"][value="accept"]')
            page.check('input[name="d2"][value="reject"]')
            page.fill('#proposals input[data-i="3"][data-field="value"]', "212500")
            page.locator('#proposals input[data-i="3"][data-field="value"]').dispatch_event("change")
            assert page.locator("#marked mark.accepted").count() == 2 and page.locator("#marked mark.rejected").count() == 1
            page.click("#send")
            page.wait_for_function("document.querySelector('#status').innerText.includes('job j1')")
            page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
    rows = sent[0]["observations"]
    assert isinstance(rows, list) and [(r["series_id"], r["value"]) for r in rows] == [
        ("china_exports_caam", 551000),
        ("china_nev_exports_caam", 212500),
    ]
    assert all(r["source_publisher"] == "Example News" and r["source_url"] == "https://example.com/article" for r in rows)


def test_a_rate_before_the_amount_it_grew_to_and_last_month() -> None:
    text = "Chinese carmakers exported a total of 158,000 vehicles last month, up 1.5 times year on year and a 5-percent increase from the previous month."
    (proposal,) = extract(Article(text, published_date=date(2021, 7, 10)), SERIES).proposals
    assert (proposal.period.start, proposal.aggregation, proposal.yoy_pct, proposal.mom_pct) == (
        date(2021, 6, 1),
        Aggregation.MONTH,
        150.0,
        5.0,
    )
    text = "From January to the end of May, exports rose by 8.3 percent year on year to nearly 2.31 million units."
    (proposal,) = extract(Article(text, published_date=date(2024, 6, 14)), SERIES).proposals
    assert (proposal.period.end, proposal.yoy_pct, proposal.qualifier.value) == (date(2024, 5, 31), 8.3, "approx")


def test_without_a_publication_date_the_year_comes_from_the_address_or_the_article() -> None:
    text = "From January to July this year, overseas sales reached 550,300 units."
    (from_address,) = extract(Article(text, url="https://example.com/2025/08/02/byd.html"), SERIES).proposals
    assert from_address.period.start.year == 2025 and any(g.field == "published_date" for g in from_address.uncertain)
    text = "Exports in the first half of 2012 grew.\nFrom January to June China managed to export 487,900 cars, up 28% from the same period last year."
    (from_article,) = extract(Article(text), SERIES).proposals
    assert (from_article.period.end, from_article.yoy_pct) == (date(2012, 6, 30), 28.0)


def test_sales_and_output_are_not_exports() -> None:
    text = "In May, auto sales rose 11.2 percent to 2.69 million units, while exports reached 551,000 units."
    assert 551_000 in [
        p.value for p in extract(Article(text, published_date=date(2025, 6, 12)), SERIES).proposals
    ]  # a mixed sentence is kept
    text = "In May alone, auto sales reached approximately 2.42 million units, up 1.5 percent year on year."
    assert extract(Article(text, published_date=date(2024, 6, 14)), SERIES).proposals == ()


def test_a_comparison_year_dates_the_period_and_rates_per_month_are_not_totals() -> None:
    text = "The country shipped 4.41 million autos from January to November, a 58% increase over the same time in 2022."
    (proposal,) = extract(Article(text), SERIES).proposals
    assert (proposal.period.start, proposal.period.end, proposal.yoy_pct) == (date(2023, 1, 1), date(2023, 11, 30), 58.0)
    text = "In September, exports were 83,000 units, up 13% than that of last month, and up 38.9% year on year."
    (proposal,) = extract(Article(text, published_date=date(2017, 10, 23)), SERIES).proposals
    assert (proposal.mom_pct, proposal.yoy_pct) == (13.0, 38.9)
    text = "In November, at 80,000 units per month, exports will pass the target of 800,000 units."
    assert extract(Article(text, published_date=date(2025, 8, 1)), SERIES).proposals == ()


def test_every_proposed_row_of_the_seeds_passes_the_ingest_validation_once_it_has_a_series(client: TestClient) -> None:
    """What the review page sends: the `row` of each proposal, through the schema and the row rules of POST /v1/observations."""
    from forecast.api.schemas import ObservationBatchIn
    from forecast.data import observations_from_rows

    for seed in SEED_FILES:
        article = _seed_article(seed)
        body = {
            "text": article.text,
            "publisher": "Seed",
            "url": f"https://example.com/{seed}",
            "published_date": str(article.published_date),
        }
        proposals = client.post("/v1/extract", json=body, headers=AUTH).json()["proposals"]
        rows = [
            {**p["row"], "series_id": p["row"]["series_id"] or "china_exports_caam"}
            for p in proposals
            if p["unit"] != "percent" or p["series_id"]
        ]
        batch = ObservationBatchIn.model_validate({"observations": rows})
        assert len(
            observations_from_rows([o.model_dump() for o in batch.observations], SERIES, source=seed, loaded_on=date.today())
        ) == len(rows)


def test_an_expected_figure_is_not_proposed() -> None:
    text = "Exports reached 4.7 million units in the first three quarters, and are expected to reach 6 million units in 2025."
    proposals = extract(Article(text, published_date=date(2024, 11, 20)), SERIES).proposals
    assert [p.value for p in proposals] == [4_700_000]


def test_during_the_period_and_last_year() -> None:
    text = (
        "China's exports jumped 30.5 percent in the first two months of 2024. A total of 822,000 vehicles were exported during the period."
    )
    (proposal,) = [p for p in extract(Article(text, published_date=date(2024, 3, 18)), SERIES).proposals if p.kind is Kind.LEVEL]
    assert (proposal.period.end, proposal.aggregation) == (date(2024, 2, 29), Aggregation.YTD)
    text = "Last year, the country exported 5.859 million vehicles, surging 19.3 percent year on year."
    (proposal,) = extract(Article(text, published_date=date(2025, 1, 13)), SERIES).proposals
    assert (proposal.period.start, proposal.aggregation, proposal.yoy_pct) == (date(2024, 1, 1), Aggregation.YEAR, 19.3)


def test_a_basis_can_come_from_the_publisher_and_says_so() -> None:
    text = "In September, the auto export was 83,000 units, up 38.9% year on year."
    (proposal,) = extract(Article(text, publisher="CAAM (English site)", published_date=date(2017, 10, 23)), SERIES).proposals
    assert proposal.subject.series_id == "china_exports_caam"
    assert any(g.field == "basis" and "publisher" in g.why for g in proposal.uncertain)


def test_a_sentence_referring_back_takes_the_period_before() -> None:
    text = (
        "In the first seven months of this year, the city exported 203,000 vehicles. "
        "The total value of these exports reached 17.69 billion yuan, reflecting a substantial 49% rise from the previous year. "
        "Passenger car exports rose 31.5 percent from the same period last year to 686,000 units."
    )
    proposals = extract(Article(text, published_date=date(2023, 8, 14)), SERIES).proposals
    assert [(p.value, p.period.end, p.yoy_pct) for p in proposals] == [
        (203_000, date(2023, 7, 31), None),
        (17_690_000_000, date(2023, 7, 31), 49.0),
        (686_000, date(2023, 7, 31), 31.5),
    ]
    assert all(any("sentence before" in g.why for g in p.uncertain) for p in proposals[1:])


# Written for the test (not a bench text): an Indonesian report whose numbers use dots for thousands.
INDONESIAN = (
    "Chery Group mencatat ekspor sebanyak 100.737 unit pada bulan Mei 2025, naik 20 persen dibandingkan periode yang sama "
    "tahun lalu. Secara kumulatif, ekspor dari Januari hingga Mei 2025 mencapai 443.940 unit, dan perusahaan itu tetap menjadi "
    "eksportir mobil terbesar dari Tiongkok selama dua puluh dua tahun berturut-turut menurut data resmi perusahaan."
)


def test_a_text_in_another_language_gets_no_proposals_and_says_why() -> None:
    article = Article(INDONESIAN, publisher="Contoh", published_date=date(2025, 6, 10))
    found = extract(article, SERIES)
    assert (found.proposals, found.targets, found.language) == ((), (), "id")
    assert "'id'" in found.not_read and "rules exist for en" in found.not_read
    forced = extract(article, SERIES, check_language=False)  # read with the English rules all the same
    assert (forced.language, forced.not_read) == ("en", "")
    english = extract(_seed_article("002_9bb480553c6e5ad1.txt"), SERIES)
    assert (english.language, english.not_read) == ("en", "") and english.proposals
    short = extract(Article("Ekspor 5.000 unit pada Mei 2025.", published_date=date(2025, 6, 10)), SERIES)
    assert short.not_read == ""  # too few words to judge: the caller's language stands
    unknown_script = extract(Article(" ".join(["ꙮꙮ"] * 30)), SERIES)
    assert unknown_script.not_read == ""  # no n-gram langdetect knows: not judged


def test_post_extract_and_the_cli_say_when_the_text_is_in_another_language(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.cli import main

    body = {"text": INDONESIAN, "published_date": "2025-06-10"}
    answer = client.post("/v1/extract", json=body, headers=AUTH).json()
    assert (answer["proposals"], answer["language"]) == ([], "id") and "no figures proposed" in answer["not_read"]
    forced = client.post("/v1/extract", json={**body, "check_language": False}, headers=AUTH).json()
    assert (forced["not_read"], forced["language"]) == ("", "en")
    monkeypatch.setenv("FORECAST_DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("FORECAST_DATA_DIR", str(ROOT / "data"))
    article = tmp_path / "berita.txt"
    article.write_text(INDONESIAN, encoding="utf-8")
    assert main(["extract", str(article), "--publisher", "x", "--published-date", "2025-06-10"]) == 1
    assert "reads as language 'id'" in capsys.readouterr().out


def _rows(text: str, published: date | None = None) -> list[tuple[object, ...]]:
    found = extract(Article(text, published_date=published), SERIES).proposals
    return [(p.subject.series_id, str(p.period), p.aggregation.value, p.kind.value, p.value, p.yoy_pct) for p in found]


def test_imports_are_not_exports() -> None:
    text = (
        "In August, the total import of automobiles was 110,000 units, up 11.2% year on year, and the total export was "
        "90,000 units, up 5% year on year. The railway handled the import and export of 80,000 vehicles in August."
    )
    assert [row[4:] for row in _rows(text, date(2017, 9, 20))] == [(90_000, 5.0)]


def test_the_first_quarter_and_half_as_the_counter_keeps_them() -> None:
    company = _rows("Geely Auto exported 87,040 cars in the first quarter of 2024, up 66%.", date(2024, 5, 1))
    assert company == [("geely_auto_exports", "2024-01-01..2024-03-31", "quarter", "level", 87_040, 66.0)]
    caam = _rows("According to CAAM, China exported 2.79 million vehicles in the first half of 2024.", date(2024, 7, 20))
    assert caam == [("china_exports_caam", "2024-01-01..2024-06-30", "ytd", "level", 2_790_000, None)]


def test_a_rate_in_the_sentence_next_to_its_level_and_a_rate_told_twice() -> None:
    text = (
        "China's auto exports soar 30.5 pct in January-February\n"
        "China's automobile exports jumped 30.5 percent year on year in the first two months of 2024. "
        "A total of 822,000 vehicles were exported during the period, according to the China Association of Automobile Manufacturers."
    )
    assert _rows(text, date(2024, 3, 18)) == [("china_exports_caam", "2024-01-01..2024-02-29", "ytd", "level", 822_000, 30.5)]


def test_growth_that_slowed_and_the_rate_of_a_year_before() -> None:
    text = "Geely Auto's export growth slowed to just 2% year-over-year in Q1 2025, a contrast to the 66% increase seen during the same period last year."
    found = [(row[1], row[3], row[4]) for row in _rows(text, date(2025, 5, 19))]
    assert found == [("2025-01-01..2025-03-31", "yoy_pct", 2.0), ("2024-01-01..2024-03-31", "yoy_pct", 66.0)]


def test_last_month_without_a_publication_date_is_the_month_named_before() -> None:
    text = "China's auto exports in June 2021 hit a record high. Carmakers exported a total of 158,000 vehicles last month, up 1.5 times."
    assert [(row[1], row[4]) for row in _rows(text)] == [("2021-06-01..2021-06-30", 158_000)]


def test_without_a_named_counter_the_series_publishers_cite_most_is_proposed_and_flagged() -> None:
    text = "China exported 5.22 million vehicles in 2023, up 57.9 percent year on year."
    article = Article(text, published_date=date(2024, 1, 20))
    assert [p.subject.series_id for p in extract(article, SERIES).proposals] == [""]  # CAAM's or customs'? not said
    cited = {"china_exports_caam": 197, "china_exports_gac": 38}
    (proposal,) = extract(article, SERIES, cited=cited).proposals
    assert proposal.subject.series_id == "china_exports_caam"
    assert any(g.field == "series_id" and "cite most" in g.why for g in proposal.uncertain)
    close = {"china_exports_caam": 50, "china_exports_gac": 38}  # not three times as many: the text still decides nothing
    assert [p.subject.series_id for p in extract(article, SERIES, cited=close).proposals] == [""]


def test_a_count_without_a_unit_word_in_a_sentence_about_vehicle_exports() -> None:
    text = "Car exports rose 21.2% year-on-year to 5.86 million vehicles in 2024, while NEV exports rose 6.7% to 1.28 million."
    found = extract(Article(text, published_date=date(2025, 1, 20)), SERIES).proposals
    assert [(p.value, p.unit, p.yoy_pct) for p in found] == [(5_860_000, "vehicles", 21.2), (1_280_000, "vehicles", 6.7)]
    assert any(g.field == "unit" for g in found[1].uncertain) and not any(g.field == "unit" for g in found[0].uncertain)
    not_counts = "The carmaker, worth 120 billion, exported 2.1 million cars in 2024, ahead of Japan's 2.02 million, to 1.4 billion people."
    assert [p.value for p in extract(Article(not_counts, published_date=date(2025, 1, 20)), SERIES).proposals] == [2_100_000]


def test_a_running_total_takes_the_year_of_the_month_before_it_in_its_own_clause() -> None:
    text = "In November 2023, China exported 459,000 vehicles; exports in the first eleven months totaled 4.41 million vehicles."
    found = [(row[1], row[2], row[4]) for row in _rows(text, date(2025, 1, 20))]
    assert found == [("2023-11-01..2023-11-30", "month", 459_000), ("2023-01-01..2023-11-30", "ytd", 4_410_000)]


def test_a_second_rate_listed_after_the_first_takes_its_direction_and_names_its_base() -> None:
    rates = growth_mentions(_sentence("down 3 percent year on year and 5 percent month on month"), ENGLISH)
    assert [(r.kind, r.pct) for r in rates] == [(Kind.YOY_PCT, -3.0), (Kind.MOM_PCT, -5.0)]
    rates = growth_mentions(_sentence("up 23.8 percent year on year and 14.2 percent month on month"), ENGLISH)
    assert [(r.kind, r.pct) for r in rates] == [(Kind.YOY_PCT, 23.8), (Kind.MOM_PCT, 14.2)]


def test_a_figure_for_one_destination_market_is_not_the_exporters_total_and_names_the_market() -> None:
    text = (
        "From January to October 2023, China exported 4.41 million vehicles in total and 730,000 vehicles to Russia. "
        "Exports to Mexico rose 71% to 330,000 units. In Russia, Lifan sold 4,545 cars during the period. "
        "Belgium was the third-largest market, with 150,000 cars sold there."
    )
    found = extract(Article(text, published_date=date(2023, 11, 20)), SERIES).proposals
    assert [(p.subject.market, p.subject.series_id, str(p.period), p.value) for p in found] == [
        ("", found[0].subject.series_id, "2023-01-01..2023-10-31", 4_410_000),
        ("Russia", "", "2023-01-01..2023-10-31", 730_000),
        ("Mexico", "", "2023-01-01..2023-10-31", 330_000),
    ]
    assert found[1].subject.entity == found[0].subject.entity


def test_a_segment_no_series_keeps_is_proposed_with_no_series_and_parts_and_percentage_points_are_left_out() -> None:
    text = (
        "According to CAAM, in June 2022, passenger car exports reached 198,000 units, and exports of commercial vehicles stood at 51,000 units. "
        "Exports of conventional fuel vehicles were 120,000 units in June 2022. "
        "Exports of autos, including auto parts and components, increased 21.6 percent in 2021, down 23.71 percentage points."
    )
    assert _rows(text, date(2022, 7, 11)) == [
        ("china_passenger_exports_caam", "2022-06-01..2022-06-30", "month", "level", 198_000, None),
        ("", "2022-06-01..2022-06-30", "month", "level", 51_000, None),
        ("", "2022-06-01..2022-06-30", "month", "level", 120_000, None),
    ]
    segments = [p.subject.segment for p in extract(Article(text, published_date=date(2022, 7, 11)), SERIES).proposals]
    assert segments == ["passenger vehicles", "commercial vehicles", "conventional vehicles"]


def test_a_month_named_as_a_rates_base_is_not_the_figures_period() -> None:
    text = "Last month, China exported 256,000 electric and plug-in hybrid vehicles, a 15.4% increase from September and a 99% jump from October 2024."
    (found,) = extract(Article(text, published_date=date(2025, 11, 12)), SERIES).proposals
    assert (str(found.period), found.value, found.yoy_pct, found.mom_pct) == ("2025-10-01..2025-10-31", 256_000, 99.0, 15.4)
    assert found.subject.segment == "new energy vehicles"


def test_a_rounded_repeat_is_one_figure_and_gives_it_its_rate() -> None:
    text = (
        "China exported almost half a million cars in the first half of this year, up 28%. "
        "Figures from CAAM show that China exported 487,900 cars in the January-June period."
    )
    assert [(row[1], row[4], row[5]) for row in _rows(text, date(2012, 7, 20))] == [("2012-01-01..2012-06-30", 487_900, 28.0)]
    text = "In 2013, exports fell to 977,300 units from 2012, when they surpassed 1 million for the first time."
    assert [(row[1], row[4]) for row in _rows(text, date(2014, 2, 10))] == [("2013-01-01..2013-12-31", 977_300)]


def test_close_figures_of_two_segments_are_two_figures_not_a_repeat() -> None:
    text = (  # made-up figures
        "China's passenger vehicle exports reached 1.28 million units in 2024. "
        "Its new energy vehicle exports reached 1.25 million units in 2024."
    )
    assert sorted(row[4] for row in _rows(text, date(2025, 1, 20))) == [1_250_000, 1_280_000]


def test_a_sentence_without_a_period_and_the_figure_take_the_period_of_the_amount_before() -> None:
    text = (
        "China exported 443,000 vehicles in January 2024, according to CAAM. "
        "Passenger vehicle exports reached 369,000 units. The figure was up 47.5 percent year on year.\n"
        "China has exported 30 million vehicles since 2001."
    )
    assert _rows(text, date(2024, 2, 21)) == [
        ("china_exports_caam", "2024-01-01..2024-01-31", "month", "level", 443_000, None),
        ("china_passenger_exports_caam", "2024-01-01..2024-01-31", "month", "level", 369_000, 47.5),
    ]


def test_sales_right_after_a_sentence_about_exports_are_those_exports() -> None:
    text = (
        "Passenger vehicles made up most of China's exports, CAAM said. Sales grew by 96.6% from January to the end of May 2023, "
        "totaling 1.46 million units.\nSales grew by 9% in May 2023 to 2.38 million units."
    )
    assert [(row[1], row[4], row[5]) for row in _rows(text, date(2023, 6, 9))] == [("2023-01-01..2023-05-31", 1_460_000, 96.6)]


def test_forecasts_and_money_with_no_series_are_not_proposed() -> None:
    text = (
        "Geely exported 40,000 cars in the first half of 2012. He expects Geely's exports this year to exceed 80,000 units. "
        "In the first 11 months of 2012, China's auto export revenue rose 5.2 percent to $71.3 billion."
    )
    assert [row[4] for row in _rows(text, date(2012, 12, 20))] == [40_000]


def test_last_month_is_the_month_named_before_when_only_the_address_dates_the_page() -> None:
    text = "China's auto exports hit a record in August 2022. The country exported 308,000 vehicles last month, up 6.2 percent compared with one month earlier."
    article = Article(text, url="https://example.com/s/202210/24/record.html")
    (found,) = extract(article, SERIES).proposals
    assert (str(found.period), found.value, found.mom_pct) == ("2022-08-01..2022-08-31", 308_000, 6.2)


def test_a_full_stop_without_a_space_ends_a_sentence_and_while_starts_a_clause() -> None:
    text = (  # made-up sentences
        "Output fell 4.3 percent year-on-year.In March, China exported 364,000 vehicles, up 10.6 percent of month-on-month and "
        "110 percent of year-on-year, according to CAAM.The exports of NEVs in March stood at 78,000, increasing by 3.9 times over 2022 levels. "
        "In the January-September period, NEV exports totaled 1.758 million units, while in September alone NEV exports were 222,000 units."
    )
    assert [(row[1], row[4], row[5]) for row in _rows(text, date(2023, 10, 20))] == [
        ("2023-03-01..2023-03-31", 364_000, 110.0),
        ("2023-03-01..2023-03-31", 78_000, 290.0),
        ("2023-01-01..2023-09-30", 1_758_000, None),
        ("2023-09-01..2023-09-30", 222_000, None),
    ]


def test_markets_named_with_a_comma_a_verb_or_a_list_and_might_are_not_the_total_and_two_named_are_left_out() -> None:
    text = (  # made-up sentences
        "China exported 4.95 million vehicles in the first nine months of 2025. Of this, a tenth (410,739 units) were exported to Mexico. "
        "Exports to Russia, its top market, reached 357,708 units in the period. "
        "Mexico led, and the UAE took second place, with 367,796 vehicles shipped in the period. "
        "Belgium and Spain took third and fourth place (233,748 units and 224,590 units respectively) in the period. "
        "The whole year's exports might top 6.5 million units, the association estimated."
    )
    found = extract(Article(text, published_date=date(2025, 10, 20)), SERIES).proposals
    assert [(p.subject.market, str(p.period), p.value) for p in found] == [
        ("", "2025-01-01..2025-09-30", 4_950_000),
        ("Mexico", "2025-01-01..2025-09-30", 410_739),
        ("Russia", "2025-01-01..2025-09-30", 357_708),
    ]  # "Mexico led, and the UAE ...", "Belgium and Spain took ...": whose figure is which is a guess


def test_kinds_of_new_energy_vehicle_are_no_series_but_listed_as_what_nevs_include_they_are_nevs() -> None:
    text = (  # made-up sentences
        "In 2025, China exported 2.58 million new energy vehicles, including battery-electric cars and plug-in hybrids, up 48.5%. "
        "Battery electric vehicles (BEV) accounted for 1.6 million units in 2025 while plug in hybrid electric vehicles (PHEVs) accounted for 696,000 units. "
        "In 2024, exports of new energy cars - comprising electric vehicles, plug-in hybrids, and hydrogen vehicles - surged to 1.74 million units."
    )
    assert [(row[0], row[4]) for row in _rows(text, date(2026, 1, 20))] == [
        ("china_nev_exports_caam", 2_580_000),
        ("", 1_600_000),
        ("", 696_000),
        ("china_nev_exports_caam", 1_740_000),
    ]


def test_same_time_last_year_is_a_base_and_these_vehicles_are_the_segment_named_before() -> None:
    text = (  # made-up sentences
        "China exported 290,000 vehicles in July, a jump of 67 percent compared with the same time last year, CAAM said. "
        "New energy vehicles export increased 37.6 percent year on year to 54,000 units. "
        "By contrast, shipments of conventional internal combustion engine vehicles declined. "
        "July exports of these vehicles were 236,000 units."
    )
    assert [(row[0], row[1], row[4]) for row in _rows(text, date(2022, 8, 11))] == [
        ("china_exports_caam", "2022-07-01..2022-07-31", 290_000),
        ("china_nev_exports_caam", "2022-07-01..2022-07-31", 54_000),
        ("", "2022-07-01..2022-07-31", 236_000),  # conventional vehicles: no series keeps them
    ]


def test_last_year_without_a_publication_date_is_the_whole_year_the_article_reports() -> None:
    text = "Made-up: China's auto exports slowed in 2008. China exported 680,700 cars last year, up 11.1 percent year on year."
    assert [(row[1], row[4], row[5]) for row in _rows(text)] == [("2008-01-01..2008-12-31", 680_700, 11.1)]
    text = "Made-up: China exported 40,000 cars in May 2023. China exported 500,000 cars last year."
    assert [(row[1], row[4]) for row in _rows(text)] == [("2023-05-01..2023-05-31", 40_000)]


def test_a_year_of_its_own_clause_a_passed_mark_and_a_bound_told_with_the_figure() -> None:
    text = (  # made-up sentences
        "China's car exports exceed 600,000 in Sept as NEV shipments double\n"
        "China's vehicle exports totaled 652,000 units in September, CAAM said. "
        "In 2025, China's vehicle exports amounted to 7.098 million units, up 21.1 percent year on year, while in December alone "
        "China's vehicle exports totaled 753,000 units, exceeding 700,000 units again following November, up 49.2 percent year on year "
        "and rising by 3.5 percent month over month."
    )
    assert _rows(text, date(2026, 1, 15)) == [
        ("china_exports_caam", "2025-09-01..2025-09-30", "month", "level", 652_000, None),
        ("china_exports_caam", "2025-01-01..2025-12-31", "year", "level", 7_098_000, 21.1),
        ("china_exports_caam", "2025-12-01..2025-12-31", "month", "level", 753_000, 49.2),
    ]


def test_a_clause_about_sales_in_a_sentence_about_exports_and_a_headline_rate_told_again() -> None:
    text = (  # made-up sentences
        "Chinese auto exports rose 64% in 2023\n"
        "China's auto exports surged 63.7% in 2023 while sales at home rose 4.2%. "
        "CAAM said that auto sales in China totaled 21.9 million cars last year while exports jumped to 4.1 million."
    )
    assert _rows(text, date(2024, 1, 10)) == [("china_exports_caam", "2023-01-01..2023-12-31", "year", "level", 4_100_000, 63.7)]


def test_full_year_shipments_are_the_years_exports() -> None:
    text = "Made-up: In 2025, CAAM said sales rose. Full-year vehicle shipments topped 7 million units, including 2.615 million NEVs."
    assert [(row[0], row[1], row[4]) for row in _rows(text)] == [
        ("china_exports_caam", "2025-01-01..2025-12-31", 7_000_000),
        ("china_nev_exports_caam", "2025-01-01..2025-12-31", 2_615_000),
    ]


def test_sales_words_of_one_amount_a_base_compared_with_and_a_year_in_a_relative_clause() -> None:
    text = (  # made-up sentences
        "Geely's NEV sales soared 92 percent to 890,000 units in 2024 and exports 53 percent to 400,000 units. "
        "China exported over 1.36 million vehicles between January and September 2021, CAAM said, compared with 620,000 in the same period in 2020. "
        "The figure represents a rise from the 910,000 vehicles sold over the first nine months of 2019. "
        "Chery's overseas sales rose 21 percent to 1.14 million units, which made it the top exporter in 2023, the company said."
    )
    assert [(row[0], row[1], row[4]) for row in _rows(text, date(2025, 1, 3))] == [
        ("geely_auto_exports", "2024-01-01..2024-12-31", 400_000),
        ("china_exports_caam", "2021-01-01..2021-09-30", 1_360_000),
        ("china_exports_caam", "2020-01-01..2020-09-30", 620_000),
        ("china_exports_caam", "2019-01-01..2019-09-30", 910_000),
    ]


def test_the_month_of_a_date_is_no_amount() -> None:
    assert quantities(_sentence("date 2021-09 Vehicles proceed slowly on the expressway"), ENGLISH) == []


def test_a_count_after_exports_with_no_unit_word_is_vehicles() -> None:
    text = "Made-up: In June 2025 alone, China's exports were 592,000, an increase of 22.2 percent, CAAM said."
    assert _rows(text, date(2025, 7, 15)) == [("china_exports_caam", "2025-06-01..2025-06-30", "month", "level", 592_000, 22.2)]


def test_a_market_named_earlier_in_the_clause_or_after_with_keeps_its_rate_out_and_names_its_amounts_market() -> None:
    text = (  # made-up sentences
        "Shipments to Russia jumped in 2023, rising 30 percent year on year, CAAM said. "
        "China exported 4.91 million vehicles in 2023, with Russia taking 909,000 units. "
        "China's top export market in 2023 was Mexico, with 415,000 vehicles."
    )
    found = extract(Article(text, published_date=date(2024, 2, 15)), SERIES).proposals
    assert [(p.subject.market, str(p.period), p.kind.value, p.value) for p in found] == [
        ("", "2023-01-01..2023-12-31", "level", 4_910_000),
        ("Russia", "2023-01-01..2023-12-31", "level", 909_000),
        ("Mexico", "2023-01-01..2023-12-31", "level", 415_000),
    ]


def test_a_running_total_after_a_month_and_of_which_were_exported() -> None:
    text = (  # made-up sentences
        "China exported 532,000 vehicles in November 2024, CAAM said, bringing the total for the year to 5.33 million. "
        "Chery sold 2.6 million vehicles in 2024, of which 1.14 million were exported."
    )
    assert [(row[0], row[1], row[4]) for row in _rows(text, date(2024, 12, 12))] == [
        ("china_exports_caam", "2024-11-01..2024-11-30", 532_000),
        ("china_exports_caam", "2024-01-01..2024-11-30", 5_330_000),
    ]
    assert [(row[0], row[1], row[4]) for row in _rows(text, date(2025, 2, 10))][-1] == (
        "chery_group_exports",
        "2024-01-01..2024-12-31",
        1_140_000,
    )


def test_sold_with_overseas_after_the_year_is_overseas_sales() -> None:
    text = "Made-up: Great Wall Motor sold 453,500 vehicles in 2024 in overseas markets, up 45.7 percent."
    assert _rows(text, date(2025, 2, 1)) == [("gwm_overseas_sales", "2024-01-01..2024-12-31", "year", "level", 453_500, 45.7)]


def test_subjects_rates_and_amounts_listed_respectively_go_together_in_order() -> None:
    text = (  # made-up sentences
        "According to CAAM, China's auto exports and NEV exports rose 101.1 percent and 304.6 percent to 2.02 million and "
        "310,000 units in 2021, respectively. Exports of passenger vehicles and commercial vehicles reached 1.61 million and "
        "402,000 units, respectively, in 2021."
    )
    assert [(row[0], row[4], row[5]) for row in _rows(text, date(2022, 2, 2))] == [
        ("china_exports_caam", 2_020_000, 101.1),
        ("china_nev_exports_caam", 310_000, 304.6),
        ("china_passenger_exports_caam", 1_610_000, None),
        ("", 402_000, None),
    ]


def test_another_countrys_exports_are_not_chinas() -> None:
    text = (  # made-up sentences
        "CAAM said China's auto exports in 2023 hit 4.91 million units, surpassing Japan's 4.42 million vehicles. "
        "Japan exported 4.42 million vehicles in 2023. China exported 1.07 million vehicles in the first quarter of 2023, "
        "while Japan exported 954,185 vehicles. Germany's exports rose 6 percent in 2023."
    )
    assert [(row[1], row[4]) for row in _rows(text, date(2024, 2, 1))] == [
        ("2023-01-01..2023-12-31", 4_910_000),
        ("2023-01-01..2023-03-31", 1_070_000),
    ]


def test_a_year_named_in_an_outlook_does_not_date_the_article() -> None:
    text = (  # made-up sentences, no publication date
        "China's vehicle exports reached 7.1 million units last year, CAAM said in its review of 2025. "
        "CAAM issued its 2026 outlook, projecting sales to reach 34.75 million units."
    )
    assert [(row[1], row[4]) for row in _rows(text)] == [("2025-01-01..2025-12-31", 7_100_000)]


def test_a_bare_number_after_an_increase_of_is_no_difference() -> None:
    text = (  # made-up sentences; the page breaks a rate across two lines
        "In March 2024, 198,000 cars were exported, up 65.6 percent from the previous year, and exports of trucks stood "
        "at 40,000 units, an increase of 21.\n\n7 percent, the association said."
    )
    values = [row[4] for row in _rows(text, date(2024, 4, 12))]
    assert 198_000 in values and 40_000 - 21 not in values
    text = "In the first nine months of 2024, China's car exports reached 4.7 million units, an increase of nearly 1 million compared to the same period last year."
    assert [(row[1], row[4]) for row in _rows(text, date(2024, 11, 1))] == [
        ("2024-01-01..2024-09-30", 4_700_000),
        ("2023-01-01..2023-09-30", 3_700_000),
    ]


def test_a_sentence_with_no_period_after_one_naming_two_takes_neither() -> None:
    text = (  # made-up sentences
        "In 2024, China's exports in the second quarter were 1.5 million units, while the first quarter saw exports of 1.3 million units. "
        "Analysis of the vehicles exported from China shows that ICE vehicles made up 2.9 million units."
    )
    assert [(row[1], row[4]) for row in _rows(text, date(2024, 8, 1))] == [
        ("2024-04-01..2024-06-30", 1_500_000),
        ("2024-01-01..2024-03-31", 1_300_000),
    ]
    text = "In January 2024, China exported 443,000 vehicles. Passenger vehicle exports reached 369,000 units."
    assert [(row[1], row[4]) for row in _rows(text, date(2024, 2, 21))] == [
        ("2024-01-01..2024-01-31", 443_000),
        ("2024-01-01..2024-01-31", 369_000),
    ]


def test_a_figure_compared_to_the_same_months_of_a_named_year_is_of_the_year_after() -> None:
    text = "In 2025, the UAE took second place, with 367,796 vehicles shipped, up 59% compared to the first nine months of 2024."
    (found,) = extract(Article(text, published_date=date(2025, 11, 1)), SERIES).proposals
    assert (found.subject.market, str(found.period), found.value, found.yoy_pct) == ("UAE", "2025-01-01..2025-09-30", 367_796, 59.0)


def test_a_breakdown_by_type_after_the_exports_is_of_those_exports() -> None:
    text = (  # made-up sentences, as CAAM's English site writes them
        "According to CAAM, in June 2019, the auto export was 80,000 units, up 5% year on year. As seen by type, the passenger "
        "cars reached 60,000 units, up 6% year on year. And the commercial vehicles were 20,000 units, up 2% year on year. "
        "For the first six months, the export reached 500,000 units, up 3% year on year. The growing speed slowed 1 percentage "
        "point. To be specific, the passenger cars reached 380,000 units, up 4% year on year; the commercial vehicles were 120,000 units."
    )
    assert [(row[0], row[1], row[4]) for row in _rows(text, date(2019, 7, 20))] == [
        ("china_exports_caam", "2019-06-01..2019-06-30", 80_000),
        ("china_passenger_exports_caam", "2019-06-01..2019-06-30", 60_000),
        ("", "2019-06-01..2019-06-30", 20_000),
        ("china_exports_caam", "2019-01-01..2019-06-30", 500_000),
        ("china_passenger_exports_caam", "2019-01-01..2019-06-30", 380_000),
        ("", "2019-01-01..2019-06-30", 120_000),
    ]


def test_a_headline_rate_for_the_year_that_rounds_the_rate_so_far_is_told_twice() -> None:
    text = (  # made-up sentences, no publication date
        "Chinese vehicle exports rise by 15% in 2025\n"
        "New vehicle exports from China hit 4.95m units within the first nine months of 2025, up 14.8% since last year."
    )
    assert [(row[1], row[3], row[4], row[5]) for row in _rows(text)] == [("2025-01-01..2025-09-30", "level", 4_950_000, 14.8)]
    text = "China's vehicle exports rose 20% in 2024. In the first half of 2024, exports were 2.8 million units, up 31%."
    assert [(row[1], row[3], row[4]) for row in _rows(text, date(2025, 1, 20))] == [
        ("2024-01-01..2024-12-31", "yoy_pct", 20),
        ("2024-01-01..2024-06-30", "level", 2_800_000),
    ]


def test_a_volume_of_a_bare_amount_in_a_sentence_about_exports_counts_vehicles() -> None:
    text = "In 2024, the Q2 quarter saw volume of 1.5 million, which was up 10.2% while the Q1 quarter saw exports of 1.3 million units up 6.1%."
    assert [(row[1], row[3], row[4], row[5]) for row in _rows(text, date(2024, 8, 1))] == [
        ("2024-04-01..2024-06-30", "level", 1_500_000, 10.2),
        ("2024-01-01..2024-03-31", "level", 1_300_000, 6.1),
    ]


def test_a_rate_of_all_exports_is_not_given_to_one_markets_figure_nor_dropped_as_its_repeat() -> None:
    text = (  # made-up sentences
        "Exports to Mexico reached 445,000 vehicles in 2024. Overall, vehicle exports climbed 19.3 percent in 2024. "
        "China's vehicle exports to Russia rose 20 percent to 1.16 million units in 2023. China's vehicle exports rose 20 percent in 2023."
    )
    found = extract(Article(text, published_date=date(2025, 1, 20)), SERIES).proposals
    rows = sorted((p.subject.market, p.kind.value, p.value, p.yoy_pct) for p in found)
    assert ("Mexico", "level", 445_000, None) in rows and ("Russia", "level", 1_160_000, 20.0) in rows
    national_rates = [row for row in rows if row[0] == "" and row[1] == "yoy_pct"]
    assert sorted(row[2] for row in national_rates) == [19.3, 20.0]

"""The dashboard at /: local assets with ETags, and an end-to-end run in headless Chromium against a live server.

The browser test drives Debian's `chromium` through Playwright's Python package (never `playwright install`);
.ci/run installs the browser. It loads /, picks a series, reads the chart's reported points and bands, reads a
target card's probability and status, moves the as-of date, sees the card change, and saves a screenshot.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from forecast.api.app import create_app
from forecast.services import ForecastService
from tests.live import serving

with warnings.catch_warnings():
    # starlette warns on import that it prefers httpx2; httpx is what the dev extra installs
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

STATIC = Path(__file__).resolve().parent.parent / "forecast" / "api" / "static"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def client(fitted_service: ForecastService) -> Iterator[TestClient]:
    with TestClient(create_app(fitted_service.settings, fitted_service, fit_on_start=False)) as client:
        yield client


def test_the_dashboard_is_served_at_the_root(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/static/app.js" in page.text and "/static/style.css" in page.text
    assert client.get("/", headers={"If-None-Match": page.headers["etag"]}).status_code == 304


def test_every_dashboard_asset_is_local(client: TestClient) -> None:
    for path in STATIC.iterdir():
        text = path.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), f"{path.name} loads something from another host"
        assert not re.search(r"""(import|fetch)\(\s*["']https?://""", text), path.name
        response = client.get(f"/static/{path.name}")
        assert response.status_code == 200 and response.content == path.read_bytes()
    assert client.get("/static/nothing.js").status_code == 404


def test_the_bodies_of_a_first_load_are_built_as_soon_as_a_snapshot_is_served(fitted_service: ForecastService) -> None:
    """The first visitor after a start or a refit reads stored bytes (issue 20: first load under 1 s): the warm-up
    built the lists, each projected series' default forecast and the figures every target card reads, and a
    request is then served the very body it built."""
    from forecast.api.schemas import ForecastQuery

    app = create_app(fitted_service.settings.model_copy(update={"warm_first_load": True}), fitted_service, fit_on_start=False)
    with TestClient(app) as client:
        state = app.state.api
        assert state.warming is not None
        state.warming.join(120)
        bodies = state.current()

        def not_warmed() -> tuple[object, str]:
            raise AssertionError("built on request, not by the warm-up")

        snapshot = fitted_service.snapshot
        bodies.get("series", not_warmed)
        bodies.get("targets", not_warmed)
        for series_id in {t.series_id for t in snapshot.catalog.targets} & set(snapshot.catalog.series):
            bodies.get(f"obs|{series_id}|None|False", not_warmed)
        default = ForecastQuery.model_validate({})
        for series_id in snapshot.forecasts:
            warmed = bodies.get(default.cache_key(series_id, False), not_warmed)
            response = client.get(f"/v1/series/{series_id}/forecast?freq=month&levels=80,95")
            assert response.headers["etag"] == warmed.etag and response.content == warmed.content


# the browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_url(fitted_service: ForecastService) -> Iterator[str]:
    """The app around the fitted service, served by uvicorn on a free port in a thread."""
    app = create_app(fitted_service.settings, fitted_service, fit_on_start=False)
    with serving(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")) as port:
        yield f"http://127.0.0.1:{port}"


def percent(probability: float | None) -> str:
    return "–" if probability is None else f"{100 * probability:.1f}%"


def test_an_analyst_reads_a_chart_and_a_target_card_and_moves_the_as_of_date(
    live_url: str,
    fitted_service: ForecastService,
    tmp_path: Path,
) -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it: apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    snapshot = fitted_service.snapshot
    series_id = next(iter(snapshot.forecasts))
    # a target whose probability at some earlier month-end differs from today's, so moving the date must show
    target, earlier = next(
        (a, h)
        for a in snapshot.assessments.values()
        for h in a.history
        if h["probability"] is not None and a.probability is not None and percent(h["probability"]) != percent(a.probability)
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_url}/")
            page.click(f'#series-table tr[data-series-id="{series_id}"]')
            page.wait_for_selector("#chart .band-80")
            assert page.locator("#chart .reported[data-index]").count() > 0
            assert page.locator("#chart polygon.band-95").count() == 1 and page.locator("#chart polyline.median").count() == 1
            page.hover("#chart .reported[data-index] >> nth=-1")
            assert "published" in page.inner_text("#tooltip")

            card = page.locator(f'.target-card[data-target-id="{target.id}"]')
            card.locator("summary").click()
            assert card.locator(".probability").inner_text() == percent(target.probability)
            assert card.locator(".status").inner_text() == target.status

            page.fill("#as-of", str(earlier["as_of"]))
            page.wait_for_function(
                "([id, text]) => document.querySelector(`.target-card[data-target-id='${id}'] .probability`).innerText === text",
                arg=[target.id, percent(earlier["probability"])],
            )
            assert card.locator(".status").inner_text() == earlier["status"]
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            assert (tmp_path / "dashboard.png").stat().st_size > 10_000
            assert errors == []
        finally:
            browser.close()

"""Keys are secrets: kept as digests, compared in constant time, sent as `Authorization: Bearer <key>`;
with a read key every data route needs a key; a CORS allow-list; no key or figure in the logs.

The service here fits made-up data (tests/made_up.py) in a few seconds, once for the module.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from forecast import cli
from forecast.api import keys as keys_module
from forecast.api.app import create_app
from forecast.api.keys import KeyRing, bearer_token
from forecast.config import Settings, key_digest
from forecast.services import ForecastService
from forecast.store import Store
from tests.made_up import made_up_row, write_made_up_data

with warnings.catch_warnings():
    # starlette warns on import that it prefers httpx2; httpx is what the dev extra installs
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

WRITE_KEY = "write-key-0123456789abcdef"
EXTRA_KEY = "extra-write-key-0123456789"
READ_KEY = "read-key-0123456789abcdef"
OPEN_PATHS = ("/healthz", "/readyz", "/", "/openapi.json", "/docs")


def settings_for(workdir: Path, **keys: object) -> Settings:
    return Settings(
        data_dir=workdir / "data",
        models_dir=workdir / "models",
        database_path=workdir / "db.sqlite3",
        simulation_paths=200,
        backtest_origins=2,
        _env_file=None,
        **keys,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForecastService]:
    workdir = tmp_path_factory.mktemp("auth")
    write_made_up_data(workdir / "data")
    settings = settings_for(workdir)
    store = Store(settings.database_path)
    fitted = ForecastService(settings, store)
    fitted.load_data_dir()
    fitted.refit()
    yield fitted
    deadline = time.monotonic() + 300
    while not fitted.refits.idle() and time.monotonic() < deadline:  # a refit an ingest started uses the store
        time.sleep(0.1)
    store.close()


def client_for(service: ForecastService, **keys: object) -> TestClient:
    settings = settings_for(service.settings.data_dir.parent, **keys)
    return TestClient(create_app(settings, service, fit_on_start=False))


@pytest.fixture(scope="module")
def locked(service: ForecastService) -> Iterator[TestClient]:
    with client_for(service, api_key=WRITE_KEY, api_keys=[EXTRA_KEY], read_key=READ_KEY) as client:
        yield client


@pytest.fixture(scope="module")
def writable(service: ForecastService) -> Iterator[TestClient]:
    with client_for(service, api_key=WRITE_KEY, api_keys=[EXTRA_KEY]) as client:
        yield client


def known_figure() -> dict[str, object]:
    """A figure the made-up data already holds: its ingest is a 202 whose job is done at once, nothing to refit."""
    return {"observations": [made_up_row("maker_a_exports", 2020, "https://example.test/maker_a_exports/2020")]}


def data_routes(client: TestClient, job_id: str) -> list[str]:
    """Every GET /openapi.json declares except the open ones, with ids filled in."""
    ids = {"{series_id}": "lender_exports", "{target_id}": "no_such_target", "{job_id}": job_id}
    paths = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if "get" not in operations or path in OPEN_PATHS:
            continue
        for placeholder, value in ids.items():
            path = path.replace(placeholder, value)
        paths.append(path)
    return paths


# settings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting,value,named",
    [
        ("api_key", "short-key", "FORECAST_API_KEY"),
        ("read_key", "short-key", "FORECAST_READ_KEY"),
        ("api_keys", [WRITE_KEY, "short"], "FORECAST_API_KEYS[1]"),
    ],
)
def test_every_key_shorter_than_16_characters_is_refused_naming_its_setting(setting: str, value: object, named: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **{setting: value})  # type: ignore[arg-type]
    message = str(refused.value)
    assert named in message and "at least 16 characters" in message
    assert "short" not in message.replace("FORECAST_", "")  # the refused key is not echoed


def test_the_command_line_refuses_to_start_on_a_short_key_and_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORECAST_API_KEYS", '["a-long-enough-key-01", "tiny"]')
    assert cli.main(["serve"]) == 2
    error = capsys.readouterr().err
    assert "FORECAST_API_KEYS[1] must be at least 16 characters" in error and "tiny" not in error


def test_settings_keep_only_the_digests_of_the_keys() -> None:
    settings = Settings(_env_file=None, api_key=WRITE_KEY, api_keys=[EXTRA_KEY], read_key=READ_KEY)
    shown = repr(settings) + str(settings.model_dump()) + settings.model_dump_json()
    assert not any(key in shown for key in (WRITE_KEY, EXTRA_KEY, READ_KEY))
    assert settings.write_key_digests == {key_digest(WRITE_KEY), key_digest(EXTRA_KEY)}
    assert settings.read_key == key_digest(READ_KEY) and settings.read_key.startswith("sha256:")


def test_a_key_may_be_configured_as_its_digest(service: ForecastService) -> None:
    with client_for(service, api_key=key_digest(WRITE_KEY)) as client:
        assert client.post("/v1/observations", json=known_figure(), headers={"Authorization": f"Bearer {WRITE_KEY}"}).status_code == 202


def test_a_check_compares_the_presented_key_with_every_digest_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = keys_module.hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys_module.hmac, "compare_digest", recording)
    ring = KeyRing([key_digest(WRITE_KEY), key_digest(EXTRA_KEY)], key_digest(READ_KEY))
    assert ring.may_write(f"Bearer {WRITE_KEY}")
    assert len(compared) == 2  # the second digest is compared although the first matched
    assert all(presented == key_digest(WRITE_KEY).encode() for presented, _ in compared)  # the digest, never the key


# the Bearer scheme -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_name_is_case_insensitive(writable: TestClient, scheme: str) -> None:
    response = writable.post("/v1/observations", json=known_figure(), headers={"Authorization": f"{scheme} {WRITE_KEY}"})
    assert response.status_code == 202, response.text


def test_every_configured_write_key_may_write(writable: TestClient) -> None:
    response = writable.post("/v1/observations", json=known_figure(), headers={"Authorization": f"Bearer {EXTRA_KEY}"})
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        WRITE_KEY,
        f"Basic {WRITE_KEY}",
        f"Token {WRITE_KEY}",
        "Bearer",
        "Bearer ",
        "Bearer wrong-key-0123456789abc",
        f"Bearer {WRITE_KEY[:-1]}",
        f"Bearer {WRITE_KEY}x",
        f"Bearer {READ_KEY}",
    ],
    ids=["missing", "bare-key", "basic", "token", "scheme-only", "scheme-and-space", "wrong", "truncated", "extended", "read-key"],
)
def test_a_missing_or_wrong_key_is_a_401_that_says_nothing_of_what_was_wrong(locked: TestClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = locked.post("/v1/observations", json=known_figure(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    missing = locked.post("/v1/observations", json=known_figure())
    assert response.json() == missing.json()  # the same answer for a missing key as for any wrong one
    assert response.json()["error"] == "Unauthorized"


def test_bearer_token_takes_the_token_after_the_scheme() -> None:
    assert bearer_token(b"bearer  abc ") == b"abc"
    assert bearer_token("Bearer abc") == b"abc"
    assert bearer_token(b"abc") is None and bearer_token(None) is None and bearer_token(b"Bearer") is None


# the read key ----------------------------------------------------------------------------------------


def test_with_a_read_key_every_data_route_needs_a_key_and_health_and_readiness_stay_open(locked: TestClient) -> None:
    accepted = locked.post("/v1/observations", json=known_figure(), headers={"Authorization": f"Bearer {WRITE_KEY}"})
    routes = data_routes(locked, accepted.json()["job_id"])
    assert {"/metrics", f"/v1/jobs/{accepted.json()['job_id']}", "/v1/series", "/v1/targets"} <= set(routes)
    for path in routes:
        for key in (READ_KEY, WRITE_KEY, EXTRA_KEY):
            allowed = locked.get(path, headers={"Authorization": f"Bearer {key}"})
            assert allowed.status_code in (200, 404), (path, allowed.status_code)
        for headers in ({}, {"Authorization": "Bearer wrong-key-0123456789abc"}, {"Authorization": READ_KEY}):
            refused = locked.get(path, headers=headers)  # the second GET of a URL comes from the hot path's stored bytes
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer", path
    for path in OPEN_PATHS:
        assert locked.get(path).status_code == 200, path


def test_the_read_key_may_not_write(locked: TestClient) -> None:
    assert locked.post("/v1/observations", json=known_figure(), headers={"Authorization": f"Bearer {READ_KEY}"}).status_code == 401


def test_without_a_read_key_reads_are_open(writable: TestClient) -> None:
    for path in ("/v1/series", "/v1/series/lender_exports/forecast", "/metrics"):
        assert writable.get(path).status_code == 200, path


# CORS --------------------------------------------------------------------------------------------------


def test_no_origin_is_allowed_by_default(writable: TestClient) -> None:
    response = writable.get("/v1/series", headers={"Origin": "https://dash.example"})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


def test_the_origins_allowed_get_cors_headers_and_others_do_not(service: ForecastService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORECAST_CORS_ORIGINS", "https://dash.example, https://other.example")
    settings = Settings(_env_file=None, api_key=WRITE_KEY, read_key=READ_KEY)
    assert settings.cors_origins == ["https://dash.example", "https://other.example"]
    with TestClient(create_app(settings, service, fit_on_start=False)) as client:
        auth = {"Authorization": f"Bearer {READ_KEY}"}
        for _ in range(2):  # the first answer is built by FastAPI, the second by the hot path
            allowed = client.get("/v1/series", headers={**auth, "Origin": "https://dash.example"})
            assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://dash.example"
            assert "ETag" in allowed.headers["access-control-expose-headers"]
        other = client.get("/v1/series", headers={**auth, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/v1/observations",
            headers={
                "Origin": "https://dash.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "https://dash.example"
        refused = client.options("/v1/series", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        assert refused.status_code == 400


# logs ------------------------------------------------------------------------------------------------------


def test_no_key_and_no_figure_reach_the_logs(locked: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    marker = "https://example.test/a-figure-that-must-not-be-logged"
    batch = {"observations": [made_up_row("maker_a_exports", 2024, marker, published="2025-01-21")]}
    batch["observations"][0]["value"] = "123456789"
    with caplog.at_level(logging.DEBUG):
        locked.post("/v1/observations", json=batch, headers={"Authorization": f"Bearer {WRITE_KEY}"})
        locked.post("/v1/observations", json=batch, headers={"Authorization": "Bearer wrong-key-0123456789abc"})
        locked.get("/v1/series", headers={"Authorization": f"Bearer {READ_KEY}"})
        bad = dict(batch["observations"][0], value="not a number")
        locked.post("/v1/observations", json={"observations": [bad]}, headers={"Authorization": f"Bearer {WRITE_KEY}"})
    logged = caplog.text
    assert not any(secret in logged for secret in (WRITE_KEY, READ_KEY, "wrong-key-0123456789abc", marker, "123456789"))

"""Property-based testing of the HTTP API from its own OpenAPI document (schemathesis).

Every operation of /openapi.json is called with requests generated from its schema, valid and invalid, and each
response is checked by schemathesis' default checks: no 5xx, a status and content type the document declares,
a body that conforms to the declared response schema, a request the schema forbids is refused and one it
allows is not. The run is bounded and repeatable: a fixed seed, MAX_EXAMPLES per operation, no example database.

The schema is read at import from an app around an empty service (the document does not depend on the data);
the cases are sent to an app serving a copy of the session's fitted service (conftest.fitted_service, loaded
from its stored models in a second): nothing is refitted per case. Every failure this run found is a regular
test in tests/test_bad_inputs.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, seed, settings
from schemathesis.config import SchemathesisConfig

from forecast.api.app import create_app
from forecast.config import Settings, key_digest
from forecast.services import ForecastService
from forecast.store import Store
from tests.fitted import copy_fitted, started_on_stored

KEY = "test-key-0123456789"  # the write key of conftest.settings_in
AUTH = {"Authorization": f"Bearer {KEY}"}
SEED = 20231101
MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def served(fitted_service: ForecastService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForecastService]:
    """A private copy of the fitted service (its database and models), started from the stored models, with a
    read key: the document declares the bearer scheme on the data routes, so a request without it must be a 401."""
    copy = copy_fitted(fitted_service.settings, tmp_path_factory.mktemp("fuzz"), read_key=key_digest(KEY))
    service = started_on_stored(copy)
    yield service
    service.store.close()


@pytest.fixture(scope="module")
def app(served: ForecastService) -> FastAPI:
    return create_app(served.settings, served, fit_on_start=False)


def empty_app() -> FastAPI:
    """An app around a service with an empty in-memory store: enough to serve /openapi.json."""
    empty = Settings(api_key=KEY, _env_file=None)  # type: ignore[call-arg]
    return create_app(empty, ForecastService(empty, Store(":memory:")), fit_on_start=False)


# A schema-valid batch or retirement may still be refused with a 422 naming the field: whether a figure is
# usable depends on the stored series and on plausibility across fields (period, publication date, growth
# base), which JSON Schema cannot say. Every other check, and every other operation, runs as by default.
WRITES_MAY_REFUSE = {
    "operations": [
        {
            "include-method": "POST",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "422"]}},
        }
    ]
}
schema = schemathesis.openapi.from_asgi("/openapi.json", empty_app(), config=SchemathesisConfig.from_dict(WRITES_MAY_REFUSE))


@schema.parametrize()
@seed(SEED)
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(app: FastAPI, case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH, app=app)

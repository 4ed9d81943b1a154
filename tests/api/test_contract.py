"""schemathesis against the app: every route of the OpenAPI document, every check, on
a mission home made as `conftest.api_home` is (the example agreement, a radar, the importer),
bounded (10 examples an operation, with the coverage phase) so it runs in about a
minute and a half on the shared 2-core machine.

Generated requests carry no valid signature, so a signed write answers 401 (documented,
with `WWW-Authenticate: Signature`) and a self-authenticating one (a DSSE envelope: votes,
disputes, resumes) answers 422: its payload is base64 of JSON a signatory signed, which no
generator can produce, so `positive_data_acceptance` is not asked of those routes.
/metrics takes two times whose order (to after from, at most 3660 periods) no JSON Schema
can state, so neither is it asked there. Every other check runs on every route."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ingest.hostile import make_home
from truceline.api import create_app
from truceline.clock import FixedClock
from truceline.home import Home
from truceline.ratelimit import WriteLimit


@schemathesis.serializer("application/x-ndjson", "text/csv", "application/xml")
def _text(ctx: Any, value: Any) -> bytes:
    """A generated text body as the client would send it (UTF-8; other values as JSON)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8", "surrogatepass")


schemathesis.serializer.alias("application/geo+json", "application/json")
TEXT_BODIES = ("application/x-ndjson", "text/csv", "application/xml", "text/plain")


# The schema is read when the module is collected (schemathesis' fixture loader does not
# run on this pytest); the app opens its home on the first request, which `home` makes.
ROOT = Path(tempfile.mkdtemp(prefix="truceline-contract-"))
CLOCK = FixedClock(datetime.now(UTC))  # the importer's signatures are dated by the wall
# No write limit in reach: every generated request is judged on its contents (429 is
# documented on every write all the same; tests/api/test_rate_limits.py checks it).
UNLIMITED = WriteLimit(rate=1e6, burst=10**6)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Home(ROOT / "home"), CLOCK, UNLIMITED)
)


@pytest.fixture(scope="module", autouse=True)
def home() -> Iterator[None]:
    make_home(ROOT)
    yield
    shutil.rmtree(ROOT, ignore_errors=True)


# Routes whose valid-looking requests cannot be valid (see the module docstring).
UNGENERATABLE = (
    "/enforcement/",
    "/publication/subscribers/{subscription}/resume",
    "/metrics",
)


@schema.hook
def filter_case(context: Any, case: Any) -> bool:
    """A text body (JSON Lines, CSV, XML) is a string: a generated value of another type has
    no text form to send, so it is no request a client could make."""
    return case.media_type not in TEXT_BODIES or isinstance(case.body, str)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_contract(case: Any) -> None:
    unreachable = case.operation.method.upper() == "POST" or case.operation.path == "/metrics"
    excluded = (
        [positive_data_acceptance]
        if unreachable and case.operation.path.startswith(UNGENERATABLE)
        else []
    )
    case.call_and_validate(excluded_checks=excluded)

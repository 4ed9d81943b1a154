"""The OpenAPI document tells the truth a generated client needs: each POST's request
body and media types, each route's answer media type, and its error statuses as problem
documents (`truceline.httpdoc`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.api import create_app
from truceline.home import Home

PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def doc(api_home: tuple[Path, Ed25519PrivateKey]) -> dict[str, Any]:
    return create_app(Home(api_home[0])).openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in doc["paths"].items() for m, op in ops.items()]


def test_every_error_is_a_problem_document(doc: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert set(doc["components"]["schemas"]["Problem"]["required"]) == {
        "type",
        "title",
        "status",
        "detail",
    }
    for method, path, op in operations(doc):
        for status, answer in op["responses"].items():
            if int(status) >= 400:
                assert answer["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                    method,
                    path,
                    status,
                )
        if op.get("parameters"):
            assert "422" in op["responses"], (method, path)


def test_every_post_declares_its_body_and_its_write_errors(doc: dict[str, Any]) -> None:
    posts = [(p, op) for m, p, op in operations(doc) if m == "POST"]
    assert len(posts) == 9
    for path, op in posts:
        assert op["requestBody"]["required"] and op["requestBody"]["content"], path
        assert {"400", "403", "413", "429"} <= set(op["responses"]), path
        assert "Retry-After" in op["responses"]["429"]["headers"]
    media = doc["paths"]["/observations"]["post"]["requestBody"]["content"]
    assert set(media) == {"application/json", "application/x-ndjson"}
    signed = doc["paths"]["/ingest/{fmt}"]["post"]
    assert signed["security"] == [{"httpSignature": []}]
    assert {"text/csv", "application/geo+json", "application/xml", "application/x-ndjson"} <= set(
        signed["requestBody"]["content"]
    )
    assert "401" in signed["responses"]


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/incidents.geojson", "application/geo+json"),
        ("/publication/incidents.geojson", "application/geo+json"),
        ("/publication/incidents/{incident}/cap", "application/xml"),
        ("/publication/incidents/{incident}/cot", "application/xml"),
        ("/log/checkpoint", "text/plain"),
        ("/log/tile/{path}", "application/octet-stream"),
    ],
)
def test_answers_in_their_own_media_type(doc: dict[str, Any], path: str, media: str) -> None:
    assert list(doc["paths"][path]["get"]["responses"]["200"]["content"]) == [media]


def test_time_parameters_are_rfc3339_in_the_document(doc: dict[str, Any]) -> None:
    [now] = doc["paths"]["/enforcement/penalties"]["get"]["parameters"]
    [text, _] = now["schema"]["anyOf"]
    assert text["format"] == "date-time" and text["pattern"].startswith("^[2-9]")

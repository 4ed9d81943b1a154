"""What the OpenAPI document says of each route, beyond what FastAPI infers.

Routes that read their body raw (bounded, `httpbody`) declare it with `body(...)` in
`openapi_extra`; routes that answer something other than JSON declare it with
`answers(...)` and a response class of that media type; every route lists the error
statuses it can answer with `errors(...)`, each an RFC 9457 problem document
(`problem.PROBLEM_SCHEMA`, `#/components/schemas/Problem`). `complete(app)` adds the
shared components: the problem schema and the RFC 9421 signature scheme.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response

from truceline.problem import MEDIA_TYPE, PROBLEM_SCHEMA

GEOJSON = "application/geo+json"
XML = "application/xml"
NDJSON = "application/x-ndjson"
CSV = "text/csv"
TEXT = "text/plain"
SIGNATURE = "httpSignature"

_WHY = {
    400: "the request or its body cannot be read (the problem names the field)",
    401: "no valid RFC 9421 signature by a registered key (WWW-Authenticate: Signature)",
    403: "signed by a key whose principal may not do this, or a cross-site write",
    404: "no such resource",
    409: "conflicts with what the log already holds",
    413: "the body is larger than the route accepts",
    415: "the body's media type is not one the route reads",
    422: "a value breaks a rule (the problem names the field)",
    429: "this principal's write rate is exceeded; retry after Retry-After seconds",
    503: "the mission home is not ready (its log or store cannot be opened)",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds until the principal's bucket holds a token again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_CHALLENGE = {"WWW-Authenticate": {"description": "`Signature`", "schema": {"type": "string"}}}

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "a DSSE envelope: payload is base64 of the JSON record its signers signed",
    "required": ["payloadType", "payload", "signatures"],
    "properties": {
        "payloadType": {"type": "string"},
        "payload": {"type": "string", "format": "byte"},
        "signatures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["keyid", "sig"],
                "properties": {"keyid": {"type": "string"}, "sig": {"type": "string"}},
            },
        },
    },
}


class GeoJSONResponse(Response):
    media_type = GEOJSON


class XMLResponse(Response):
    media_type = XML


class TextResponse(Response):
    media_type = TEXT


class BinaryResponse(Response):
    media_type = "application/octet-stream"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` entries of these error statuses, each a problem document."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": _WHY[status],
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status == 429:
            entry["headers"] = _RETRY_AFTER
        if status == 401:
            entry["headers"] = _CHALLENGE
        out[status] = entry
    return out


def answers(
    media_type: str, schema: dict[str, Any] | None = None, status: int = 200
) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry of a success answered as `media_type`."""
    return {
        status: {
            "description": "OK",
            "content": {media_type: {"schema": schema or {"type": "string"}}},
        }
    }


def body(
    content: dict[str, dict[str, Any]], description: str, signed: bool = False
) -> dict[str, Any]:
    """`openapi_extra` of a route that reads its body raw: media type -> JSON Schema.
    `signed`: the request carries an RFC 9421 signature (`httpsig`)."""
    extra: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {media: {"schema": schema} for media, schema in content.items()},
        }
    }
    if signed:
        extra["security"] = [{SIGNATURE: []}]
    return extra


def _problem_422(doc: dict[str, Any]) -> None:
    """FastAPI documents its 422 in its own shape; the app answers a problem document."""
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses and "application/json" in responses["422"].get("content", {}):
                responses["422"] = errors(422)[422]
    schemas = doc.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def complete(app: FastAPI) -> None:
    """Make `app.openapi()` carry the shared components."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = plain()
            _problem_422(doc)
            components = doc.setdefault("components", {})
            components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            components.setdefault("securitySchemes", {})[SIGNATURE] = {
                "type": "apiKey",
                "in": "header",
                "name": "Signature",
                "description": "RFC 9421 HTTP Message Signature (Ed25519) covering @method, "
                "@target-uri and Content-Digest, with Signature-Input (created, nonce, "
                "keyid of a key registered on the log, tag=truceline)",
            }
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

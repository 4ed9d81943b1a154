"""Every error the HTTP API answers is an RFC 9457 problem document.

`install(app)` maps the three ways a request can fail onto one shape,
`application/problem+json`:

    {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
     "detail": "now: expected an RFC 3339 date-time string ...",
     "errors": [{"field": "now", "reason": "expected an RFC 3339 ..."}]}

* FastAPI's `RequestValidationError` (a query, path or header value of the wrong form):
  422, one `errors` item per value at fault, named as the client wrote it (`now`, `offset`);
* `HTTPException` raised by a route, and Starlette's own (no such route: 404, wrong
  method: 405): the status and `detail` it carries;
* `TrucelineError` (bad input the library refused): 422 with its `code`.

Truceline's messages name the field first, `"field: reason"` (`body: ...`,
`x-filename: ...`, `payload.at: ...`); that text stays the `detail` clients and tests
already read, and its field and reason are the `errors` item. A `TrucelineError` whose
`field` is set names it there instead.

Anything else is a bug: a 500 problem document that says so without a traceback.
`PROBLEM_SCHEMA` is the same shape as OpenAPI declares it for every error status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from truceline.errors import TrucelineError

MEDIA_TYPE = "application/problem+json"
# the reason phrases RFC 9110 gives where Python 3.11's `http` still has the older ones
_RFC9110_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}
_log = logging.getLogger(__name__)

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "the fields at fault, each with why",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}


# `field: reason`: a field is one token (a name, a dotted JSON path, a header name)
_FIELD_FIRST = re.compile(r"([A-Za-z_@][\w.\-\[\]@]*): (.+)", re.DOTALL)


def field_errors(detail: str) -> list[dict[str, str]] | None:
    """The field a `"field: reason"` message names, as an `errors` list (None: no field)."""
    match = _FIELD_FIRST.fullmatch(detail)
    return [{"field": match[1], "reason": match[2]}] if match else None


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """The response for `status` with `detail` (and the fields at fault, if known)."""
    try:
        title = _RFC9110_TITLES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("query", "now")` -> `now`; `("body", "a", 0)` -> `body.a[0]`."""
    parts = list(loc)
    if parts and parts[0] in ("query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "request"


def _reason(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", "invalid"))
    # pydantic prefixes the message of a ValueError raised by a validator
    return msg.removeprefix("Value error, ")


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _location(e["loc"]), "reason": _reason(e)} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "invalid request"
    return problem(422, detail, errors=errors)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem(exc.status_code, detail, errors=field_errors(detail), headers=exc.headers)


async def _truceline(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TrucelineError)
    errors: list[dict[str, str]] | None
    if exc.field:
        detail = f"{exc.field}: {exc.message}"
        errors = [{"field": exc.field, "reason": exc.message}]
    else:
        detail = exc.message
        errors = field_errors(detail)
    return problem(422, detail, errors=errors, code=exc.code)


async def _bug(request: Request, exc: Exception) -> JSONResponse:
    _log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, f"internal error ({type(exc).__name__}); the server log has the trace")


def install(app: FastAPI) -> None:
    """Route every error of `app` through the problem document."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(TrucelineError, _truceline)
    app.add_exception_handler(Exception, _bug)

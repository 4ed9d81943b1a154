"""HTTP: GET /corridors?at=&window=&format= (the forecast for the agreement's corridors, as
`truceline corridors`), GET /corridors/published (the insurer's export of every published
forecast), GET /corridors/verify (each published forecast recomputed from the log), GET
/corridors/track-record (each published window that has closed, its outcome, the scores)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from truceline.errors import TrucelineError
from truceline.home import Home
from truceline.httpdoc import CSV, errors
from truceline.rfc3339 import UtcTime

FORMAT = Query("json", pattern="^(json|csv)$")
# 1 minute to 31 days (`parse_window`), in the units the CLI takes
WINDOW = (
    r"^([1-9][0-9]{0,3}m|([1-9][0-9]?|[1-6][0-9]{2}|7[0-3][0-9]|74[0-4])h"
    r"|([1-9]|[12][0-9]|3[01])d)$"
)
# json or csv, as `format` asks
_EITHER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "OK",
        "content": {"application/json": {"schema": {"type": "object"}}, CSV: {"schema": {}}},
    }
}


def _media(fmt: str) -> str:
    return "text/csv" if fmt == "csv" else "application/json"


def router(home: Home) -> APIRouter:
    api = APIRouter(tags=["corridors"])

    @api.get("/corridors", responses={**_EITHER, **errors(422, 503)})
    def get_forecast(
        at: Annotated[UtcTime, Query(description="forecast time, RFC 3339 with an offset")],
        window: str = Query("24h", pattern=WINDOW, description="how far ahead: 24h, 90m, 7d"),
        format: str = FORMAT,  # noqa: A002
    ) -> Response:
        from truceline.corridors.service import forecast_doc, parse_window, render

        try:
            doc = forecast_doc(home, at, parse_window(window))
        except TrucelineError as exc:
            raise HTTPException(422, str(exc)) from exc
        except (RuntimeError, ValueError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        return Response(render(doc, format), media_type=_media(format))

    @api.get("/corridors/published", responses={**_EITHER, **errors(422)})
    def get_published(format: str = FORMAT) -> Response:  # noqa: A002
        from truceline.corridors.publish import describe, published
        from truceline.corridors.service import render_published

        body = render_published([describe(p) for p in published(home)], format)
        return Response(body, media_type=_media(format))

    @api.get("/corridors/verify", responses=errors(503))
    def get_verify() -> Response:
        from truceline.corridors.publish import published, recompute

        results = [recompute(home, p, None) for p in published(home)]
        return Response(json.dumps({"verified": results}), media_type="application/json")

    @api.get("/corridors/track-record", responses={**_EITHER, **errors(422, 503)})
    def get_track_record(format: str = FORMAT) -> Response:  # noqa: A002
        from truceline.corridors.track import render, track_record

        try:
            doc = track_record(home, None)
        except TrucelineError as exc:
            raise HTTPException(422, str(exc)) from exc
        except (RuntimeError, ValueError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        return Response(render(doc, format), media_type=_media(format))

    return api

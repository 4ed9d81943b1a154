"""HTTP: GET /corridors?at=&window=&format= (the forecast for the agreement's corridors, as
`truceline corridors`), GET /corridors/published (the insurer's export of every published
forecast), GET /corridors/verify (each published forecast recomputed from the log)."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Query, Response

from truceline.errors import TrucelineError
from truceline.home import Home

FORMAT = Query("json", pattern="^(json|csv)$")


def _media(fmt: str) -> str:
    return "text/csv" if fmt == "csv" else "application/json"


def router(home: Home) -> APIRouter:
    api = APIRouter(tags=["corridors"])

    @api.get("/corridors")
    def get_forecast(
        at: str = Query(..., description="forecast time: a date or an RFC 3339 time"),
        window: str = Query("24h", description="how far ahead: 24h, 90m, 7d"),
        format: str = FORMAT,  # noqa: A002
    ) -> Response:
        from truceline.corridors.service import forecast_doc, parse_window, render
        from truceline.metrics.periods import parse_bound

        try:
            doc = forecast_doc(home, parse_bound("at", at), parse_window(window))
        except TrucelineError as exc:
            raise HTTPException(422, str(exc)) from exc
        except (RuntimeError, ValueError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        return Response(render(doc, format), media_type=_media(format))

    @api.get("/corridors/published")
    def get_published(format: str = FORMAT) -> Response:  # noqa: A002
        from truceline.corridors.publish import describe, published
        from truceline.corridors.service import render_published

        body = render_published([describe(p) for p in published(home)], format)
        return Response(body, media_type=_media(format))

    @api.get("/corridors/verify")
    def get_verify() -> Response:
        from truceline.corridors.publish import published, recompute

        results = [recompute(home, p, None) for p in published(home)]
        return Response(json.dumps({"verified": results}), media_type="application/json")

    return api

"""HTTP: GET /metrics?from=&to=&by= (the same JSON as `truceline metrics`)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Response

from truceline.home import Home
from truceline.metrics.periods import By, PeriodError


def router(home: Home) -> APIRouter:
    api = APIRouter(tags=["metrics"])

    @api.get("/metrics")
    def get_metrics(
        start: str = Query(..., alias="from", description="first day or RFC 3339 time"),
        end: str = Query(..., alias="to", description="end, exclusive"),
        by: By = Query(By.day),
        format: str = Query("json", pattern="^(json|csv)$"),  # noqa: A002
    ) -> Response:
        from truceline.metrics.service import metrics_bytes

        try:
            body = metrics_bytes(home, start, end, by, format)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from exc
        except (RuntimeError, ValueError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        media = "text/csv" if format == "csv" else "application/json"
        return Response(body, media_type=media)

    return api

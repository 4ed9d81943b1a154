"""HTTP: GET /metrics?from=&to=&by= (the same JSON as `truceline metrics`)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Response

from truceline.home import Home
from truceline.httpdoc import CSV, errors
from truceline.metrics.periods import By, PeriodError

# a day (2026-05-01) or an RFC 3339 time; the periods module reads both
DAY_OR_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"
)


def router(home: Home) -> APIRouter:
    api = APIRouter(tags=["metrics"])

    @api.get(
        "/metrics",
        responses={
            200: {
                "description": "the metrics of each period, as JSON or CSV (`format`)",
                "content": {
                    "application/json": {"schema": {}},
                    CSV: {"schema": {"type": "string"}},
                },
            },
            **errors(503),
        },
    )
    def get_metrics(
        start: str = Query(
            ..., alias="from", description="first day or RFC 3339 time", pattern=DAY_OR_TIME
        ),
        end: str = Query(
            ..., alias="to", description="end, exclusive, after from", pattern=DAY_OR_TIME
        ),
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

"""HTTP: incidents as GeoJSON, and one incident as a CAP 1.2 alert or a CoT event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, HTTPException, Response

from truceline.adjudication.verdict import IncidentTransition
from truceline.agreement.model import Agreement
from truceline.clock import Clock, SystemClock
from truceline.home import Home
from truceline.publication import cap, cot


def router(home: Home, clock: Clock | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(prefix="/publication", tags=["publication"])

    @contextmanager
    def transitions() -> Iterator[tuple[list[IncidentTransition], Agreement]]:
        from truceline.enforcement.appender import open_appender

        now = clock.now()
        try:
            ledger = home.reader()
        except RuntimeError as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        try:
            app = open_appender(home, ledger, now, write=False)
            state = app.state(now, plan_routes=False)
            yield [t for h in state.incidents.values() for _, t in h.transitions], app.agreement
        finally:
            ledger.close()

    def history(incident: str) -> tuple[list[IncidentTransition], Agreement]:
        with transitions() as (ts, agreement):
            mine = [t for t in ts if t.incident == incident]
        if not mine:
            raise HTTPException(404, f"incident {incident!r}: not on the log")
        return mine, agreement

    @api.get("/incidents.geojson")
    def geojson() -> Response:
        from truceline.adjudication.export import latest, to_geojson

        with transitions() as (ts, _):
            body = to_geojson(latest(ts))
        return Response(body, media_type="application/geo+json")

    @api.get("/incidents/{incident}/cap")
    def cap_alert(incident: str) -> Response:
        mine, agreement = history(incident)
        sender = f"{agreement.id}@truceline"
        refs = [cap.Reference(sender, cap.alert_id(agreement.id, t), t.at) for t in mine[:-1]]
        body = cap.incident_alert(mine[-1], agreement, sender, refs)
        return Response(body, media_type="application/xml")

    @api.get("/incidents/{incident}/cot")
    def cot_event(incident: str) -> Response:
        mine, _ = history(incident)
        return Response(cot.incident_event(mine[-1]), media_type="application/xml")

    return api

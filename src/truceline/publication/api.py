"""HTTP: incidents as GeoJSON, and one incident as a CAP 1.2 alert or a CoT event."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from truceline.clock import Clock, SystemClock
from truceline.home import Home
from truceline.publication import cot
from truceline.publication.logged import LoggedIncidents, logged_incidents


def router(home: Home, clock: Clock | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(prefix="/publication", tags=["publication"])

    def logged() -> LoggedIncidents:
        try:
            return logged_incidents(home)
        except (RuntimeError, ValueError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc

    def known(incidents: LoggedIncidents, incident: str) -> None:
        if incident not in incidents.histories:
            raise HTTPException(404, f"incident {incident!r}: not on the log")

    @api.get("/incidents.geojson")
    def geojson() -> Response:
        from truceline.adjudication.export import to_geojson

        incidents = logged()
        body = to_geojson([h[-1][1] for h in incidents.histories.values()])
        return Response(body, media_type="application/geo+json")

    @api.get("/incidents/{incident}/cap")
    def cap_alert(incident: str) -> Response:
        """The incident's latest CAP alert: an Update (or a Cancel, once dismissed)
        referencing the alert it replaces."""
        incidents = logged()
        known(incidents, incident)
        return Response(incidents.latest_alert(incident), media_type="application/xml")

    @api.get("/incidents/{incident}/cot")
    def cot_event(incident: str) -> Response:
        incidents = logged()
        known(incidents, incident)
        body = cot.frame(incidents.event(incident, clock.now()))
        return Response(body, media_type="application/xml")

    return api

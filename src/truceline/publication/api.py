"""HTTP: incidents as GeoJSON, and one incident as a CAP 1.2 alert or a CoT event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from fastapi import APIRouter, HTTPException, Response

from truceline.clock import Clock, SystemClock
from truceline.home import Home
from truceline.publication import cot
from truceline.publication.logged import LoggedIncidents, logged_incidents


def router(home: Home, clock: Clock | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(prefix="/publication", tags=["publication"])

    @contextmanager
    def logged(incident: str | None = None) -> Iterator[LoggedIncidents]:
        with ExitStack() as stack:
            try:
                incidents = stack.enter_context(logged_incidents(home))
            except (RuntimeError, ValueError) as exc:
                raise HTTPException(503, f"ledger unavailable: {exc}") from exc
            if incident is not None and incident not in incidents.histories:
                raise HTTPException(404, f"incident {incident!r}: not on the log")
            yield incidents

    @api.get("/incidents.geojson")
    def geojson() -> Response:
        from truceline.adjudication.export import to_geojson

        with logged() as incidents:
            body = to_geojson([h[-1][1] for h in incidents.histories.values()])
        return Response(body, media_type="application/geo+json")

    @api.get("/incidents/{incident}/cap")
    def cap_alert(incident: str) -> Response:
        """The incident's latest CAP alert: an Update (or a Cancel, once dismissed)
        referencing the alert it replaces."""
        with logged(incident) as incidents:
            body = incidents.latest_alert(incident)
        return Response(body, media_type="application/xml")

    @api.get("/incidents/{incident}/cot")
    def cot_event(incident: str) -> Response:
        with logged(incident) as incidents:
            body = cot.frame(incidents.event(incident, clock.now()))
        return Response(body, media_type="application/xml")

    return api

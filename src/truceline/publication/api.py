"""HTTP: incidents as GeoJSON, one incident as a CAP 1.2 alert or a CoT event, and the
webhook subscribers' health (GET) and an operator's signed resume of one (POST)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import Engine

from truceline.clock import Clock, SystemClock
from truceline.home import Home
from truceline.httpbody import ENTRY_BODY_BYTES, read_body
from truceline.httpdoc import (
    ENVELOPE_SCHEMA,
    GEOJSON,
    XML,
    GeoJSONResponse,
    XMLResponse,
    answers,
    body,
    errors,
)
from truceline.publication import cot
from truceline.publication.logged import LoggedIncidents, logged_incidents
from truceline.ratelimit import WriteLimiter, address


def router(home: Home, clock: Clock | None = None, limits: WriteLimiter | None = None) -> APIRouter:
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

    @api.get(
        "/incidents.geojson",
        response_class=GeoJSONResponse,
        responses={**answers(GEOJSON, {"type": "object"}), **errors(503)},
    )
    def geojson() -> Response:
        from truceline.adjudication.export import to_geojson

        with logged() as incidents:
            body = to_geojson([h[-1][1] for h in incidents.histories.values()])
        return Response(body, media_type="application/geo+json")

    @api.get(
        "/incidents/{incident}/cap",
        response_class=XMLResponse,
        responses={**answers(XML), **errors(404, 503)},
    )
    def cap_alert(incident: str) -> Response:
        """The incident's latest CAP alert: an Update (or a Cancel, once dismissed)
        referencing the alert it replaces."""
        with logged(incident) as incidents:
            body = incidents.latest_alert(incident)
        return Response(body, media_type="application/xml")

    @api.get(
        "/incidents/{incident}/cot",
        response_class=XMLResponse,
        responses={**answers(XML), **errors(404, 503)},
    )
    def cot_event(incident: str) -> Response:
        with logged(incident) as incidents:
            body = cot.frame(incidents.event(incident, clock.now()))
        return Response(body, media_type="application/xml")

    engines: list[Engine] = []

    def store() -> Engine:
        from truceline.store.base import open_store

        if not engines:
            engines.append(open_store(home.store_url))
        return engines[0]

    @api.get("/subscribers", responses=errors(503))
    def subscribers() -> dict[str, Any]:
        """Each webhook subscriber's health, backlog and oldest undelivered message."""
        from truceline.publication.status import subscriber_status

        now = clock.now()
        try:
            log = home.reader()
        except RuntimeError as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        try:
            size = log.size
        finally:
            log.close()
        return {"now": now.isoformat(), "subscribers": subscriber_status(store(), now, size)}

    @api.post(
        "/subscribers/{subscription}/resume",
        responses=errors(400, 403, 404, 413, 422, 429, 503),
        openapi_extra=body(
            {"application/json": ENVELOPE_SCHEMA},
            "a resume record signed by a mission key (DSSE envelope)",
        ),
    )
    async def resume(subscription: str, request: Request) -> dict[str, Any]:
        """Body: a resume record signed by a mission key (DSSE envelope, see
        `publication.resume`); the subscriber's queued messages are due at once."""
        from truceline.publication.outbox import Outbox
        from truceline.publication.resume import Refused, accept_resume, operator_keys
        from truceline.publication.status import subscriber_status

        if limits is not None:
            limits.charge(address(request))
        body = await read_body(request, ENTRY_BODY_BYTES)
        now = clock.now()
        try:
            accept_resume(Outbox(store()), body, operator_keys(home), now, subscription)
        except Refused as exc:
            raise HTTPException(422, str(exc)) from exc
        except KeyError as exc:
            raise HTTPException(404, str(exc.args[0])) from exc
        [row] = [s for s in subscriber_status(store(), now) if s["id"] == subscription]
        return row

    return api

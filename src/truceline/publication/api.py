"""HTTP: incidents as GeoJSON, one incident as a CAP 1.2 alert or a CoT event, and the
webhook subscribers' health (GET) and an operator's signed resume of one (POST)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import Engine

from truceline.adjudication.verdict import IncidentTransition
from truceline.agreement.model import Agreement
from truceline.clock import Clock, SystemClock
from truceline.mission.home import Home
from truceline.publication import cap, cot


def router(home: Home, clock: Clock | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(prefix="/publication", tags=["publication"])

    @contextmanager
    def transitions() -> Iterator[tuple[list[IncidentTransition], Agreement]]:
        from truceline.enforcement.home import appender
        from truceline.ingest.home import open_ledger

        now = clock.now()
        try:
            ledger = open_ledger(home)
        except (FileNotFoundError, RuntimeError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        try:
            app = appender(home, ledger, now)
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

    engines: list[Engine] = []

    def store() -> Engine:
        from truceline.store.base import open_store

        if not engines:
            engines.append(open_store(home.store_url))
        return engines[0]

    @api.get("/subscribers")
    def subscribers() -> dict[str, Any]:
        """Each webhook subscriber's health, backlog and oldest undelivered message."""
        from truceline.ledger.home import open_log
        from truceline.publication.status import subscriber_status

        now = clock.now()
        try:
            log = open_log(home, store(), witnesses=False)
        except (FileNotFoundError, RuntimeError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        try:
            size = log.size
        finally:
            log.close()
        return {"now": now.isoformat(), "subscribers": subscriber_status(store(), now, size)}

    @api.post("/subscribers/{subscription}/resume")
    async def resume(subscription: str, request: Request) -> dict[str, Any]:
        """Body: a resume record signed by a mission key (DSSE envelope, see
        `publication.resume`); the subscriber's queued messages are due at once."""
        from truceline.publication.outbox import Outbox
        from truceline.publication.resume import Refused, accept_resume, operator_keys
        from truceline.publication.status import subscriber_status

        body = await request.body()
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

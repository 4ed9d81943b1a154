"""HTTP: GET the penalty, inspection and playbook state; POST signed votes, inspection
requests and consultation extensions.

Every GET takes an optional `now` (RFC 3339); the state is derived from the log at
that event time. POST bodies are DSSE envelopes (the ledger entry bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from truceline.clock import Clock, SystemClock
from truceline.enforcement import views
from truceline.enforcement.appender import Appender
from truceline.enforcement.home import appender
from truceline.enforcement.submit import Refused, submit
from truceline.httpbody import ENTRY_BODY_BYTES, read_body
from truceline.mission.home import Home


def router(home: Home, clock: Clock | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(prefix="/enforcement", tags=["enforcement"])

    @contextmanager
    def opened(now: datetime) -> Iterator[Appender]:
        from truceline.ingest.home import open_ledger

        try:
            ledger = open_ledger(home)
        except (FileNotFoundError, RuntimeError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        try:
            yield appender(home, ledger, now)
        except FileNotFoundError as exc:
            raise HTTPException(503, str(exc)) from exc
        finally:
            ledger.close()

    def view(fn: Callable[[Any], Any], now: datetime | None) -> Any:
        at = now or clock.now()
        with opened(at) as app:
            return fn(app.state(at))

    @api.get("/penalties")
    def get_penalties(now: datetime | None = Query(None)) -> Any:
        return view(
            lambda s: {"now": s.now, "penalties": views.penalties(s), "ignored": views.ignored(s)},
            now,
        )

    @api.get("/inspections")
    def get_inspections(now: datetime | None = Query(None)) -> Any:
        return view(views.inspections, now)

    @api.get("/playbooks")
    def get_playbooks(now: datetime | None = Query(None)) -> Any:
        return view(lambda s: {"steps": views.playbooks(s)}, now)

    async def accept(request: Request) -> dict[str, Any]:
        body = await read_body(request, ENTRY_BODY_BYTES)
        at = clock.now()
        with opened(at) as app:
            try:
                out = submit(app, body, at)
            except Refused as exc:
                raise HTTPException(422, str(exc)) from exc
        return {
            "index": out.index,
            "counted": out.counted,
            "reason": out.reason,
            "appended": out.appended,
        }

    api.post("/votes", status_code=201)(accept)
    api.post("/inspection-requests", status_code=201)(accept)
    api.post("/extensions", status_code=201)(accept)
    return api

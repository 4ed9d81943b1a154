"""HTTP: GET the penalty, inspection and playbook state (one case with the ledger indices of
its transitions and votes: `/enforcement/penalties/{case}`); POST a signatory's signed acts:
votes, inspection requests, consultation extensions, disputes, acknowledgements of playbook
steps and notifications invoking a penalty rung.

Every GET takes an optional `now` (RFC 3339); the state is derived from the log at
that event time. POST bodies are DSSE envelopes (the ledger entry bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from truceline.adjudication.verdict import DISPUTE_TYPE
from truceline.clock import Clock, SystemClock
from truceline.enforcement import views
from truceline.enforcement.appender import Appender, open_appender
from truceline.enforcement.caselog import case_entries
from truceline.enforcement.records import (
    ACK_TYPE,
    EXTENSION_TYPE,
    INSPECTION_REQUEST_TYPE,
    NOTIFICATION_TYPE,
    VOTE_TYPE,
)
from truceline.enforcement.submit import Refused, submit
from truceline.home import Home, HomeError
from truceline.httpbody import ENTRY_BODY_BYTES, read_body
from truceline.httpdoc import ENVELOPE_SCHEMA, body, errors
from truceline.httpparams import TimeParam
from truceline.ratelimit import WriteLimiter, address


def router(home: Home, clock: Clock | None = None, limits: WriteLimiter | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(prefix="/enforcement", tags=["enforcement"])

    @contextmanager
    def opened(now: datetime, write: bool = False) -> Iterator[Appender]:
        try:
            ledger = home.ledger() if write else home.reader()
        except (HomeError, RuntimeError) as exc:
            raise HTTPException(503, f"ledger unavailable: {exc}") from exc
        try:
            yield open_appender(home, ledger, now, write=write)
        except (HomeError, ValueError) as exc:
            raise HTTPException(503, str(exc)) from exc
        finally:
            ledger.close()

    def view(fn: Callable[[Any], Any], now: datetime | None) -> Any:
        at = now or clock.now()
        with opened(at) as app:
            return fn(app.state(at))

    @api.get("/penalties", responses=errors(503))
    def get_penalties(now: TimeParam = None) -> Any:
        return view(
            lambda s: {"now": s.now, "penalties": views.penalties(s), "ignored": views.ignored(s)},
            now,
        )

    @api.get("/penalties/{case}", responses=errors(404, 503))
    def get_penalty(case: str, now: TimeParam = None) -> Any:
        at = now or clock.now()
        with opened(at) as app:
            state = app.state(at)
            view = next((p for p in views.penalties(state) if p["case"] == case), None)
            if view is None:
                raise HTTPException(404, f"case {case!r}: no such penalty case at {at.isoformat()}")
            transitions, votes = case_entries(app.ledger, case)
        ignored = {i.index: i.reason for i in state.ignored}
        for vote in votes:
            vote["ignored"] = ignored.get(vote["ledger_index"])
        return {"now": at, **view, "transitions": transitions, "vote_records": votes}

    @api.get("/inspections", responses=errors(503))
    def get_inspections(now: TimeParam = None) -> Any:
        return view(views.inspections, now)

    @api.get("/playbooks", responses=errors(503))
    def get_playbooks(now: TimeParam = None) -> Any:
        return view(lambda s: {"steps": views.playbooks(s)}, now)

    def acts(payload_type: str) -> Callable[[Request], Any]:
        async def accept(request: Request) -> dict[str, Any]:
            if limits is not None:
                limits.charge(address(request))
            body = await read_body(request, ENTRY_BODY_BYTES)
            at = clock.now()
            with opened(at, write=True) as app:
                try:
                    out = submit(app, body, at, expect=payload_type)
                except Refused as exc:
                    raise HTTPException(422, str(exc)) from exc
            return {
                "index": out.index,
                "counted": out.counted,
                "reason": out.reason,
                "appended": out.appended,
            }

        return accept

    # A signatory's acts: each body is the DSSE envelope it signed (it authenticates itself).
    for path, payload_type in (
        ("/votes", VOTE_TYPE),
        ("/inspection-requests", INSPECTION_REQUEST_TYPE),
        ("/extensions", EXTENSION_TYPE),
        ("/disputes", DISPUTE_TYPE),
        ("/acknowledgements", ACK_TYPE),
        ("/notifications", NOTIFICATION_TYPE),
    ):
        api.post(
            path,
            status_code=201,
            responses=errors(400, 403, 413, 422, 429, 503),
            openapi_extra=body(
                {"application/json": ENVELOPE_SCHEMA},
                f"the DSSE envelope ({payload_type}) a signatory signed: it authenticates "
                "itself, and is refused (422, naming the field) unless the agreement lets "
                "its signer do this",
            ),
        )(acts(payload_type))
    return api

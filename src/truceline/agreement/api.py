"""HTTP: the agreement as the log holds it (`router(home)`).

    GET /agreement[?at=T]     the version in force at event time T (default: the clock), else
                              the newest the log holds: its ledger index, sha256, who signed
                              it, and the agreement itself (geography included)

Read through `truceline.authority` from the log alone, so a mirror answers as the
operator's home does; the index lets a reader check the version against the log
(`/receipts/{index}`, `/entries/{index}`).
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, HTTPException

from truceline.agreement.load import agreement_json
from truceline.authority import Authority
from truceline.clock import Clock, SystemClock
from truceline.home import Home, HomeError
from truceline.httpdoc import errors
from truceline.httpparams import TimeParam


def router(home: Home, clock: Clock | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(tags=["agreement"])
    authority = Authority()  # folded incrementally: only new entries are read per request
    lock = threading.Lock()

    @api.get("/agreement", responses=errors(404, 503))
    def get_agreement(at: TimeParam = None) -> dict[str, Any]:
        with lock:
            try:
                ledger = home.reader()
            except HomeError as exc:
                raise HTTPException(503, str(exc)) from exc
            try:
                authority.catch_up(ledger)
            finally:
                ledger.close()
            history = authority.history
            when = at or clock.now()
            version = history.in_force(when) or history.latest() or history.first()
        if version is None:
            raise HTTPException(404, "agreement: the log holds no agreement version")
        return {
            "ledger_index": version.index,
            "sha256": version.sha256,
            "in_force": history.in_force(when) is version,
            "complete": version.complete,
            "signed_by": sorted(version.signed_by),
            "agreement": agreement_json(version.agreement),
        }

    return api

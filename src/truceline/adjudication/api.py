"""HTTP: the incidents in the log (`router(home)`), read from the logged transitions.

    GET /incidents                  latest transition per incident (filters: state, grade,
                                    accused, rule), in order of first evidence
    GET /incidents/{id}             every transition of one incident, in log order
    GET /incidents.geojson          the latest transitions as a FeatureCollection

The view folds the log incrementally (only entries appended since the last
request are read), and keeps only transitions an adjudicator the agreement names
signed (`truceline.authority`): the same on the operator's home and on a mirror.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import ValidationError

from truceline.adjudication.export import to_geojson
from truceline.adjudication.verdict import INCIDENT_TYPE, IncidentTransition
from truceline.authority import Authority
from truceline.codec.entries import Record, read
from truceline.home import Home, HomeError
from truceline.httpdoc import GEOJSON, GeoJSONResponse, answers, errors

_INCIDENT = (INCIDENT_TYPE,)


class IncidentIndex:
    def __init__(self, home: Home) -> None:
        self.home = home
        self.size = 0
        self.history: dict[str, list[tuple[int, IncidentTransition]]] = {}
        self.authority = Authority()
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            ledger = self.home.reader()
            try:
                for index, entry in ledger.scan(self.size):
                    self.authority.apply(index, entry)
                    self._apply(index, entry)
                self.size = ledger.size
            finally:
                ledger.close()

    def _apply(self, index: int, entry: bytes) -> None:
        got = read(index, entry, _INCIDENT)
        if not isinstance(got, Record):
            return
        try:
            rec = IncidentTransition.model_validate(got.payload)
        except ValidationError:
            return
        if isinstance(self.authority.check_mission(got), str):
            self.history.setdefault(rec.incident, []).append((index, rec))

    def latest(self) -> list[IncidentTransition]:
        out = [h[-1][1] for h in self.history.values()]
        return sorted(out, key=lambda r: min(r.evidence))


def router(home: Home) -> APIRouter:
    api = APIRouter(tags=["incidents"])
    index = IncidentIndex(home)

    def fresh() -> IncidentIndex:
        try:
            index.refresh()
        except HomeError as exc:
            raise HTTPException(503, str(exc)) from exc
        return index

    @api.get("/incidents", responses=errors(503))
    def list_incidents(
        state: str | None = None,
        grade: str | None = None,
        accused: str | None = None,
        rule: str | None = None,
    ) -> list[dict[str, Any]]:
        out = []
        for rec in fresh().latest():
            if state and rec.state.value != state:
                continue
            if grade and rec.grade.value != grade:
                continue
            if accused and rec.accused != accused:
                continue
            if rule and rule not in rec.rules:
                continue
            out.append(rec.model_dump(mode="json"))
        return out

    @api.get(
        "/incidents.geojson",
        response_class=GeoJSONResponse,
        responses={**answers(GEOJSON, {"type": "object"}), **errors(503)},
    )
    def incidents_geojson() -> Response:
        body = to_geojson(fresh().latest())
        return Response(body, media_type="application/geo+json")

    @api.get("/incidents/{incident}", responses=errors(404, 503))
    def one_incident(incident: str) -> dict[str, Any]:
        history = fresh().history.get(incident)
        if not history:
            raise HTTPException(404, f"incident {incident!r}: not in the log")
        return {
            "incident": incident,
            "transitions": [
                {"ledger_index": i, **json.loads(rec.model_dump_json())} for i, rec in history
            ],
        }

    return api

"""HTTP API of ingest: submit envelopes or source files, fetch receipts, review the quarantine.

    POST /observations          body: one envelope, a JSON array, or JSON Lines (each
                                envelope authenticates itself: its signer is registered)
    POST /ingest/{format}       body: a source file (firms, cot, geojson, observer, radar, ...),
                                signed (RFC 9421) by a registered importer: the gateway
                                signs its rows as that importer's evidence
    GET  /receipts/{index}      index, entry hash and c2sp.org/tlog-proof
    GET  /quarantine            ?reason=&sensor=&limit=&offset=
    GET  /quarantine/{id}       one item with its raw bytes (base64)
    GET  /sensors               the registry

The mission (ledger, store, ingestor) is opened on the first request, so the
app can be assembled for a home before it is initialised (e.g. for /openapi.json).
"""

from __future__ import annotations

import base64
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from truceline import httpsig
from truceline.adapters import ADAPTERS
from truceline.authority import Authority, Role
from truceline.clock import Clock
from truceline.home import Home
from truceline.httpbody import read_body, save_body
from truceline.httpdoc import CSV, ENVELOPE_SCHEMA, GEOJSON, NDJSON, XML, body, errors
from truceline.httpparams import Int64Path, Int64Query
from truceline.ingest.check import Checked, check_envelope
from truceline.ingest.formats import (
    MAX_SUBMISSION_BYTES,
    SubmissionError,
    split_envelopes,
    split_json,
)
from truceline.ingest.ingestor import receipt
from truceline.ingest.service import Mission
from truceline.ledger.reader import LogReader
from truceline.ratelimit import WriteLimiter, address
from truceline.ratelimit import keyid as principal_of

# x-filename: a name a file can have here. Header values are read as latin-1, one character
# per byte, so MAX_NAME characters are the 255 bytes Linux file systems take for a name; no
# directory separator, NUL, `.` or `..`.
MAX_NAME = 255
_NAME_CHAR = r"[^/\\\x00]"
FILE_NAME = rf"^([^/\\\x00.]{_NAME_CHAR}*|\.[^/\\\x00.]{_NAME_CHAR}*|\.\.{_NAME_CHAR}+)$"
# A JSON submission: one envelope, or an array of items. Every item is judged on its own (an
# item that is no valid envelope is answered rejected, with its reason, and quarantined), so
# any JSON is a submission but an empty array, which holds nothing to judge (400).
SUBMISSION = {
    "anyOf": [
        ENVELOPE_SCHEMA,
        {"type": "array", "items": ENVELOPE_SCHEMA},
        {"description": "any other JSON: judged, and answered rejected, item by item"},
    ],
    "not": {"type": "array", "maxItems": 0},
}
# JSON Lines: at least one line that is not blank, and not a JSON array (that is JSON).
_WS = r"\t\n\x0b\x0c\r "
JSON_LINES = {"type": "string", "pattern": f"^[{_WS}]*[^{_WS}\\[]"}
# What the adapters read (see docs/adapters.md): CSV tables, JSON Lines, GeoJSON, CoT XML.
SOURCE_FILE = {
    CSV: {"type": "string"},
    NDJSON: {"type": "string"},
    GEOJSON: {"type": "object"},
    XML: {"type": "string"},
    "application/json": {"type": "object"},
    "text/plain": {"type": "string"},
    "application/octet-stream": {"type": "string", "format": "binary"},
}


class ResultOut(BaseModel):
    accepted: bool
    index: int | None = None
    entry_sha256: str | None = None
    reason: str | None = None
    field: str | None = None
    message: str | None = None
    sensor: str | None = None
    seq: int | None = None
    quarantine_id: int | None = None
    time: dict[str, Any] | None = Field(
        default=None,
        description="for a report that states its device clock (the field app's): its time "
        "against its arrival, {check: clock, status: ok | flag, detail} "
        "(truceline.field.deviceclock)",
    )


class SubmissionOut(BaseModel):
    accepted: int
    rejected: int
    results: list[ResultOut]


class ImportOut(BaseModel):
    accepted: int
    rejected: int
    rejected_by_reason: dict[str, int]
    first_index: int | None = None
    last_index: int | None = None


class ReceiptOut(BaseModel):
    index: int
    entry_sha256: str
    proof: str | None = None


class QuarantinedOut(BaseModel):
    id: int
    received_at: str
    reason: str
    field: str
    message: str
    sensor: str | None = None
    seq: int | None = None
    sha256: str
    size: int
    source: str
    raw_base64: str | None = None


def router(home: Home, clock: Clock | None = None, limits: WriteLimiter | None = None) -> APIRouter:
    r = APIRouter(tags=["ingest"])
    lock = threading.Lock()
    opened: list[Mission] = []
    nonces = httpsig.Nonces()
    # The read routes need nothing private: a reader of the log and the authority folded
    # over it, so they answer on a mirror as on the operator's home.
    public: list[tuple[LogReader, Authority]] = []

    def reader() -> tuple[LogReader, Authority]:
        with lock:
            if not public:
                try:
                    public.append((home.reader(), Authority()))
                except RuntimeError as exc:
                    raise HTTPException(503, f"mission home not ready: {exc}") from exc
            log, authority = public[0]
            log.refresh()
            authority.catch_up(log)
            return log, authority

    def mission() -> Mission:
        with lock:
            if not opened:
                try:
                    opened.append(Mission(home, clock))
                except RuntimeError as exc:
                    raise HTTPException(503, f"mission home not ready: {exc}") from exc
            return opened[0]

    @r.post(
        "/observations",
        response_model=SubmissionOut,
        responses=errors(400, 403, 413, 429, 503),
        openapi_extra=body(
            {NDJSON: JSON_LINES, "application/json": SUBMISSION},
            "one DSSE envelope, a JSON array of them, or JSON Lines (one per line; the "
            "reading of any body not labelled application/json); each item is judged on its "
            "own: accepted with its ledger index, or quarantined with its reason and field",
        ),
    )
    async def submit(request: Request) -> dict[str, Any]:
        """Ingest signed DSSE envelopes; each gets a ledger index or a reason code and field."""
        if limits is not None:
            # Before the body is read (its signatures are in it): `charge_signer` moves
            # the charge to the key once the first envelope verifies.
            limits.charge(address(request))
        data = await read_body(request, MAX_SUBMISSION_BYTES)
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        try:
            envelopes = split_json(data) if media == "application/json" else split_envelopes(data)
        except SubmissionError as exc:
            raise HTTPException(400, f"body: {exc}") from exc
        if not envelopes:
            raise HTTPException(400, "body: expected at least one envelope, found none")
        m = mission()
        await run_in_threadpool(charge_signer, request, envelopes[0])
        received_at = m.clock.now()
        results = await run_in_threadpool(m.ingestor.ingest, envelopes, "http", received_at)
        out = [ResultOut(**res.__dict__) for res in results]
        n = sum(1 for x in out if x.accepted)
        return {"accepted": n, "rejected": len(out) - n, "results": out}

    @r.post(
        "/ingest/{fmt}",
        response_model=ImportOut,
        responses=errors(400, 401, 403, 404, 413, 422, 429, 503),
        openapi_extra=body(SOURCE_FILE, "the source file, as the format's adapter reads it", True),
    )
    async def import_source(
        fmt: Annotated[str, PathParam(json_schema_extra={"enum": sorted(ADAPTERS)})],
        request: Request,
        x_filename: Annotated[
            str | None,
            Header(
                alias="x-filename",
                max_length=MAX_NAME,
                pattern=FILE_NAME,
                description="the file's name (no directory; not . or ..)",
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Import a source file with an adapter, signed by the mission's import gateway."""
        if fmt == "dsse":
            raise HTTPException(400, "format: use POST /observations for DSSE envelopes")
        if fmt not in ADAPTERS:
            raise HTTPException(404, f"format: expected one of {sorted(ADAPTERS)}, found {fmt!r}")
        if limits is not None and "signature" not in request.headers:
            limits.charge(address(request))  # anonymous: before the body is read
        name = x_filename or f"upload.{fmt}"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            await save_body(request, MAX_SUBMISSION_BYTES, path)
            # Who sent it, before anything is signed for them: the signature covers the
            # body's digest, read back from the bounded file.
            uploader = await run_in_threadpool(importer, request, path.read_bytes())
            try:
                tally = await run_in_threadpool(mission().import_file, fmt, path, uploader=uploader)
            except ValueError as exc:
                raise HTTPException(400, str(exc)) from exc
        return tally.to_json()

    def importer(request: Request, data: bytes) -> str:
        """The registered importer whose signature covers this request and its body."""
        m = mission()
        with lock:
            m.ingestor.ingest([])  # catch up with the log: keys registered since
            registry = m.ingestor.registry
            now = m.clock.now()

            def public_key(keyid: str) -> Any:
                state = registry.owner(keyid)
                if state is None or not registry.key_status(state.sensor.id, keyid, now).ok:
                    return None
                return next(p.public_key for p in state.keys if p.keyid == keyid)

            try:
                keyid = httpsig.verify(
                    request.method,
                    str(request.url),
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
                    data,
                    public_key,
                    nonces,
                )
            except httpsig.Unauthenticated as exc:
                if limits is not None and "signature" in request.headers:
                    limits.charge(address(request))  # (unsigned ones were charged already)
                raise HTTPException(
                    401, str(exc), headers={"WWW-Authenticate": "Signature"}
                ) from exc
            if limits is not None:
                limits.charge(principal_of(keyid))
            state = registry.owner(keyid)
            assert state is not None
            principal = state.sensor.id
            if Role.importer not in m.ingestor.authority.roles(principal):
                raise HTTPException(
                    403,
                    f"signature: {principal!r} ({state.kind.value} of {state.operator}) is not "
                    "an importer under the agreement",
                )
            return principal

    def charge_signer(request: Request, first: bytes) -> None:
        """Move the write's charge from the address to the registered key that signed the
        first envelope, if its signature verifies (the same stateless check ingest runs);
        otherwise it stays on the address, charged before the body was read."""
        if limits is None:
            return
        checked = check_envelope(first, mission().ingestor.key_table())
        if isinstance(checked, Checked):
            limits.refund(address(request))
            limits.charge(principal_of(checked.keyid))

    @r.get("/receipts/{index}", response_model=ReceiptOut, responses=errors(404, 503))
    def get_receipt(index: Int64Path) -> dict[str, Any]:
        """The entry's hash and an inclusion proof against the latest checkpoint."""
        log, _ = reader()
        try:
            return receipt(log, index)
        except IndexError as exc:
            raise HTTPException(404, str(exc)) from exc

    @r.get("/entries/{index}", responses=errors(404, 503))
    def get_entry(index: Int64Path) -> dict[str, Any]:
        """The raw ledger entry (a canonical DSSE envelope), base64."""
        log, _ = reader()
        if not 0 <= index < log.size:
            raise HTTPException(404, f"index {index}: no such entry")
        return {
            "index": index,
            "entry_base64": base64.b64encode(log.entry(index)).decode(),
        }

    @r.get("/quarantine", response_model=list[QuarantinedOut], responses=errors(503))
    def list_quarantine(
        reason: str | None = None,
        sensor: str | None = None,
        limit: int = Query(100, ge=1, le=10_000),
        offset: Int64Query = 0,
    ) -> list[dict[str, Any]]:
        rows = mission().ingestor.quarantine.list(
            reason=reason, sensor=sensor, limit=limit, offset=offset
        )
        return [_q(row) for row in rows]

    @r.get("/quarantine/{id_}", response_model=QuarantinedOut, responses=errors(404, 503))
    def get_quarantined(id_: Int64Path) -> dict[str, Any]:
        row = mission().ingestor.quarantine.get(id_)
        if row is None:
            raise HTTPException(404, f"no quarantined item {id_}")
        return _q(row)

    @r.get("/sensors", responses=errors(503))
    def sensors() -> list[dict[str, Any]]:
        _, authority = reader()
        out = []
        for sid in sorted(authority.registry.sensors):
            st = authority.registry.sensors[sid]
            out.append(
                {
                    **st.sensor.model_dump(mode="json", exclude_none=True),
                    "keyid": st.current_keyid,
                    "status": "revoked" if st.revoked_at else "active",
                    "revoked_at": st.revoked_at.isoformat() if st.revoked_at else None,
                }
            )
        return out

    def close_all() -> None:
        for m in opened:
            m.close()
        for log, _ in public:
            log.close()

    r.add_event_handler("shutdown", close_all)
    return r


def _q(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "received_at": row.received_at.isoformat(),
        "reason": row.reason,
        "field": row.field,
        "message": row.message,
        "sensor": row.sensor,
        "seq": row.seq,
        "sha256": row.sha256,
        "size": row.size,
        "source": row.source,
        "raw_base64": base64.b64encode(row.raw).decode() if row.raw is not None else None,
    }

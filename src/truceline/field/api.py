"""The field app and its routes, served by `truceline serve` like the map.

    GET  /field/                    the app (static/index.html): installable, works offline
    GET  /field/<file>              its scripts, service worker, manifest and style sheet
    GET  /field/time                the server's clock, for the app's offset estimate
    POST /field/enrol               {"code", "public_key"}: register a device key by invitation
    PUT  /field/media/<sha256>?entry=N   a file a logged report names (media.py)
    GET  /field/media/<sha256>      the stored file
    GET  /field/media/<sha256>/checks    the file against its report (mediacheck.py)

Reports themselves go to POST /observations like any sensor's: a device key is an
observer-patrol principal of the registry, so its reports reach the log, fusion and every
reader by the path every observation takes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as FastAPIPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel

from truceline.authority import Authority
from truceline.clock import Clock, SystemClock
from truceline.errors import TrucelineError
from truceline.field.c2pacheck import trust_anchors
from truceline.field.enrol import enrol
from truceline.field.media import MAX_MEDIA_BYTES, reported_by, store, stored
from truceline.field.mediacheck import media_checks
from truceline.home import Home
from truceline.httpbody import read_body
from truceline.httpdoc import answers, body, errors
from truceline.ledger.reader import LogReader
from truceline.problem import problem
from truceline.ratelimit import WriteLimiter, address
from truceline.rfc3339 import format_time
from truceline.web.api import HEADERS

STATIC = Path(__file__).parent / "static"
# The map's policy, and what an offline app needs besides: its service worker, its
# manifest, and previews of the photos a report attaches (blob: URLs of this page).
CSP = (
    HEADERS["Content-Security-Policy"]
    .replace("img-src 'self' data:", "img-src 'self' data: blob:")
    .replace("media-src 'self'", "media-src 'self' blob:")
    + "; worker-src 'self'; manifest-src 'self'"
)
PAGE_HEADERS = {**HEADERS, "Content-Security-Policy": CSP}
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
}
_STATUS = {
    "hash_mismatch": 422,
    "not_reported": 422,
    "too_large": 413,
    "unsupported_type": 415,
    "enrol_refused": 403,
    "registry": 409,
    "home": 503,  # no registrar key here (a mirror): enrolment needs the operator's home
}


# A media file's name: the SHA-256 a signed report gives it (declared, so clients know)
Sha256 = Annotated[str, FastAPIPath(pattern="^[0-9a-f]{64}$")]


class ServerTime(BaseModel):
    server_time: str  # RFC 3339, UTC
    unix_ms: int  # the same instant, milliseconds since 1970 (what the app computes with)


class EnrolIn(BaseModel):
    code: str
    public_key: str


def _problem(exc: TrucelineError, status: int | None = None) -> JSONResponse:
    """The RFC 9457 answer for a refused field request (truceline.problem)."""
    errors = [{"field": exc.field, "reason": exc.message}] if exc.field else None
    detail = f"{exc.field}: {exc.message}" if exc.field else exc.message
    return problem(status or _STATUS.get(exc.code, 422), detail, errors=errors, code=exc.code)


def router(home: Home, clock: Clock | None = None, limits: WriteLimiter | None = None) -> APIRouter:
    clock = clock or SystemClock()
    api = APIRouter(tags=["field"])
    files = {p.name: p for p in STATIC.iterdir() if p.suffix in _TYPES}
    lock = threading.Lock()
    # The log and the authority folded over it, caught up on each media request (a fold of
    # the whole log per upload would cost a scan of every entry).
    folded: list[tuple[LogReader, Authority]] = []

    def log() -> tuple[LogReader, Authority]:
        with lock:
            if not folded:
                folded.append((home.reader(), Authority()))
            reader, authority = folded[0]
            reader.refresh()
            authority.catch_up(reader)
            return reader, authority

    @api.get("/field", include_in_schema=False)
    def to_app() -> RedirectResponse:
        return RedirectResponse("/field/", status_code=308)

    @api.api_route("/field/", methods=["GET", "HEAD"], include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type=_TYPES[".html"], headers=PAGE_HEADERS)

    # One route per file of the app (no catch-all `/field/{name}`, which would shadow
    # `/field/enrol` for other methods): any other name is Starlette's 404.
    def asset(path: Path) -> Callable[[], Response]:
        def serve() -> Response:
            return FileResponse(path, media_type=_TYPES[path.suffix], headers=PAGE_HEADERS)

        return serve

    for name, path in files.items():
        if name != "index.html":
            api.api_route(f"/field/{name}", methods=["GET", "HEAD"], include_in_schema=False)(
                asset(path)
            )

    @api.get("/field/time", response_model=ServerTime)
    def server_time(response: Response) -> ServerTime:
        """The server's clock (the injected clock ingest judges times by), read between the
        device's two readings of its own: the app's NTP-style offset estimate
        (field/deviceclock.py)."""
        response.headers["Cache-Control"] = "no-store"
        now = clock.now()
        return ServerTime(server_time=format_time(now), unix_ms=round(now.timestamp() * 1000))

    @api.post("/field/enrol", responses=errors(400, 403, 409, 413, 422, 429, 503))
    async def enrol_device(request: Request, enrolment: EnrolIn) -> Any:
        """Register the device key for a one-time invitation code."""
        if limits is not None:  # a guessed code costs the guesser's address a token
            limits.charge(address(request))
        try:
            done = await run_in_threadpool(
                enrol, home, enrolment.code, enrolment.public_key, clock.now()
            )
        except TrucelineError as exc:
            return _problem(exc)
        return {
            "sensor": done.sensor,
            "keyid": done.keyid,
            "team": done.team,
            "member": done.member,
            "index": done.index,
        }

    @api.put(
        "/field/media/{sha256}",
        responses=errors(400, 403, 404, 413, 415, 422, 429, 503),
        openapi_extra=body(
            {"application/octet-stream": {"type": "string", "format": "binary"}},
            "the file whose SHA-256 the logged report at `entry` signed",
        ),
    )
    async def put_media(request: Request, sha256: Sha256, entry: int = Query(..., ge=0)) -> Any:
        """Store a file the report at log index `entry` names; its checks."""
        if limits is not None:
            limits.charge(address(request))
        data = await read_body(request, MAX_MEDIA_BYTES)
        try:
            reported, kind = await run_in_threadpool(
                lambda: store(home, sha256, data, entry, log())
            )
        except TrucelineError as exc:
            return _problem(exc)
        checks = await run_in_threadpool(
            media_checks, data, sha256, reported.observation, trust_anchors(home)
        )
        return {"sha256": sha256, "entry": entry, "type": kind, "size": len(data), "checks": checks}

    @api.get(
        "/field/media/{sha256}",
        responses={**answers("application/octet-stream"), **errors(404)},
    )
    def get_media(sha256: Sha256) -> Response:
        got = stored(home, sha256)
        if got is None:
            return problem(404, f"no stored media {sha256}")
        data, _, kind = got
        return Response(
            data,
            media_type=kind,
            headers={
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "public, max-age=31536000, immutable",
            },
        )

    @api.get("/field/media/{sha256}/checks", responses=errors(404, 422))
    def get_checks(sha256: Sha256) -> Any:
        got = stored(home, sha256)
        if got is None:
            return problem(404, f"no stored media {sha256}")
        data, index, kind = got
        try:
            reported = reported_by(home, index, sha256, log())
        except TrucelineError as exc:
            return _problem(exc)
        return {
            "sha256": sha256,
            "entry": index,
            "type": kind,
            "size": len(data),
            "checks": media_checks(data, sha256, reported.observation, trust_anchors(home)),
        }

    return api

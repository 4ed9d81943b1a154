"""The HTTP API: one FastAPI app assembled from each pipeline package's router.

Each package contributes an `api` module with `router(home: Home) -> APIRouter`; the
dashboard (`truceline.web`) serves the live map at `/` from the same app.

No CORS: no response allows another origin to read it, and a state-changing request that
a browser sends from another site (a hostile page open on an operator's machine) is
refused before any route sees it (`refuse_cross_site`).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from truceline import __version__
from truceline.clock import Clock, SystemClock
from truceline.home import Home

_ROUTER_MODULES = (
    "truceline.mission.api",
    "truceline.ingest.api",
    "truceline.ledger.api",
    "truceline.adjudication.api",
    "truceline.enforcement.api",
    "truceline.publication.api",
    "truceline.metrics.api",
    "truceline.corridors.api",
    "truceline.agreement.api",
    "truceline.web.api",
)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def create_app(home: Home, clock: Clock | None = None) -> FastAPI:
    """The app for `home`; `clock` (default: the system's) is the time ingest judges
    evidence age by, votes and acts are dated by, and views default to."""
    app = FastAPI(title="Truceline", version=__version__)
    app.middleware("http")(refuse_cross_site)
    clock = clock or SystemClock()
    for name in _ROUTER_MODULES:
        module = importlib.import_module(name)
        takes_clock = "clock" in inspect.signature(module.router).parameters
        app.include_router(module.router(home, clock) if takes_clock else module.router(home))
    return app


async def refuse_cross_site(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """403 for a write a browser sends from another origin.

    Browsers say where a request comes from: `Sec-Fetch-Site` (anything but same-origin,
    or none for a typed URL) and `Origin` (when it is not this server's). Clients that are
    not browsers (the CLI, curl, a party's script) send neither and are unaffected; what
    they may write is decided by signatures, not by these headers."""
    if request.method not in _SAFE:
        site = request.headers.get("sec-fetch-site")
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.url.netloc}"
        if (site is not None and site not in ("same-origin", "none")) or (
            origin is not None and origin != own
        ):
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": f"a cross-site {request.method} is refused "
                    f"(Origin {origin or '-'}, Sec-Fetch-Site {site or '-'})",
                },
                status_code=403,
                media_type="application/problem+json",
            )
    return await call_next(request)

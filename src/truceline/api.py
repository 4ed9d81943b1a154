"""The HTTP API: one FastAPI app assembled from each pipeline package's router.

Every error it answers is an RFC 9457 problem document (`truceline.problem`).

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

from truceline import __version__
from truceline.clock import Clock, SystemClock
from truceline.home import Home
from truceline.httpdoc import complete
from truceline.problem import install, problem
from truceline.ratelimit import WriteLimit, WriteLimiter

_ROUTER_MODULES = (
    "truceline.mission.api",
    "truceline.ingest.api",
    "truceline.ledger.api",
    "truceline.adjudication.api",
    "truceline.enforcement.api",
    "truceline.publication.api",
    "truceline.metrics.api",
    "truceline.agreement.api",
    "truceline.web.api",
)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def create_app(
    home: Home, clock: Clock | None = None, write_limit: WriteLimit | None = None
) -> FastAPI:
    """The app for `home`; `clock` (default: the system's) is the time ingest judges
    evidence age by, votes and acts are dated by, views default to, and write rate limits
    are counted by. `write_limit`: per principal (default: the home's, `Home.write_limit`)."""
    app = FastAPI(title="Truceline", version=__version__)
    app.middleware("http")(refuse_cross_site)
    install(app)
    complete(app)
    clock = clock or SystemClock()
    shared = {"clock": clock, "limits": WriteLimiter(write_limit or home.write_limit(), clock)}
    for name in _ROUTER_MODULES:
        module = importlib.import_module(name)
        wanted = inspect.signature(module.router).parameters
        app.include_router(module.router(home, **{k: v for k, v in shared.items() if k in wanted}))
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
            return problem(
                403,
                f"a cross-site {request.method} is refused "
                f"(Origin {origin or '-'}, Sec-Fetch-Site {site or '-'})",
            )
    return await call_next(request)

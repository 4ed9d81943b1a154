"""The HTTP API: one FastAPI app assembled from each pipeline package's router.

Each package contributes an `api` module with `router(home: Home) -> APIRouter`.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from truceline import __version__
from truceline.home import Home

_ROUTER_MODULES = (
    "truceline.ingest.api",
    "truceline.ledger.api",
    "truceline.adjudication.api",
    "truceline.enforcement.api",
    "truceline.publication.api",
)


def create_app(home: Home) -> FastAPI:
    app = FastAPI(title="Truceline", version=__version__)
    for name in _ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        app.include_router(module.router(home))
    return app

"""HTTP: `/healthz` (the API answers) and `/readyz` (the mission can serve: its log reads,
and every process `truceline run` supervises is running; else a 503 problem document
listing `problems`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from truceline.home import Home
from truceline.httpdoc import errors
from truceline.mission.run import status
from truceline.problem import problem


def router(home: Home) -> APIRouter:
    api = APIRouter(tags=["health"])

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", responses=errors(503))
    def readyz() -> Any:
        problems: list[str] = []
        body: dict[str, Any] = {}
        try:
            log = home.reader()
            try:
                body["log_size"] = log.refresh()
            finally:
                log.close()
        except RuntimeError as exc:
            problems.append(f"log: {exc}")
        supervised = status(home)
        if supervised is not None:
            body["children"] = supervised["children"]
            problems += [
                f"{name}: {child['state']}"
                for name, child in supervised["children"].items()
                if child["state"] != "running"
            ]
        if problems:
            return problem(503, "not ready: " + "; ".join(problems), problems=problems, **body)
        return JSONResponse({**body, "status": "ready", "problems": []})

    return api

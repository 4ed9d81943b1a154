"""The witness's HTTP face: c2sp.org/tlog-witness `POST <prefix>/add-checkpoint`.

The app only translates between HTTP and `Witness.add_checkpoint`; every
decision (and its status code) is made in `truceline.ledger.witness.core`.
"""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from truceline.ledger.witness.core import Conflict, Witness, WitnessError
from truceline.ledger.witness.request import MAX_BODY_BYTES

SIZE_MEDIA_TYPE = "text/x.tlog.size"


def create_app(witness: Witness, prefix: str = "") -> FastAPI:
    """A FastAPI app serving `witness` under the submission `prefix` (e.g. "" or "/w1")."""
    app = FastAPI(title=f"tlog witness {witness.name}", docs_url=None, redoc_url=None)
    app.state.witness = witness

    @app.post(f"{prefix}/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await _read_limited(request)
        if body is None:
            return Response(
                f"body: larger than {MAX_BODY_BYTES} bytes\n",
                status_code=400,
                media_type="text/plain",
            )
        try:
            # Database and signing are blocking; keep them off the event loop.
            cosignatures = await run_in_threadpool(witness.add_checkpoint, body)
        except Conflict as exc:
            # Exactly `text/x.tlog.size`: Starlette would append a charset to a media_type.
            return Response(
                f"{exc.size}\n", status_code=409, headers={"content-type": SIZE_MEDIA_TYPE}
            )
        except WitnessError as exc:
            return Response(f"{exc}\n", status_code=exc.status, media_type="text/plain")
        return Response(cosignatures, status_code=200, media_type="text/plain; charset=utf-8")

    @app.get(prefix + "/{origin_hash}/checkpoint")
    async def latest_checkpoint(origin_hash: str) -> Response:
        """The latest checkpoint cosigned for a log, with this witness's cosignature.

        Not part of tlog-witness (its monitoring API is still TBD); the path is the
        layout Sunlight's skylight uses: the origin as lowercase hex SHA-256.
        """
        logs = await run_in_threadpool(witness.store.logs)
        for st in logs:
            if st.checkpoint and hashlib.sha256(st.origin.encode()).hexdigest() == origin_hash:
                return Response(st.checkpoint, media_type="text/plain; charset=utf-8")
        return Response(
            "no cosigned checkpoint for that origin hash\n",
            status_code=404,
            media_type="text/plain",
        )

    return app


async def _read_limited(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)

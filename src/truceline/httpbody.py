"""Request bodies read within a limit, before anything is buffered whole.

Every POST route of the HTTP API reads its body here. A declared Content-Length above
the limit is refused (413) before a byte is read; otherwise the body is read chunk by
chunk and refused as soon as it passes the limit, so a client cannot make the server
hold more than `limit` bytes (plus one chunk) of one request, whatever it sends.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, Request

# A body that is one ledger entry (a signed vote, request or extension): tlog-tiles stores
# an entry's length in two bytes.
ENTRY_BODY_BYTES = 65_535


def _declared(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit():
        raise HTTPException(400, f"content-length: expected a number, found {declared[:40]!r}")
    if int(declared) > limit:
        raise HTTPException(413, f"body: {int(declared)} bytes declared, at most {limit}")


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"body: more than {limit} bytes, at most {limit}")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes (413 beyond)."""
    _declared(request, limit)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def save_body(request: Request, limit: int, path: Path) -> int:
    """Write the body to `path` as it arrives (memory holds one chunk); its size in bytes.
    413 beyond `limit`, with the partial file removed."""
    _declared(request, limit)
    total = 0
    try:
        with open(path, "wb") as fh:
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise _too_large(limit)
                fh.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return total

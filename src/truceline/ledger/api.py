"""The log over HTTP, as c2sp.org/tlog-tiles lays it out, under `/log/`.

    GET /log/checkpoint                    the published checkpoint (text/plain; charset=utf-8)
    GET /log/tile/<L>/<N>[.p/<W>]          hash tiles (application/octet-stream)
    GET /log/tile/entries/<N>[.p/<W>]      entry bundles (gzip when the client accepts it)
    GET /log/vkey                          the log's signed-note verifier key
    GET /log/policy                        the home's tlog-policy, witness URLs removed

Only what the published checkpoint covers is served: a tile or bundle is 404
unless a tree of the checkpoint's size has it at that width (or wider, since a
partial tile of width W is the first W hashes of any later version), so a batch
the writer is still integrating is never visible. Paths must be canonical
(`tiles.parse_tile_path`). Tiles and bundles never change once published:
`Cache-Control: immutable`; the checkpoint changes: a few seconds at most.
Reads go to the files each time (no cache), so the server always shows the
directory as it is, and it never writes anything.
"""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request, Response

from truceline.home import Home
from truceline.httpdoc import BinaryResponse, TextResponse, answers, errors
from truceline.ledger import tiles
from truceline.ledger.logsign import parse_checkpoint
from truceline.ledger.policy import Policy, PolicyError
from truceline.ledger.tilestore import TileStore, TileStoreError
from truceline.problem import problem

PREFIX = "/log"
IMMUTABLE = "public, max-age=31536000, immutable"
CHECKPOINT_CACHE = "public, max-age=2"
TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"


def _not_found(what: str) -> Response:
    return problem(404, what)


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def published_width(tile: tiles.Tile, size: int) -> int:
    """How wide `tile` is in a tree of `size` (0: not there yet); bundles follow level 0."""
    return tiles.tile_width(max(tile.level, 0), tile.index, size)


def router(home: Home) -> APIRouter:
    r = APIRouter(prefix=PREFIX, tags=["log"])
    store = TileStore(home.log_dir, cache_tiles=0)

    def read_checkpoint() -> bytes | None:
        try:
            return (home.log_dir / "checkpoint").read_bytes()
        except FileNotFoundError:
            return None

    def published_size() -> int:
        signed = read_checkpoint()
        try:
            return parse_checkpoint(signed).size if signed is not None else 0
        except ValueError:
            return 0  # an unreadable checkpoint publishes nothing

    @r.get("/checkpoint", response_class=TextResponse, responses=errors(404))
    def checkpoint() -> Response:
        """The latest checkpoint: a signed note with any witness cosignatures."""
        signed = read_checkpoint()
        if signed is None:
            return _not_found("no checkpoint: the log is not initialised")
        return Response(signed, media_type=TEXT, headers={"Cache-Control": CHECKPOINT_CACHE})

    @r.get(
        "/tile/{path:path}",
        response_class=BinaryResponse,
        responses={**answers(BINARY, {"type": "string", "format": "binary"}), **errors(404)},
    )
    def tile(path: str, request: Request) -> Response:
        """A hash tile or an entry bundle of the published tree, by its tlog-tiles path."""
        try:
            t = tiles.parse_tile_path("tile/" + path)
        except tiles.TileError as exc:
            return _not_found(str(exc))
        size = published_size()
        if t.width > published_width(t, size):
            return _not_found(f"{t.path}: not in the published tree (size {size})")
        try:
            data = store.raw(t)
        except TileStoreError as exc:
            return problem(500, f"tile store: {exc}")
        headers = {"Cache-Control": IMMUTABLE}
        if t.is_entries:
            headers["Vary"] = "Accept-Encoding"
            if _accepts_gzip(request):
                data = gzip.compress(data, compresslevel=1, mtime=0)
                headers["Content-Encoding"] = "gzip"
        return Response(data, media_type=BINARY, headers=headers)

    @r.get("/vkey", response_class=TextResponse, responses=errors(404))
    def vkey() -> Response:
        """The log's signed-note verifier key (checkpoints are signed by it)."""
        try:
            text = home.log_vkey.read_text().strip()
        except FileNotFoundError:
            return _not_found("no log key")
        return Response(text + "\n", media_type=TEXT, headers={"Cache-Control": CHECKPOINT_CACHE})

    @r.get("/policy", response_class=TextResponse, responses=errors(404))
    def policy() -> Response:
        """The witness policy (c2sp.org/tlog-policy) checkpoints must satisfy, without witness URLs."""
        try:
            parsed = Policy.parse(home.policy.read_bytes())
        except FileNotFoundError:
            return _not_found("no witness policy: checkpoints carry the log's signature only")
        except PolicyError as exc:
            return problem(500, f"policy: {exc}")
        return Response(
            parsed.without_witness_urls().format(),
            media_type=TEXT,
            headers={"Cache-Control": CHECKPOINT_CACHE},
        )

    return r

"""Fetching a tlog-tiles log over HTTP: the checkpoint, tiles and entry bundles, nothing trusted.

`TileFetcher(url)` GETs `<url>/<path>` with one keep-alive httpx client shared by
the worker threads of its caller. Transport errors and 5xx are retried with
backoff; 404 is an answer (`get` returns None). A partial tile the log has
already replaced by a wider one is fetched from the full tile and cut to its
width, as tlog-tiles lets clients do. Every fetched path is recorded in
`fetched` (in completion order) with its size, so callers can say exactly what
an update cost.
"""

from __future__ import annotations

import threading
import time

import httpx

from truceline.errors import TrucelineError
from truceline.ledger import tiles
from truceline.ledger.tiles import Tile

MAX_NOTE = 1 << 20
"""Checkpoint, vkey, policy: a note has at most 100 signature lines; 1 MiB is ample."""
MAX_BUNDLE = tiles.TILE_WIDTH * (2 + tiles.MAX_ENTRY_SIZE)
MAX_TILE = tiles.TILE_WIDTH * tiles.HASH_SIZE


def limit_for(tile: Tile) -> int:
    return MAX_BUNDLE if tile.is_entries else MAX_TILE


class FetchError(TrucelineError, RuntimeError):
    """The server did not give what was asked (network error, HTTP error, or a missing tile)."""


def cut(tile: Tile, wider: bytes) -> bytes:
    """The first `tile.width` hashes or entries of a wider version of `tile`."""
    if not tile.is_entries:
        return wider[: tile.width * tiles.HASH_SIZE]
    try:
        return tiles.encode_bundle(tiles.decode_bundle(wider)[: tile.width])
    except tiles.TileError:
        return wider  # malformed: let verification name the fault


class TileFetcher:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        connections: int = 8,
        gzip: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = url.rstrip("/")
        self.retries = retries
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={
                "Accept-Encoding": "gzip, identity" if gzip else "identity",
                "User-Agent": "truceline-mirror",
            },
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            transport=transport,
        )
        self.fetched: list[tuple[str, int]] = []
        """(path, bytes after decoding) of every successful tile or bundle fetch."""
        self.wire_bytes = 0
        self._mu = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def url(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def not_found(self, rel: str, what: str) -> str:
        """A 404 message, with a hint when the URL looks like a Truceline server's root."""
        hint = (
            ""
            if self.base.endswith("/log")
            else f" (a Truceline server serves its log under /log: try {self.base}/log)"
        )
        return f"{self.url(rel)}: 404, {what}{hint}"

    def get(self, rel: str, limit: int = MAX_NOTE) -> bytes | None:
        """The body of `<url>/<rel>`, or None on 404; more than `limit` bytes (decoded) fails."""
        url = self.url(rel)
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(2.0, 0.1 * 2**attempt))
            try:
                with self.client.stream("GET", url) as r:
                    if r.status_code == 404:
                        return None
                    body = self._read(r, url, limit)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if r.status_code >= 500:
                problem = f"HTTP {r.status_code}: {body[:200].decode('utf-8', 'replace').strip()}"
                continue
            if r.status_code != 200:
                raise FetchError(
                    f"{url}: HTTP {r.status_code}: {body[:200].decode('utf-8', 'replace').strip()}"
                )
            with self._mu:
                self.wire_bytes += r.num_bytes_downloaded
            return body
        raise FetchError(f"{url}: {problem} (after {self.retries + 1} attempts)")

    @staticmethod
    def _read(r: httpx.Response, url: str, limit: int) -> bytes:
        """The decoded body, refusing more than `limit` bytes (a server must not exhaust memory)."""
        parts: list[bytes] = []
        got = 0
        for chunk in r.iter_bytes():
            got += len(chunk)
            if got > limit:
                raise FetchError(f"{url}: more than {limit} bytes; no tlog-tiles resource is")
            parts.append(chunk)
        return b"".join(parts)

    def tile(self, tile: Tile, size: int) -> bytes:
        """Tile or bundle `tile`, which the checkpoint of `size` says the log must serve."""
        data = self.get(tile.path, limit_for(tile))
        if data is None and not tile.is_full:
            wider = self.get(tile.full.path, limit_for(tile))
            data = cut(tile, wider) if wider is not None else None
        if data is None:
            raise FetchError(
                f"{self.url(tile.path)}: 404, but the log's checkpoint of size {size} needs it"
            )
        with self._mu:
            self.fetched.append((tile.path, len(data)))
        return data

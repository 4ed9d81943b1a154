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

from truceline.ledger import tiles
from truceline.ledger.tiles import Tile


class FetchError(RuntimeError):
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

    def get(self, rel: str) -> bytes | None:
        """The body of `<url>/<rel>`, or None on 404."""
        url = self.url(rel)
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(2.0, 0.1 * 2**attempt))
            try:
                r = self.client.get(url)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if r.status_code == 404:
                return None
            if r.status_code >= 500:
                problem = f"HTTP {r.status_code}: {r.text[:200].strip()}"
                continue
            if r.status_code != 200:
                raise FetchError(f"{url}: HTTP {r.status_code}: {r.text[:200].strip()}")
            with self._mu:
                self.wire_bytes += r.num_bytes_downloaded
            return r.content
        raise FetchError(f"{url}: {problem} (after {self.retries + 1} attempts)")

    def tile(self, tile: Tile, size: int) -> bytes:
        """Tile or bundle `tile`, which the checkpoint of `size` says the log must serve."""
        data = self.get(tile.path)
        if data is None and not tile.is_full:
            wider = self.get(tile.full.path)
            data = cut(tile, wider) if wider is not None else None
        if data is None:
            raise FetchError(
                f"{self.url(tile.path)}: 404, but the log's checkpoint of size {size} needs it"
            )
        with self._mu:
            self.fetched.append((tile.path, len(data)))
        return data

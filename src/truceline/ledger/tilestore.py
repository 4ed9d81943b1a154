"""Read-side of the tile layout: node hashes, roots and proofs from the stored tiles.

A proof needs O(log n) tree nodes. Each node is either a tile hash or the
root of up to 128 consecutive hashes of one tile (tree levels between the
stored ones). Tiles are read once and kept in an LRU cache together with
the tree levels rebuilt inside them, so a warm proof costs a few dict
lookups and a cold one one 8 KiB read plus at most 255 SHA-256 calls.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from truceline.errors import TrucelineError
from truceline.ledger import merkle, tiles
from truceline.ledger.storage import as_storage
from truceline.ledger.storage.base import TileStorage


class TileStoreError(TrucelineError, RuntimeError):
    """A tile or bundle the tree size says must exist is missing or malformed."""


def _tile_levels(hashes: list[bytes]) -> list[list[bytes]]:
    """levels[r][j]: the root of hashes [j·2^r, (j+1)·2^r) — every perfect subtree of the tile."""
    levels = [hashes]
    cur = hashes
    while len(cur) > 1:
        nh = merkle.node_hash
        cur = [nh(cur[i], cur[i + 1]) for i in range(0, len(cur) - 1, 2)]
        levels.append(cur)
    return levels


class TileStore:
    """Tiles and bundles of `storage` (a directory means POSIX), read for a given tree size
    (which fixes partial widths)."""

    def __init__(self, storage: TileStorage | Path, cache_tiles: int = 4096) -> None:
        self.storage = as_storage(storage)
        self._cache: OrderedDict[tuple[int, int, int], list[list[bytes]]] = OrderedDict()  # FIFO
        self._cache_max = cache_tiles
        self._mu = threading.Lock()
        # The bundle read last, as (index, its bytes, its entries): a follower reads the
        # growing partial bundle again on every pass, and bundles only grow, so only the
        # bytes past what was decoded before are decoded (a pass costs its new entries,
        # not the up to 255 before them).
        self._last_bundle: tuple[int, bytes, list[bytes]] | None = None

    # --- raw objects -----------------------------------------------------------

    def read_file(self, rel: str) -> bytes:
        data = self.storage.get(rel)
        if data is None:
            raise TileStoreError(f"{rel}: missing")
        return data

    def _read_grown(self, rel: str, full: str) -> bytes:
        """Partial tile `rel`, or a later version of it whose prefix it is.

        A writer in another process deletes a partial tile once the tile grows; tiles are
        append-only, so the full tile or any wider partial starts with the same content.
        """
        data = self.storage.get(rel)
        if data is not None:
            return data
        wider = [f"{full}.p/{w}" for w in self.storage.partial_widths(full)]
        for path in [full, *wider]:
            data = self.storage.get(path)
            if data is not None:
                return data
        raise TileStoreError(f"{rel}: missing")

    def raw(self, tile: tiles.Tile) -> bytes:
        """The bytes of `tile` at its width, uncached: its own object, or a wider version cut to it.

        Tiles and bundles only grow, so the first W hashes (entries) of any later version are
        the partial tile of width W; a log may have deleted that partial (tlog-tiles allows it).
        """
        rel = tile.path
        if tile.is_full:
            return self.read_file(rel)
        own = self.storage.get(rel)
        data = own if own is not None else self._read_grown(rel, tile.full.path)
        if not tile.is_entries:
            data = data[: tile.width * tiles.HASH_SIZE]
            if len(data) != tile.width * tiles.HASH_SIZE:
                raise TileStoreError(
                    f"{rel}: {len(data)} bytes, want {tile.width * tiles.HASH_SIZE}"
                )
            return data
        if own is not None:
            return own  # its own object, served as stored
        try:
            entries = tiles.decode_bundle(data)
        except tiles.TileError as exc:
            raise TileStoreError(f"{rel}: {exc}") from exc
        if len(entries) < tile.width:
            raise TileStoreError(f"{rel}: {len(entries)} entries, want {tile.width}")
        return tiles.encode_bundle(entries[: tile.width])

    def tile(self, level: int, index: int, size: int) -> list[list[bytes]]:
        """Tile (level, index) as it is in a tree of `size`, with its inner levels."""
        avail = (size >> (tiles.TILE_HEIGHT * level)) - index * tiles.TILE_WIDTH
        width = tiles.TILE_WIDTH if avail >= tiles.TILE_WIDTH else avail
        if width <= 0:
            raise TileStoreError(f"tile {level}/{index} does not exist in a tree of size {size}")
        key = (level, index, width)
        got = self._cache.get(key)  # lock-free hit: dict reads are atomic under the GIL
        if got is not None:
            return got
        rel = tiles.tile_path(level, index, width)
        if width == tiles.TILE_WIDTH:
            data = self.read_file(rel)
        else:
            data = self._read_grown(rel, tiles.tile_path(level, index))[: width * tiles.HASH_SIZE]
        if len(data) != width * tiles.HASH_SIZE:
            raise TileStoreError(f"{rel}: {len(data)} bytes, want {width * tiles.HASH_SIZE}")
        levels = _tile_levels(tiles.tile_hashes(data))
        with self._mu:
            self._cache[key] = levels
            if len(self._cache) > self._cache_max:
                self._cache.popitem(
                    last=False
                )  # oldest loaded first: upper tiles are reloaded cheaply
        return levels

    def bundle(self, index: int, size: int) -> list[bytes]:
        """Entry bundle `index` as it is in a tree of `size`."""
        width = tiles.tile_width(0, index, size)
        if width == 0:
            raise TileStoreError(f"entry bundle {index} does not exist in a tree of size {size}")
        rel = tiles.entries_path(index, width)
        if width == tiles.TILE_WIDTH:
            data = self.read_file(rel)
        else:
            data = self._read_grown(rel, tiles.entries_path(index))
        try:
            entries = self._decode_bundle(index, data)[:width]
        except tiles.TileError as exc:
            raise TileStoreError(f"{rel}: {exc}") from exc
        if len(entries) != width:
            raise TileStoreError(f"{rel}: {len(entries)} entries, want {width}")
        return entries

    def _decode_bundle(self, index: int, data: bytes) -> list[bytes]:
        """The entries of bundle `index` stored as `data`, decoding only what the bundle
        read last does not already hold (`data` starts with its bytes: it has grown)."""
        last = self._last_bundle
        if last is not None and last[0] == index and data.startswith(last[1]):
            entries = last[2] + tiles.decode_bundle(data[len(last[1]) :])
            if len(entries) > tiles.TILE_WIDTH:
                raise tiles.TileError(f"entry bundle: more than {tiles.TILE_WIDTH} entries")
        else:
            entries = tiles.decode_bundle(data)
        self._last_bundle = (index, data, entries)
        return entries

    # --- tree nodes ------------------------------------------------------------

    def node(self, level: int, index: int, size: int) -> bytes:
        """Hash of the perfect subtree (level, index), which must lie inside [0, size)."""
        if (index + 1) << level > size:
            raise TileStoreError(
                f"node ({level}, {index}) is not complete in a tree of size {size}"
            )
        tile_level, rel = divmod(level, tiles.TILE_HEIGHT)
        first = index << rel
        n, offset = divmod(first, tiles.TILE_WIDTH)
        return self.tile(tile_level, n, size)[rel][offset >> rel]

    def nodes(self, ids: tuple[merkle.NodeID, ...] | list[merkle.NodeID], size: int) -> list[bytes]:
        return [self.node(level, index, size) for level, index in ids]

    def root(self, size: int) -> bytes:
        return merkle.root_from_range(self.nodes(merkle.range_nodes(0, size), size))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        pn = merkle.inclusion_nodes(index, size)
        return pn.rehash(self.nodes(pn.ids, size))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        pn = merkle.consistency_nodes(size1, size2)
        return pn.rehash(self.nodes(pn.ids, size2))

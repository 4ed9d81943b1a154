"""c2sp.org/tlog-tiles: tile and entry-bundle paths, bundle encoding, tile arithmetic.

Pure functions, no I/O. A tile at level L holds up to 256 consecutive Merkle
tree hashes from tree level 8L: hash i of tile n is the root of the perfect
subtree (8L, 256n + i). Tree levels 8L+1 .. 8L+7 are not stored; they are
rehashed from the tile (`node_location`, `node_hash_from_tile`).

`height` parameters exist only so the arithmetic can be checked against the
Go sumdb vectors, which use other tile heights; C2SP fixes it at 8.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from truceline.errors import TrucelineError
from truceline.ledger import merkle

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
HASH_SIZE = merkle.HASH_SIZE
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
ENTRIES = -1
"""The `level` of an entry bundle in `Tile`; it is addressed like a level-0 tile."""


class TileError(TrucelineError, ValueError):
    """A tile path, tile body or entry bundle is malformed."""


# --- Paths -----------------------------------------------------------------


def encode_index(n: int) -> str:
    """`N` as zero-padded 3-digit path elements, all but the last prefixed `x`: 1234067 → x001/x234/067."""
    if n < 0:
        raise TileError(f"tile index {n} is negative")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


_ELEM = re.compile(r"[0-9]{3}")


def decode_index(elems: Sequence[str]) -> int:
    """Inverse of `encode_index`, given the path elements; strict (no redundant leading groups)."""
    if not elems:
        raise TileError("tile index: no path elements")
    n = 0
    for i, e in enumerate(elems):
        last = i == len(elems) - 1
        digits = e if last else e.removeprefix("x")
        if (not last and not e.startswith("x")) or not _ELEM.fullmatch(digits):
            raise TileError(f"tile index: bad path element {e!r}")
        n = n * 1000 + int(digits)
    if len(elems) > 1 and elems[0] == "x000":
        raise TileError(f"tile index: redundant leading element in {'/'.join(elems)!r}")
    return n


def _width_suffix(width: int | None, full: int) -> str:
    if width is None or width == full:
        return ""
    if not 1 <= width < full:
        raise TileError(f"tile width {width} not in 1..{full}")
    return f".p/{width}"


def tile_path(level: int, n: int, width: int | None = None) -> str:
    """`tile/<L>/<N>[.p/<W>]`; a width of None or 256 is a full tile."""
    if not 0 <= level <= MAX_LEVEL:
        raise TileError(f"tile level {level} not in 0..{MAX_LEVEL}")
    return f"tile/{level}/{encode_index(n)}{_width_suffix(width, TILE_WIDTH)}"


def entries_path(n: int, width: int | None = None) -> str:
    """`tile/entries/<N>[.p/<W>]`; a width of None or 256 is a full bundle."""
    return f"tile/entries/{encode_index(n)}{_width_suffix(width, TILE_WIDTH)}"


@dataclass(frozen=True, order=True)
class Tile:
    """A hash tile (level >= 0) or an entry bundle (level == ENTRIES), with its width."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not (self.level == ENTRIES or 0 <= self.level <= MAX_LEVEL):
            raise TileError(f"tile level {self.level} not in 0..{MAX_LEVEL}")
        if self.index < 0:
            raise TileError(f"tile index {self.index} is negative")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TileError(f"tile width {self.width} not in 1..{TILE_WIDTH}")

    @property
    def is_entries(self) -> bool:
        return self.level == ENTRIES

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        if self.is_entries:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)

    @property
    def full(self) -> Tile:
        """The full tile this one is a prefix of."""
        return Tile(self.level, self.index)

    @property
    def start(self) -> int:
        """First leaf index covered (tlog-tiles "start index")."""
        return self.index << (TILE_HEIGHT * (max(self.level, 0) + 1))

    @property
    def end(self) -> int:
        """One past the last leaf covered by the hashes present."""
        return (self.index * TILE_WIDTH + self.width) << (TILE_HEIGHT * max(self.level, 0))


_PATH = re.compile(
    r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> Tile:
    """A `tile/...` path (without the prefix) back to its Tile; rejects non-canonical forms."""
    m = _PATH.fullmatch(path)
    if not m:
        raise TileError(f"not a tile path: {path!r}")
    level_s, index_s, width_s = m.groups()
    level = ENTRIES if level_s == "entries" else int(level_s)
    width = int(width_s) if width_s else TILE_WIDTH
    if width_s and width >= TILE_WIDTH:
        raise TileError(f"partial tile width {width} not in 1..255: {path!r}")
    tile = Tile(level, decode_index(index_s.split("/")), width)
    if tile.path != path:
        raise TileError(f"non-canonical tile path {path!r}, want {tile.path!r}")
    return tile


# --- Tiles of a tree -------------------------------------------------------


def tile_width(level: int, n: int, size: int) -> int:
    """How many hashes tile n at `level` holds in a tree of `size` (0 if it does not exist yet)."""
    available = (size >> (TILE_HEIGHT * level)) - n * TILE_WIDTH
    return max(0, min(TILE_WIDTH, available))


def partial_tiles(size: int) -> list[Tile]:
    """The partial tiles (rightmost, width 1..255) of a tree of `size`, level 0 up."""
    out = []
    level = 0
    while size >> (TILE_HEIGHT * level) > 0:
        count = size >> (TILE_HEIGHT * level)
        if count % TILE_WIDTH:
            out.append(Tile(level, count // TILE_WIDTH, count % TILE_WIDTH))
        level += 1
    return out


def full_tile_count(level: int, size: int) -> int:
    """Number of full tiles at `level` in a tree of `size`."""
    return (size >> (TILE_HEIGHT * level)) // TILE_WIDTH


def tiles_for_size(size: int) -> Iterator[Tile]:
    """Every tile (full, then the partial one) of each level of a tree of `size`; entry bundles excluded."""
    level = 0
    while size >> (TILE_HEIGHT * level) > 0:
        count = size >> (TILE_HEIGHT * level)
        for n in range(count // TILE_WIDTH):
            yield Tile(level, n)
        if count % TILE_WIDTH:
            yield Tile(level, count // TILE_WIDTH, count % TILE_WIDTH)
        level += 1


def new_tiles(
    old_size: int, new_size: int, height: int = TILE_HEIGHT
) -> list[tuple[int, int, int]]:
    """(level, n, width) of every tile that is new or wider when the tree grows old → new.

    The same walk as Go sumdb tlog.NewTiles. Entry bundles follow level 0.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"tree sizes must grow: {old_size} -> {new_size}")
    out: list[tuple[int, int, int]] = []
    level = 0
    while new_size >> (height * level) > 0:
        old_n = old_size >> (height * level)
        new_n = new_size >> (height * level)
        if old_n != new_n:
            for n in range(old_n >> height, new_n >> height):
                out.append((level, n, 1 << height))
            n = new_n >> height
            w = new_n - (n << height)
            if w > 0:
                out.append((level, n, w))
        level += 1
    return out


@dataclass(frozen=True)
class NodeLocation:
    """Where the hash of tree node (level, index) comes from: tile hashes [offset, offset + count)."""

    tile_level: int
    tile_index: int
    offset: int
    count: int

    @property
    def stored(self) -> bool:
        """True if the node is itself a tile hash; otherwise it is rehashed from `count` of them."""
        return self.count == 1

    @property
    def min_width(self) -> int:
        """The tile must be at least this wide to hold the node."""
        return self.offset + self.count


def node_location(level: int, index: int, height: int = TILE_HEIGHT) -> NodeLocation:
    """Map tree node (level, index) to its tile and the hashes in it that make it up."""
    if level < 0 or index < 0:
        raise ValueError(f"invalid node ({level}, {index})")
    tile_level, rel = divmod(level, height)
    first = index << rel  # first covered node at tree level tile_level * height
    n, offset = divmod(first, 1 << height)
    return NodeLocation(tile_level, n, offset, 1 << rel)


def tile_for_node(level: int, index: int, size: int) -> tuple[Tile, NodeLocation]:
    """The tile, at its width in a tree of `size`, that holds node (level, index), and where.

    Raises ValueError if the node is not a complete subtree of that tree.
    """
    if (index + 1) << level > size:
        raise ValueError(f"node ({level}, {index}) is not complete in a tree of size {size}")
    loc = node_location(level, index)
    width = tile_width(loc.tile_level, loc.tile_index, size)
    return Tile(loc.tile_level, loc.tile_index, width), loc


def stored_position(level: int, index: int) -> tuple[int, int, int] | None:
    """(tile level, tile index, offset) if node (level, index) is a tile hash, else None.

    An appender uses this on every node `CompactRange.append` completes.
    """
    if level % TILE_HEIGHT:
        return None
    n, offset = divmod(index, TILE_WIDTH)
    return level // TILE_HEIGHT, n, offset


def tile_hashes(data: bytes) -> list[bytes]:
    """Split a tile body into its hashes; 1..256 whole hashes required."""
    if not data or len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
        raise TileError(
            f"tile body of {len(data)} bytes is not 1..{TILE_WIDTH} hashes of {HASH_SIZE} bytes"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def node_hash_from_tile(data: bytes, loc: NodeLocation) -> bytes:
    """The node hash for `loc` from a tile body (rehashing the tile hashes under it)."""
    hashes = tile_hashes(data)
    if len(hashes) < loc.min_width:
        raise TileError(f"tile of width {len(hashes)} too narrow for {loc}")
    return merkle.root(hashes[loc.offset : loc.offset + loc.count])


# --- Entry bundles ---------------------------------------------------------


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries in order, each with a big-endian uint16 length prefix."""
    if len(entries) > TILE_WIDTH:
        raise TileError(f"entry bundle: {len(entries)} entries, at most {TILE_WIDTH}")
    out = bytearray()
    for i, e in enumerate(entries):
        if len(e) > MAX_ENTRY_SIZE:
            raise TileError(f"entry bundle: entry {i} is {len(e)} bytes, at most {MAX_ENTRY_SIZE}")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """Inverse of `encode_bundle`; rejects truncation and more than 256 entries."""
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise TileError(f"entry bundle: truncated length prefix at byte {pos}")
        n = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + n > len(data):
            raise TileError(
                f"entry bundle: entry {len(entries)} wants {n} bytes, {len(data) - pos} left"
            )
        entries.append(data[pos : pos + n])
        pos += n
        if len(entries) > TILE_WIDTH:
            raise TileError(f"entry bundle: more than {TILE_WIDTH} entries")
    return entries

"""Growing the hash tiles by a batch of leaf hashes, a whole tile at a time.

The writer keeps only the right border of the tree as the partial ("tail")
tile of each level. A batch is appended to the level-0 tail; every tile that
fills up is emitted and its root becomes one new hash of the level above.
Hashing 256 hashes pairwise in list comprehensions costs about one SHA-256
per leaf and no per-leaf Python call, which is what makes >20k appends/s
possible in CPython (a per-leaf `CompactRange.append` costs ~3x more).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from truceline.ledger import merkle, tiles

_W = tiles.TILE_WIDTH


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """MTH of a power-of-two number of hashes."""
    nh = merkle.node_hash
    cur = list(hashes)
    while len(cur) > 1:
        cur = [nh(cur[i], cur[i + 1]) for i in range(0, len(cur), 2)]
    return cur[0]


@dataclass
class TileGrowth:
    """What one batch changes: files to write (in a crash-recoverable order) and the new tails."""

    files: list[tuple[str, bytes]] = field(default_factory=list)
    completed: list[tuple[int, int]] = field(default_factory=list)
    tails: dict[int, list[bytes]] = field(default_factory=dict)


def grow(tails: dict[int, list[bytes]], old_size: int, leaf_hashes: Sequence[bytes]) -> TileGrowth:
    """Append `leaf_hashes` to a tree of `old_size` whose tail tiles are `tails` (level → hashes).

    Per level, files are listed full tiles first in index order, then the new
    partial tile, so a crash leaves a prefix of them (see `DurableWriter`).
    """
    out = TileGrowth(tails={lvl: list(h) for lvl, h in tails.items()})
    incoming = list(leaf_hashes)
    level = 0
    while incoming:
        buf = out.tails.get(level, []) + incoming
        first = (old_size >> (tiles.TILE_HEIGHT * level)) // _W
        nfull = len(buf) // _W
        incoming = []
        for k in range(nfull):
            chunk = buf[k * _W : (k + 1) * _W]
            out.files.append((tiles.tile_path(level, first + k), b"".join(chunk)))
            out.completed.append((level, first + k))
            incoming.append(perfect_root(chunk))
        rest = buf[nfull * _W :]
        if rest:
            out.files.append((tiles.tile_path(level, first + nfull, len(rest)), b"".join(rest)))
            out.tails[level] = rest
        else:
            out.tails.pop(level, None)
        level += 1
    return out


def root_from_tails(tails: dict[int, list[bytes]]) -> bytes:
    """The tree root from the tail tiles: their perfect subtrees are the tree's compact range."""
    peaks: list[bytes] = []
    for level in sorted(tails, reverse=True):
        hashes = tails[level]
        pos = 0
        for bit in range(tiles.TILE_HEIGHT - 1, -1, -1):
            if len(hashes) >> bit & 1:
                peaks.append(perfect_root(hashes[pos : pos + (1 << bit)]))
                pos += 1 << bit
    return merkle.root_from_range(peaks)

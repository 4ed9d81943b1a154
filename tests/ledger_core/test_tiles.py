"""tlog-tiles paths, widths, node locations and entry bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truceline.ledger import merkle, tiles
from truceline.ledger.tiles import Tile, TileError


@pytest.fixture(scope="module")
def c2sp(vectors: Path) -> dict:
    return json.loads((vectors / "c2sp" / "spec_examples.json").read_text())


@pytest.fixture(scope="module")
def sumdb(vectors: Path) -> dict:
    return json.loads((vectors / "golang-mod-sumdb" / "note_and_tlog_vectors.json").read_text())


@pytest.fixture(scope="module")
def tessera(vectors: Path) -> dict:
    return json.loads((vectors / "tessera-testdata" / "tessera_log_vectors.json").read_text())


def test_index_encoding_spec_examples(c2sp: dict) -> None:
    for case in c2sp["tile_index_encoding"]:
        assert tiles.encode_index(case["N"]) == case["path_elem"]
        assert tiles.decode_index(case["path_elem"].split("/")) == case["N"]


def test_partial_tile_spec_example(c2sp: dict) -> None:
    ex = c2sp["partial_tile_example"]
    size = ex["tree_size"]
    assert tiles.full_tile_count(0, size) == ex["full_level0_tiles"]
    assert tiles.full_tile_count(1, size) == ex["full_level1_tiles"]
    assert tiles.partial_tiles(size) == [
        Tile(0, 273, ex["partial_level0_width"]),
        Tile(1, 1, ex["partial_level1_width"]),
        Tile(2, 0, ex["partial_level2_width"]),
    ]
    all_tiles = list(tiles.tiles_for_size(size))
    assert len(all_tiles) == 273 + 1 + 1 + 1 + 1
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    assert list(tiles.tiles_for_size(256)) == [Tile(0, 0), Tile(1, 0, 1)]


def test_sumdb_tile_paths_without_height(sumdb: dict) -> None:
    """sumdb paths are tile/H/L/N; C2SP drops H. Same index encoding, W < 2**H means partial."""
    for case in sumdb["sumdb_tile_paths"]["cases"]:
        parts = case["path"].split("/")
        c2sp_path = "/".join([parts[0], *parts[2:]])
        if case.get("invalid"):
            with pytest.raises(TileError):
                tiles.parse_tile_path(c2sp_path)
            continue
        width = case["W"]
        full = width == 1 << case["H"]
        if case["L"] == -1:
            assert c2sp_path.startswith("tile/data/")
            want = tiles.entries_path(case["N"], None if full else width)
            assert want == c2sp_path.replace("tile/data/", "tile/entries/")
            tile = tiles.parse_tile_path(want)
            assert tile == Tile(tiles.ENTRIES, case["N"], width if not full else 256)
            continue
        assert tiles.tile_path(case["L"], case["N"], None if full else width) == c2sp_path
        tile = tiles.parse_tile_path(c2sp_path)
        assert (tile.level, tile.index, tile.is_full) == (case["L"], case["N"], full)
        if not full:
            assert tile.width == width


@pytest.mark.parametrize(
    "bad",
    [
        "tile/00/000",
        "tile/64/000",
        "tile/0/00",
        "tile/0/x000/001",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/007",
        "tile/entries/1",
        "tile/-1/000",
        "tile/0/x01/000",
        "tile/0/000/",
        "/tile/0/000",
    ],
)
def test_bad_tile_paths(bad: str) -> None:
    with pytest.raises(TileError):
        tiles.parse_tile_path(bad)


def test_sumdb_new_tiles_height_10(sumdb: dict) -> None:
    for case in sumdb["sumdb_new_tiles_count_H10"]:
        assert len(tiles.new_tiles(case["old"], case["new"], height=10)) == case["want_tiles"], case


def test_tessera_tiles_and_bundles(tessera: dict) -> None:
    entries = [e.encode() for e in tessera["entries_utf8"]]
    leaves = [bytes.fromhex(h) for h in tessera["leaf_hashes_hex"]]
    assert leaves == [merkle.leaf_hash(e) for e in entries]
    for size in tessera["sizes"]:
        n = size["tree_size"]
        if n == 0:
            assert tiles.partial_tiles(0) == []
            continue
        assert tiles.partial_tiles(n) == [Tile(0, 0, n)]
        assert tiles.tile_path(0, 0, n) == size["tile_path"]
        assert tiles.entries_path(0, n) == size["entry_bundle_path"]
        tile = bytes.fromhex(size["tile_hex"])
        bundle = bytes.fromhex(size["entry_bundle_hex"])
        assert tiles.tile_hashes(tile) == leaves[:n]
        assert tiles.decode_bundle(bundle) == entries[:n]
        assert tiles.encode_bundle(entries[:n]) == bundle


def test_bundle_limits() -> None:
    assert tiles.decode_bundle(tiles.encode_bundle([b"", b"x" * 65535])) == [b"", b"x" * 65535]
    with pytest.raises(TileError, match="entry 1 is 65536 bytes"):
        tiles.encode_bundle([b"", b"x" * 65536])
    with pytest.raises(TileError, match="truncated length prefix"):
        tiles.decode_bundle(b"\x00\x01a\x00")
    with pytest.raises(TileError, match="wants 5 bytes"):
        tiles.decode_bundle(b"\x00\x05abc")
    with pytest.raises(TileError, match="at most 256"):
        tiles.encode_bundle([b""] * 257)
    with pytest.raises(TileError, match="more than 256"):
        tiles.decode_bundle(b"\x00\x00" * 257)


def test_tile_body_checks() -> None:
    for bad in (b"", b"\x00" * 31, b"\x00" * (257 * 32)):
        with pytest.raises(TileError):
            tiles.tile_hashes(bad)


def _tile_body(level: int, n: int, width: int, leaves: list[bytes]) -> bytes:
    """Tile n at `level` straight from the spec formula MTH(D[(n*256+i)*256**l : ...])."""
    span = 256**level
    return b"".join(
        merkle.root(leaves[(n * 256 + i) * span : (n * 256 + i + 1) * span]) for i in range(width)
    )


def test_tiles_match_spec_formula_and_locate_nodes() -> None:
    """Build every tile of a 70000-leaf tree with CompactRange's visitor, and check them
    against the spec formula and node_location against merkle.root."""
    size = 70000
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    stored: dict[tuple[int, int], dict[int, bytes]] = {}

    def visit(level: int, index: int, h: bytes) -> None:
        pos = tiles.stored_position(level, index)
        if pos is not None:
            stored.setdefault(pos[:2], {})[pos[2]] = h

    cr = merkle.CompactRange()
    cr.extend(leaves, visit)
    bodies = {}
    for tile in tiles.tiles_for_size(size):
        hashes = stored[(tile.level, tile.index)]
        body = b"".join(hashes[i] for i in range(tile.width))
        bodies[(tile.level, tile.index)] = body
        if tile.level > 0 or tile.index in (0, 273):
            assert body == _tile_body(tile.level, tile.index, tile.width, leaves)
    # Every node of the tree that exists, at sampled positions, is found from its tile.
    for level in range(0, 17):
        count = size >> level
        for index in {0, 1, count // 2, count - 1} & set(range(count)):
            tile, loc = tiles.tile_for_node(level, index, size)
            body = bodies[(tile.level, tile.index)]
            assert len(body) == tile.width * 32 and tile.width >= loc.min_width
            want = merkle.root(leaves[index << level : (index + 1) << level])
            assert tiles.node_hash_from_tile(body, loc) == want
            assert loc.stored == (level % 8 == 0)


@given(st.integers(0, 10**12))
def test_index_roundtrip(n: int) -> None:
    assert tiles.decode_index(tiles.encode_index(n).split("/")) == n
    path = tiles.tile_path(3, n, 17)
    assert tiles.parse_tile_path(path) == Tile(3, n, 17)


@given(st.lists(st.binary(max_size=300), max_size=256))
def test_bundle_roundtrip(entries: list[bytes]) -> None:
    assert tiles.decode_bundle(tiles.encode_bundle(entries)) == entries


@given(st.integers(0, 2**40), st.integers(0, 2**20))
def test_new_tiles_cover_growth(old: int, grow: int) -> None:
    new = old + grow
    changed = {(lvl, n): w for lvl, n, w in tiles.new_tiles(old, new)}
    # Every partial tile of the new size is either new/wider or was already that wide.
    for t in tiles.partial_tiles(new):
        assert (t.level, t.index) in changed or tiles.tile_width(t.level, t.index, old) == t.width
    for (lvl, n), w in changed.items():
        assert tiles.tile_width(lvl, n, new) == w
        assert tiles.tile_width(lvl, n, old) < w


def test_tile_for_node_rejects_incomplete_nodes() -> None:
    with pytest.raises(ValueError, match="not complete"):
        tiles.tile_for_node(1, 2, 5)
    tile, loc = tiles.tile_for_node(1, 1, 5)
    assert tile == Tile(0, 0, 5) and (loc.offset, loc.count) == (2, 2)

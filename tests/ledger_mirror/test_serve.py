"""`/log/...`: the log over HTTP exactly as c2sp.org/tlog-tiles lays it out, published data only."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from truceline.home import Home
from truceline.ledger import merkle, note, tiles
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.integrate import grow, root_from_tails
from truceline.ledger.policy import Policy
from witness.helpers import cosigner
from witness.live import serve

from .conftest import ORIGIN, Operator, Served, entries

IMMUTABLE = "public, max-age=31536000, immutable"


def get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers=headers)


def test_checkpoint_tiles_and_bundles(operator: Operator, served: Served) -> None:
    batch = entries(0, 600)
    operator.append(batch)
    r = get(f"{served.url}/checkpoint")
    assert r.status_code == 200 and r.content == operator.checkpoint()
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=2"

    r = get(f"{served.url}/tile/0/001")
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    assert r.headers["cache-control"] == IMMUTABLE
    assert r.content == b"".join(merkle.leaf_hash(e) for e in batch[256:512])

    r = get(f"{served.url}/tile/0/002.p/88")  # 600 = 2 * 256 + 88
    assert r.status_code == 200 and r.headers["cache-control"] == IMMUTABLE
    assert r.content == b"".join(merkle.leaf_hash(e) for e in batch[512:600])
    assert (
        get(f"{served.url}/tile/1/000.p/2").content
        == (operator.home.log_dir / "tile/1/000.p/2").read_bytes()
    )

    # Bundles: gzip when the client accepts it (tlog-tiles: SHOULD compress), plain otherwise.
    r = httpx.get(f"{served.url}/tile/entries/002.p/88", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "Accept-Encoding"
    assert tiles.decode_bundle(r.content) == batch[512:600]
    with httpx.stream(
        "GET", f"{served.url}/tile/entries/000", headers={"Accept-Encoding": "gzip"}
    ) as s:
        raw = b"".join(s.iter_raw())
    assert tiles.decode_bundle(gzip.decompress(raw)) == batch[:256]
    r = get(f"{served.url}/tile/entries/000", **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in r.headers and tiles.decode_bundle(r.content) == batch[:256]
    r = get(f"{served.url}/tile/entries/000", **{"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in r.headers


def test_older_partials_are_the_prefix_of_later_tiles(operator: Operator, served: Served) -> None:
    """A partial tile of a size once published stays servable after the writer deleted it."""
    operator.append(entries(0, 100))
    old = {
        p: get(f"{served.url}/{p}").content for p in ("tile/0/000.p/100", "tile/entries/000.p/100")
    }
    operator.append(entries(100, 300))
    assert not (operator.home.log_dir / "tile/0/000.p").exists()  # superseded, deleted
    for path, body in old.items():
        r = get(f"{served.url}/{path}")
        assert r.status_code == 200 and r.content == body, path


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("tile/0/002", "a full tile the published tree does not have yet"),
        ("tile/0/002.p/89", "wider than the published partial"),
        ("tile/0/003", "past the tree"),
        ("tile/entries/002", "a full bundle the published tree does not have yet"),
        ("tile/entries/003.p/1", "past the tree"),
        ("tile/1/000", "level 1 has 2 hashes"),
        ("tile/2/000.p/1", "no level 2"),
        ("tile/0/x000/001", "redundant x000 group"),
        ("tile/00/001", "leading zero in the level"),
        ("tile/0/1", "index not 3 digits"),
        ("tile/0/001.p/256", "width 256 is the full tile"),
        ("tile/0/001.p/0", "width 0"),
        ("tile/0/001.p/088", "leading zero in the width"),
        ("tile/64/000", "level past 63"),
        ("tile/entries/../checkpoint", "not a tile path"),
        ("tile/0/.state", "not a tile path"),
    ],
)
def test_404_beyond_the_tree_and_for_non_canonical_paths(
    operator: Operator, served: Served, path: str, why: str
) -> None:
    operator.append(entries(0, 600))
    r = get(f"{served.url}/{path}")
    assert r.status_code == 404, (path, why, r.text)


def test_a_batch_being_integrated_is_not_served(operator: Operator, served: Served) -> None:
    """Files past the published checkpoint (a writer mid-batch) are invisible."""
    operator.append(entries(0, 300))
    published = operator.checkpoint()
    ahead = operator.home.log_dir
    # What a writer has renamed into place before it replaces the checkpoint.
    (ahead / "tile/0/001").write_bytes(b"\1" * 8192)
    (ahead / "tile/entries/001").write_bytes(tiles.encode_bundle(entries(0, 256)))
    assert get(f"{served.url}/tile/0/001").status_code == 404
    assert get(f"{served.url}/tile/entries/001").status_code == 404
    assert get(f"{served.url}/checkpoint").content == published
    assert get(f"{served.url}/tile/0/001.p/44").status_code == 200  # 300 = 256 + 44


def test_index_encoding_in_x_groups(tmp_path: Path) -> None:
    """Tile 1000 of level 0 is tile/0/x001/000; a tree of 256,300 leaves has it."""
    home = Home(tmp_path / "big")
    log_dir = home.log_dir
    size = 1001 * 256 + 44
    leaves = [merkle.leaf_hash(b"%d" % i) for i in range(size)]
    growth = grow({}, 0, leaves)
    for rel, data in growth.files:
        (log_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (log_dir / rel).write_bytes(data)
    bundle = tiles.encode_bundle([b"%d" % i for i in range(1000 * 256, 1001 * 256)])
    (log_dir / "tile/entries/x001").mkdir(parents=True)
    (log_dir / "tile/entries/x001/000").write_bytes(bundle)
    signer = note.Ed25519Signer(ORIGIN, bytes(32))
    body = Checkpoint(ORIGIN, size, root_from_tails(growth.tails)).body()
    (log_dir / "checkpoint").write_bytes(note.sign(body, [signer]))

    from truceline.api import create_app

    with serve(create_app(home)) as base:
        r = get(f"{base}/log/tile/0/x001/000")
        assert r.status_code == 200
        assert r.content == b"".join(leaves[1000 * 256 : 1001 * 256])
        assert get(f"{base}/log/tile/0/x001/001.p/44").content == b"".join(leaves[1001 * 256 :])
        assert get(f"{base}/log/tile/1/003.p/232").status_code == 200  # 1001 = 3 * 256 + 233
        assert get(f"{base}/log/tile/entries/x001/000").content == bundle
        assert get(f"{base}/log/tile/0/1000").status_code == 404
        assert get(f"{base}/log/tile/0/x1/000").status_code == 404
        assert get(f"{base}/log/tile/0/x001/002").status_code == 404


def test_vkey_and_policy_without_witness_urls(operator: Operator, served: Served) -> None:
    r = get(f"{served.url}/vkey")
    assert r.status_code == 200 and r.text.strip() == operator.vkey
    assert note.parse_vkey(r.text.strip()).name == ORIGIN
    r = get(f"{served.url}/policy")
    assert r.status_code == 404 and "no witness policy" in r.text

    w = cosigner("witness.example.org/w1").verifier().vkey
    operator.home.policy.write_text(
        f"# the parties' witnesses\nlog {operator.vkey}\n"
        f"witness w1 {w} https://w1.internal.example:7380/w1\nquorum w1\n"
    )
    r = get(f"{served.url}/policy")
    assert r.status_code == 200
    assert r.text == f"log {operator.vkey}\nwitness w1 {w}\nquorum w1\n"
    assert "internal" not in r.text
    assert Policy.parse(r.text).witnesses["w1"].url is None


def test_before_the_log_exists(tmp_path: Path) -> None:
    from truceline.api import create_app

    home = Home(tmp_path / "not-yet")
    with serve(create_app(home)) as base:
        assert get(f"{base}/log/checkpoint").status_code == 404
        assert get(f"{base}/log/tile/0/000.p/1").status_code == 404
        assert get(f"{base}/log/vkey").status_code == 404
    assert not home.root.exists()  # serving creates nothing

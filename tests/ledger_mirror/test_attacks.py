"""What a mirror refuses: each attack on the served log is refused with its reason, the
evidence is kept under HOME/evidence/, and the mirror stays exactly as it was."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from truceline.ledger import merkle, note
from truceline.ledger.logsign import parse_checkpoint

from .conftest import ORIGIN, Operator, Served, entries, mirror, snapshot, truceline

HISTORY = 600


@pytest.fixture
def copy(operator: Operator, served: Served, tmp_path: Path) -> Path:
    """A mirror of a 600-entry log, made before the attack."""
    operator.append(entries(0, HISTORY))
    m = tmp_path / "mirror"
    run = mirror(served.url, m)
    assert run.code == 0, run
    return m


def refused(served: Served, m: Path, reason: str) -> tuple[str, Path]:
    """Run the mirror; it must refuse for `reason`, keep evidence and leave the copy untouched."""
    before = snapshot(m)
    run = mirror(served.url, m)
    assert run.code == 1, run
    assert f"REFUSED ({reason})" in run.stderr, run
    assert snapshot(m) == before
    assert not (m / ".incoming").exists()
    match = re.search(r"evidence kept in (\S+);", run.stderr)
    assert match, run
    evidence = Path(match.group(1))
    assert evidence.parent == m / "evidence"
    assert (evidence / "offered.checkpoint").read_bytes()
    assert (evidence / "README").read_text().startswith(f"refused: {reason}\n")
    audit = truceline("log", "audit", "--home", m, "--state", m.parent / "audit-state")
    assert audit.code == 0 and audit.stdout.startswith(f"OK size {HISTORY}"), audit
    return run.stderr, evidence


def dropped(n: int = 5) -> list[bytes]:
    history = entries(0, HISTORY)
    del history[n]
    return history


def test_rollback_truncated_and_resigned(operator: Operator, served: Served, copy: Path) -> None:
    operator.rewrite(entries(0, HISTORY - 10))
    why, evidence = refused(served, copy, "rollback")
    assert f"size {HISTORY - 10} is smaller than the size {HISTORY} verified before" in why
    assert "an old checkpoint served again" in why
    assert parse_checkpoint((evidence / "remembered.checkpoint").read_bytes()).size == HISTORY


def test_rollback_with_an_entry_dropped(operator: Operator, served: Served, copy: Path) -> None:
    """Issue #10's rewrite: one entry dropped, size N -> N-1, re-signed by the log key."""
    operator.rewrite(dropped())
    why, _ = refused(served, copy, "rollback")
    assert "the log rewrote its history" in why


def test_fork_same_size(operator: Operator, served: Served, copy: Path) -> None:
    operator.rewrite([*dropped(), b"a replacement"])
    why, evidence = refused(served, copy, "fork")
    assert f"checkpoint size {HISTORY} has root" in why
    old = parse_checkpoint((evidence / "remembered.checkpoint").read_bytes())
    new = parse_checkpoint((evidence / "offered.checkpoint").read_bytes())
    assert old.size == new.size and old.root_hash != new.root_hash


def test_fork_larger_but_inconsistent(operator: Operator, served: Served, copy: Path) -> None:
    operator.rewrite([*dropped(), *entries(HISTORY, HISTORY + 40, "new")])
    why, evidence = refused(served, copy, "fork")
    assert f"does not extend the size {HISTORY} verified before" in why
    # The evidence proves the fork to anyone: a proof that verifies to the offered signed root
    # from another old root, and fails from the remembered one.
    old = parse_checkpoint((evidence / "remembered.checkpoint").read_bytes())
    new = parse_checkpoint((evidence / "offered.checkpoint").read_bytes())
    proof = [
        __import__("base64").b64decode(line)
        for line in (evidence / "consistency.proof").read_text().split()
    ]
    claimed = bytes.fromhex(
        re.search(r"claimed-root (\w+)", (evidence / "README").read_text()).group(1)
    )
    merkle.verify_consistency(old.size, new.size, claimed, new.root_hash, proof)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
    assert (evidence / "fetched/tile/1/000.p/2").exists()  # the server's own tiles, kept


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_tile_byte(operator: Operator, served: Served, copy: Path) -> None:
    operator.append(entries(HISTORY, HISTORY + 300))
    tile = operator.home.log_dir / "tile/0/002"  # completed by the new entries
    _flip(tile, 17 * 32 + 3)
    why, evidence = refused(served, copy, "tiles")
    assert "tile/0/002: hash 17 (byte 547): differs from the hash recomputed" in why
    assert (evidence / "fetched/tile/0/002").read_bytes() == tile.read_bytes()
    _flip(tile, 17 * 32 + 3)  # repaired: the next run goes through
    run = mirror(served.url, copy)
    assert run.code == 0 and f"size {HISTORY} -> {HISTORY + 300}" in run.stdout, run


def test_an_altered_entry_bundle(operator: Operator, served: Served, copy: Path) -> None:
    operator.append(entries(HISTORY, HISTORY + 300))
    bundle = operator.home.log_dir / "tile/entries/002"
    data = bytearray(bundle.read_bytes())
    at = data.index(b'"n": 700')  # entry 188 of bundle 2, new since the copy
    data[at + 6] = ord("7")
    bundle.write_bytes(bytes(data))
    why, evidence = refused(served, copy, "entries")
    assert "tile/entries/002: entry 188 (log index 700) changed" in why
    assert (evidence / "fetched/tile/entries/002").read_bytes() == bytes(data)


def test_an_altered_entry_the_mirror_already_has(
    operator: Operator, served: Served, copy: Path
) -> None:
    """The partial bundle is fetched again at its new width: its old entries must not change."""
    operator.append(entries(HISTORY, HISTORY + 10))
    bundle = operator.home.log_dir / "tile/entries/002.p/98"
    data = bytearray(bundle.read_bytes())
    data[data.index(b'"n": 520') + 6] = ord("9")
    bundle.write_bytes(bytes(data))
    why, _ = refused(served, copy, "entries")
    assert (
        "tile/entries/002.p/98: entry 8 (log index 520): differs from the copy verified before"
        in why
    )


def test_a_checkpoint_signed_by_another_key(operator: Operator, served: Served, copy: Path) -> None:
    operator.append(entries(HISTORY, HISTORY + 5))
    skey, _ = note.generate_ed25519(ORIGIN)  # same name, another key
    body = note.parse(operator.checkpoint()).text
    (operator.home.log_dir / "checkpoint").write_bytes(note.sign(body, [note.parse_skey(skey)]))
    why, _ = refused(served, copy, "signature")
    assert "does not verify under" in why


@pytest.mark.parametrize(
    "garble",
    [
        lambda cp: cp.replace(b"\n605\n", b"\n606\n"),  # the body changed under the signature
        lambda cp: cp[: cp.index(b"\n\n") + 2],  # no signature at all
        lambda cp: b"not a note",
    ],
)
def test_a_tampered_checkpoint(
    operator: Operator, served: Served, copy: Path, garble: Callable[[bytes], bytes]
) -> None:
    operator.append(entries(HISTORY, HISTORY + 5))
    path = operator.home.log_dir / "checkpoint"
    path.write_bytes(garble(path.read_bytes()))
    refused(served, copy, "signature")


def test_an_oversized_answer_is_not_read(operator: Operator, served: Served, copy: Path) -> None:
    """A server cannot make the mirror read (or keep) more than a tile can be."""
    operator.append(entries(HISTORY, HISTORY + 300))
    tile = operator.home.log_dir / "tile/0/002"
    tile.write_bytes(tile.read_bytes() + b"\0" * 100_000)
    before = snapshot(copy)
    run = mirror(served.url, copy)
    assert run.code == 2 and "tile/0/002: more than 8192 bytes" in run.stderr, run
    assert snapshot(copy) == before and not (copy / ".incoming").exists()

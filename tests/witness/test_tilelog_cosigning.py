"""The Cosigner as TileLog's hook: every published checkpoint carries a verified quorum."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from truceline.clock import FixedClock
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.note import Ed25519Verifier
from truceline.ledger.policy import PolicyBuilder
from truceline.ledger.tilelog import TileLog
from truceline.ledger.witnessing import Cosigner
from truceline.store.base import open_store

from .conftest import make_witness
from .helpers import cosigner, seed
from .live import witness_farm


def test_tilelog_publishes_cosigned_checkpoints(
    tmp_path: Path, sqlite_engine: Engine, clock: FixedClock
) -> None:
    origin = "example.org/tiles"
    key = Ed25519PrivateKey.from_private_bytes(seed("tile log"))
    log_vkey = Ed25519Verifier(origin, key.public_key().public_bytes_raw()).vkey
    names = ["w1", "w2", "w3", "w4", "w5"]
    witnesses = {n: make_witness(sqlite_engine, n, clock) for n in names}
    for w in witnesses.values():
        w.store.add_log(origin, log_vkey)
    b = PolicyBuilder().log(log_vkey)
    for n in names:
        b.witness(n, cosigner(n).verifier().vkey)
    policy = b.group("three", 3, names).quorum("three").build()

    store = open_store(f"sqlite:///{tmp_path / 'log.db'}")
    with witness_farm(witnesses) as urls:
        hook = Cosigner(policy, store, urls=urls, timeout=10.0, retries=0)
        ledger = TileLog.create(
            tmp_path / "log", origin, Ed25519NoteSigner(origin, key), store, cosigner=hook
        )
        hook.consistency_proof = ledger.consistency_proof
        try:
            for batch in range(4):
                ledger.append([f"entry {batch}.{i}".encode() for i in range(37 * batch + 1)])
                verified = policy.verify(ledger.checkpoint(), origin)
                assert verified.checkpoint.size == ledger.size
                assert verified.witnesses == frozenset(names)
                assert hook.last is not None and not hook.last.missing
        finally:
            ledger.close()
            hook.close()
    assert {w.store.state(origin).size for w in witnesses.values()} == {ledger.size}
    store.dispose()

"""A TileLog on a temporary directory with a metadata store on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog

from . import engines

# The shared store fixtures, re-exported so pytest finds them here.
engine = engines.engine
sqlite_engine = engines.sqlite_engine

ORIGIN = "test.truceline/log"


@pytest.fixture
def signer() -> Ed25519NoteSigner:
    # A fixed seed: deterministic checkpoints make failures reproducible.
    return Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


LogFactory = Callable[..., TileLog]


@pytest.fixture
def make_log(tmp_path: Path, signer: Ed25519NoteSigner) -> Iterator[LogFactory]:
    """make_log(engine, **kw): create (first call) or reopen the log in tmp_path/log."""
    opened: list[TileLog] = []

    def make(engine: Engine, **kw: object) -> TileLog:
        d = tmp_path / "log"
        log = (
            TileLog.open(d, signer, engine, **kw)  # type: ignore[arg-type]
            if (d / ".state").exists()
            else TileLog.create(d, ORIGIN, signer, engine, **kw)  # type: ignore[arg-type]
        )
        opened.append(log)
        return log

    yield make
    for log in opened:
        log.close()

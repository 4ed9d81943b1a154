"""Fixtures shared by the enforcement tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store

from ._world import principals

ORIGIN = "test.example/enforcement"


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[tuple[TileLog, TileLog]]:
    """Two handles on one log that starts with the principals: the writer stands for
    another process (adjudication), the reader for the appender's own; each sees the
    other's appends only after `refresh`, and both append to the same log."""
    signer = Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    db = f"sqlite:///{tmp_path / 's.db'}"
    writer = TileLog.create(tmp_path / "log", ORIGIN, signer, open_store(db))
    writer.append(principals())
    reader = TileLog.open(tmp_path / "log", signer, open_store(db))
    yield writer, reader
    reader.close()
    writer.close()

"""Any single changed byte in a file the audit covers is reported, naming that file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.ledger import tiles
from truceline.ledger.audit import audit_log
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store

from .conftest import ORIGIN

SIZE = 700  # 2 full bundles/tiles, partial bundle and tile of 188, level-1 partial of 2


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519NoteSigner]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signer = Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(32)))
    d = tmp_path_factory.mktemp("pristine")
    engine = open_store(f"sqlite:///{d / 's.db'}")
    log = TileLog.create(d / "log", ORIGIN, signer, engine)
    log.append([f"entry {i} ".encode() * (1 + i % 9) for i in range(SIZE)])
    log.close()
    engine.dispose()
    return d / "log", signer


def covered(size: int) -> list[str]:
    files = ["checkpoint"]
    files += [t.path for t in tiles.tiles_for_size(size)]
    files += [
        tiles.entries_path(n, tiles.tile_width(0, n, size)) for n in range((size + 255) // 256)
    ]
    return files


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pick=st.integers(min_value=0),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    bit=st.integers(0, 7),
)
def test_any_flipped_byte_is_located(
    pristine: tuple[Path, Ed25519NoteSigner],
    tmp_path_factory: pytest.TempPathFactory,
    pick: int,
    where: float,
    bit: int,
) -> None:
    src, signer = pristine
    work = tmp_path_factory.mktemp("flip") / "log"
    shutil.copytree(src, work)
    files = covered(SIZE)
    rel = files[pick % len(files)]
    path = work / rel
    data = bytearray(path.read_bytes())
    offset = int(where * len(data))
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))
    report = audit_log(work, signer.verifier())
    assert not report.ok, f"flip at {rel} byte {offset} went unnoticed"
    assert any(f.location.startswith(rel) for f in report.findings), (
        rel,
        offset,
        [str(f) for f in report.findings],
    )

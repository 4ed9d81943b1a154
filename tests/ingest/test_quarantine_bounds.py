"""Issue #11: the quarantine keeps a bounded prefix of each rejected input, and a bounded
total, evicting the oldest bytes first while every reason row stays."""

from __future__ import annotations

import hashlib
from pathlib import Path

from truceline.ingest.quarantine import RAW_PREFIX_BYTES
from truceline.observation import MAX_ENVELOPE_BYTES

from .conftest import make_world

BOUND = 64 * 1024


def test_prefix_and_total_bound_with_oldest_first_eviction(tmp_path: Path, store_url: str) -> None:
    world = make_world(tmp_path, store_url, quarantine_max_bytes=BOUND)
    try:
        q = world.ingestor.quarantine
        inputs = [bytes([65 + i % 26]) * (MAX_ENVELOPE_BYTES + 1 + i) for i in range(100)]
        ids = []
        for lo in range(0, len(inputs), 7):  # several batches, as submissions arrive
            results = world.ingestor.ingest(inputs[lo : lo + 7])
            assert {r.reason for r in results} == {"too_large"}
            ids += [r.quarantine_id for r in results]
        assert q.counts() == {"too_large": 100}  # every rejection is still accounted for
        assert q.kept_bytes() <= BOUND
        rows = [q.get(i) for i in ids]
        for raw, row in zip(inputs, rows, strict=True):
            assert row is not None
            assert row.size == len(raw) and row.sha256 == hashlib.sha256(raw).hexdigest()
            assert row.truncated and row.raw in (raw[:RAW_PREFIX_BYTES], b"")
        kept = [row is not None and bool(row.raw) for row in rows]
        # the newest keep their bytes, the oldest lost them: one boundary, oldest first
        assert kept[-1] and not kept[0]
        assert kept == sorted(kept)
        assert sum(kept) * RAW_PREFIX_BYTES <= BOUND
    finally:
        world.ingestor.close()
        world.ledger.close()

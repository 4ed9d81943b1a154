"""Exporting equivocation evidence as plain files anyone can re-verify.

<dir>/<id>-<kind>/seen.checkpoint      the note on record (with this witness's cosignature)
<dir>/<id>-<kind>/offered.checkpoint   the contradicting note, as the log signed it
<dir>/<id>-<kind>/proof                old size line + proof lines, as in the request
<dir>/<id>-<kind>/README               what the two notes show
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path

from truceline.ledger.witness.store import Evidence


def export_evidence(items: Iterable[Evidence], out: Path) -> list[Path]:
    written = []
    for ev in items:
        d = out / f"{ev.id:06d}-{ev.kind}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "seen.checkpoint").write_bytes(ev.seen)
        (d / "offered.checkpoint").write_bytes(ev.offered)
        proof = [f"old {ev.old_size}"] + [base64.b64encode(h).decode() for h in ev.proof]
        (d / "proof").write_text("\n".join(proof) + "\n")
        (d / "README").write_text(
            f"origin: {ev.origin}\nkind: {ev.kind}\nobserved_at: {ev.observed_at}\n"
            f"detail: {ev.detail}\n\n"
            "Both checkpoints carry the log's signature. 'same-size-different-root' is\n"
            "proof of equivocation by itself; for 'inconsistent-proof', check the proof\n"
            "against the log's tiles (a bad proof alone does not prove a fork).\n"
        )
        written.append(d)
    return written

"""What a verifier remembers of a log between runs, and the check that the log kept its word.

A log must never sign two inconsistent checkpoints. Whoever holds the log key
can still do it (drop an entry, re-sign a shorter or different tree), and a
check that looks only at today's files finds nothing wrong. So each verifier
remembers the last checkpoint it verified and, on the next run, requires the
new one to extend it (`check_extends`):

* a smaller size is a **rollback**; when the remembered tree's own tiles are at
  hand, it also says whether the smaller checkpoint is an old one replayed or a
  tree that was never a prefix of the remembered one;
* the same size with another root is a **fork**;
* a larger size needs an RFC 9162 consistency proof computed from the tiles of
  the new tree. If it fails, the proof is re-checked against the root those tiles
  give for the old size: when that passes, the tiles carry the *signed* new root
  and show an old tree other than the remembered one, which proves a fork by
  itself (anyone can re-run `merkle.verify_consistency` on the evidence). When it
  fails too, the tiles do not carry the signed root at all (`TilesDisagree`):
  damaged or substituted tiles, which prove nothing about the log's history.

`Memory` keeps the remembered checkpoint (a signed note, verbatim) and writes
evidence when something is refused. `truceline log audit` keeps one per log
(origin and vkey) under a state directory outside the audited home;
`truceline mirror` uses the mirror's own verified checkpoint. The caller
remembers a new checkpoint only after everything about it verified.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from truceline.ledger import merkle, note
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.durable import write_atomic
from truceline.ledger.logsign import parse_checkpoint
from truceline.ledger.tilestore import TileStore

ROLLBACK = "rollback"
FORK = "fork"


class Conflict(Exception):
    """The new checkpoint does not extend the remembered one."""

    def __init__(
        self,
        kind: str,
        message: str,
        proof: Sequence[bytes] = (),
        claimed_root: bytes | None = None,
    ) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.proof = tuple(proof)
        self.claimed_root = claimed_root
        """For a fork shown by a proof: the root the new tree gives for the remembered size."""


class TilesDisagree(Exception):
    """The tiles do not give the signed root of the new checkpoint: nothing is shown about history."""


def _hex(root: bytes) -> str:
    return root.hex()


def check_extends(
    old: Checkpoint,
    new: Checkpoint,
    new_tiles: TileStore | None,
    old_tiles: TileStore | None = None,
) -> tuple[bytes, ...] | None:
    """Raise `Conflict` unless the tree of `new` extends the tree of `old`.

    `new_tiles` holds the tiles of the tree of `new.size` (the audited log, or the
    served tiles); None skips the proof for a larger size (returns None: not checked).
    `old_tiles` optionally holds the tiles of the remembered tree, to tell a replayed
    old checkpoint from a rewritten history on rollback. Returns the consistency proof
    checked (empty when none is needed). Raises `TilesDisagree` as explained above.
    """
    if new.size < old.size:
        detail = ""
        if old_tiles is not None:
            was = old_tiles.root(new.size)
            detail = (
                f"; its root is the remembered tree's at size {new.size} (an old checkpoint served again)"
                if was == new.root_hash
                else f"; the remembered tree has root {_hex(was)} at size {new.size}, "
                f"not {_hex(new.root_hash)}: the log rewrote its history"
            )
        raise Conflict(
            ROLLBACK,
            f"checkpoint size {new.size} is smaller than the size {old.size} verified before{detail}",
        )
    if new.size == old.size:
        if new.root_hash != old.root_hash:
            raise Conflict(
                FORK,
                f"checkpoint size {new.size} has root {_hex(new.root_hash)}, but the checkpoint "
                f"of the same size verified before has root {_hex(old.root_hash)}",
            )
        return ()
    if old.size == 0:
        return ()  # the empty tree is a prefix of every tree
    if new_tiles is None:
        return None
    proof = new_tiles.consistency_proof(old.size, new.size)
    try:
        merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
        return tuple(proof)
    except merkle.ProofError as first:
        claimed = new_tiles.root(old.size)
        try:
            merkle.verify_consistency(old.size, new.size, claimed, new.root_hash, proof)
        except merkle.ProofError:
            raise TilesDisagree(
                f"the tiles do not give the signed root of size {new.size} ({first})"
            ) from None
    raise Conflict(
        FORK,
        f"checkpoint size {new.size} does not extend the size {old.size} verified before: "
        f"its tree has root {_hex(claimed)} at size {old.size}, the remembered checkpoint "
        f"says {_hex(old.root_hash)} (consistency proof from the tiles)",
        proof,
        claimed,
    )


@dataclass(frozen=True)
class Memory:
    """The last verified checkpoint of one log (`checkpoint`), and where evidence goes."""

    checkpoint: Path
    evidence: Path

    def recall(self) -> bytes | None:
        try:
            return self.checkpoint.read_bytes()
        except FileNotFoundError:
            return None

    def remember(self, signed: bytes) -> None:
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.checkpoint, signed)

    def keep_evidence(
        self,
        reason: str,
        message: str,
        offered: bytes | None,
        *,
        proof: Sequence[bytes] = (),
        claimed_root: bytes | None = None,
        fetched: Path | None = None,
        now: datetime | None = None,
    ) -> Path:
        """Write the refused checkpoint, the remembered one, the proof and `fetched` (moved)."""
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        base = self.evidence / f"{stamp}-{reason}"
        out, n = base, 1
        while out.exists():
            n += 1
            out = base.with_name(f"{base.name}-{n}")
        out.mkdir(parents=True)
        remembered = self.recall()
        if remembered is not None:
            (out / "remembered.checkpoint").write_bytes(remembered)
        if offered is not None:
            (out / "offered.checkpoint").write_bytes(offered)
        if proof:
            (out / "consistency.proof").write_text(
                "".join(base64.b64encode(h).decode() + "\n" for h in proof)
            )
        if fetched is not None and fetched.exists():
            shutil.move(fetched, out / "fetched")
        (out / "README").write_text(_readme(reason, message, remembered, offered, claimed_root))
        return out


def _readme(
    reason: str,
    message: str,
    remembered: bytes | None,
    offered: bytes | None,
    claimed_root: bytes | None,
) -> str:
    lines = [f"refused: {reason}", f"why: {message}", ""]
    if remembered is not None:
        old = parse_checkpoint(remembered)
        lines.append(f"remembered.checkpoint: size {old.size}, verified before (signed note)")
    if offered is not None:
        lines.append("offered.checkpoint: what the log presented this time, verbatim")
    if claimed_root is not None:
        lines += [
            "consistency.proof: the RFC 9162 consistency proof from the remembered size to the",
            "offered size, computed from the log's tiles (base64, one hash per line). It verifies",
            "from the root below to the offered checkpoint's root, and fails from the remembered",
            "checkpoint's root: the log signed two trees that are not one history.",
            f"claimed-root {claimed_root.hex()}",
        ]
    lines += [
        "fetched/ (if present): the tiles and entry bundles fetched for the offered checkpoint,",
        "at their tlog-tiles paths.",
    ]
    return "\n".join(lines) + "\n"


def default_state_dir() -> Path:
    """`$XDG_STATE_HOME/truceline/audit`, else `~/.local/state/truceline/audit`."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "truceline" / "audit"


def memory_for(state_dir: Path, verifier: note.Verifier) -> Memory:
    """The memory of the log signed by `verifier` (origin and key), under `state_dir`."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", verifier.name)[:80]
    digest = hashlib.sha256(verifier.vkey.encode()).hexdigest()[:16]
    d = state_dir / f"{slug}-{digest}"
    return Memory(d / "checkpoint", d / "evidence")

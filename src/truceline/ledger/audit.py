"""Audit a tile log from its stored objects alone: every tile and the root recomputed from the entry bundles.

Checks, with the location of every difference:

* the checkpoint note opens under the log's verifier key (and, when a policy
  is given, satisfies its witness quorum);
* every entry bundle decodes to exactly the width its tree size requires;
* every hash tile (full ones, and the partial ones of the checkpoint's size)
  equals, byte for byte, what the bundles give;
* the root of the bundles equals the checkpoint's root.

Blame: the expected tiles are computed from the bundles. When the bundles
give the signed root, any differing tile is a damaged tile. When they do not
but the stored tiles do, the bundles were changed: the differing level-0
hashes point at the changed entries. When neither gives the signed root,
every difference is reported as is. The audit is streaming (one bundle and
the right border in memory), so it scales to any log size.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from truceline.ledger import checkpoint as cps
from truceline.ledger import merkle, note, tiles
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.integrate import grow, root_from_tails
from truceline.ledger.logsign import parse_checkpoint
from truceline.ledger.memory import Conflict, Memory, TilesDisagree, check_extends
from truceline.ledger.policy import Policy
from truceline.ledger.storage import as_storage
from truceline.ledger.storage.base import CHECKPOINT, TREE_STATE, TileStorage
from truceline.ledger.tilestore import TileStore, TileStoreError

_W = tiles.TILE_WIDTH
_H = merkle.HASH_SIZE


@dataclass(frozen=True)
class Finding:
    location: str
    """A file path relative to the log directory, with the entry/hash index and byte offset."""
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class _TileDiff:
    level: int
    index: int
    path: str
    hash_index: int
    offset: int
    bundle: str | None = None
    entry_offset: int | None = None
    what: str = ""


@dataclass
class AuditReport:
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    bundles: int = 0
    tiles: int = 0
    findings: list[Finding] = field(default_factory=list)
    checkpoint: bytes | None = None
    """The checkpoint note audited, verbatim, when its log signature verified."""

    @property
    def ok(self) -> bool:
        return not self.findings


def _entry_offsets(entries: list[bytes]) -> Iterator[int]:
    off = 0
    for e in entries:
        yield off
        off += 2 + len(e)


def _first_diff(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class _Auditor:
    def __init__(self, storage: TileStorage, report: AuditReport) -> None:
        self.storage = storage
        self.report = report
        self.diffs: list[_TileDiff] = []
        self.last_bundle: tuple[str | None, list[bytes] | None] = (None, None)

    def find(self, location: str, message: str) -> None:
        self.report.findings.append(Finding(location, message))

    def read(self, rel: str) -> bytes | None:
        data = self.storage.get(rel)
        if data is None:
            self.find(rel, "missing")
        return data

    def compare_tile(
        self, rel: str, expected: bytes, bundle: str | None, entries: list[bytes] | None
    ) -> None:
        stored = self.read(rel)
        self.report.tiles += 1
        if stored is None or stored == expected:
            return
        t = tiles.parse_tile_path(rel)
        if len(stored) != len(expected):
            self.find(rel, f"{len(stored)} bytes, want {len(expected)}")
            return
        off = _first_diff(stored, expected)
        hi = off // _H
        diff = _TileDiff(t.level, t.index, rel, hi, off)
        if t.level == 0 and bundle is not None and entries is not None and hi < len(entries):
            diff.bundle = bundle
            diff.entry_offset = list(_entry_offsets(entries))[hi]
        self.diffs.append(diff)

    def run(self, size: int) -> bytes:
        """Recompute all tiles of a tree of `size` from the bundles; returns the bundles' root."""
        tails: dict[int, list[bytes]] = {}
        done = 0
        nbundles = (size + _W - 1) // _W
        for b in range(nbundles):
            width = tiles.tile_width(0, b, size)
            rel = tiles.entries_path(b, width)
            entries = self.bundle(rel, width)
            self.report.bundles += 1
            if entries is None:
                leaves = self.stand_in_leaves(b, width)
            else:
                leaves = [merkle.leaf_hash(e) for e in entries]
            growth = grow(tails, done, leaves)
            for tile_rel, expected in growth.files:
                if ".p/" not in tile_rel:
                    self.compare_tile(tile_rel, expected, rel, entries)
            tails, done = growth.tails, done + width
            if width < _W:  # the last, partial bundle: compare the final partial tiles
                self.last_bundle = (rel, entries)
        for level, hashes in sorted(tails.items()):
            n = (size >> (tiles.TILE_HEIGHT * level)) // _W
            rel = tiles.tile_path(level, n, len(hashes))
            bundle, entries = self.last_bundle if level == 0 else (None, None)
            self.compare_tile(rel, b"".join(hashes), bundle, entries)
        return root_from_tails(tails)

    def stand_in_leaves(self, b: int, width: int) -> list[bytes]:
        """For an unreadable bundle, go on with its stored level-0 hashes: one bad bundle, one finding."""
        stored = self.storage.get(tiles.tile_path(0, b, width)) or b""
        if len(stored) != _H * width:
            stored = b"\0" * (_H * width)
        return [stored[i : i + _H] for i in range(0, _H * width, _H)]

    def bundle(self, rel: str, width: int) -> list[bytes] | None:
        data = self.read(rel)
        if data is None:
            return None
        try:
            entries = tiles.decode_bundle(data)
        except tiles.TileError as exc:
            self.find(rel, str(exc))
            return None
        if len(entries) != width:
            self.find(rel, f"{len(entries)} entries, want {width}")
            return None
        return entries


def _open_checkpoint(
    storage: TileStorage, verifier: note.Verifier, policy: Policy | None, report: AuditReport
) -> Checkpoint | None:
    """The verified checkpoint, or None (with findings) if it does not verify."""
    signed = storage.get(CHECKPOINT)
    if signed is None:
        report.findings.append(Finding("checkpoint", "missing"))
        return None
    try:
        cp, _ = cps.open_checkpoint(signed, [verifier], origin=verifier.name)
    except (note.NoteError, ValueError) as exc:
        line = ""
        text = signed.decode("utf-8", "replace")
        for i, ln in enumerate(text.split("\n"), 1):
            if ln.startswith(note.SIG_PREFIX + verifier.name + " "):
                line = f" (signature on line {i})"
        report.findings.append(
            Finding("checkpoint", f"does not verify under {verifier.name}{line}: {exc}")
        )
        return None
    report.checkpoint = signed
    if policy is not None:
        try:
            policy.verify(signed, origin=cp.origin)
        except (note.NoteError, ValueError) as exc:
            report.findings.append(Finding("checkpoint", f"policy: {exc}"))
    return cp


def _tree_state(storage: TileStorage) -> tuple[int, bytes] | None:
    data = storage.get_state(TREE_STATE)
    if data is None:
        return None
    try:
        obj = json.loads(data)
        return int(obj["size"]), base64.b64decode(obj["root"])
    except (ValueError, KeyError, TypeError):
        return None


def audit_log(
    where: TileStorage | Path | str, verifier: note.Verifier, policy: Policy | None = None
) -> AuditReport:
    """Audit the log in `where` (a storage driver, or a directory or URL, opened and closed here)."""
    storage = as_storage(where)
    try:
        return _audit(storage, verifier, policy)
    finally:
        if storage is not where:
            storage.close()


def _audit(storage: TileStorage, verifier: note.Verifier, policy: Policy | None) -> AuditReport:
    report = AuditReport()
    cp = _open_checkpoint(storage, verifier, policy, report)
    if cp is not None:
        size, want_root, source = cp.size, cp.root_hash, "checkpoint"
    else:
        # Still check the files, against the writer's private tree state.
        state = _tree_state(storage)
        if state is None:
            report.findings.append(Finding(".state/treeState", "missing or malformed"))
            return report
        size, want_root = state
        source = "tree state (the checkpoint did not verify)"
    report.size, report.root = size, want_root

    auditor = _Auditor(storage, report)
    bundle_root = auditor.run(size)
    try:
        tiles_root: bytes | None = TileStore(storage).root(size)
    except (TileStoreError, tiles.TileError, IndexError):
        tiles_root = None

    if bundle_root == want_root:
        for d in auditor.diffs:  # the bundles are right: the tile was changed
            report.findings.append(
                Finding(
                    f"{d.path}: hash {d.hash_index} (byte {d.offset})",
                    "differs from the hash recomputed from the entry bundles",
                )
            )
        return report
    if tiles_root == want_root:
        level0 = [d for d in auditor.diffs if d.level == 0]
        for d in level0:
            entry = d.index * _W + d.hash_index
            where = (
                f"{d.bundle}: entry {d.hash_index} (log index {entry}, byte {d.entry_offset})"
                if d.bundle
                else f"{d.path}: hash {d.hash_index}"
            )
            report.findings.append(
                Finding(
                    where,
                    f"entry changed: its leaf hash is not the one in {d.path} and the signed tree",
                )
            )
        if not level0:
            report.findings.append(
                Finding(
                    "tile/entries",
                    f"bundles give root {bundle_root.hex()}, {source} says {want_root.hex()}",
                )
            )
        return report
    for d in auditor.diffs:
        where = f"{d.path}: hash {d.hash_index} (byte {d.offset})"
        extra = f"; entry at {d.bundle} byte {d.entry_offset}" if d.bundle else ""
        report.findings.append(Finding(where, f"tile and entry bundle disagree{extra}"))
    report.findings.append(
        Finding(
            "checkpoint" if cp is not None else ".state/treeState",
            f"root {want_root.hex()} matches neither the bundles ({bundle_root.hex()}) nor the tiles",
        )
    )
    return report


def check_memory(report: AuditReport, where: TileStorage | Path | str, memory: Memory) -> list[str]:
    """Require the audited checkpoint to extend the one `memory` holds; remember it if so.

    A rollback or fork becomes a finding of `report` (evidence kept by `memory`). The
    checkpoint is remembered only when the whole audit passed. Returns what was done,
    one line each, for the caller to print.
    """
    if report.checkpoint is None:
        return []  # nothing verified to compare or remember
    signed = report.checkpoint
    cp = parse_checkpoint(signed)
    old = memory.recall()
    if old is None:
        if not report.ok:
            return [f"memory: nothing remembered yet for {cp.origin}; a failed audit is not"]
        memory.remember(signed)
        return [
            f"memory: first audit of {cp.origin}; remembered size {cp.size} in {memory.checkpoint}"
        ]
    before = parse_checkpoint(old)
    tiles_ok = report.ok  # the tiles were recomputed from the bundles: they carry the signed root
    try:
        proof = check_extends(before, cp, TileStore(as_storage(where)) if tiles_ok else None)
    except Conflict as exc:
        where = memory.keep_evidence(
            exc.kind, exc.message, signed, proof=exc.proof, claimed_root=exc.claimed_root
        )
        report.findings.append(Finding("checkpoint", f"{exc} (evidence in {where})"))
        return []
    except TilesDisagree as exc:
        report.findings.append(Finding("checkpoint", f"against the remembered checkpoint: {exc}"))
        return []
    if not report.ok or proof is None:
        return [f"memory: size {before.size} still remembered (a failed audit is not)"]
    memory.remember(signed)
    how = f"a consistency proof of {len(proof)} hashes" if proof else "no proof needed"
    return [
        f"memory: extends the size {before.size} checkpoint verified before ({how}); "
        f"remembered size {cp.size} in {memory.checkpoint}"
    ]

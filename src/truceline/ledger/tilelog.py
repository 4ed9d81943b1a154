"""The durable tile-backed log: a `Ledger` stored as c2sp.org/tlog-tiles objects.

The bytes live in a `storage.TileStorage` (a directory, servable as-is by any
static web server, or a PostgreSQL schema):

    checkpoint                      the latest signed checkpoint note (+ cosignatures)
    tile/<L>/<N>[.p/<W>]            hash tiles, every level, partial ones included
    tile/entries/<N>[.p/<W>]        entry bundles
    state treeState                 {"size", "root"}: the integrated tree (the commit point)
    state log.json                  {"origin"}
    the storage's lock              held while integrating

Write order of a batch (the model is Tessera's POSIX driver):

1. entry bundles and hash tiles, durably (`TileStorage.write_all`). Nothing
   refers to them yet, so a crash here leaves only objects past the tree size
   (or temp files), which the next open deletes (`discard_beyond`);
2. in parallel with 1, the dedup index rows (metadata store) are committed
   together with its `indexed_size`. The index may thus run ahead of the tree
   state; the next open (or batch) truncates it back. It is a cache of the
   bundles: when behind, it is caught up from them;
3. the `treeState` atomically (`put_state`). This is the commit point: from
   now on the batch is in the log;
4. the checkpoint is signed (and cosigned, through the `cosigner` hook) and
   written atomically. A crash between 3 and 4 is finished on the next open by
   publishing the checkpoint of the tree state; Ed25519 is deterministic, so
   re-signing the same size yields the same note;
5. only then are the indices returned.

A checkpoint therefore never names a size past the tree state, the tree state
never names data that is not durable, and every checkpoint signed is the root
of the one sequence of entries the bundles hold, so two are never inconsistent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from truceline.errors import TrucelineError
from truceline.ledger import merkle, tiles
from truceline.ledger.dedup import DedupIndex, entry_digest
from truceline.ledger.integrate import grow, root_from_tails
from truceline.ledger.logsign import LogSigner, checkpoint_body, parse_checkpoint
from truceline.ledger.reader import CheckpointFile, LogReader
from truceline.ledger.storage import as_storage
from truceline.ledger.storage.base import CHECKPOINT, LOG_CONFIG, TREE_STATE, TileStorage

Cosigner = Callable[[bytes, int], bytes]
"""cosigner(signed checkpoint note, previously published size) -> the note with cosignatures."""

MAX_ENTRY_SIZE = tiles.MAX_ENTRY_SIZE
_W = tiles.TILE_WIDTH


class LogError(TrucelineError, RuntimeError):
    """The log's storage is missing, inconsistent or cannot be written."""

    hint = (
        "run `truceline log audit --home H` to locate any damage; a damaged log is restored "
        "from a mirror (`truceline mirror`), never edited by hand"
    )


class EntryTooLarge(TrucelineError, ValueError):
    """An entry does not fit the uint16 length prefix of a tlog-tiles entry bundle."""


@dataclass(frozen=True)
class TreeState:
    size: int
    root: bytes

    def to_bytes(self) -> bytes:
        return (
            json.dumps({"size": self.size, "root": base64.b64encode(self.root).decode()}).encode()
            + b"\n"
        )

    @classmethod
    def parse(cls, data: bytes, where: str) -> TreeState:
        try:
            obj = json.loads(data)
            root = base64.b64decode(obj["root"], validate=True)
            size = int(obj["size"])
        except (ValueError, KeyError, TypeError) as exc:
            raise LogError(f"{where}: malformed tree state: {exc}") from exc
        if size < 0 or len(root) != merkle.HASH_SIZE:
            raise LogError(
                f"{where}: malformed tree state (size {size}, root of {len(root)} bytes)"
            )
        return cls(size, root)


def check_entry(what: str, e: object) -> None:
    """TypeError unless `e` is bytes-like; EntryTooLarge past the tlog-tiles limit."""
    if not isinstance(e, bytes | bytearray | memoryview):
        raise TypeError(f"{what}: want bytes, got {type(e).__name__}")
    if len(e) > MAX_ENTRY_SIZE:
        raise EntryTooLarge(
            f"{what}: {len(e)} bytes, at most {MAX_ENTRY_SIZE} "
            "(tlog-tiles entry bundles use a uint16 length prefix)"
        )


def check_entries(entries: Sequence[bytes]) -> None:
    for i, e in enumerate(entries):
        check_entry(f"entries[{i}]", e)


class TileLog(LogReader):
    """A single-writer-at-a-time tlog-tiles log; several processes may append (flock serialises them)."""

    def __init__(
        self,
        storage: TileStorage,
        origin: str,
        signer: LogSigner,
        store_engine: Engine,
        *,
        cosigner: Cosigner | None = None,
        cache_tiles: int = 4096,
    ) -> None:
        super().__init__(storage, origin, CheckpointFile(storage), cache_tiles)
        self._signer = signer
        self._cosigner = cosigner
        self._on_close: list[Callable[[], None]] = []
        self._bg = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tlog-dedup")
        self._dedup = DedupIndex(store_engine, origin)
        self._mu = threading.Lock()
        # Writer state, valid for tree size self._size (reloaded when another process moved it).
        self._size = 0
        self._root = merkle.EMPTY_ROOT
        self._tail_tiles: dict[int, list[bytes]] = {}
        self._tail_bundle: list[bytes] = []
        self._recovered = False

    # --- construction ------------------------------------------------------------

    @staticmethod
    def origin_of(where: TileStorage | Path | str) -> str:
        """The origin recorded when the log in `where` was created."""
        storage = as_storage(where)
        cfg = storage.get_state(LOG_CONFIG)
        if cfg is None:
            raise LogError(f"{storage.where}: no log here (no {LOG_CONFIG}); create it first")
        return str(json.loads(cfg)["origin"])

    @classmethod
    def create(
        cls,
        where: TileStorage | Path | str,
        origin: str,
        signer: LogSigner,
        store_engine: Engine,
        *,
        cosigner: Cosigner | None = None,
        cache_tiles: int = 4096,
        recover: bool = True,
    ) -> TileLog:
        """Make a new empty log in `where` (which must be absent or empty) and publish size 0."""
        storage = as_storage(where)
        if not origin or "\n" in origin or origin != origin.strip():
            raise ValueError(
                f"origin {origin!r}: must be one non-empty line without surrounding blanks"
            )
        if not storage.is_empty():
            raise LogError(f"{storage.where}: not empty; use TileLog.open")
        storage.prepare()
        storage.put_state(LOG_CONFIG, json.dumps({"origin": origin}).encode() + b"\n")
        storage.put_state(TREE_STATE, TreeState(0, merkle.EMPTY_ROOT).to_bytes())
        return cls.open(
            storage,
            signer,
            store_engine,
            cosigner=cosigner,
            cache_tiles=cache_tiles,
            recover=recover,
        )

    @classmethod
    def open(
        cls,
        where: TileStorage | Path | str,
        signer: LogSigner,
        store_engine: Engine,
        *,
        cosigner: Cosigner | None = None,
        cache_tiles: int = 4096,
        recover: bool = True,
    ) -> TileLog:
        """Open an existing log, recovering from any interrupted batch.

        With `recover=False` the caller wires things that need the log object
        (e.g. a cosigner's consistency-proof source) and then calls `recover()`,
        which may publish a checkpoint and so call the cosigner.
        """
        storage = as_storage(where)
        origin = cls.origin_of(storage)
        log = cls(storage, origin, signer, store_engine, cosigner=cosigner, cache_tiles=cache_tiles)
        if recover:
            log.recover()
        return log

    def close(self) -> None:
        self.storage.close()
        self._bg.shutdown(wait=True)
        for release in self._on_close:
            release()

    def close_with(self, release: Callable[[], None]) -> None:
        """Run `release` when the log closes: for resources the log was opened with."""
        self._on_close.append(release)

    # --- recovery ---------------------------------------------------------------------

    def _read_tree_state(self) -> TreeState:
        data = self.storage.get_state(TREE_STATE)
        where = f"{self.storage.where}: {TREE_STATE}"
        if data is None:
            raise LogError(f"{where}: missing")
        return TreeState.parse(data, where)

    def _load(self, state: TreeState) -> None:
        """Rebuild the writer's right border for `state` from the tiles."""
        tail: dict[int, list[bytes]] = {}
        for t in tiles.partial_tiles(state.size):
            tail[t.level] = list(self.tiles.tile(t.level, t.index, state.size)[0])
        got = root_from_tails(tail)
        if got != state.root:
            raise LogError(
                f"tiles give root {got.hex()} for size {state.size}, tree state says {state.root.hex()}"
            )
        self._tail_bundle = (
            self.tiles.bundle(state.size // _W, state.size) if state.size % _W else []
        )
        self._size, self._root, self._tail_tiles = state.size, state.root, tail

    def recover(self) -> None:
        """Finish or discard a half-integrated batch, deterministically (called by `open`)."""
        with self._mu, self.storage.lock():
            state = self._read_tree_state()
            self.storage.discard_beyond(state.size)
            self._load(state)
            published = self._read_published()
            if published is not None and published[0] > state.size:
                raise LogError(
                    f"checkpoint size {published[0]} is past the tree state size {state.size}: "
                    "the log's storage was altered"
                )
            if published is not None and published[0] == state.size and published[1] != state.root:
                raise LogError(f"checkpoint root for size {state.size} differs from the tree state")
            self._published = published[0] if published else 0
            if published is None or published[0] < state.size:
                self._publish()  # the batch committed before the crash: finish it
            self._sync_dedup()
            self._recovered = True

    def _read_published(self) -> tuple[int, bytes] | None:
        note = self.storage.get(CHECKPOINT)
        if note is None:
            return None
        cp = parse_checkpoint(note)
        if cp.origin != self.origin:
            raise LogError(f"checkpoint origin {cp.origin!r} is not this log's {self.origin!r}")
        return cp.size, cp.root_hash

    def _sync_dedup(self) -> None:
        indexed = self._dedup.indexed_size()
        if indexed > self._size:
            self._dedup.truncate(self._size)
        elif indexed < self._size:
            self._dedup.catch_up(indexed, self._iter_entries(indexed, self._size), self._size)

    # --- appending -------------------------------------------------------------------

    def append(self, entries: Sequence[bytes]) -> list[int]:
        check_entries(entries)
        entries = [e if type(e) is bytes else bytes(e) for e in entries]  # copy only views
        if not entries:
            return []
        if not self._recovered:
            raise LogError("the log was opened with recover=False; call recover() first")
        with self._mu, self.storage.lock():
            state = self._read_tree_state()
            if state.size != self._size or state.root != self._root:
                self._load(state)  # another process appended (and may have cleaned up)
                self.storage.forget_cached()
                self._published = max(self._published, self._read_published_size())
            self._sync_dedup()
            digests = [entry_digest(e) for e in entries]
            known = self._dedup.lookup(digests)
            indices: list[int] = []
            fresh: list[bytes] = []
            rows: list[tuple[bytes, int]] = []
            for d, e in zip(digests, entries, strict=True):
                idx = known.get(d)
                if idx is None:
                    idx = self._size + len(fresh)
                    known[d] = idx
                    fresh.append(e)
                    rows.append((d, idx))
                indices.append(idx)
            if fresh:
                # The metadata commit overlaps hashing and fsyncs (both release the GIL).
                record = self._bg.submit(self._dedup.record, rows, self._size + len(fresh))
                try:
                    completed = self._integrate(fresh, record)
                finally:
                    record.exception()  # never leave it running into the next batch
                self._publish()
                self._drop_superseded_partials(completed)
            elif self._published < self._size:
                self._publish()
            return indices

    def _read_published_size(self) -> int:
        got = self._read_published()
        return got[0] if got else 0

    def _integrate(
        self, fresh: list[bytes], record: Future[None] | None = None
    ) -> list[tuple[int, int]]:
        """Write bundles and tiles for `fresh`, then commit the tree state. Returns completed tiles."""
        old = self._size
        new = old + len(fresh)
        files: list[tuple[str, bytes]] = []
        completed: list[tuple[int, int]] = []  # (level or -1 for bundles, index)

        bundle = list(self._tail_bundle)
        bidx = old // _W
        for e in fresh:
            bundle.append(e)
            if len(bundle) == _W:
                files.append((tiles.entries_path(bidx), tiles.encode_bundle(bundle)))
                completed.append((-1, bidx))
                bidx += 1
                bundle = []
        if bundle:
            files.append((tiles.entries_path(bidx, len(bundle)), tiles.encode_bundle(bundle)))

        growth = grow(self._tail_tiles, old, [hashlib.sha256(b"\x00" + e).digest() for e in fresh])
        files.extend(growth.files)
        completed.extend(growth.completed)
        root = root_from_tails(growth.tails)
        self.storage.write_all(files)
        if record is not None:
            record.result()  # the dedup rows may run ahead of the tree state; recovery truncates them
        self.storage.put_state(TREE_STATE, TreeState(new, root).to_bytes())
        # Committed.
        self._size, self._root, self._tail_tiles, self._tail_bundle = (
            new,
            root,
            growth.tails,
            bundle,
        )
        return completed

    def _publish(self) -> None:
        note = self._signer.sign(checkpoint_body(self.origin, self._size, self._root))
        if self._cosigner is not None:
            note = self._cosigner(note, self._published)
        self.storage.put(CHECKPOINT, note)
        self._published = self._size

    def _drop_superseded_partials(self, completed: list[tuple[int, int]]) -> None:
        """Partial tiles may go once the full tile exists (tlog-tiles); keeps the storage small."""
        self.storage.drop_partials(
            [
                tiles.entries_path(n) if level < 0 else tiles.tile_path(level, n)
                for level, n in completed
            ]
        )

    # --- reading (the rest is LogReader's) ------------------------------------------

    def _proof_limit(self) -> int:
        # The cosigner asks for proofs to the size being published, before its checkpoint exists.
        return max(self._size, self._published)

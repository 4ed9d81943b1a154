"""`truceline mirror`: keep a public-data copy of a log, trusting nothing the server sends.

The mirror home holds what anyone may hold and nothing private:

    DIR/log.vkey        the log's verifier key (pinned: given, or trusted on first use)
    DIR/policy          the witness policy (pinned likewise; absent when the log has none)
    DIR/log/checkpoint  the last checkpoint verified (the mirror's memory and commit point)
    DIR/log/tile/...    tiles and entry bundles, c2sp.org/tlog-tiles layout
    DIR/evidence/...    one directory per refused update (see `memory.Memory.keep_evidence`)

Each run (`mirror(home, fetcher)`):

1. fetches the checkpoint; its log signature must verify under the pinned vkey and,
   with a pinned policy, its cosignatures must meet the quorum;
2. compares it with the checkpoint verified before (`memory.check_extends`): a
   smaller size is a rollback, the same size with another root a fork;
3. fetches the entry bundles from the old right edge on and the tiles the growth
   creates or widens (`tiles.new_tiles`), a sliding window of them in parallel,
   each written to `DIR/.incoming/` as it arrives;
4. recomputes every hash tile from the entries, growing the mirror's own verified
   right border, and compares each fetched tile with it byte for byte; the root of
   the result must be the signed root, and a consistency proof from the old
   checkpoint (from these tiles) must verify;
5. only then moves the files into `DIR/log/`, fsyncs, and replaces the checkpoint.

Whatever fails, the earlier state is untouched. A refusal (`MirrorRefused`) keeps
both checkpoints and everything fetched under `DIR/evidence/`. When the
recomputation fails, the server's own tiles for a consistency proof are fetched
too, to tell a proven fork (its tiles carry the signed root and another old
tree) from damaged tiles or altered entries, and to name the fault.

A log needs no dedup index to be read (`ReadOnlyLog` never appends), so the
mirror builds none; a writer opening these files would rebuild it from the bundles.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from truceline.errors import TrucelineError
from truceline.home import Home
from truceline.ledger import merkle, note, tiles
from truceline.ledger.checkpoint import Checkpoint, open_checkpoint
from truceline.ledger.durable import file_lock, fsync_path
from truceline.ledger.fetch import FetchError, TileFetcher
from truceline.ledger.integrate import grow, root_from_tails
from truceline.ledger.keys import KeyFileError, load_log_verifier
from truceline.ledger.logsign import parse_checkpoint
from truceline.ledger.memory import Conflict, Memory, TilesDisagree, check_extends
from truceline.ledger.policy import Policy, PolicyError
from truceline.ledger.tiles import ENTRIES, Tile
from truceline.ledger.tilestore import TileStore, TileStoreError

_W = tiles.TILE_WIDTH
_H = tiles.HASH_SIZE
INCOMING = ".incoming"
LOCK = ".mirror.lock"
EVIDENCE = "evidence"

Progress = Callable[[int, int], None]
"""progress(entries verified so far in this run, entries this run must verify)."""


class MirrorError(TrucelineError, RuntimeError):
    """The run could not complete (configuration, network, server errors); nothing was changed."""


class MirrorRefused(MirrorError):
    """The server's log is not what the pinned key, policy and memory allow; evidence was kept."""

    def __init__(self, reason: str, message: str, evidence: Path) -> None:
        super().__init__(f"refused ({reason}): {message}")
        self.reason = reason
        self.message = message
        self.evidence = evidence


@dataclass
class MirrorResult:
    old_size: int
    size: int
    checkpoint: bytes
    fetched: list[tuple[str, int]] = field(default_factory=list)
    """(tlog-tiles path, bytes) of every tile and bundle fetched, in completion order."""
    wire_bytes: int = 0
    first: bool = False
    """Whether this run made the mirror (there was no verified checkpoint before)."""

    @property
    def entries(self) -> int:
        return self.size - self.old_size


def memory_of(home: Home) -> Memory:
    """The mirror's memory: its own verified checkpoint; evidence next to it."""
    return Memory(home.log_dir / "checkpoint", home.root / EVIDENCE)


class _Overlay(TileStore):
    """Tiles in `top` (fetched, not yet committed) over those in `bottom` (the mirror's own)."""

    def __init__(self, top: Path, bottom: Path) -> None:
        super().__init__(top, cache_tiles=256)
        self.bottom = TileStore(bottom, cache_tiles=0)

    def read_file(self, rel: str) -> bytes:
        try:
            return super().read_file(rel)
        except TileStoreError:
            return self.bottom.read_file(rel)

    def _read_grown(self, rel: str, full: str) -> bytes:
        try:
            return super()._read_grown(rel, full)
        except TileStoreError:
            return self.bottom._read_grown(rel, full)


def _write_staged(root: Path, rel: str, data: bytes) -> None:
    """Write a fetched file under the staging directory, durably (it may become the mirror's)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _last_bundle(t: Tile) -> int:
    """The entry bundle after which tile `t` can be computed (its last covered leaf's bundle)."""
    if t.is_entries:
        return t.index
    return (((t.index * _W + t.width) << (tiles.TILE_HEIGHT * t.level)) - 1) // _W


def fetch_plan(old: int, new: int) -> list[Tile]:
    """Bundles from the old right edge on and the new or wider tiles, in the order they are used."""
    bundles = [
        Tile(ENTRIES, b, tiles.tile_width(0, b, new)) for b in range(old // _W, -(-new // _W))
    ]
    hashes = [Tile(level, n, w) for level, n, w in tiles.new_tiles(old, new)]
    return sorted(bundles + hashes, key=lambda t: (_last_bundle(t), t.level))


@dataclass
class _Diff:
    """A fetched file that is not what the entries (or the mirror's verified copy) say."""

    tile: Tile
    where: str
    message: str
    hash_index: int | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def blame_entry(self) -> str:
        """For a level-0 tile hash: the entry whose leaf hash it should be, in its bundle."""
        if self.tile.level != 0 or self.hash_index is None:
            return str(self)
        bundle = Tile(ENTRIES, self.tile.index, self.tile.width).path
        return (
            f"{bundle}: entry {self.hash_index} (log index {self.tile.start + self.hash_index}) "
            f"changed: its leaf hash is not hash {self.hash_index} of {self.tile.path}"
        )


def _tile_diff(t: Tile, want: bytes | None, got: bytes) -> _Diff | None:
    if want is None:
        return _Diff(t, t.path, "no recomputed tile to compare")
    if want == got:
        return None
    if len(want) != len(got):
        return _Diff(t, t.path, f"{len(got)} bytes, want {len(want)}")
    off = next(i for i in range(len(want)) if want[i] != got[i])
    return _Diff(
        t,
        f"{t.path}: hash {off // _H} (byte {off})",
        "differs from the hash recomputed from the entry bundles",
        off // _H,
    )


@dataclass
class _Verification:
    tails: dict[int, list[bytes]]
    done: int
    diffs: list[_Diff] = field(default_factory=list)
    expected: dict[str, bytes] = field(default_factory=dict)

    def root(self) -> bytes:
        return root_from_tails(self.tails)


class _Run:
    def __init__(
        self, home: Home, fetcher: TileFetcher, progress: Progress | None, window: int
    ) -> None:
        self.home = home
        self.fetcher = fetcher
        self.progress = progress
        self.window = window
        self.memory = memory_of(home)
        self.incoming = home.root / INCOMING
        self.mine = TileStore(home.log_dir, cache_tiles=64)

    # --- 1 and 2: the checkpoint ---------------------------------------------------------

    def refuse(
        self, reason: str, message: str, offered: bytes | None, conflict: Conflict | None = None
    ) -> MirrorRefused:
        where = self.memory.keep_evidence(
            reason,
            message,
            offered,
            proof=conflict.proof if conflict else (),
            claimed_root=conflict.claimed_root if conflict else None,
            fetched=self.incoming,
        )
        return MirrorRefused(reason, message, where)

    def verified_checkpoint(self, verifier: note.Verifier, policy: Policy | None) -> bytes:
        signed = self.fetcher.get("checkpoint")
        if signed is None:
            raise MirrorError(self.fetcher.not_found("checkpoint", "no checkpoint"))
        try:
            open_checkpoint(signed, [verifier], origin=verifier.name)
        except (note.NoteError, ValueError) as exc:
            raise self.refuse(
                "signature", f"the checkpoint does not verify under {verifier.vkey}: {exc}", signed
            ) from None
        if policy is not None:
            try:
                policy.verify(signed, origin=verifier.name)
            except (note.NoteError, ValueError) as exc:
                raise self.refuse(
                    "quorum", f"the checkpoint does not satisfy the pinned policy: {exc}", signed
                ) from None
        return signed

    # --- 3 and 4: fetch and verify -------------------------------------------------------------

    def fetch(self, plan: list[Tile], size: int) -> Iterator[tuple[Tile, bytes]]:
        """Fetch `plan` with a sliding window; yield in plan order; each is staged as it lands."""

        def one(t: Tile) -> bytes:
            data = self.fetcher.tile(t, size)
            _write_staged(self.incoming, t.path, data)
            return data

        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="mirror-fetch") as pool:
            pending: deque[tuple[Tile, Future[bytes]]] = deque()
            todo = iter(plan)
            try:
                for t in todo:
                    pending.append((t, pool.submit(one, t)))
                    if len(pending) >= self.window:
                        break
                while pending:
                    t, fut = pending.popleft()
                    data = fut.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending.append((nxt, pool.submit(one, nxt)))
                    yield t, data
            finally:
                for _, fut in pending:
                    fut.cancel()

    def my_tails(self, old: Checkpoint) -> dict[int, list[bytes]]:
        tails = {
            t.level: list(self.mine.tile(t.level, t.index, old.size)[0])
            for t in tiles.partial_tiles(old.size)
        }
        if root_from_tails(tails) != old.root_hash:
            raise MirrorError(
                f"{self.home.log_dir}: the mirror's own tiles do not give its checkpoint's root; "
                "run `truceline log audit` on it"
            )
        return tails

    def verify(self, old: Checkpoint, new: Checkpoint) -> _Verification:
        v = _Verification(self.my_tails(old), old.size)
        total = new.size - old.size
        for t, data in self.fetch(fetch_plan(old.size, new.size), new.size):
            if t.is_entries:
                self.add_bundle(v, t, data)
                if self.progress is not None:
                    self.progress(v.done - old.size, total)
                continue
            if t.index == (new.size >> (tiles.TILE_HEIGHT * t.level)) // _W and not t.is_full:
                v.expected[t.path] = b"".join(v.tails.get(t.level, []))  # the final partial
            diff = _tile_diff(t, v.expected.pop(t.path, None), data)
            if diff is not None:
                v.diffs.append(diff)
        return v

    def add_bundle(self, v: _Verification, t: Tile, data: bytes) -> None:
        try:
            entries = tiles.decode_bundle(data)
        except tiles.TileError as exc:
            entries = None
            v.diffs.append(_Diff(t, t.path, str(exc)))
        if entries is not None and len(entries) != t.width:
            v.diffs.append(_Diff(t, t.path, f"{len(entries)} entries, want {t.width}"))
            entries = None
        known = v.done - t.start  # entries of this bundle verified by an earlier run
        if entries is None:
            # Go on with zero hashes so one bad bundle makes one finding, not a cascade.
            leaves = [b"\0" * _H] * (t.width - known)
        else:
            hashes = [merkle.leaf_hash(e) for e in entries]
            for i, (mine, got) in enumerate(zip(v.tails.get(0, [])[:known], hashes, strict=False)):
                if mine != got:
                    v.diffs.append(
                        _Diff(
                            t,
                            f"{t.path}: entry {i} (log index {t.start + i})",
                            "differs from the copy verified before",
                        )
                    )
            leaves = hashes[known:]
        growth = grow(v.tails, v.done, leaves)
        for rel, expected in growth.files:
            if ".p/" not in rel:
                v.expected[rel] = expected
        v.tails, v.done = growth.tails, v.done + len(leaves)

    # --- the fault, when the recomputation does not give the signed root ------------------------

    def served_view(self, old: Checkpoint, new: Checkpoint) -> TileStore:
        """The server's own tiles for the consistency proof and both roots (fetched if missing)."""
        ids = {
            *merkle.consistency_nodes(old.size, new.size).ids,
            *merkle.range_nodes(0, old.size),
            *merkle.range_nodes(0, new.size),
        }
        have = {rel for rel, _ in self.fetcher.fetched}
        for level, index in sorted(ids):
            t, _ = tiles.tile_for_node(level, index, new.size)
            if t.path not in have:
                _write_staged(self.incoming, t.path, self.fetcher.tile(t, new.size))
                have.add(t.path)
        return TileStore(self.incoming, cache_tiles=256)

    def diagnose(self, old: Checkpoint, new: Checkpoint, signed: bytes, v: _Verification) -> None:
        """Raise MirrorRefused naming the fault (called when something did not verify)."""
        root = v.root()
        served = self.served_view(old, new)
        if old.size:
            try:
                check_extends(old, new, served)
            except Conflict as exc:
                raise self.refuse(exc.kind, exc.message, signed, exc) from None
            except (TilesDisagree, TileStoreError):
                pass  # the served tiles prove nothing about history; blame below
        try:
            served_root: bytes | None = served.root(new.size)
        except (TileStoreError, tiles.TileError):
            served_root = None
        details = "; ".join(str(d) for d in v.diffs[:10])
        more = f" (and {len(v.diffs) - 10} more)" if len(v.diffs) > 10 else ""
        if root == new.root_hash:
            raise self.refuse(
                "tiles" if any(not d.tile.is_entries for d in v.diffs) else "entries",
                f"the entries give the signed root, but served files differ: {details}{more}",
                signed,
            )
        if served_root == new.root_hash and v.diffs:
            blamed = [d for d in v.diffs if d.tile.level <= 0]
            lines = "; ".join(d.blame_entry() for d in (blamed or v.diffs)[:10])
            raise self.refuse(
                "entries",
                f"the served tiles give the signed root, but the entry bundles do not "
                f"(they give {root.hex()}): {lines}{more}",
                signed,
            )
        raise self.refuse(
            "mismatch",
            f"neither the entry bundles (root {root.hex()}) nor the served tiles give the signed "
            f"root {new.root_hash.hex()}" + (f": {details}{more}" if details else ""),
            signed,
        )

    # --- 5: commit -----------------------------------------------------------------------------

    def commit(self, signed: bytes, plan: list[Tile]) -> None:
        dirs: set[Path] = set()
        for t in plan:
            src, dst = self.incoming / t.path, self.home.log_dir / t.path
            if not dst.parent.is_dir():
                dst.parent.mkdir(parents=True)
                dirs.update(p for p in dst.parents if p.is_relative_to(self.home.log_dir))
            os.replace(src, dst)
            dirs.add(dst.parent)
        for d in sorted(dirs, key=lambda p: -len(p.parts)):
            fsync_path(d)
        self.memory.remember(signed)  # the commit point
        for t in plan:
            pdir = self.home.log_dir / (t.full.path + ".p")
            if t.is_full and pdir.is_dir():
                shutil.rmtree(pdir, ignore_errors=True)  # superseded partials (tlog-tiles allows)
        shutil.rmtree(self.incoming, ignore_errors=True)

    def run(self, verifier: note.Verifier, policy: Policy | None) -> MirrorResult:
        if self.incoming.exists():
            shutil.rmtree(self.incoming)  # an interrupted run: nothing there was committed
        signed = self.verified_checkpoint(verifier, policy)
        new = parse_checkpoint(signed)
        remembered = self.memory.recall()
        old = (
            parse_checkpoint(remembered)
            if remembered is not None
            else Checkpoint(new.origin, 0, merkle.EMPTY_ROOT)
        )
        result = MirrorResult(old.size, new.size, signed, first=remembered is None)
        try:
            check_extends(old, new, None, self.mine if remembered is not None else None)
        except Conflict as exc:
            raise self.refuse(exc.kind, exc.message, signed) from None
        if remembered is not None and new.size == old.size:
            if signed != remembered:
                self.memory.remember(signed)  # same tree; other (valid) cosignatures
            return result
        self.incoming.mkdir(parents=True)
        plan = fetch_plan(old.size, new.size)
        v = self.verify(old, new)
        if v.root() != new.root_hash or v.diffs:
            self.diagnose(old, new, signed, v)
        try:
            check_extends(old, new, _Overlay(self.incoming, self.home.log_dir))
        except (
            Conflict,
            TilesDisagree,
        ) as exc:  # cannot happen after step 4; never commit if it does
            raise self.refuse("fork", str(exc), signed) from None
        self.commit(signed, plan)
        result.fetched, result.wire_bytes = list(self.fetcher.fetched), self.fetcher.wire_bytes
        return result


def mirror(
    home: Home,
    fetcher: TileFetcher,
    *,
    progress: Progress | None = None,
    window: int = 64,
) -> MirrorResult:
    """Bring the mirror in `home` up to the server's checkpoint, or refuse (see the module doc).

    The vkey (and policy, if any) must already be pinned (`trust.pin`). Raises
    `MirrorRefused` (evidence kept) or `MirrorError` (nothing changed).
    """
    if home.log_skey.exists():
        raise MirrorError(
            f"{home.root}: holds a log key ({home.log_skey}): that is an operator's home; "
            "a mirror holds public data only"
        )
    try:
        verifier = load_log_verifier(home)
    except KeyFileError as exc:
        raise MirrorError(f"{exc} (pin the log key first)") from exc
    policy = None
    if home.policy.exists():
        try:
            policy = Policy.parse(home.policy.read_bytes())
        except PolicyError as exc:
            raise MirrorError(f"{home.policy}: {exc}") from exc
    home.log_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(home, fetcher, progress, window)
    with file_lock(home.root / LOCK):
        try:
            return run.run(verifier, policy)
        except (FetchError, TileStoreError) as exc:
            shutil.rmtree(run.incoming, ignore_errors=True)
            raise MirrorError(str(exc)) from exc
        except MirrorRefused:
            raise
        except BaseException:
            shutil.rmtree(run.incoming, ignore_errors=True)
            raise


__all__ = [
    "FetchError",
    "MirrorError",
    "MirrorRefused",
    "MirrorResult",
    "TileFetcher",
    "fetch_plan",
    "memory_of",
    "mirror",
]

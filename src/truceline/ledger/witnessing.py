"""The log side of witnessing: collect cosignatures for each new checkpoint.

`Cosigner` is the `cosigner(note, previous_size) -> note` hook of
`truceline.ledger.tilelog.TileLog`. For every witness of a c2sp.org/tlog-policy
that has a URL it runs the tlog-witness conversation in parallel
(`WitnessClient.submit`: start from the size this log remembers for that
witness, follow 409s with the right consistency proof), verifies what comes
back against the witness's key, and appends the valid cosignature lines.

Liveness before completeness: a log must never block on a dead witness. After
`timeout` seconds, or `grace` seconds after the quorum is met, it publishes what
it has and logs (WARNING) exactly which witnesses are missing and why; the
`last` result says the same to callers. The size each witness is known to have
cosigned is kept in the store, so a restarted log does not start from zero.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Engine, String, Text, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from truceline.clock import Clock, SystemClock, monotonic, unix_seconds
from truceline.ledger import note as notes
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.cosignature import timestamp_of
from truceline.ledger.policy import Policy
from truceline.ledger.policy import Witness as PolicyWitness
from truceline.ledger.witness.client import (
    ConsistencyProof,
    WitnessClient,
    WitnessClientError,
    WitnessConflict,
    WitnessRefused,
    WitnessUnavailable,
)
from truceline.store.base import Base

__all__ = [
    "CosignResult",
    "Cosigner",
    "WitnessClient",
    "WitnessConflict",
    "WitnessRefused",
    "WitnessUnavailable",
    "verified_cosignatures",
]

log = logging.getLogger("truceline.witnessing")


class WitnessSizeRow(Base):
    """The latest size each witness is known to have cosigned for this log's origin."""

    __tablename__ = "witnessing_sizes"

    origin: Mapped[str] = mapped_column(String(1024), primary_key=True)
    witness_vkey: Mapped[str] = mapped_column(String(4096), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")


class WitnessSizes:
    def __init__(self, engine: Engine, origin: str) -> None:
        self.engine = engine
        self.origin = origin

    def get(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(WitnessSizeRow.witness_vkey, WitnessSizeRow.size).where(
                    WitnessSizeRow.origin == self.origin
                )
            )
            return {r[0]: r[1] for r in rows}

    def note_error(self, vkey: str, now: int, error: str) -> None:
        """Record why the last attempt failed, keeping the remembered size."""
        with self.engine.begin() as conn:
            conn.execute(
                update(WitnessSizeRow)
                .where(WitnessSizeRow.origin == self.origin, WitnessSizeRow.witness_vkey == vkey)
                .values(updated_at=now, last_error=error)
            )

    def put(self, vkey: str, size: int, now: int, error: str = "") -> None:
        values = {"size": size, "updated_at": now, "last_error": error}
        row = (WitnessSizeRow.origin == self.origin, WitnessSizeRow.witness_vkey == vkey)
        with self.engine.begin() as conn:
            if conn.execute(update(WitnessSizeRow).where(*row).values(**values)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(WitnessSizeRow).values(origin=self.origin, witness_vkey=vkey, **values)
                )
        except IntegrityError:  # a concurrent first write won; write over it
            with self.engine.begin() as conn:
                conn.execute(update(WitnessSizeRow).where(*row).values(**values))


@dataclass
class CosignResult:
    note: bytes
    """The checkpoint note with every valid cosignature appended."""
    cosigned: dict[str, bytes] = field(default_factory=dict)
    """Policy witness name -> its cosignature line."""
    missing: dict[str, str] = field(default_factory=dict)
    """Policy witness name -> why it did not cosign (in time)."""
    quorum_met: bool = False
    elapsed: float = 0.0


def verified_cosignatures(
    text: str, lines: bytes, witnesses: Sequence[PolicyWitness]
) -> dict[str, bytes]:
    """The lines in `lines` that are valid cosignatures of `text` by `witnesses`, by name.

    Lines from unknown keys are ignored (tlog-witness: "The client MUST ignore any
    cosignatures from unknown keys"); a known key's bad signature raises NoteError.
    """
    by_id = {(w.verifier.name, w.verifier.key_id): w.name for w in witnesses}
    try:
        opened = notes.open(text.encode() + b"\n" + lines, [w.verifier for w in witnesses])
    except notes.UnverifiedNoteError:
        return {}
    return {by_id[(s.name, s.key_id)]: s.line.encode() for s in opened.signatures}


class Cosigner:
    """Collect a tlog-policy quorum of cosignatures; callable as TileLog's `cosigner` hook."""

    def __init__(
        self,
        policy: Policy,
        engine: Engine,
        consistency_proof: ConsistencyProof | None = None,
        *,
        urls: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        grace: float = 0.2,
        request_timeout: float = 5.0,
        retries: int = 2,
        clock: Clock | None = None,
        max_skew: int = 300,
        client_factory: Callable[[str], WitnessClient] | None = None,
    ) -> None:
        """`urls` (policy witness name -> submission prefix) override the policy's URLs.

        `consistency_proof` may be set later (the log that owns it is usually
        built with this object as its hook).
        """
        self.policy = policy
        self.engine = engine
        # The engine may have been opened before this module was imported.
        Base.metadata.create_all(engine, tables=[WitnessSizeRow.__table__])  # type: ignore[list-item]
        self.consistency_proof = consistency_proof
        self.timeout = timeout
        self.grace = grace
        self.max_skew = max_skew
        self.clock: Clock = clock or SystemClock()
        urls = dict(urls or {})
        self.targets: list[PolicyWitness] = []
        self.unreachable: dict[str, str] = {}
        for w in policy.witnesses.values():
            url = urls.get(w.name) or w.url
            if url:
                self.targets.append(PolicyWitness(w.name, w.verifier, url))
            else:
                self.unreachable[w.name] = "no URL in the policy"
        make = client_factory or (
            lambda url: WitnessClient(url, timeout=request_timeout, retries=retries)
        )
        self.clients = {w.name: make(w.url or "") for w in self.targets}
        # Requests may outlive one call (a straggler is not waited for), so the pool is
        # shared; at most one request per witness is ever in flight (see `_inflight`), so
        # a hanging witness holds one worker, never the pool.
        self._pool = cf.ThreadPoolExecutor(
            max_workers=max(1, len(self.targets)), thread_name_prefix="cosign"
        )
        self._inflight: dict[str, cf.Future[bytes]] = {}
        self._mu = threading.Lock()
        self.last: CosignResult | None = None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for c in self.clients.values():
            c.close()

    def __call__(self, note: bytes, previous_size: int) -> bytes:
        return self.collect(note, previous_size).note

    def collect(self, note: bytes, previous_size: int) -> CosignResult:
        start = monotonic()
        deadline = start + self.timeout
        parsed = notes.parse(note)
        cp = Checkpoint.parse(parsed.text)
        sizes = WitnessSizes(self.engine, cp.origin)
        known = sizes.get()
        prove = self.consistency_proof or _no_proofs

        def one(w: PolicyWitness) -> bytes:
            # First contact: guess the previously published size; a 409 corrects it.
            old = known.get(w.verifier.vkey, previous_size)
            now = unix_seconds(self.clock)
            try:
                sub = self.clients[w.name].submit(note, cp.size, old, prove, deadline)
            except (WitnessClientError, ValueError) as exc:
                sizes.note_error(w.verifier.vkey, now, str(exc)[:500])
                raise
            # The witness has moved to cp.size whatever we make of its answer.
            problem = ""
            try:
                lines = verified_cosignatures(parsed.text, sub.cosignatures, [w])
            except notes.NoteError as exc:
                lines, problem = {}, f"bad cosignature: {exc}"
            if w.name not in lines:
                problem = problem or "response has no valid cosignature from its key"
            else:
                ts = timestamp_of(notes.parse(b"-\n\n" + lines[w.name]).signatures[0].signature)
                if ts > unix_seconds(self.clock) + self.max_skew:
                    # tlog-cosignature: verifiers MAY reject future timestamps; ours must not ship.
                    problem = (
                        f"cosignature timestamp {ts} is more than {self.max_skew}s in the future"
                    )
            sizes.put(w.verifier.vkey, cp.size, now, problem)
            if problem:
                raise WitnessRefused(200, problem)
            return lines[w.name]

        result = CosignResult(note=note, missing=dict(self.unreachable))
        futures: dict[cf.Future[bytes], str] = {}
        with self._mu:
            for w in self.targets:
                previous = self._inflight.get(w.name)
                if previous is not None and not previous.done():
                    result.missing[w.name] = "unavailable: previous request still unanswered"
                    continue
                f = self._pool.submit(one, w)
                self._inflight[w.name] = f
                futures[f] = w.name
        pending = set(futures)
        quorum_at: float | None = None
        while pending:
            now = monotonic()
            limit = deadline if quorum_at is None else min(deadline, quorum_at + self.grace)
            if now >= limit:
                break
            done, pending = cf.wait(pending, timeout=limit - now, return_when=cf.FIRST_COMPLETED)
            for f in done:
                name = futures[f]
                try:
                    result.cosigned[name] = f.result()
                except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal
                    result.missing[name] = f"{getattr(exc, 'reason', 'error')}: {exc}"
            if quorum_at is None and self.policy.witnessed(
                self.policy.quorum, set(result.cosigned)
            ):
                quorum_at = monotonic()
        waited = (
            f"{self.grace:g}s after the quorum was met"
            if quorum_at is not None
            else f"{self.timeout:g}s"
        )
        for f in pending:
            result.missing[futures[f]] = f"no answer within {waited} (still running)"

        result.quorum_met = self.policy.witnessed(self.policy.quorum, set(result.cosigned))
        # A key that already signed the note is not added twice (note.open would skip it).
        have = {(s.name, s.key_id) for s in parsed.signatures}
        order = [n for n in self.policy.witnesses if n in result.cosigned]
        new = b"".join(
            result.cosigned[n]
            for n in order
            if (self.policy.witnesses[n].verifier.name, self.policy.witnesses[n].verifier.key_id)
            not in have
        )
        result.note = note + new
        result.elapsed = monotonic() - start
        self._report(cp, result)
        self.last = result
        return result

    def _report(self, cp: Checkpoint, result: CosignResult) -> None:
        if not result.missing:
            log.info(
                "%s@%d cosigned by all %d witnesses in %.3fs",
                cp.origin,
                cp.size,
                len(result.cosigned),
                result.elapsed,
            )
            return
        missing = "; ".join(f"{n} ({why})" for n, why in sorted(result.missing.items()))
        if result.quorum_met:
            log.warning(
                "%s@%d quorum met (%d cosigned) but witnesses missing: %s",
                cp.origin,
                cp.size,
                len(result.cosigned),
                missing,
            )
        else:
            log.warning(
                "%s@%d QUORUM NOT MET after %.3fs (cosigned by %s); publishing anyway; missing: %s",
                cp.origin,
                cp.size,
                result.elapsed,
                sorted(result.cosigned) or "none",
                missing,
            )


def _no_proofs(old: int, new: int) -> Sequence[bytes]:
    raise ValueError(
        f"consistency proof {old} -> {new} needed, but the Cosigner has no consistency_proof"
    )

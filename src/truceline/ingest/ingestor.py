"""Ingest as a library call: a batch of envelopes in, one result per envelope out.

    ingestor = Ingestor(ledger, engine, Authority(), clock)
    results = ingestor.ingest([envelope_bytes, ...])

Stateless checks (size, DSSE shape, signature, payload type, RFC 8785 form,
schema) run inline or in a process pool; stateful ones (key status at
observed_at, the signer's role under `truceline.authority`, the agreement's time
bounds, seq, imported-row duplicates) then run in input order under a lock, and every
accepted entry of the batch is appended to the ledger in one durable append. Rejections go
to the quarantine (a bounded prefix of their bytes, with size and hash). An accepted
envelope is acknowledged only after the append returned, so nothing acknowledged is ever lost.
An accepted report that states its device clock (the field app's) also gets its stated time
checked against its arrival (`Result.time`, `field.deviceclock.time_check`): a flag in the
result, not a refusal, since the log keeps no arrival time to judge it by again.

`workers > 0` starts a forkserver process pool: a script that creates such an
Ingestor must do so under `if __name__ == "__main__":` (the workers re-import
the main module), as every console script does.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import multiprocessing
import pickle
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from truceline.authority import KIND_WRITERS, WRITERS, Authority
from truceline.clock import Clock, SystemClock
from truceline.codec.entries import Record, read
from truceline.codec.keys import raw_public
from truceline.field.deviceclock import time_check
from truceline.ingest.check import Checked, KeyTable, check_chunk, check_envelope, unpack
from truceline.ingest.quarantine import DEFAULT_MAX_RAW_BYTES, Quarantine
from truceline.ingest.reasons import Reason, Rejection
from truceline.ingest.state import IngestState
from truceline.ingest.timing import TimeWindow
from truceline.ledger.base import Ledger
from truceline.observation import MAX_SEQ_JUMP, OBSERVATION_TYPE, Kind, Observation
from truceline.registry.state import KeyState

# Batches whose stateless checks are in flight while one is appended (with a pool).
PIPELINE_DEPTH = 2

_STATUS_REASON = {
    KeyState.unknown: Reason.unknown_key,
    KeyState.revoked: Reason.revoked,
    KeyState.rotated_out: Reason.rotated_out,
    KeyState.not_yet_valid: Reason.key_not_yet_valid,
}


@dataclass(frozen=True)
class Result:
    accepted: bool
    index: int | None = None  # ledger index, when accepted
    entry_sha256: str | None = None
    reason: str | None = None  # a Reason code, when rejected
    field: str | None = None
    message: str | None = None
    sensor: str | None = None
    seq: int | None = None
    quarantine_id: int | None = None
    # accepted with a device clock stated: {"check": "clock", "status": ok | flag, "detail"}
    time: dict[str, Any] | None = None

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@contextlib.contextmanager
def _file_lock(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class Ingestor:
    def __init__(
        self,
        ledger: Ledger,
        engine: Engine,
        authority: Authority | Mapping[str, Ed25519PublicKey],
        clock: Clock | None = None,
        *,
        workers: int = 0,
        lock_path: Path | None = None,
        quarantine_max_bytes: int = DEFAULT_MAX_RAW_BYTES,
    ) -> None:
        self.ledger = ledger
        self.clock = clock or SystemClock()
        # Folded from the log: the agreement's registrars, the registry and the roles, and
        # the agreement versions whose `time` section bounds observed_at.
        # (A mapping: registrar keys for a bare log that holds no agreement.)
        self.authority = (
            authority
            if isinstance(authority, Authority)
            else Authority(registrar_keys=dict(authority))
        )
        self.registry = self.authority.registry
        self.agreements = self.authority.history
        self.quarantine = Quarantine(engine, max_raw_bytes=quarantine_max_bytes)
        self.state = IngestState(engine, ledger.origin)
        self.lock_path = lock_path
        self._mu = threading.Lock()
        self._keys: dict[str, tuple[str, bytes]] = {}
        self._keys_version = 0  # bumped whenever the key table changes
        self._keys_blob = pickle.dumps(self._keys)
        # forkserver: never fork a process that holds the ledger's fsync threads and DB pools
        self._pool = (
            ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))
            if workers > 0
            else None
        )
        self._workers = workers
        if self._pool is not None:
            # start the workers now (a forkserver child imports pydantic and the models,
            # seconds on a busy machine) rather than inside the first batch
            list(self._pool.map(check_chunk, [[]] * workers, [-1] * workers, [b""] * workers))
        with self._mu, _file_lock(self.lock_path):
            self._catch_up()
            self.state.flush()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- folding the log -----------------------------------------------------------

    def _catch_up(self) -> None:
        self.ledger.refresh()
        start = min(self.authority.size, self.state.size)
        changed = False
        for index, entry in self.ledger.scan(start):
            if index >= self.authority.size:
                changed = self.authority.apply(index, entry) or changed
            if index >= self.state.size:
                self.state.fold(index, entry)
        if changed:
            self._rebuild_keys()

    def _rebuild_keys(self) -> None:
        keys: dict[str, tuple[str, bytes]] = {}
        for sid, st in self.registry.sensors.items():
            for period in st.keys:
                keys[period.keyid] = (sid, raw_public(period.public_key))
        self._keys = keys
        self._keys_version += 1
        self._keys_blob = pickle.dumps(keys)

    def key_table(self) -> KeyTable:
        return dict(self._keys)

    # --- ingest ----------------------------------------------------------------------

    def _submit(self, envelopes: list[bytes]) -> Callable[[], list[Checked | Rejection]]:
        """Start the stateless checks; the returned function waits for their results.

        With a pool, the batch goes out in a few large chunks (two per worker, so a slow
        chunk does not leave a core idle), each with the pickled key table."""
        keys = self._keys
        if self._pool is None or len(envelopes) < 256:
            return lambda: [check_envelope(raw, keys) for raw in envelopes]
        n = max(1, -(-len(envelopes) // (self._workers * 2)))
        version, blob = self._keys_version, self._keys_blob
        futures = [
            self._pool.submit(check_chunk, envelopes[i : i + n], version, blob)
            for i in range(0, len(envelopes), n)
        ]

        def wait() -> list[Checked | Rejection]:
            packed = [p for f in futures for p in f.result()]
            return [unpack(raw, p) for raw, p in zip(envelopes, packed, strict=True)]

        return wait

    def _recheck_unknown(
        self, envelopes: list[bytes], checked: list[Checked | Rejection]
    ) -> list[Checked | Rejection]:
        """A key registered after the checks started: check those envelopes again."""
        out = list(checked)
        for i, c in enumerate(checked):
            if isinstance(c, Rejection) and c.reason is Reason.unknown_key:
                out[i] = check_envelope(envelopes[i], self._keys)
        return out

    def ingest(
        self,
        envelopes: Sequence[bytes],
        source: str = "",
        received_at: datetime | None = None,
    ) -> list[Result]:
        """One result per envelope, in order. Accepted ones are durable when this returns.

        `received_at`: when the envelopes arrived, for the device-clock check (default: the
        clock's time when the batch is judged, the time the agreement's bounds are judged at)."""
        batches = self.ingest_batches([envelopes], source, received_at)
        try:
            return next(batches)
        finally:
            batches.close()  # releases the lock now, not when the generator is collected

    def ingest_checked(
        self,
        envelopes: Sequence[bytes],
        checked: Sequence[Checked | Rejection],
        source: str = "",
    ) -> list[Result]:
        """`ingest` for envelopes whose stateless checks already ran (`check_envelope`
        against `key_table()`), e.g. in the import gateway's signing processes; only the
        stateful checks and the durable append run here.

        For in-process callers that ran `check_envelope` themselves: the results are
        trusted. Keys registered since the table was taken are tried again (unknown_key
        ones are re-checked), as in `ingest_batches`."""
        if len(envelopes) != len(checked):
            raise ValueError(f"checked: {len(checked)} results for {len(envelopes)} envelopes")
        raws = [bytes(e) for e in envelopes]
        with self._mu, _file_lock(self.lock_path):
            self._catch_up()
            results = self._recheck_unknown(raws, list(checked))
            return self._stateful(raws, results, source)

    def ingest_batches(
        self,
        batches: Iterable[Sequence[bytes]],
        source: str = "",
        received_at: datetime | None = None,
    ) -> Generator[list[Result], None, None]:
        """Results per batch, in order. The checks of the next `PIPELINE_DEPTH` batches run
        while a batch is appended, so the check processes never wait for the appender.
        `received_at`: as for `ingest`, for every batch (default: each batch's own time)."""
        with self._mu:
            with _file_lock(self.lock_path):
                self._catch_up()  # registry changes must be visible to the signature check
            it = iter(batches)
            # (envelopes, their checks' results when ready, the key table version used)
            inflight: deque[tuple[list[bytes], Callable[[], list[Checked | Rejection]], int]]
            inflight = deque()

            def submit_next() -> None:
                following = next(it, None)
                if following is not None:
                    upcoming = [bytes(e) for e in following]
                    inflight.append((upcoming, self._submit(upcoming), self._keys_version))

            for _ in range(PIPELINE_DEPTH):
                submit_next()
            while inflight:
                current, pending, version = inflight.popleft()
                checked = pending()
                submit_next()
                with _file_lock(self.lock_path):
                    self._catch_up()
                    if self._keys_version != version:
                        # a key registered since these were checked: try its envelopes again
                        checked = self._recheck_unknown(current, checked)
                    results = self._stateful(current, checked, source, received_at)
                yield results

    def _stateful(
        self,
        envelopes: list[bytes],
        checked: list[Checked | Rejection],
        source: str,
        received_at: datetime | None = None,
    ) -> list[Result]:
        now = self.clock.now()
        arrival = received_at if received_at is not None else now
        window = TimeWindow(now, self.agreements.time_bounds(now))
        results: list[Result | None] = [None] * len(envelopes)
        accepted: list[tuple[int, Checked]] = []
        rejected: list[tuple[int, Rejection]] = []
        last_seq = dict(self.state.last_seq)  # tentative view including this batch
        batch_rows: set[tuple[str, int]] = set()
        for i, c in enumerate(checked):
            if isinstance(c, Rejection):
                rejected.append((i, c))
                continue
            rej = self._stateful_one(c, window, last_seq, batch_rows)
            if rej is not None:
                rejected.append((i, rej))
                continue
            last_seq[c.sensor] = c.seq
            if c.provenance is not None:
                batch_rows.add(c.provenance)
            accepted.append((i, c))

        if accepted:
            indices = self.ledger.append([c.entry for _, c in accepted])
            contiguous = indices == list(range(self.state.size, self.state.size + len(indices)))
            for (i, c), index in zip(accepted, indices, strict=True):
                self.state.accept(index, c.sensor, c.seq, c.provenance)
                results[i] = Result(
                    accepted=True,
                    index=index,
                    entry_sha256=hashlib.sha256(c.entry).hexdigest(),
                    sensor=c.sensor,
                    seq=c.seq,
                    time=None if c.clock is None else time_check(c.observed_at, c.clock, arrival),
                )
            if contiguous:
                # our own entries are observations: nothing in them for the other folds
                self.state.size += len(indices)
                self.authority.size = max(self.authority.size, self.state.size)
                self.registry.size = max(self.registry.size, self.state.size)
                self.agreements.size = max(self.agreements.size, self.state.size)
            self.state.flush()

        if rejected:
            ids = self.quarantine.add([(envelopes[i], r) for i, r in rejected], now, source)
            for (i, r), qid in zip(rejected, ids, strict=True):
                results[i] = Result(
                    accepted=False,
                    reason=str(r.reason),
                    field=r.field,
                    message=r.message,
                    sensor=r.sensor,
                    seq=r.seq,
                    quarantine_id=qid,
                )
        return [r for r in results if r is not None]

    def _stateful_one(
        self,
        c: Checked,
        window: TimeWindow,
        last_seq: dict[str, int],
        batch_rows: set[tuple[str, int]],
    ) -> Rejection | None:
        status = self.registry.key_status(c.sensor, c.keyid, c.observed_at)
        if not status.ok:
            field = "signatures" if status.state is KeyState.unknown else "payload.observed_at"
            return Rejection(_STATUS_REASON[status.state], field, status.reason, c.sensor, c.seq)
        needed = KIND_WRITERS.get(Kind(c.kind), WRITERS[OBSERVATION_TYPE])
        if not self.authority.roles(c.sensor) & needed:
            state = self.registry.sensors[c.sensor]
            return Rejection(
                Reason.unauthorized,
                "payload.kind" if c.kind in KIND_WRITERS else "payload.sensor",
                f"{c.sensor!r} ({state.kind.value} of {state.operator}) may not write "
                f"{c.kind} observations under the agreement",
                c.sensor,
                c.seq,
            )
        if c.kind == Kind.inspection_report:
            # rare: the report is read again, for the inspection it answers
            got = read(0, c.entry, (OBSERVATION_TYPE,))
            assert isinstance(got, Record)
            reason = self.authority.inspection_refusal(Observation.model_validate(got.payload))
            if reason is not None:
                return Rejection(
                    Reason.unauthorized, "payload.attributes.incident", reason, c.sensor, c.seq
                )
        late_or_early = window.check(c.observed_at)
        if late_or_early is not None:
            reason_, message = late_or_early
            return Rejection(reason_, "payload.observed_at", message, c.sensor, c.seq)
        last = last_seq.get(c.sensor, -1)
        if c.seq <= last:
            return Rejection(
                Reason.replay,
                "payload.seq",
                f"seq {c.seq} is not above sensor {c.sensor!r}'s last accepted seq {last}",
                c.sensor,
                c.seq,
            )
        if c.seq - last > MAX_SEQ_JUMP:
            return Rejection(
                Reason.seq_jump,
                "payload.seq",
                f"seq {c.seq} is more than {MAX_SEQ_JUMP} above sensor {c.sensor!r}'s last "
                f"accepted seq {last}",
                c.sensor,
                c.seq,
            )
        if c.provenance is not None:
            earlier = self.state.imported.get(c.provenance)
            if earlier is not None or c.provenance in batch_rows:
                where = f"at index {earlier}" if earlier is not None else "earlier in this batch"
                return Rejection(
                    Reason.duplicate_provenance,
                    "payload.attributes.provenance",
                    f"row {c.provenance[1]} of file {c.provenance[0][:16]}… was already imported "
                    f"({where})",
                    c.sensor,
                    c.seq,
                )
        return None

    # --- receipts ----------------------------------------------------------------------

    def receipt(self, index: int) -> dict[str, object]:
        return receipt(self.ledger, index)


def receipt(ledger: Ledger, index: int) -> dict[str, object]:
    """The entry's index and hash, and its tlog-proof once a checkpoint covers it."""
    ledger.refresh()
    entry = ledger.entry(index)
    out: dict[str, object] = {
        "index": index,
        "entry_sha256": hashlib.sha256(entry).hexdigest(),
    }
    try:
        out["proof"] = ledger.prove(index).decode()
    except IndexError:
        out["proof"] = None  # not yet in a checkpoint: ask again later
    return out

"""The import gateway: signs parsed rows as the registered `import_gateway` sensor.

A third party (NASA FIRMS, a TAK feeder, CIR) holds no key in the mission's registry;
the gateway does. Each envelope therefore says: gateway G attests that it imported
row R of file F whose SHA-256 is H (attributes.provenance), at sequence number seq.
The observation's `sensor` becomes G; the source's own instrument, satellite or
callsign stay in the attributes.

seq = (the gateway's next_seq when the file starts) + row. It rises strictly with the
row; a row that is a RowError leaves a gap, which is harmless (a reuse would be a
replay). Because seq is a function of the row, several processes can sign one file
(`import_file(..., workers=2)`) and give the same bytes as one: Ed25519 is
deterministic and the payload is RFC 8785 canonical JSON (`codec.records.seal`).

Given the ingest key table (`check_keys`), each signing process also runs ingest's
stateless check (`ingest.check.check_envelope`: signature, canonical form, schema) on the
envelope it just made, so a file import is parse -> sign -> check in the signing
processes and only the stateful checks and the durable append in the ingesting one
(`Ingestor.ingest_checked`): no second round trip through a check pool.

The check of an envelope this process has just sealed is not run again from its bytes when
the key table gives the gateway's keyid to the gateway's own sensor with the gateway's own
public key (`_own_key`, once per file): the signature is then over exactly those bytes by that
key (it cannot fail to verify), the payload is RFC 8785 canonical by construction, its type
is the observation type, and the Observation it encodes was validated when the adapter built
it. The result is then the one `check_envelope` would give (tested on every row of real files
and on random rows). With any other table (the keyid missing, bound to another sensor or to
another public key) every envelope takes the full `check_envelope`, as ingest would. Envelopes
from outside the gateway never take this path: `Ingestor.ingest` verifies all of them.
"""

from __future__ import annotations

import heapq
import multiprocessing
import queue as queue_module
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.adapters.base import Adapter, Counts, Parsed, RowError
from truceline.codec import dsse
from truceline.codec.keys import parse_private_key, private_key_b64, raw_public
from truceline.codec.records import seal
from truceline.ingest.check import KeyTable, Packed, check_envelope, pack
from truceline.observation import MAX_ENVELOPE_BYTES, OBSERVATION_TYPE, Observation
from truceline.registry.model import SENSOR_ID_PATTERN

_SENSOR_ID = re.compile(SENSOR_ID_PATTERN)
CHUNK = 500  # items per message from a signing process
QUEUE_DEPTH = 8  # chunks in flight per process: bounds memory


@dataclass(frozen=True, slots=True)
class Signed:
    row: int
    seq: int
    envelope: bytes
    checked: Any = None  # ingest's packed stateless check (`check.pack`), when asked for

    def __reduce__(self) -> tuple[type[Signed], tuple[int, int, bytes, Any]]:
        # the default for a frozen slots dataclass goes through dataclasses.fields() per
        # object, which cost the merging process more than the rest of the import
        return (Signed, (self.row, self.seq, self.envelope, self.checked))


class Gateway:
    def __init__(
        self, sensor_id: str, private_key: Ed25519PrivateKey, keyid: str, start_seq: int = 0
    ) -> None:
        if not _SENSOR_ID.match(sensor_id):
            raise ValueError(f"sensor_id: {sensor_id!r} is not a registry id")
        if start_seq < 0:
            raise ValueError(f"start_seq: {start_seq} is negative")
        self.sensor_id = sensor_id
        self.private_key = private_key
        self.keyid = keyid
        self.next_seq = start_seq

    def seal_row(self, observation: Observation, seq: int, adapter: Adapter | None = None) -> bytes:
        """Envelope bytes of the observation as the gateway's, at `seq`.

        `adapter`: the one that parsed it, which may write the payload directly
        (`Adapter.payload`, same bytes)."""
        if adapter is not None:
            payload = adapter.payload(observation, self.sensor_id, seq)
            if payload is not None:
                return dsse.sign(OBSERVATION_TYPE, payload, self.private_key, self.keyid).to_json()
        obj = observation.to_json_obj()
        obj["sensor"] = self.sensor_id
        obj["seq"] = seq
        return seal(OBSERVATION_TYPE, obj, self.private_key, self.keyid)

    def sign(self, observation: Observation) -> bytes:
        """One observation at the next seq; ValueError above the ledger entry limit."""
        envelope = self.seal_row(observation, self.next_seq)
        self.next_seq += 1
        if len(envelope) > MAX_ENVELOPE_BYTES:
            raise ValueError(f"envelope: {len(envelope)} bytes, above {MAX_ENVELOPE_BYTES}")
        return envelope

    def envelopes(
        self,
        parsed: Iterable[Parsed],
        check_keys: KeyTable | None = None,
        adapter: Adapter | None = None,
    ) -> Iterator[Signed | RowError]:
        """Sign the Rows of one file in order; RowErrors pass through (and take no seq).

        With `check_keys`, each Signed also carries ingest's stateless check of it.
        `adapter` (the one making `parsed`) may write payloads directly (`Adapter.payload`)."""
        base = self.next_seq
        own = check_keys is not None and self._own_key(check_keys)
        for item in parsed:
            seq = base + item.row
            self.next_seq = max(self.next_seq, seq + 1)
            if isinstance(item, RowError):
                yield item
                continue
            observation = item.observation
            signed = _sized(item.row, seq, self.seal_row(observation, seq, adapter))
            if check_keys is not None and isinstance(signed, Signed):
                raw = signed.envelope
                checked: Packed | Any = (
                    self._self_checked(observation, seq)
                    if own
                    else pack(raw, check_envelope(raw, check_keys))
                )
                signed = Signed(signed.row, signed.seq, raw, checked)
            yield signed

    def _own_key(self, check_keys: KeyTable) -> bool:
        """Whether ingest would verify this gateway's signatures with this gateway's own key."""
        hit = check_keys.get(self.keyid)
        return (
            hit is not None
            and hit[0] == self.sensor_id
            and hit[1] == raw_public(self.private_key.public_key())
        )

    def _self_checked(self, observation: Observation, seq: int) -> Packed:
        """`pack(raw, check_envelope(raw, keys))` of an envelope `seal_row` just made with
        the key `_own_key` found in the table: see the module docstring for why."""
        prov = observation.attributes.provenance
        return (
            None,  # the entry is the envelope itself: canonical, one verified signature
            self.sensor_id,
            self.keyid,
            seq,
            observation.observed_at,
            (prov.sha256, prov.row) if prov is not None else None,
            observation.kind.value,
            observation.attributes.clock,
        )

    def import_file(
        self,
        adapter: Adapter,
        path: Path,
        workers: int = 1,
        check_keys: KeyTable | None = None,
    ) -> Iterator[Signed | RowError]:
        """Parse and sign one file, on `workers` processes; `adapter.counts` is the total.

        `check_keys` (ingest's key table): also run ingest's stateless check in the signing
        processes; each Signed then carries it (`Signed.checked`)."""
        if workers <= 1:
            yield from self.envelopes(adapter.parse(path), check_keys, adapter)
            return
        base = self.next_seq
        # forkserver, not fork: the caller may hold threads (ledger fsync, DB pools) that a
        # forked child would inherit mid-operation
        ctx = multiprocessing.get_context("forkserver")
        queues = [ctx.Queue(QUEUE_DEPTH) for _ in range(workers)]
        seed = private_key_b64(self.private_key)
        table = dict(check_keys) if check_keys is not None else None
        args = (
            type(adapter),
            adapter.uploader,
            Path(path),
            workers,
            seed,
            self.keyid,
            self.sensor_id,
            base,
            table,
        )
        procs = [
            ctx.Process(target=_work, args=(*args, k, queues[k]), daemon=True)
            for k in range(workers)
        ]
        for proc in procs:
            proc.start()
        totals = Counts()
        try:
            streams = [_drain(q, p, totals) for q, p in zip(queues, procs, strict=True)]
            for item in heapq.merge(*streams, key=lambda it: it.row):
                self.next_seq = max(self.next_seq, base + item.row + 1)
                yield item
        finally:
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
                proc.join()
        adapter.counts = totals


def _sized(row: int, seq: int, envelope: bytes) -> Signed | RowError:
    if len(envelope) > MAX_ENVELOPE_BYTES:
        return RowError(row, "envelope", f"{len(envelope)} bytes, above {MAX_ENVELOPE_BYTES}", "")
    return Signed(row, seq, envelope)


def _work(
    adapter_cls: type[Adapter],
    uploader: str | None,
    path: Path,
    workers: int,
    seed: str,
    keyid: str,
    sensor_id: str,
    base: int,
    check_keys: KeyTable | None,
    share: int,
    queue: Any,
) -> None:
    """One signing process: its share of the rows, sent back in chunks, then its counts."""
    try:
        gateway = Gateway(sensor_id, parse_private_key(seed.encode("ascii")), keyid, base)
        adapter = adapter_cls(uploader)
        chunk: list[Signed | RowError] = []
        parsed = adapter.parse(path, share=(share, workers))
        for item in gateway.envelopes(parsed, check_keys, adapter):
            chunk.append(item)
            if len(chunk) >= CHUNK:
                queue.put(("items", chunk))
                chunk = []
        queue.put(("items", chunk))
        queue.put(("done", adapter.counts))
    except BaseException as exc:  # handed to the parent, which raises it
        queue.put(("failed", exc))


def _drain(queue: Any, proc: Any, totals: Counts) -> Iterator[Signed | RowError]:
    while True:
        try:
            tag, body = queue.get(timeout=1.0)
        except queue_module.Empty:
            if not proc.is_alive() and queue.empty():
                # killed (e.g. out of memory) before it could report: never wait forever
                raise RuntimeError(f"signing process exited with code {proc.exitcode}") from None
            continue
        if tag == "items":
            yield from body
        elif tag == "done":
            totals.read += body.read
            totals.parsed += body.parsed
            totals.errors += body.errors
            totals.repaired += body.repaired
            totals.noise = max(totals.noise, body.noise)  # every process sees all the noise
            return
        else:
            raise body

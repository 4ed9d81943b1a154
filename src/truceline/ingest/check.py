"""The stateless half of ingest: everything that depends only on the bytes and the keys.

`check_envelope` runs in worker processes (it is pure and picklable-in,
picklable-out); the stateful checks (key status at event time, replay, skew,
provenance) run afterwards in one place, in log order.

Order follows the DSSE spec: decode the envelope, verify the signature over
PAE with the key its keyid names, and only then look at the payload type and
parse the payload. The entry appended is the canonical re-encoding of the
envelope with only its verified signatures, so ledger entries are unique per
observation and signer.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from truceline.codec import dsse, ed25519
from truceline.codec.errors import CodecError
from truceline.codec.jcs import loads_checked
from truceline.field.deviceclock import DeviceClock
from truceline.ingest.reasons import Reason, Rejection
from truceline.observation import (
    MAX_ENVELOPE_BYTES,
    MAX_SEQ,
    MAX_SIGNATURES,
    OBSERVATION_TYPE,
    Observation,
)

KeyTable = Mapping[str, tuple[str, bytes]]
"""keyid -> (sensor id, raw 32-byte Ed25519 public key), every key the registry ever held."""


class Checked(NamedTuple):
    """An envelope that passed the stateless checks (a named tuple: the ingesting process
    builds one per envelope from the check processes' replies, on its critical path)."""

    entry: bytes  # canonical envelope JSON, verified signatures only: the ledger entry
    sensor: str
    keyid: str
    seq: int
    observed_at: datetime
    provenance: tuple[str, int] | None  # (file sha256, row) for imported rows
    kind: str  # the observation's kind: some kinds need a role (`truceline.authority`)
    # attributes.clock (the field app's reports): carried from this single parse to the
    # receipt-time check in the stateful step, which alone knows the arrival time
    clock: DeviceClock | None


def _loc(loc: tuple[Any, ...]) -> str:
    out = "payload"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and (
            "[" in part or part.startswith("function") or part[:1].isupper()
        ):
            continue  # pydantic's union-member tags ('Point', 'function-after[...]'), not fields
        else:
            out += f".{part}"
    return out


def _found(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_rejection(exc: ValidationError, obj: Any) -> Rejection:
    errors = exc.errors(include_url=False)
    first = errors[0]
    parts = []
    for err in errors[:5]:
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{_loc(tuple(err['loc']))}: {msg} (found {_found(err.get('input'))})")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    sensor = (
        obj.get("sensor") if isinstance(obj, dict) and isinstance(obj.get("sensor"), str) else None
    )
    reason = Reason.invalid_observation
    if tuple(first["loc"]) == ("seq",) and first["type"] == "less_than_equal":
        # its own reason: a seq near 2^53 would end the sensor's sequence (docs/ingest.md)
        reason = Reason.seq_out_of_range
        parts[0] = f"payload.seq: {first.get('input')} is above the largest seq, {MAX_SEQ}"
    return Rejection(reason, _loc(tuple(first["loc"])), "; ".join(parts), sensor)


def check_envelope(raw: bytes, keys: KeyTable) -> Checked | Rejection:
    """Size, envelope shape, signature, payload type, canonical form and schema, in that order."""
    if len(raw) > MAX_ENVELOPE_BYTES:
        return Rejection(
            Reason.too_large, "$", f"{len(raw)} bytes, at most {MAX_ENVELOPE_BYTES} are accepted"
        )
    # the canonical one-signature form every Truceline signer writes: no JSON parser needed,
    # and once its signature verifies the bytes are already the ledger entry
    envelope = dsse.Envelope.from_canonical_json(raw)
    canonical = envelope is not None
    if envelope is None:
        try:
            envelope = dsse.Envelope.from_json(raw)
        except CodecError as exc:
            return Rejection(Reason(exc.code), exc.field, exc.message)
    if not envelope.signatures:
        return Rejection(
            Reason.bad_envelope, "signatures", "expected at least one signature, found none"
        )
    if len(envelope.signatures) > MAX_SIGNATURES:
        # refused before any verification: each signature would cost one or two
        return Rejection(
            Reason.too_many_signatures,
            "signatures",
            f"{len(envelope.signatures)} signatures, at most {MAX_SIGNATURES} are accepted",
        )

    message = dsse.pae(envelope.payload_type, envelope.payload)
    verified: list[dsse.Signature] = []
    sensor: str | None = None
    failures: list[str] = []
    unknown = 0
    for i, sig in enumerate(envelope.signatures):
        hit = keys.get(sig.keyid)
        if hit is None:
            unknown += 1
            failures.append(f"signatures[{i}].keyid {sig.keyid!r} is not a registered sensor key")
            continue
        if not ed25519.verify(hit[1], sig.sig, message):
            failures.append(f"signatures[{i}] does not verify under key {sig.keyid}")
            continue
        if sensor is not None and hit[0] != sensor:
            failures.append(f"signatures[{i}] is by sensor {hit[0]!r}, not {sensor!r}")
            continue
        sensor = hit[0]
        verified.append(sig)
    if sensor is None:
        reason = Reason.unknown_key if unknown == len(envelope.signatures) else Reason.bad_signature
        return Rejection(reason, "signatures", "; ".join(failures))

    if envelope.payload_type != OBSERVATION_TYPE:
        return Rejection(
            Reason.wrong_payload_type,
            "payloadType",
            f"expected {OBSERVATION_TYPE!r}, found {envelope.payload_type[:100]!r}",
            sensor,
        )
    try:
        obj, payload_canonical = loads_checked(envelope.payload)
    except (ValueError, RecursionError) as exc:
        return Rejection(Reason.bad_payload_json, "payload", f"payload is not JSON: {exc}", sensor)
    if not payload_canonical:
        return Rejection(
            Reason.not_canonical,
            "payload",
            "payload is not RFC 8785 canonical JSON (sorted keys, no whitespace, ES6 numbers)",
            sensor,
        )
    try:
        observation = Observation.model_validate(obj)
    except ValidationError as exc:
        return schema_rejection(exc, obj)
    if observation.sensor != sensor:
        return Rejection(
            Reason.wrong_sensor,
            "payload.sensor",
            f"signed with a key of sensor {sensor!r}, but the payload names {observation.sensor!r}",
            sensor,
            observation.seq,
        )
    prov = observation.attributes.provenance
    if canonical and len(verified) == len(envelope.signatures):
        entry = raw
    else:
        entry = dsse.Envelope(envelope.payload_type, envelope.payload, tuple(verified)).to_json()
    return Checked(
        entry=entry,
        sensor=sensor,
        keyid=verified[0].keyid,
        seq=observation.seq,
        observed_at=observation.observed_at,
        provenance=(prov.sha256, prov.row) if prov is not None else None,
        kind=observation.kind.value,
        clock=observation.attributes.clock,
    )


# --- the process-pool protocol -------------------------------------------------------------
# A worker gets a chunk of raw envelopes and the key table, and sends back one small tuple
# per accepted envelope instead of a pickled dataclass; when the entry is the raw envelope
# itself (the usual case) it is not sent back at all. The key table travels pickled once
# per registry version (bytes cost a copy, not a pickling) and each worker unpickles a
# version once.

Packed = tuple[
    bytes | None, str, str, int, datetime, tuple[str, int] | None, str, DeviceClock | None
]
_tables: dict[int, KeyTable] = {}


def pack(raw: bytes, c: Checked | Rejection) -> Packed | Rejection:
    if isinstance(c, Rejection):
        return c
    entry = None if c.entry is raw else c.entry
    return (entry, c.sensor, c.keyid, c.seq, c.observed_at, c.provenance, c.kind, c.clock)


def unpack(raw: bytes, p: Packed | Rejection) -> Checked | Rejection:
    if isinstance(p, Rejection):
        return p
    entry, sensor, keyid, seq, observed_at, provenance, kind, clock = p
    return Checked(
        raw if entry is None else entry, sensor, keyid, seq, observed_at, provenance, kind, clock
    )


def check_chunk(raws: list[bytes], version: int, table: bytes) -> list[Packed | Rejection]:
    """`check_envelope` over a chunk, in a worker: `table` is the pickled key table."""
    if not raws:
        return []  # warm-up call: the worker has imported everything
    keys = _tables.get(version)
    if keys is None:
        keys = pickle.loads(table)
        _tables.clear()
        _tables[version] = keys
    return [pack(raw, check_envelope(raw, keys)) for raw in raws]

"""What a ledger entry is: its payload type and record, read the same way by every reader.

Every Truceline writer puts an entry in one canonical form (`dsse.Envelope.to_json`: RFC 8785
envelope JSON, standard base64, an RFC 8785 payload), which begins
`{"payload":"<base64>","payloadType":"<type>",`. `payload_type` reads the type from that prefix
without parsing the rest, so a reader that wants a few types skips the many observations for
the cost of one scan for a quote. `decode` then parses an entry of a wanted type in full and
refuses it, with a reason, unless it is exactly in the canonical form: an entry some other
writer appended (`truceline log append`) is therefore the same record, or the same refusal,
for every reader, and no byte-level trick can make two readers disagree on what it is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from truceline.codec import dsse
from truceline.codec.errors import CodecError
from truceline.codec.jcs import loads_checked

_PREFIX = b'{"payload":"'
_TYPE_AT = b'","payloadType":"'


def payload_type(entry: bytes) -> str | None:
    """The payload type an entry in canonical form declares; None if it has no such prefix.

    Not a verification: `decode` checks the whole entry."""
    if not entry.startswith(_PREFIX):
        return None
    end = entry.find(b'"', len(_PREFIX))  # base64 holds no quote: the payload's end
    if end < 0 or not entry.startswith(_TYPE_AT, end):
        return None
    start = end + len(_TYPE_AT)
    stop = entry.find(b'"', start)
    if stop < 0:
        return None
    try:
        return entry[start:stop].decode("ascii")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class Record:
    """A ledger entry decoded: its index, payload type, payload JSON value and envelope.

    Decoding checks the form, never the signatures: `truceline.authority` says whether the
    signer may write it."""

    index: int
    payload_type: str
    payload: Any
    envelope: dsse.Envelope

    @property
    def signatures(self) -> tuple[tuple[str, bytes], ...]:
        return tuple((s.keyid, s.sig) for s in self.envelope.signatures)

    @property
    def signed_bytes(self) -> bytes:
        return dsse.pae(self.envelope.payload_type, self.envelope.payload)


@dataclass(frozen=True)
class Malformed:
    """An entry of a wanted type that is not a well-formed record in canonical form."""

    index: int
    payload_type: str
    reason: str


def decode(index: int, entry: bytes, types: Collection[str] | None = None) -> Record | None:
    """The entry as a Record if it is one of `types` (any type when None) and well formed;
    None otherwise (`read` says why)."""
    got = read(index, entry, types)
    return got if isinstance(got, Record) else None


def read(
    index: int, entry: bytes, types: Collection[str] | None = None
) -> Record | Malformed | None:
    """The entry as a Record; Malformed (with the reason) if it declares one of `types` but
    is not a canonical, well-formed record; None if it declares another type."""
    declared = payload_type(entry)
    if declared is None:
        return None if types is not None else Malformed(index, "", "not a canonical envelope")
    if types is not None and declared not in types:
        return None
    try:
        envelope = dsse.Envelope.from_json(entry)
    except CodecError as exc:
        return Malformed(index, declared, f"bad envelope: {exc}")
    if envelope.to_json() != entry:
        return Malformed(index, declared, "envelope is not in canonical form (RFC 8785)")
    try:
        obj, canonical = loads_checked(envelope.payload)
    except (ValueError, RecursionError) as exc:
        return Malformed(index, declared, f"payload is not JSON: {str(exc)[:120]}")
    if not canonical:
        return Malformed(index, declared, "payload is not RFC 8785 canonical JSON")
    return Record(index, declared, obj, envelope)

"""Ledger entries as enforcement sees them: the codec's sealed records, with their index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from truceline.codec import dsse
from truceline.codec.errors import CodecError
from truceline.codec.records import open_record


@dataclass(frozen=True)
class Record:
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


def decode(index: int, entry: bytes, types: frozenset[str] | None = None) -> Record | None:
    """The entry as a Record; None if it is not a sealed record or not of one of `types`.

    Canonical envelopes put `"payloadType":"…"` verbatim in the bytes, so entries of
    other types (the many observations) are skipped without parsing.
    """
    if types is not None and not any(
        b'"payloadType":"' + t.encode() + b'"' in entry for t in types
    ):
        return None
    try:
        payload_type, obj, envelope = open_record(entry)
    except CodecError:
        return None
    if types is not None and payload_type not in types:
        return None
    return Record(index, payload_type, obj, envelope)

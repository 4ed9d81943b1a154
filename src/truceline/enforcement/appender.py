"""The appender: fold the log, and write the transitions it implies that are not on it yet.

It keeps a cursor and the records it cares about already folded (`Folded`), so each
run reads and folds only the entries appended since the last one; `settle` then
gives the state at `now`, the same as the pure `derive` over the whole log gives
(tests/enforcement/test_incremental.py checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.agreement.model import Agreement
from truceline.codec import dsse
from truceline.codec.jcs import canonicalize
from truceline.enforcement.engine import EnforcementState, Folded, TrustedKeys, settle
from truceline.enforcement.envelope import Record, decode
from truceline.enforcement.keys import KeyBook
from truceline.enforcement.records import (
    ACK_TYPE,
    ENFORCEMENT_TYPE,
    EXTENSION_TYPE,
    INSPECTION_REQUEST_TYPE,
    NOTIFICATION_TYPE,
    VOTE_TYPE,
    EnforcementEvent,
)
from truceline.enforcement.transitions import events
from truceline.ledger.base import Ledger
from truceline.observation import OBSERVATION_TYPE

_INSPECTION_MARK = b'"inspection_report"'
_OBSERVATION = frozenset({OBSERVATION_TYPE})
RELEVANT = frozenset(
    {
        INCIDENT_TYPE,
        VOTE_TYPE,
        NOTIFICATION_TYPE,
        INSPECTION_REQUEST_TYPE,
        ACK_TYPE,
        ENFORCEMENT_TYPE,
        EXTENSION_TYPE,
    }
)


def relevant(index: int, entry: bytes) -> Record | None:
    """Ledger entry `index` as a record enforcement folds, else None."""
    rec = decode(index, entry, RELEVANT)
    if rec is None and _INSPECTION_MARK in entry:  # of observations, only inspection reports
        rec = decode(index, entry, _OBSERVATION)
    return rec


class Appender:
    def __init__(
        self,
        ledger: Ledger,
        agreement: Agreement,
        key: Ed25519PrivateKey,
        keyid: str,
        book: KeyBook | None = None,
        trusted: Mapping[str, Ed25519PublicKey] | None = None,
    ) -> None:
        self.ledger = ledger
        self.agreement = agreement
        self.key = key
        self.keyid = keyid
        self.book = book or KeyBook.from_agreement(agreement)
        # Incident transitions count only if the mission signed them; our own key is one.
        self.trusted = (
            TrustedKeys({**trusted, keyid: key.public_key()}) if trusted is not None else None
        )
        # How many relevant records are folded. The records themselves are not kept:
        # `Folded` keeps what it needs, and a list of every payload was most of the
        # objects a full garbage collection walked (its pauses are a pass's p99).
        self.folded_count = 0
        self.folded = Folded(agreement, self.book, self.trusted)
        self.cursor = 0
        self._idle: tuple[int, datetime] | None = None  # (records, now) of an idle pass

    def catch_up(self) -> None:
        for index, entry in self.ledger.scan(self.cursor):
            rec = relevant(index, entry)
            if rec is not None:
                self.folded_count += 1
                self.folded.add(rec)
            self.cursor = index + 1

    @property
    def records(self) -> list[Record]:
        """The relevant records folded so far, read again from the log (not kept)."""
        out: list[Record] = []
        for index, entry in self.ledger.scan(0):
            if index >= self.cursor:
                break
            rec = relevant(index, entry)
            if rec is not None:
                out.append(rec)
        return out

    def state(self, now: datetime, plan_routes: bool = True) -> EnforcementState:
        self.catch_up()
        return settle(self.folded, now, plan_routes)

    def pending(self, now: datetime) -> list[EnforcementEvent]:
        self.catch_up()
        # The state is a function of the relevant records and `now` alone: if neither
        # changed since a pass that found nothing to write, this one finds nothing too.
        if self._idle == (self.folded_count, now):
            return []
        state = settle(self.folded, now, plan_routes=False)
        todo = events(state, skip=state.logged)
        self._idle = None if todo else (self.folded_count, now)
        return todo

    def run(self, now: datetime) -> list[int]:
        """Append the transitions due by `now` that are not on the log; their indices."""
        todo = self.pending(now)
        if not todo:
            return []
        # What `seal` does, keeping the envelopes: our own signatures need no
        # verifying when the entries are read back.
        envelopes = [
            dsse.sign(
                ENFORCEMENT_TYPE, canonicalize(e.model_dump(mode="json")), self.key, self.keyid
            )
            for e in todo
        ]
        if self.trusted is not None:
            for envelope in envelopes:
                self.trusted.vouch(envelope)
        entries = [envelope.to_json() for envelope in envelopes]
        indices = self.ledger.append(entries)
        self.catch_up()
        return indices

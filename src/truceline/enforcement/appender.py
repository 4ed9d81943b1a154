"""The appender: fold the log, and write the transitions it implies that are not on it yet.

It keeps a cursor and the decoded records it cares about, so each run reads only
the entries appended since the last one. The state itself is recomputed by the
pure `derive`; the appender's cache only saves decoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.agreement.model import Agreement
from truceline.codec.records import seal
from truceline.enforcement.engine import EnforcementState, TrustedKeys, derive
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
        self.records: list[Record] = []
        self.cursor = 0

    def catch_up(self) -> None:
        for index, entry in self.ledger.scan(self.cursor):
            rec = decode(index, entry, RELEVANT)
            if rec is None and _INSPECTION_MARK in entry:  # only inspection reports matter
                rec = decode(index, entry, frozenset({OBSERVATION_TYPE}))
            if rec is not None:
                self.records.append(rec)
            self.cursor = index + 1

    def state(self, now: datetime, plan_routes: bool = True) -> EnforcementState:
        self.catch_up()
        return derive(self.records, self.agreement, now, self.book, self.trusted, plan_routes)

    def pending(self, now: datetime) -> list[EnforcementEvent]:
        state = self.state(now, plan_routes=False)
        return [e for e in events(state) if e.key not in state.logged]

    def run(self, now: datetime) -> list[int]:
        """Append the transitions due by `now` that are not on the log; their indices."""
        todo = self.pending(now)
        if not todo:
            return []
        entries = [
            seal(ENFORCEMENT_TYPE, e.model_dump(mode="json"), self.key, self.keyid) for e in todo
        ]
        indices = self.ledger.append(entries)
        self.catch_up()
        return indices

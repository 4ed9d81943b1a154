"""The appender: fold the log, and write the transitions it implies that are not on it yet.

It keeps a cursor and the records it cares about already folded (`Folded`), so each
run reads and folds only the entries appended since the last one, and the state they
imply kept in units (`live.Live`), so each pass recomputes only what a new record or
the clock can have changed; the state at `now` is the same as the pure `derive` over
the whole log gives (tests/enforcement/test_live.py checks it). An earlier `now` than
the kept state's (a view of the past) is answered by `settle`. Every entry goes through the
authority fold (`truceline.authority`) first, so a record counts only if its signer
may write it, judged at its place in the log, as every other reader judges it.

Without a signing key it only reads (the `penalties`, `inspections` and `playbooks`
views, on an operator's home or a mirror alike); `run` needs the key of an enforcement
principal the agreement names.
"""

from __future__ import annotations

import binascii
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.agreement.model import Agreement
from truceline.authority import Authority, KeyBook
from truceline.codec import dsse
from truceline.codec.entries import Record, payload_type, read
from truceline.codec.jcs import canonicalize
from truceline.enforcement.engine import EnforcementState, Folded, settle
from truceline.enforcement.live import Live
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
from truceline.home import Home
from truceline.ledger.base import Ledger
from truceline.observation import OBSERVATION_TYPE

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
# An observation's payload is RFC 8785 JSON (readers refuse any other form), so an
# inspection report's decoded payload holds exactly this text.
_INSPECTION_KIND = b'"kind":"inspection_report"'


def relevant(index: int, entry: bytes) -> Record | None:
    """Ledger entry `index` as a record enforcement folds, else None."""
    kind = payload_type(entry)
    if kind in RELEVANT:
        got = read(index, entry, RELEVANT)
        return got if isinstance(got, Record) else None
    if kind == OBSERVATION_TYPE and _is_inspection_report(entry):
        got = read(index, entry, (OBSERVATION_TYPE,))
        return got if isinstance(got, Record) else None
    return None


def _is_inspection_report(entry: bytes) -> bool:
    """Of observations, enforcement reads only inspection reports: their payload is
    decoded (base64, cheap) and looked at, never the raw envelope's bytes."""
    end = entry.find(b'"', 12)  # the payload's end, in a canonical envelope
    try:
        payload = binascii.a2b_base64(entry[12:end])
    except binascii.Error:
        return False
    return _INSPECTION_KIND in payload


class Appender:
    def __init__(
        self,
        ledger: Ledger,
        agreement: Agreement,
        key: Ed25519PrivateKey | None = None,
        keyid: str = "",
        book: KeyBook | None = None,
        authority: Authority | None = None,
    ) -> None:
        """`authority`: a fold of who may write what, at entry 0 (the appender feeds it
        every entry); None takes every record as authorized (the engine's unit tests)."""
        self.ledger = ledger
        self.agreement = agreement
        self.key = key
        self.keyid = keyid
        self.authority = authority
        self.book = book or KeyBook.from_agreement(agreement)
        # How many relevant records are folded. The records themselves are not kept:
        # `Folded` keeps what it needs, and a list of every payload was most of the
        # objects a full garbage collection walked (its pauses are a pass's p99).
        self.folded_count = 0
        self.folded = Folded(agreement, self.book, authority)
        self.live = Live(self.folded)
        self.cursor = 0

    def catch_up(self) -> None:
        for index, entry in self.ledger.scan(self.cursor):
            # Only an agreement or registry record changes the keys (an enforcement
            # entry can open an inspection window, which signs nothing).
            changed = self.authority is not None and self.authority.apply(index, entry)
            if changed and payload_type(entry) != ENFORCEMENT_TYPE:
                self.live.keys_changed()
            rec = relevant(index, entry)
            if rec is not None:
                self.folded_count += 1
                self.live.add(rec)
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
        if not self.live.reaches(now):
            return settle(self.folded, now, plan_routes)
        self.live.advance(now)
        return self.live.state(plan_routes)

    def pending(self, now: datetime) -> list[EnforcementEvent]:
        self.catch_up()
        if not self.live.reaches(now):
            state = settle(self.folded, now, plan_routes=False)
            return events(state, skip=state.logged)
        self.live.advance(now)
        return self.live.pending()

    def run(self, now: datetime) -> list[int]:
        """Append the transitions due by `now` that are not on the log; their indices."""
        todo = self.pending(now)
        if not todo:
            return []
        if self.key is None:
            raise PermissionError(
                "enforcement: this home holds no key of an enforcement principal the "
                "agreement names; it can read the state but not write transitions"
            )
        # What `seal` does, keeping the envelopes: our own signatures need no
        # verifying when the entries are read back.
        envelopes = [
            dsse.sign(
                ENFORCEMENT_TYPE, canonicalize(e.model_dump(mode="json")), self.key, self.keyid
            )
            for e in todo
        ]
        if self.authority is not None:
            for envelope in envelopes:
                self.authority.vouch(envelope)
        entries = [envelope.to_json() for envelope in envelopes]
        indices = self.ledger.append(entries)
        self.catch_up()
        return indices


def open_appender(
    home: Home, ledger: Ledger, now: datetime, *, write: bool, known: Authority | None = None
) -> Appender:
    """The appender over a home's log, judging by the agreement version in force at `now`
    (on the log; a mission home's log always starts with its agreement). With `write`, it
    signs with the key of the enforcement principal the agreement names (HomeError if this
    home holds none, as a mirror does); without, it only reads. `known`: an authority the
    caller has already folded over the whole log (saves a pass)."""
    authority = known if known is not None else Authority()
    authority.catch_up(ledger)
    version = authority.history.in_force(now)
    agreement = version.agreement if version is not None else authority.agreement
    key, keyid = None, ""
    if write:
        key, keyid, _ = home.signing_key(*authority.agreement.principals.enforcers)
    # A fresh fold for the appender: it applies every entry in order itself.
    return Appender(ledger, agreement, key, keyid, authority=Authority())

"""The feed: ledger entries published to NATS JetStream, each exactly once, in log order.

Delivery guarantee. Every message is published with `js.publish`, which waits for the
stream's PubAck (the message is stored) before the next one goes out, so the stream
holds a prefix of the feed's sequence with no gap. The cursor (`publication_feed_cursors`)
moves only after the acks it covers. A process killed between an ack and the cursor save
would publish that tail again on restart; two things stop a duplicate:

1. `Nats-Msg-Id`: JetStream drops a message whose id it has seen within the stream's
   duplicate window;
2. on start the feed reads the stream's last message and resumes after it (its headers
   name the leaf index and part), so even outside the window nothing is sent twice.

The cursor still matters: when retention limits have emptied the stream, it keeps the
feed from publishing the whole log again. Position = max(cursor, stream's last message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nats.aio.client import Client
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from sqlalchemy import DateTime, Engine, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from truceline.adjudication.verdict import DISPUTE_TYPE, INCIDENT_TYPE, IncidentTransition
from truceline.agreement.model import AGREEMENT_TYPE, Agreement
from truceline.agreement.versions import AGREEMENT_SIGNATURE_TYPE
from truceline.authority import Authority, Role, authority_of, roles_of
from truceline.codec.entries import Record, payload_type, read
from truceline.enforcement import records as enf
from truceline.home import Home
from truceline.ledger.base import Ledger
from truceline.ledger.logsign import parse_checkpoint
from truceline.observation import OBSERVATION_TYPE, UtcTime
from truceline.publication import bus, cap
from truceline.registry.model import SENSOR_TYPE
from truceline.store.base import Base

log = logging.getLogger(__name__)

# Payload type -> fixed subject tail; incidents and enforcement add their state/event.
_FIXED = {
    SENSOR_TYPE: "sensor",
    AGREEMENT_TYPE: "agreement",
    AGREEMENT_SIGNATURE_TYPE: "agreement",
    DISPUTE_TYPE: "party.dispute",
    enf.VOTE_TYPE: "party.vote",
    enf.NOTIFICATION_TYPE: "party.notification",
    enf.INSPECTION_REQUEST_TYPE: "party.inspection_request",
    enf.ACK_TYPE: "party.ack",
    enf.EXTENSION_TYPE: "party.extension",
}
_PUBLISHED = frozenset([*_FIXED, INCIDENT_TYPE, enf.ENFORCEMENT_TYPE, OBSERVATION_TYPE])


class FeedCursor(Base):
    """How far a feed has published a log: the next leaf index, the last checkpoint size."""

    __tablename__ = "publication_feed_cursors"
    stream: Mapped[str] = mapped_column(String(255), primary_key=True)
    origin: Mapped[str] = mapped_column(Text)
    next_index: Mapped[int] = mapped_column(Integer)
    checkpoint_size: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Message:
    subject: str
    data: bytes
    headers: dict[str, str]

    @property
    def id(self) -> str:
        return self.headers[bus.H_MSG_ID]


@dataclass
class Position:
    next_index: int = 0
    checkpoint_size: int = 0
    skip_through: str | None = None  # a msg id of entry `next_index` already in the stream


class _Told(BaseModel):
    """One alert a withdrawal takes back: its event's key and time (`withdraws`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    at: UtcTime


_WITHDRAWS = TypeAdapter(list[_Told])


def _enforcement_id(agreement_id: str, key: str) -> str:
    return f"truceline:{agreement_id}:enforcement:{key}"


def _enforcement_alert(ev: enf.EnforcementEvent, agreement_id: str, sender: str) -> bytes:
    """CAP 1.2 for an enforcement transition, through publication.cap's builder.

    A penalty has no place, and CAP's `area` is optional, so the builder's area is
    dropped rather than invented. A withdrawal (its detail lists what it `withdraws`:
    `case_void`, `playbook_void`) is a Cancel (AllClear) whose `references` are the alerts of
    the events it withdraws, rebuilt from their keys and times as the alerts were: a
    consumer holding them drops them (CAP 1.2 section 3.2.1).
    """
    told = _WITHDRAWS.validate_python(ev.detail.get("withdraws", []))
    cancels = [cap.Reference(sender, _enforcement_id(agreement_id, t.key), t.at) for t in told]
    severe = ev.event is enf.EventKind.penalty_in_force
    xml = cap.build(
        cap.AlertInput(
            identifier=_enforcement_id(agreement_id, ev.key),
            sender=sender,
            sent=ev.at,
            event=f"Ceasefire enforcement: {ev.event.value}",
            headline=f"{ev.event.value.replace('_', ' ').capitalize()}: {ev.subject}"
            + (f" ({ev.party})" if ev.party else ""),
            description=f"Enforcement transition {ev.key} at {ev.at.isoformat()}."
            + (f" {ev.detail['reason']}." if cancels and ev.detail.get("reason") else ""),
            urgency="Past" if cancels else "Immediate" if severe else "Expected",
            severity="Minor" if cancels else "Severe" if severe else "Moderate",
            certainty="Observed",
            msg_type="Cancel" if cancels else None,
            references=cancels,
            response="AllClear" if cancels else None,
            parameters={
                "key": ev.key,
                "subject": ev.subject,
                **({"party": ev.party} if ev.party else {}),
            },
        )
    )
    return xml


@dataclass
class Feed:
    """Publishes one log to one stream.

    Every message is a function of the log alone (the CAP `references` of an incident's
    later alerts are rebuilt from the log prefix on resume), so a feed restarted after a
    crash publishes exactly the bytes an uninterrupted one would. `fallback` is the
    agreement used to render CAP severities when the log holds no version of the one an
    incident cites (a home's agreement.yaml). `after_ack(msg)` runs after each PubAck:
    a test hook for crash injection.
    """

    ledger: Ledger
    store: Engine
    nc: Client
    origin: str
    prefix: str = bus.DEFAULT_PREFIX
    stream: str | None = None
    observations: bool = False
    duplicate_window_s: float = 3600.0
    cursor_every: int = 64
    fallback: Agreement | None = None
    after_ack: Callable[[Message], None] | None = None

    def __post_init__(self) -> None:
        self.root = bus.subject_root(self.origin, self.prefix)
        self.stream_name = self.stream or bus.stream_name(self.origin)
        self.sender = f"{bus.slug(self.origin)}@truceline"
        self.published = 0  # messages the stream stored as new
        self.duplicates = 0  # messages the stream dropped by Nats-Msg-Id
        self._agreements: dict[tuple[str, int], Agreement] = {}
        self._refs: dict[str, cap.Reference] = {}  # incident -> its latest alert
        self._learned = 0  # entries [0, _learned) have been learned from
        self._seen = 0  # log size covered by the last run_once
        # Who may write what, folded over [0, _learned): a transition whose signer may not
        # write it is published as `refused`, with no alert (`truceline.authority`).
        self._authority = Authority(self.fallback)

    # --- what the log says ---------------------------------------------------------

    def _learn(self, index: int, entry: bytes) -> None:
        """Remember the agreement versions, in log order, once per entry."""
        if index < self._learned:
            return
        self._learned = index + 1
        self._authority.apply(index, entry)
        if payload_type(entry) == AGREEMENT_TYPE:
            got = read(index, entry, (AGREEMENT_TYPE,))
            if isinstance(got, Record):
                with contextlib.suppress(ValidationError):
                    a = Agreement.model_validate(got.payload)
                    self._agreements[(a.id, a.version)] = a

    def _agreement(self, t: IncidentTransition) -> Agreement:
        hit = self._agreements.get((t.agreement.id, t.agreement.version))
        if hit is not None:
            return hit
        if self.fallback is not None and self.fallback.id == t.agreement.id:
            return self.fallback
        # Without the agreement the alert still says what happened, at default severity.
        return Agreement.model_construct(id=t.agreement.id, prohibited_acts=[])

    def _incident_alert(self, index: int, t: IncidentTransition) -> bytes:
        xml, self._refs[t.incident] = cap.incident_alert(
            t, index, self._agreement(t), self.sender, self._refs.get(t.incident)
        )
        return xml

    def _prime(self, start: int) -> None:
        """Learn [0, start) so resuming renders what an uninterrupted feed would."""
        for index, entry in self.ledger.scan(self._learned):
            if index >= start:
                break
            self._learn(index, entry)
            got = read(index, entry, (INCIDENT_TYPE,))
            if isinstance(got, Record) and isinstance(self._authority.check_mission(got), str):
                with contextlib.suppress(ValidationError):
                    self._incident_alert(index, IncidentTransition.model_validate(got.payload))

    def messages(self, index: int, entry: bytes) -> list[Message]:
        """The messages of one entry (none if it is not relevant), in publication order.

        Call in log order: an incident's alert cites the alerts rendered before it.
        """
        self._learn(index, entry)
        ptype = payload_type(entry)
        if ptype not in _PUBLISHED or (ptype == OBSERVATION_TYPE and not self.observations):
            return []
        got = read(index, entry, _PUBLISHED)
        if not isinstance(got, Record):
            return []  # not a sealed record: nothing a party could verify
        obj, ptype = got.payload, got.payload_type
        alert: bytes | None = None
        tail = _FIXED.get(ptype)
        try:
            if ptype in (INCIDENT_TYPE, enf.ENFORCEMENT_TYPE) and not isinstance(
                self._authority.check_mission(got), str
            ):
                tail = "refused"  # published, so parties see it, but never as an alert
            elif ptype == INCIDENT_TYPE:
                tail = "incident.invalid"
                t = IncidentTransition.model_validate(obj)
                tail = f"incident.{t.state.value}"
                alert = self._incident_alert(index, t)
            elif ptype == enf.ENFORCEMENT_TYPE:
                tail = "enforcement.invalid"
                ev = enf.EnforcementEvent.model_validate(obj)
                tail = f"enforcement.{bus.slug(ev.event.value)}"
                alert = _enforcement_alert(ev, bus.slug(self.origin), self.sender)
            elif ptype == OBSERVATION_TYPE:
                tail = "observation"
        except ValidationError:
            alert = None  # still published (parties see what was logged), without CAP
        if tail is None:
            return []
        base = {bus.H_INDEX: str(index), bus.H_TYPE: ptype}
        out = [
            Message(
                f"{self.root}.{tail}",
                entry,
                {bus.H_MSG_ID: bus.msg_id(self.origin, index), bus.H_PART: bus.PART_ENTRY, **base},
            )
        ]
        if alert is not None:
            out.append(
                Message(
                    f"{self.root}.{tail}.cap",
                    alert,
                    {
                        bus.H_MSG_ID: bus.msg_id(self.origin, index, bus.PART_CAP),
                        bus.H_PART: bus.PART_CAP,
                        bus.H_SHA256: bus.entry_sha256(entry),
                        **base,
                    },
                )
            )
        return out

    # --- where we are --------------------------------------------------------------

    def _load_cursor(self) -> Position:
        with Session(self.store) as s:
            row = s.get(FeedCursor, self.stream_name)
            if row is None:
                return Position()
            if row.origin != self.origin:
                raise ValueError(
                    f"--stream {self.stream_name}: its cursor belongs to origin {row.origin!r}, "
                    f"not {self.origin!r}"
                )
            return Position(row.next_index, row.checkpoint_size)

    def _save_cursor(self, pos: Position) -> None:
        now = datetime.now(UTC)
        with Session(self.store) as s, s.begin():
            row = s.get(FeedCursor, self.stream_name)
            if row is None:
                s.add(
                    FeedCursor(
                        stream=self.stream_name,
                        origin=self.origin,
                        next_index=pos.next_index,
                        checkpoint_size=pos.checkpoint_size,
                        updated_at=now,
                    )
                )
            else:
                row.next_index = max(row.next_index, pos.next_index)
                row.checkpoint_size = max(row.checkpoint_size, pos.checkpoint_size)
                row.updated_at = now

    async def _stream_position(self) -> Position | None:
        """Where the stream's last message says the feed got to (None: stream empty)."""
        info = await bus.ensure_stream(
            self.nc, self.stream_name, self.root, self.duplicate_window_s
        )
        if info.state.messages == 0:
            return None
        last = await self.nc.jsm().get_msg(self.stream_name, info.state.last_seq)
        h = last.headers or {}
        if h.get(bus.H_PART) == bus.PART_CHECKPOINT:
            size = int(h[bus.H_SIZE])
            return Position(size, size)
        return Position(int(h[bus.H_INDEX]), 0, h.get(bus.H_MSG_ID))

    async def position(self) -> Position:
        """max(cursor, stream): see the module docstring."""
        cur = self._load_cursor()
        got = await self._stream_position()
        if got is None or got.next_index < cur.next_index:
            return cur
        got.checkpoint_size = max(got.checkpoint_size, cur.checkpoint_size)
        return got

    # --- publishing ----------------------------------------------------------------

    async def _publish(self, m: Message) -> None:
        ack = await self.nc.jetstream().publish(
            m.subject, m.data, timeout=10, stream=self.stream_name, headers=dict(m.headers)
        )
        if ack.duplicate:
            self.duplicates += 1
        else:
            self.published += 1
        if self.after_ack is not None:
            self.after_ack(m)

    async def run_once(self) -> int:
        """Publish up to the log's current size, then its checkpoint; returns messages stored."""
        before = self.published
        pos = await self.position()
        self._prime(pos.next_index)
        end = self.ledger.size
        unsaved = 0
        for index, entry in self.ledger.scan(pos.next_index):
            if index >= end:
                break
            for m in self.messages(index, entry):
                if pos.skip_through is not None:
                    # This entry's messages up to skip_through are already in the stream.
                    if m.id == pos.skip_through:
                        pos.skip_through = None
                    continue
                await self._publish(m)
            pos.skip_through = None
            pos.next_index = index + 1
            unsaved += 1
            if unsaved >= self.cursor_every:
                self._save_cursor(pos)
                unsaved = 0
        await self._publish_checkpoint(pos)
        self._save_cursor(pos)
        self._seen = max(self._seen, end)
        return self.published - before

    async def _publish_checkpoint(self, pos: Position) -> None:
        signed = self.ledger.checkpoint()
        size = parse_checkpoint(signed).size
        if size <= pos.checkpoint_size or size > pos.next_index:
            return
        await self._publish(
            Message(
                f"{self.root}.checkpoint",
                signed,
                {
                    bus.H_MSG_ID: bus.checkpoint_msg_id(self.origin, size),
                    bus.H_PART: bus.PART_CHECKPOINT,
                    bus.H_SIZE: str(size),
                },
            )
        )
        pos.checkpoint_size = size

    def _refresh(self) -> int:
        return self.ledger.refresh()

    def _forget(self) -> None:
        """Drop what was learned from the log: the next pass re-primes from its position."""
        self._agreements.clear()
        self._refs.clear()
        self._learned = 0

    async def follow(self, stop: asyncio.Event, poll_s: float = 0.05, retry_s: float = 1.0) -> None:
        """Publish, then keep publishing as the log grows, until `stop` is set.

        A NATS failure (server restart, timeout) is retried after `retry_s`: the next pass
        resumes from the stream's last message, so nothing is lost or repeated.
        """
        while not stop.is_set():
            try:
                await self.run_once()
            except (nats.errors.Error, TimeoutError) as exc:
                self._forget()  # a pass cut short may have rendered past what was stored
                log.warning("feed %s: %s; retrying in %.1f s", self.stream_name, exc, retry_s)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), retry_s)
                continue
            while not stop.is_set() and self._refresh() <= self._seen:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_s)


def home_keys(home: Home) -> dict[str, Ed25519PublicKey]:
    """The keys a party checks a home's feed against, from its log alone: the registrars',
    the mission principals' (adjudicator, enforcement) and the signatories'.

    Sensor keys (observations) are not included: they come from the registry, which the
    feed also publishes.
    """
    ledger = home.reader()
    try:
        authority = authority_of(ledger)
    finally:
        ledger.close()
    keys = dict(authority.registrar_keys)
    mission = {Role.adjudicator, Role.enforcement, Role.signatory}
    for state in authority.registry.sensors.values():
        if roles_of(state, authority.agreement) & mission:
            keys.update((p.keyid, p.public_key) for p in state.keys)
    keys.update(authority.book().public)
    return keys

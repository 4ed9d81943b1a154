"""derive(records, agreement, now) -> EnforcementState: one pure fold over the log.

Nothing here reads a clock or a database: the same records, agreement and
event-time `now` give the same state and the same list of transitions, which is
what lets any party recompute the enforcement state from the log alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from truceline.adjudication.verdict import INCIDENT_TYPE, IncidentTransition
from truceline.agreement.enforcement import BlockRule
from truceline.agreement.model import Agreement
from truceline.authority import Authority, KeyBook
from truceline.codec.entries import Record
from truceline.enforcement import extensions
from truceline.enforcement import inspections as insp
from truceline.enforcement.extensions import Adopted
from truceline.enforcement.incidents import IncidentHistory
from truceline.enforcement.penalties import (
    Breach,
    Case,
    CaseState,
    Deadlines,
    evaluate,
    first_breach,
    open_cases,
)
from truceline.enforcement.playbooks import Fired, StepState, steps, trigger, withdrawal
from truceline.enforcement.records import (
    ACK_TYPE,
    CASE_KINDS,
    ENFORCEMENT_TYPE,
    EXTENSION_TYPE,
    INSPECTION_REQUEST_TYPE,
    NOTIFICATION_TYPE,
    VOTE_TYPE,
    Ack,
    EnforcementEvent,
    EventKind,
    InspectionRequest,
    Notification,
)
from truceline.enforcement.votes import Ignored, fold, signer
from truceline.observation import OBSERVATION_TYPE, Kind, Observation


@dataclass
class EnforcementState:
    now: datetime
    cases: list[CaseState] = field(default_factory=list)
    inspections: list[insp.InspectionState] = field(default_factory=list)
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    steps: list[StepState] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    extensions: list[Adopted] = field(default_factory=list)
    logged: set[str] = field(default_factory=set)  # keys of transitions already on the log
    told: dict[str, Told] = field(default_factory=dict)  # per case, as `Folded.told`
    incidents: dict[str, IncidentHistory] = field(default_factory=dict)


M = TypeVar("M", bound=BaseModel)

Told = tuple[tuple[str, datetime], ...]
"""Logged transitions, each by key and event time, in log order."""


def _signed(
    record: Record, model: type[M], book: KeyBook, who: str, when: str, ignored: list[Ignored]
) -> M | None:
    """The payload if valid and signed by the signatory in field `who`; else None, with
    the reason added to `ignored`."""
    try:
        obj = model.model_validate(record.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        ignored.append(
            Ignored(record.index, f"malformed {model.__name__}: {where}: {first['msg']}")
        )
        return None
    try:
        signer(record, book, getattr(obj, who), getattr(obj, when))
    except ValueError as exc:
        ignored.append(
            Ignored(record.index, f"{model.__name__} by {getattr(obj, who)!r} refused: {exc}")
        )
        return None
    return obj


@dataclass
class Folded:
    """The part of `derive` that looks at each record alone and not at `now`.

    Records are folded one at a time in log order, so a caller that keeps a `Folded`
    can feed it only the records appended since (the appender does); `settle` then
    gives exactly what `derive` over all the records gives.
    """

    agreement: Agreement
    book: KeyBook
    # Who may write what (`truceline.authority`), folded up to the record being added.
    # None: every record is taken as authorized (the pure engine's unit tests).
    authority: Authority | None = None
    # Kept per incident as transitions arrive (immutable, so `settle` can share them).
    incidents: dict[str, IncidentHistory] = field(default_factory=dict)
    votes: list[Record] = field(default_factory=list)
    extension_records: list[Record] = field(default_factory=list)
    notes: list[tuple[int, Notification]] = field(default_factory=list)  # any `at`
    requests: list[tuple[int, InspectionRequest]] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    reports: list[insp.Report] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    logged: set[str] = field(default_factory=set)
    # Per case, its transitions on the log (`records.CASE_KINDS`): what its subscribers were
    # told, so what its `case_void` withdraws. Once the void is logged (`voided`: its time),
    # only those due with it are added (logged in the same pass, after it), so a void
    # recomputed later withdraws what the logged one did. Immutable values.
    told: dict[str, Told] = field(default_factory=dict)
    voided: dict[str, datetime] = field(default_factory=dict)
    # The latest `opens_at` of any incident transition folded (the newest `last_at` of
    # `incidents`), kept as they come: a follower replaying event time asks it every
    # pass, and a scan of the histories would make each pass cost as much as the log.
    newest_at: datetime | None = None

    def keys(self) -> KeyBook:
        """The signatories' keys as the log has them so far."""
        return self.authority.book() if self.authority is not None else self.book

    def add(self, r: Record) -> None:
        authority = self.authority
        if r.payload_type in (INCIDENT_TYPE, ENFORCEMENT_TYPE) and authority is not None:
            signer = authority.check_mission(r)
            if not isinstance(signer, str):
                self.ignored.append(Ignored(r.index, signer.reason))
                return
        if r.payload_type == INCIDENT_TYPE:
            try:
                t = IncidentTransition.model_validate(r.payload)
            except ValidationError:
                self.ignored.append(Ignored(r.index, "malformed incident transition"))
                return
            if t.agreement.id == self.agreement.id:
                if self.newest_at is None or t.opens_at > self.newest_at:
                    self.newest_at = t.opens_at
                old = self.incidents.get(t.incident)
                self.incidents[t.incident] = (
                    old.with_transition(r.index, t)
                    if old is not None
                    else IncidentHistory(t.incident, ((r.index, t),))
                )
        elif r.payload_type == VOTE_TYPE:
            self.votes.append(r)
        elif r.payload_type == EXTENSION_TYPE:
            self.extension_records.append(r)
        elif r.payload_type == NOTIFICATION_TYPE:
            note = _signed(r, Notification, self.keys(), "notifier", "at", self.ignored)
            if note is not None:
                self.notes.append((r.index, note))
        elif r.payload_type == INSPECTION_REQUEST_TYPE:
            req = _signed(r, InspectionRequest, self.keys(), "requester", "at", self.ignored)
            if req is not None:
                self.requests.append((r.index, req))
        elif r.payload_type == ACK_TYPE:
            ack = _signed(r, Ack, self.keys(), "by", "at", self.ignored)
            if ack is not None:
                self.acks.append(ack)
        elif r.payload_type == OBSERVATION_TYPE:
            try:
                obs = Observation.model_validate(r.payload)
            except ValidationError:
                return  # ingest validated it; a newer schema is not ours to judge
            if obs.kind is Kind.inspection_report:
                if authority is not None:
                    refusal = authority.check_observation(r.index, obs, r.envelope)
                    if refusal is not None:
                        self.ignored.append(Ignored(r.index, refusal.reason))
                        return
                rep = insp.report_of(r.index, obs)
                if rep is not None:
                    self.reports.append(rep)
        elif r.payload_type == ENFORCEMENT_TYPE:
            try:
                ev = EnforcementEvent.model_validate(r.payload)
            except ValidationError:
                return
            self.logged.add(ev.key)
            if ev.event is EventKind.case_void:
                self.voided[ev.subject] = ev.at
            elif ev.event in CASE_KINDS and ev.at <= self.voided.get(ev.subject, ev.at):
                self.told[ev.subject] = (*self.told.get(ev.subject, ()), (ev.key, ev.at))


def fold_records(
    records: Iterable[Record],
    agreement: Agreement,
    book: KeyBook | None = None,
    authority: Authority | None = None,
) -> Folded:
    folded = Folded(agreement, book or KeyBook.from_agreement(agreement), authority)
    for r in records:
        folded.add(r)
    return folded


def derive(
    records: Iterable[Record],
    agreement: Agreement,
    now: datetime,
    book: KeyBook | None = None,
    authority: Authority | None = None,
    plan_routes: bool = True,
) -> EnforcementState:
    """The enforcement state at event time `now`.

    `authority`: who may write what, folded over the log (`truceline.authority`). When
    given, incident and enforcement transitions count only if a principal holding the
    role signed them, inspection reports only if a neutral inspection team did, and
    signatories' records are checked against its keys; else every record counts.
    `plan_routes`: assign teams and order their visits (advisory, for the views; the
    appender skips it, since routes are re-planned as inspections open and close).
    """
    return settle(fold_records(records, agreement, book, authority), now, plan_routes)


@dataclass(frozen=True)
class Summary:
    """What the enforcement state asks of one incident history at `now`."""

    breaches: tuple[Breach | None, ...]  # the first breach meeting each rung's trigger
    fired: tuple[Fired, ...]  # the transitions firing and withdrawing each playbook
    automatic: insp.Inspection | None  # the automatic inspection it opens, if any
    fires: bool  # some playbook fires


def summarize(agreement: Agreement, h: IncidentHistory, now: datetime) -> Summary:
    acts = {a.id: a.act for a in agreement.prohibited_acts}
    act_values = {a.id: a.act.value for a in agreement.prohibited_acts}
    triggers = [trigger(book, h, act_values, now) for book in agreement.playbooks]
    fired = tuple(
        (t, None if t is None else withdrawal(book, h, act_values, now))
        for book, t in zip(agreement.playbooks, triggers, strict=True)
    )
    return Summary(
        tuple(first_breach(h, rung.trigger, acts, now) for rung in agreement.penalties.rungs),
        fired,
        insp.automatic_of(agreement, h, now),
        any(t is not None for t, _ in fired),
    )


def judge_cases(
    agreement: Agreement,
    cases: Iterable[Case],
    hist: Mapping[str, IncidentHistory],
    votes: Iterable[Record],
    extension_records: Iterable[Record],
    book: KeyBook,
    now: datetime,
) -> tuple[list[CaseState], list[Adopted], list[Ignored]]:
    """The cases' states at `now` given the votes and extension assents on the log, the
    extensions adopted, and the records of both that are ignored. A case's answer
    depends on its own records alone, so the kept state judges one case at a time."""
    rules: dict[str, BlockRule] = {b.id: b for b in agreement.penalties.block_rules}
    ruled = {c.id: (c, rules.get(c.rung.block_rule) if c.rung.block_rule else None) for c in cases}
    ext = extensions.fold(
        extension_records,
        book,
        ruled,
        lambda case, extra: Deadlines(case, hist, ruled[case.id][1], now, extra),
        now,
    )
    frames = {}
    for case, rule in ruled.values():
        # The deadlines do not depend on the votes, so they can filter them.
        extra = ext.days.get(case.id, 0.0)
        frames[case.id] = (case, Deadlines(case, hist, rule, now, extra), rule)
    ballots = fold(votes, book, frames, now)
    states = [
        evaluate(
            case,
            hist,
            rule,
            ballots.counted.get(case.id, {}),
            now,
            ext.days.get(case.id, 0.0),
            tl,
        )
        for case, tl, rule in frames.values()
    ]
    return states, ext.adopted, ext.ignored + ballots.ignored


def settle(folded: Folded, now: datetime, plan_routes: bool = True) -> EnforcementState:
    """The state at `now` from the folded records, worked out afresh (`live.Live` keeps
    one from pass to pass instead); what `folded` holds is left as it was."""
    agreement = folded.agreement
    state = EnforcementState(now=now)
    ignored = list(folded.ignored)
    state.logged = set(folded.logged)
    state.told = dict(folded.told)
    # A copy, so nothing downstream can change what the next pass folds onto.
    hist = state.incidents = dict(folded.incidents)
    summaries = [summarize(agreement, h, now) for h in hist.values()]
    breaches = [
        [b for s in summaries if (b := s.breaches[k]) is not None]
        for k in range(len(agreement.penalties.rungs))
    ]
    cases, refusals = open_cases(agreement, breaches, folded.notes, now)
    ignored.extend(Ignored(f.index, f.reason) for f in refusals)
    state.cases, adopted, unused = judge_cases(
        agreement, cases, hist, folded.votes, folded.extension_records, folded.keys(), now
    )
    ignored.extend(unused)
    state.ignored = in_log_order(ignored)
    state.extensions = sorted(adopted, key=adoption_order)

    fired = {k: s.fired for k, s in zip(hist, summaries, strict=True) if s.fires}
    state.steps = steps(agreement, fired, folded.acks, now)
    automatic = [s.automatic for s in summaries if s.automatic is not None]
    items = insp.routine(agreement, now) + insp.on_demand(
        agreement, folded.requests, automatic, now
    )
    for s in state.steps:
        item = insp.opened_by_step(s, hist[s.incident], now)
        if item is not None:
            items.append(item)
    unique = insp.earliest(items)
    state.inspections = insp.status(
        agreement, list(unique.values()), folded.reports, now, plan_routes
    )
    state.coverage = insp.coverage(agreement, state.inspections)
    return state


def in_log_order(ignored: Iterable[Ignored]) -> list[Ignored]:
    """The records ignored, by ledger index (one reason each)."""
    return sorted(ignored, key=lambda i: i.index)


def adoption_order(a: Adopted) -> tuple[str, int]:
    return (a.case, a.round)

"""The penalty ladder: verified breaches per party -> cases -> countdowns -> penalties.

Each rung is evaluated on its own. For every party, breaches that meet the rung's
trigger are taken in event-time order; when `count` of them fall within
`within_days`, a case opens (automatically, or on a notification by a signatory
with standing) and those breaches are consumed, so the next case needs fresh ones.

A case's timeline is Notification -> ConsultationWindow -> Countdown, with the
deadline at 00:00 UTC when the block rule says so, and DefaultOutcome = apply.
Time spent while one of the case's incidents is disputed or under inspection does
not run (no suspension of concessions during arbitration, WTO DSU 22.6): it
extends the deadlines. A case whose incidents are dismissed or re-attributed
below the trigger count is void, whatever stage it had reached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.enforcement import BlockRule, Rung, Trigger
from truceline.agreement.model import Agreement
from truceline.agreement.rules import Act
from truceline.enforcement.blockrules import Tally, decide
from truceline.enforcement.incidents import BREACH_STATES, DISPUTE_STATES, IncidentHistory
from truceline.enforcement.records import Choice, Notification
from truceline.enforcement.timing import cutoff_midnight_utc, days


@dataclass(frozen=True)
class Breach:
    incident: str
    party: str
    at: datetime


def first_breach(
    history: IncidentHistory, trigger: Trigger, acts: Mapping[str, Act], now: datetime
) -> Breach | None:
    """The first verified transition of the incident that meets `trigger`, if any."""
    for t in history.where(now, _ACCUSING, _accusing):
        if t.accused is None or t.grade not in trigger.grades:  # (None: for the type checker)
            continue
        if trigger.rules and not set(trigger.rules) & set(t.rules):
            continue
        if trigger.acts and not {acts.get(r) for r in t.rules} & set(trigger.acts):
            continue
        return Breach(t.incident, t.accused, t.opens_at)
    return None


def _accusing(t: IncidentTransition) -> bool:
    return t.state in BREACH_STATES and t.accused is not None


_ACCUSING = ("accusing breach",)  # memo key of `_accusing` (see IncidentHistory.where)


def case_id(rung: str, accused: str, incidents: Iterable[str]) -> str:
    digest = hashlib.sha256("\n".join([rung, accused, *sorted(incidents)]).encode()).hexdigest()
    return f"{rung}-{accused}-{digest[:12]}"


@dataclass(frozen=True)
class Case:
    id: str
    rung: Rung
    accused: str
    opened_at: datetime
    incidents: tuple[str, ...]
    notifier: str | None = None


@dataclass(frozen=True)
class Refusal:
    index: int
    reason: str


def breach_order(b: Breach) -> tuple[datetime, str]:
    return (b.at, b.incident)


def by_party(found: Iterable[Breach]) -> dict[str, list[Breach]]:
    """The breaches per accused party, each party's in event-time order."""
    per_party: dict[str, list[Breach]] = {}
    for b in found:
        per_party.setdefault(b.party, []).append(b)
    for party_breaches in per_party.values():
        party_breaches.sort(key=breach_order)
    return per_party


def due_notes(
    notifications: Iterable[tuple[int, Notification]], now: datetime
) -> list[tuple[int, Notification]]:
    """The notifications made by `now`, in event-time then log order."""
    return sorted(((i, n) for i, n in notifications if n.at <= now), key=lambda x: (x[1].at, x[0]))


NoteOrder = tuple[datetime, int]  # (notification time, its ledger index)


def open_cases(
    agreement: Agreement,
    breaches: Sequence[Iterable[Breach]],
    notifications: Iterable[tuple[int, Notification]],
    now: datetime,
) -> tuple[list[Case], list[Refusal]]:
    """Every case of every rung as of `now`, and the notifications refused (with why).
    `breaches[k]`: each incident's first breach meeting rung k's trigger (`first_breach`
    at `now`). A party's cases on a rung depend on its breaches and the notifications
    accusing it alone (`automatic_cases`, `noted_cases`), which lets a kept state
    recompute one party of one rung at a time (live.py)."""
    notes = due_notes(notifications, now)
    cases: list[Case] = []
    refusals: list[Refusal] = []
    for rung, found_breaches in zip(agreement.penalties.rungs, breaches, strict=True):
        per_party = by_party(found_breaches)
        window = days(rung.trigger.within_days)
        if not rung.standing:
            for party, found in sorted(per_party.items()):
                cases.extend(automatic_cases(rung, party, found, window))
            continue
        mine = [(i, n) for i, n in notes if n.rung == rung.id]
        answers: list[tuple[NoteOrder, Case | Refusal]] = []
        for party in dict.fromkeys(n.accused for _, n in mine):
            accusing = [(i, n) for i, n in mine if n.accused == party]
            answers.extend(noted_cases(rung, per_party.get(party, []), accusing, window))
        for _, got in sorted(answers, key=lambda a: a[0]):
            if isinstance(got, Case):
                cases.append(got)
            else:
                refusals.append(got)
    return cases, refusals


def noted_cases(
    rung: Rung,
    found: Sequence[Breach],
    notes: Iterable[tuple[int, Notification]],
    window: timedelta,
) -> list[tuple[NoteOrder, Case | Refusal]]:
    """The cases a rung with standing opens on the notifications accusing one party
    (due by now, in order) from that party's breaches, and the notifications it refuses;
    each with its notification's place in the order of all notifications."""
    out: list[tuple[NoteOrder, Case | Refusal]] = []
    consumed: set[str] = set()
    for index, note in notes:
        order = (note.at, index)
        if note.notifier not in rung.standing:
            out.append(
                (order, Refusal(index, f"{note.notifier!r} has no standing for rung {rung.id!r}"))
            )
            continue
        fresh = [
            b for b in found if b.incident not in consumed and note.at - window <= b.at <= note.at
        ]
        if len(fresh) < rung.trigger.count:
            out.append(
                (
                    order,
                    Refusal(
                        index,
                        f"{note.accused!r} has {len(fresh)} verified breaches meeting rung "
                        f"{rung.id!r} in the window, {rung.trigger.count} needed",
                    ),
                )
            )
            continue
        used = fresh[-rung.trigger.count :]
        consumed.update(b.incident for b in used)
        ids = tuple(b.incident for b in used)
        out.append(
            (
                order,
                Case(
                    case_id(rung.id, note.accused, ids),
                    rung,
                    note.accused,
                    note.at,
                    ids,
                    note.notifier,
                ),
            )
        )
    return out


Pending = tuple[Breach, ...]


def automatic_step(
    rung: Rung, party: str, pending: Pending, b: Breach, window: timedelta
) -> tuple[Pending, Case | None]:
    """One breach of the party (in event-time order) folded into the breaches still
    pending for a case: the pending ones after it, and the case it opens, if any."""
    pending = (*(p for p in pending if p.at >= b.at - window), b)
    if len(pending) < rung.trigger.count:
        return pending, None
    ids = tuple(p.incident for p in pending[-rung.trigger.count :])
    return (), Case(case_id(rung.id, party, ids), rung, party, b.at, ids)


def automatic_cases(rung: Rung, party: str, found: list[Breach], window: timedelta) -> list[Case]:
    """The cases a rung without standing opens on its own from the party's breaches
    (in event-time order)."""
    out: list[Case] = []
    pending: Pending = ()
    for b in found:
        pending, case = automatic_step(rung, party, pending, b, window)
        if case is not None:
            out.append(case)
    return out


class Status(StrEnum):
    consultation = "consultation"
    countdown = "countdown"
    suspended = "suspended"
    blocked = "blocked"
    in_force = "in_force"
    lapsed = "lapsed"
    void = "void"


@dataclass(frozen=True)
class Timeline:
    countdown_from: datetime  # end of the consultation window
    vote_deadline: datetime | None  # votes cast after it do not count
    effective_at: datetime  # when the penalty applies unless blocked
    lapses_at: datetime | None  # sunset
    suspended_s: float  # dispute time that has extended the deadlines


def _overlap(intervals: list[tuple[datetime, datetime]], lo: datetime, hi: datetime) -> timedelta:
    total = timedelta(0)
    for a, b in intervals:
        a, b = max(a, lo), min(b, hi)
        if b > a:
            total += b - a
    return total


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _extended(
    base: timedelta, start: datetime, intervals: list[tuple[datetime, datetime]]
) -> datetime:
    """start + base + the dispute time that falls before the (extended) end: a fixed point."""
    end = start + base
    for _ in range(len(intervals) + 2):
        nxt = start + base + _overlap(intervals, start, end)
        if nxt == end:
            break
        end = nxt
    return end


def timeline(
    case: Case,
    rule: BlockRule | None,
    disputes: list[tuple[datetime, datetime]],
    extension_days: float = 0.0,
) -> Timeline:
    """The case's deadlines; `extension_days` lengthens the consultation (and so every
    later step) as agreed by consensus (see extensions.py)."""
    rung = case.rung
    intervals = _merge(disputes) if rung.suspend_during_dispute else []
    start = case.opened_at
    consult = rung.consultation_days + extension_days
    countdown_from = _extended(days(consult), start, intervals)
    apply_at = _extended(days(consult + rung.countdown_days), start, intervals)
    vote_deadline: datetime | None = None
    if rule is not None:
        vote_deadline = _extended(days(rule.window_days + extension_days), start, intervals)
        if rule.cutoff_midnight_utc:
            vote_deadline = cutoff_midnight_utc(vote_deadline)
            apply_at = cutoff_midnight_utc(apply_at)
        apply_at = max(apply_at, vote_deadline)
    lapses = apply_at + days(rung.sunset_days) if rung.sunset_days is not None else None
    suspended = _overlap(intervals, start, apply_at).total_seconds()
    return Timeline(countdown_from, vote_deadline, apply_at, lapses, suspended)


class Deadlines:
    """A case's timeline (`case_timeline` at `now`), worked out when first read.

    A decision that does not read it (a void or suspended case) then does not depend on
    deadlines that a dispute still open moves with the clock: with a `Probe` for `now`,
    only a read of the timeline pins the answer to the instant (see live.py)."""

    __slots__ = ("_value", "case", "extension_days", "histories", "now", "rule")

    def __init__(
        self,
        case: Case,
        histories: Mapping[str, IncidentHistory],
        rule: BlockRule | None,
        now: datetime,
        extension_days: float = 0.0,
    ) -> None:
        self.case, self.histories, self.rule = case, histories, rule
        self.now, self.extension_days = now, extension_days
        self._value: Timeline | None = None

    def get(self) -> Timeline:
        if self._value is None:
            self._value = case_timeline(
                self.case, self.histories, self.rule, self.now, self.extension_days
            )
        return self._value

    def at(self, now: datetime, histories: Mapping[str, IncidentHistory]) -> Deadlines:
        """The same case's timeline at another `now`, over `histories`."""
        return Deadlines(self.case, histories, self.rule, now, self.extension_days)

    @property
    def countdown_from(self) -> datetime:
        return self.get().countdown_from

    @property
    def vote_deadline(self) -> datetime | None:
        return self.get().vote_deadline

    @property
    def effective_at(self) -> datetime:
        return self.get().effective_at

    @property
    def lapses_at(self) -> datetime | None:
        return self.get().lapses_at

    @property
    def suspended_s(self) -> float:
        return self.get().suspended_s

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Deadlines):
            return self.get() == other.get()
        if isinstance(other, Timeline):
            return self.get() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.get())

    def __repr__(self) -> str:
        return repr(self.get())


@dataclass(frozen=True)
class CaseState:
    case: Case
    status: Status
    timeline: Timeline | Deadlines
    valid_incidents: tuple[str, ...]
    disputed_incidents: tuple[str, ...]
    votes: Mapping[str, Choice] = field(default_factory=dict)
    tally: Tally | None = None
    reason: str = ""


def disputes_of(
    case: Case, histories: Mapping[str, IncidentHistory], now: datetime
) -> list[tuple[datetime, datetime]]:
    """Dispute periods of the case's incidents still attributed to the accused, after it opened."""
    out: list[tuple[datetime, datetime]] = []
    for incident in case.incidents:
        latest = histories[incident].latest(now)
        if latest is None or latest.state is State.dismissed or latest.accused != case.accused:
            continue
        out.extend(i for i in histories[incident].dispute_intervals(now) if i[1] > case.opened_at)
    return out


def case_timeline(
    case: Case,
    histories: Mapping[str, IncidentHistory],
    rule: BlockRule | None,
    now: datetime,
    extension_days: float = 0.0,
) -> Timeline:
    return timeline(case, rule, disputes_of(case, histories, now), extension_days)


def evaluate(
    case: Case,
    histories: Mapping[str, IncidentHistory],
    rule: BlockRule | None,
    votes: Mapping[str, Choice],
    now: datetime,
    extension_days: float = 0.0,
    tl: Timeline | Deadlines | None = None,
) -> CaseState:
    """The case's status at `now`, given the votes counted for it (see votes.py).
    `tl`: the case's timeline at `now` if the caller has it already."""
    valid: list[str] = []
    disputed: list[str] = []
    for incident in case.incidents:
        latest = histories[incident].latest(now)
        if latest is None or latest.state is State.dismissed or latest.accused != case.accused:
            continue
        if latest.state in BREACH_STATES:
            valid.append(incident)
        elif latest.state in DISPUTE_STATES:
            disputed.append(incident)
    if tl is None:
        tl = Deadlines(case, histories, rule, now, extension_days)

    def state(status: Status, tally: Tally | None = None, reason: str = "") -> CaseState:
        return CaseState(case, status, tl, tuple(valid), tuple(disputed), votes, tally, reason)

    if len(valid) + len(disputed) < case.rung.trigger.count:
        return state(
            Status.void, reason="breaches dismissed or re-attributed below the trigger count"
        )
    if disputed and case.rung.suspend_during_dispute:
        return state(Status.suspended, reason=f"inspection dispute on {', '.join(disputed)}")
    if now < tl.countdown_from:
        return state(Status.consultation)
    if now < tl.effective_at:
        return state(Status.countdown)
    tally = decide(rule, votes, case.accused) if rule is not None else None
    if tally is not None and tally.blocked:
        return state(Status.blocked, tally, tally.reason)
    if tl.lapses_at is not None and now >= tl.lapses_at:
        return state(Status.lapsed, tally, "sunset")
    return state(Status.in_force, tally, tally.reason if tally else "no block rule")

"""The transitions an enforcement state implies, each with a unique key.

The appender writes those not yet on the log; because each key names one
transition (a case id plus what happened, a step key, an inspection id), a
replay of the same log writes nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from truceline.enforcement.extensions import Adopted
from truceline.enforcement.incidents import IncidentHistory
from truceline.enforcement.inspections import InspectionState
from truceline.enforcement.penalties import CaseState, Status, disputes_of
from truceline.enforcement.playbooks import StepState
from truceline.enforcement.records import EnforcementEvent, EventKind
from truceline.enforcement.votes import Ignored
from truceline.observation import format_time

if TYPE_CHECKING:
    from truceline.enforcement.engine import EnforcementState


def _t(moment: datetime | None) -> str | None:
    return format_time(moment) if moment is not None else None


def _case_detail(cs: CaseState) -> dict[str, Any]:
    tl = cs.timeline
    return {
        "rung": cs.case.rung.id,
        "penalty": cs.case.rung.penalty,
        "incidents": list(cs.case.incidents),
        "notifier": cs.case.notifier,
        "countdown_from": _t(tl.countdown_from),
        "vote_deadline": _t(tl.vote_deadline),
        "effective_at": _t(tl.effective_at),
        "lapses_at": _t(tl.lapses_at),
    }


def _adder(
    out: list[EnforcementEvent], skip: Container[str]
) -> Callable[[str, Callable[[], EnforcementEvent]], None]:
    """`add(key, build)`: append `build()` unless `key` is skipped. Building the events
    the log already holds, on every appender pass, was most of the time of a pass."""

    def add(key: str, build: Callable[[], EnforcementEvent]) -> None:
        if key not in skip:
            out.append(build())

    return add


def withdraws(told: Iterable[tuple[str, datetime]]) -> list[dict[str, str]]:
    """A withdrawal's `detail.withdraws` (`case_void`, `playbook_void`): the key and time
    of each logged transition it takes back, by which a CAP Cancel names the alert it
    cancels (publication/feed.py)."""
    return [{"key": k, "at": format_time(t)} for k, t in told]


def case_events(
    cs: CaseState,
    incidents: Mapping[str, IncidentHistory],
    now: datetime,
    told: Sequence[tuple[str, datetime]],
    skip: Container[str] = frozenset(),
) -> list[EnforcementEvent]:
    """The case's transitions, whether or not they have happened by `now` (see `due`).
    `told`: its transitions on the log, what its `case_void` withdraws (`Folded.told`)."""
    case, tl = cs.case, cs.timeline
    out: list[EnforcementEvent] = []
    add = _adder(out, skip)
    add(
        f"{case.id}:countdown_started",
        lambda: EnforcementEvent(
            event=EventKind.countdown_started,
            key=f"{case.id}:countdown_started",
            at=case.opened_at,
            subject=case.id,
            party=case.accused,
            detail=_case_detail(cs),
        ),
    )
    for start, _end in disputes_of(case, incidents, now):
        key = f"{case.id}:suspended:{format_time(start)}"
        add(
            key,
            lambda key=key, start=start: EnforcementEvent(  # type: ignore[misc]
                event=EventKind.suspended,
                key=key,
                at=max(start, case.opened_at),
                subject=case.id,
                party=case.accused,
                detail={"incidents": list(cs.disputed_incidents)},
            ),
        )
    tally = (
        {
            "reason": cs.tally.reason,
            "block": cs.tally.block,
            "allow": cs.tally.allow,
            "abstain": cs.tally.abstain,
            "eligible": cs.tally.eligible,
            "votes": {k: v.value for k, v in sorted(cs.votes.items())},
        }
        if cs.tally
        else {}
    )

    def ev(kind: EventKind, at: datetime, detail: Callable[[], dict[str, Any]]) -> None:
        key = f"{case.id}:{kind.value}"
        add(
            key,
            lambda: EnforcementEvent(
                event=kind, key=key, at=at, subject=case.id, party=case.accused, detail=detail()
            ),
        )

    def voided() -> dict[str, Any]:
        # What the case's subscribers were told, so what a CAP Cancel withdraws: its
        # transitions on the log, and those going on it with the void (due, not logged).
        # From the log, not from the case's past states: a verdict re-judged back to the
        # moment it was given voids a case that, in event time, never stood, yet its
        # countdown and penalty went out when the log did not show that yet.
        on_log = {k for k, _ in told}
        with_it = [(e.key, e.at) for e in out if e.key not in on_log and e.at <= now]
        return {"reason": cs.reason, "withdraws": withdraws([*told, *with_it])}

    if cs.status is Status.void:
        moments = [t.opens_at for i in case.incidents for t in incidents[i].seen(now)]
        ev(EventKind.case_void, max(moments), voided)
    elif cs.status is Status.blocked:
        ev(EventKind.blocked, tl.effective_at, lambda: tally)
    elif cs.status in (Status.in_force, Status.lapsed):
        if cs.tally is not None:
            ev(EventKind.block_attempt_failed, tl.effective_at, lambda: tally)
        ev(EventKind.penalty_in_force, tl.effective_at, lambda: {"penalty": case.rung.penalty})
        if cs.status is Status.lapsed and tl.lapses_at is not None:
            ev(EventKind.penalty_lapsed, tl.lapses_at, lambda: {"reason": "sunset"})
    return out


def events(state: EnforcementState, skip: Container[str] = frozenset()) -> list[EnforcementEvent]:
    """Every transition that has happened by `state.now`, in event-time order; those whose
    key is in `skip` (the appender passes the keys already logged) are left out."""
    out: list[EnforcementEvent] = []
    for cs in state.cases:
        out.extend(
            case_events(cs, state.incidents, state.now, state.told.get(cs.case.id, ()), skip)
        )
    out.extend(extension_events(state.extensions, skip))
    out.extend(ignored_events(state.ignored, state.now, skip))
    # Steps and inspections are most of the state and nearly all logged already: their
    # keys are checked before anything is built for them.
    for s in state.steps:
        out.extend(step_events(s, skip))
    for st in state.inspections:
        out.extend(inspection_events(st, skip))
    return in_order(due(out, state.now))


def due(out: list[EnforcementEvent], now: datetime) -> list[EnforcementEvent]:
    """The transitions that have happened by `now`."""
    return [e for e in out if e.at <= now]


def in_order(out: list[EnforcementEvent]) -> list[EnforcementEvent]:
    """In event-time order (keys are unique, so the order is total)."""
    return sorted(out, key=lambda e: (e.at, e.key))


def extension_events(
    adopted: Iterable[Adopted], skip: Container[str] = frozenset()
) -> list[EnforcementEvent]:
    out: list[EnforcementEvent] = []
    add = _adder(out, skip)
    for ad in adopted:
        add(
            f"{ad.case}:extended:{ad.round}",
            lambda ad=ad: EnforcementEvent(  # type: ignore[misc]
                event=EventKind.consultation_extended,
                key=f"{ad.case}:extended:{ad.round}",
                at=ad.at,
                subject=ad.case,
                detail={"round": ad.round, "days": ad.days, "signers": list(ad.signers)},
            ),
        )
    return out


def ignored_events(
    ignored: Iterable[Ignored], now: datetime, skip: Container[str] = frozenset()
) -> list[EnforcementEvent]:
    out: list[EnforcementEvent] = []
    add = _adder(out, skip)
    for ig in ignored:
        add(
            f"ignored:{ig.index}",
            lambda ig=ig: EnforcementEvent(  # type: ignore[misc]
                event=EventKind.record_ignored,
                key=f"ignored:{ig.index}",
                at=now,
                subject=str(ig.index),
                detail={"reason": ig.reason},
            ),
        )
    return out


def step_events(s: StepState, skip: Container[str] = frozenset()) -> list[EnforcementEvent]:
    escalation = f"{s.key}:escalated" if s.escalated else None
    void = f"{s.key}:void" if s.withdrawn_at is not None else None
    if (
        s.key in skip
        and (escalation is None or escalation in skip)
        and (void is None or void in skip)
    ):
        return []
    out: list[EnforcementEvent] = []
    add = _adder(out, skip)

    def detail() -> dict[str, Any]:
        return {
            "playbook": s.playbook,
            "step": s.step.id,
            "action": s.step.action.value,
            "to": list(s.step.to),
            "incident": s.incident,
            "due_by": format_time(s.due_by),
        }

    add(
        s.key,
        lambda: EnforcementEvent(
            event=EventKind.playbook_step,
            key=s.key,
            at=s.issued_at,
            subject=s.key,
            detail=detail(),
        ),
    )
    if escalation is not None:
        add(
            escalation,
            lambda: EnforcementEvent(
                event=EventKind.playbook_escalated,
                key=escalation,
                at=s.due_by,
                subject=s.key,
                detail={"escalate_to": list(s.step.escalate_to), **detail()},
            ),
        )
    if void is not None and s.withdrawn_at is not None:
        withdrawn_at = s.withdrawn_at
        # What it withdraws, by key and time: the step and, if it came first, its escalation
        # (a CAP Cancel names each alert it cancels by both; see publication/feed.py).
        told = [(s.key, s.issued_at)] + ([(escalation, s.due_by)] if escalation else [])
        add(
            void,
            lambda: EnforcementEvent(
                event=EventKind.playbook_void,
                key=void,
                at=withdrawn_at,
                subject=s.key,
                detail={
                    "reason": s.withdrawn_why,
                    "escalate_to": list(s.step.escalate_to) if escalation else [],
                    "withdraws": withdraws(told),
                    **detail(),
                },
            ),
        )
    return out


def inspection_events(
    st: InspectionState, skip: Container[str] = frozenset()
) -> list[EnforcementEvent]:
    item = st.inspection
    scheduled = f"inspection:{item.id}:scheduled"
    if scheduled in skip and (st.report is None or f"inspection:{item.id}:reported" in skip):
        return []
    out: list[EnforcementEvent] = []
    add = _adder(out, skip)
    add(
        scheduled,
        lambda: EnforcementEvent(
            event=EventKind.inspection_scheduled,
            key=scheduled,
            at=item.opened_at,
            subject=item.id,
            detail={
                "origin": item.origin.value,
                "due_by": format_time(item.due_by),
                "location": list(item.location),
                "zone": item.zone,
                "incident": item.incident,
            },
        ),
    )
    rep = st.report
    if rep is not None:
        add(
            f"inspection:{item.id}:reported",
            lambda: EnforcementEvent(
                event=EventKind.inspection_reported,
                key=f"inspection:{item.id}:reported",
                at=rep.at,
                subject=item.id,
                detail={"finding": rep.finding, "report": rep.index, "team": rep.sensor},
            ),
        )
    return out

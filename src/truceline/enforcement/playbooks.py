"""Incident playbooks: pre-written steps triggered by an incident's kind and grade.

A playbook fires once per incident, at the first transition (event time, log
order) that matches its acts and grades and is past `reported`. Each step gets
a stable key `playbook:step:incident`, so replaying the log never issues a step
twice. A step not acknowledged (signed Ack by one of its recipients) by its
deadline escalates to `escalate_to`.

A step stands only while its incident does: once the incident's latest transition is
dismissed (or back to `reported`), or no longer breaches an act the playbook names (a
verdict re-judged, e.g. after a back-dated revocation), the step is withdrawn (`void`)
from that transition on, as a case is voided; a deadline it had not reached by then
never escalates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.enforcement import Playbook, PlaybookStep
from truceline.agreement.model import Agreement
from truceline.enforcement.incidents import IncidentHistory
from truceline.enforcement.records import Ack

SKIP_STATES = frozenset({State.reported, State.dismissed})


def _past_reported(t: IncidentTransition) -> bool:
    return t.state not in SKIP_STATES


_PAST_REPORTED = ("past reported",)  # memo key of `_past_reported` (IncidentHistory.where)


@dataclass(frozen=True)
class StepState:
    key: str
    playbook: str
    step: PlaybookStep
    incident: str
    issued_at: datetime
    due_by: datetime
    status: str  # open | done | done_late | escalated | void
    acked_by: str | None = None
    acked_at: datetime | None = None
    # The deadline passed unacknowledged while the incident stood (logged at `due_by`).
    escalated: bool = False
    withdrawn_at: datetime | None = None  # when its incident stopped standing (`void`)
    withdrawn_why: str = ""


def stands(playbook: Playbook, t: IncidentTransition, acts: Mapping[str, str]) -> bool:
    """`t` is past `reported`, not dismissed, and breaches an act the playbook names (if it
    names any): what the playbook was fired for. Grades are left out: a dispute or a
    finding regrades a verdict without taking the breach back."""
    if t.state in SKIP_STATES:
        return False
    return not playbook.acts or bool({acts.get(r) for r in t.rules} & set(playbook.acts))


def matches(playbook: Playbook, t: IncidentTransition, acts: Mapping[str, str]) -> bool:
    if playbook.grades and t.grade not in playbook.grades:
        return False
    return stands(playbook, t, acts)


def trigger(
    playbook: Playbook, history: IncidentHistory, acts: Mapping[str, str], now: datetime
) -> IncidentTransition | None:
    """The transition (seen by `now`) that fires `playbook` for the incident, if any."""
    seen = history.where(now, _PAST_REPORTED, _past_reported)
    return next((t for t in seen if matches(playbook, t, acts)), None)


def withdrawal(
    playbook: Playbook, history: IncidentHistory, acts: Mapping[str, str], now: datetime
) -> IncidentTransition | None:
    """The transition (seen by `now`) from which the incident no longer stands for
    `playbook` (`stands`): the first of the transitions at the end of its history that
    do not; None while its latest one stands. A transition that fired the playbook
    stands, so the one found comes after it."""
    seen = history.seen(now)
    k = len(seen)
    while k > 0 and not stands(playbook, seen[k - 1], acts):
        k -= 1
    return seen[k] if k < len(seen) else None


Fired = tuple[IncidentTransition | None, IncidentTransition | None]
"""Per playbook: the transition that fires it for an incident (`trigger`), and the one
that withdraws it (`withdrawal`), each None if there is none by `now`."""


def steps(
    agreement: Agreement,
    fired: Mapping[str, Sequence[Fired]],
    acks: Iterable[Ack],
    now: datetime,
) -> list[StepState]:
    """Every step issued by `now`. `fired[incident][k]`: playbook k's trigger and
    withdrawal for the incident at `now`."""
    by_step = acks_by_step(acks, now)
    out: list[StepState] = []
    for incident in sorted(fired):
        out.extend(incident_steps(agreement, incident, fired[incident], by_step, now))
    return out


def acks_by_step(acks: Iterable[Ack], now: datetime) -> dict[str, list[Ack]]:
    """The acknowledgements made by `now`, per step key, in event-time order."""
    out: dict[str, list[Ack]] = {}
    for a in sorted(acks, key=lambda a: a.at):
        if a.at <= now:
            out.setdefault(a.step, []).append(a)
    return out


def incident_steps(
    agreement: Agreement,
    incident: str,
    fired: Sequence[Fired],
    acks_by_step: Mapping[str, list[Ack]],
    now: datetime,
) -> list[StepState]:
    """The steps the playbooks fired by `fired` (trigger, withdrawal) issue for one
    incident, given the acknowledgements made by `now` (in event-time order) per step key."""
    out: list[StepState] = []
    for book, (trig, gone) in zip(agreement.playbooks, fired, strict=True):
        if trig is None:
            continue
        withdrawn = max(gone.opens_at, trig.opens_at) if gone is not None else None
        why = "" if gone is None else _why(book, incident, gone)
        for step in book.steps:
            key = f"{book.id}:{step.id}:{incident}"
            # A step is issued when its trigger is logged: its deadline runs from then.
            due = trig.opens_at + timedelta(hours=step.deadline_hours)
            # Only a recipient can acknowledge; the first such acknowledgement counts.
            ack = next(
                (a for a in acks_by_step.get(key, []) if not step.to or a.by in step.to), None
            )
            # The deadline escalates only if it passed unacknowledged while the incident
            # stood: a step withdrawn before it is never escalated.
            escalated = (
                (ack is None or ack.at > due)
                and now > due
                and (withdrawn is None or withdrawn > due)
            )
            if withdrawn is not None:
                status = "void"
            elif ack is not None:
                status = "done" if ack.at <= due else "done_late"
            else:
                status = "escalated" if escalated else "open"
            out.append(
                StepState(
                    key,
                    book.id,
                    step,
                    incident,
                    trig.opens_at,
                    due,
                    status,
                    ack.by if ack else None,
                    ack.at if ack else None,
                    escalated,
                    withdrawn,
                    why,
                )
            )
    return out


def _why(book: Playbook, incident: str, gone: IncidentTransition) -> str:
    if gone.state is State.dismissed:
        return f"incident {incident} dismissed"
    if gone.state is State.reported:
        return f"incident {incident} back to reported"
    return f"incident {incident} no longer breaches {', '.join(book.acts)}"

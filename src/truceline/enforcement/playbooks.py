"""Incident playbooks: pre-written steps triggered by an incident's kind and grade.

A playbook fires once per incident, at the first transition (event time, log
order) that matches its acts and grades and is past `reported`. Each step gets
a stable key `playbook:step:incident`, so replaying the log never issues a step
twice. A step not acknowledged (signed Ack by one of its recipients) by its
deadline escalates to `escalate_to`.
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
    status: str  # open | done | done_late | escalated
    acked_by: str | None = None
    acked_at: datetime | None = None


def matches(playbook: Playbook, t: IncidentTransition, acts: Mapping[str, str]) -> bool:
    if t.state in SKIP_STATES:
        return False
    if playbook.grades and t.grade not in playbook.grades:
        return False
    return not playbook.acts or bool({acts.get(r) for r in t.rules} & set(playbook.acts))


def trigger(
    playbook: Playbook, history: IncidentHistory, acts: Mapping[str, str], now: datetime
) -> IncidentTransition | None:
    """The transition (seen by `now`) that fires `playbook` for the incident, if any."""
    seen = history.where(now, _PAST_REPORTED, _past_reported)
    return next((t for t in seen if matches(playbook, t, acts)), None)


def steps(
    agreement: Agreement,
    triggers: Mapping[str, Sequence[IncidentTransition | None]],
    acks: Iterable[Ack],
    now: datetime,
) -> list[StepState]:
    """Every step issued by `now`. `triggers[incident][k]`: the transition that fires
    playbook k for the incident (`trigger` at `now`)."""
    by_step = acks_by_step(acks, now)
    out: list[StepState] = []
    for incident in sorted(triggers):
        out.extend(incident_steps(agreement, incident, triggers[incident], by_step, now))
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
    triggers: Sequence[IncidentTransition | None],
    acks_by_step: Mapping[str, list[Ack]],
    now: datetime,
) -> list[StepState]:
    """The steps the playbooks fired by `triggers` issue for one incident, given the
    acknowledgements made by `now` (in event-time order) per step key."""
    out: list[StepState] = []
    for book, fired in zip(agreement.playbooks, triggers, strict=True):
        if fired is None:
            continue
        for step in book.steps:
            key = f"{book.id}:{step.id}:{incident}"
            # A step is issued when its trigger is logged: its deadline runs from then.
            due = fired.opens_at + timedelta(hours=step.deadline_hours)
            # Only a recipient can acknowledge; the first such acknowledgement counts.
            ack = next(
                (a for a in acks_by_step.get(key, []) if not step.to or a.by in step.to), None
            )
            if ack is not None:
                status = "done" if ack.at <= due else "done_late"
            else:
                status = "escalated" if now > due else "open"
            out.append(
                StepState(
                    key,
                    book.id,
                    step,
                    incident,
                    fired.opens_at,
                    due,
                    status,
                    ack.by if ack else None,
                    ack.at if ack else None,
                )
            )
    return out

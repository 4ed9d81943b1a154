"""The enforcement state as JSON, for the API and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from truceline.enforcement.engine import EnforcementState
from truceline.observation import format_time


def _t(moment: datetime | None) -> str | None:
    return format_time(moment) if moment is not None else None


def penalties(state: EnforcementState) -> list[dict[str, Any]]:
    out = []
    for cs in state.cases:
        tl = cs.timeline
        out.append(
            {
                "case": cs.case.id,
                "rung": cs.case.rung.id,
                "penalty": cs.case.rung.penalty,
                "accused": cs.case.accused,
                "status": cs.status.value,
                "opened_at": _t(cs.case.opened_at),
                "notifier": cs.case.notifier,
                "incidents": list(cs.case.incidents),
                "countdown_from": _t(tl.countdown_from),
                "vote_deadline": _t(tl.vote_deadline),
                "effective_at": _t(tl.effective_at),
                "lapses_at": _t(tl.lapses_at),
                "suspended_s": tl.suspended_s,
                "votes": {k: v.value for k, v in sorted(cs.votes.items())},
                "reason": cs.reason,
            }
        )
    return out


def inspections(state: EnforcementState) -> dict[str, Any]:
    items = []
    for st in state.inspections:
        i = st.inspection
        items.append(
            {
                "id": i.id,
                "origin": i.origin.value,
                "status": st.status,
                "opened_at": _t(i.opened_at),
                "due_by": _t(i.due_by),
                "location": list(i.location),
                "zone": i.zone,
                "incident": i.incident,
                "requester": i.requester,
                "team": st.team,
                "finding": st.report.finding if st.report else None,
                "report": st.report.index if st.report else None,
            }
        )
    return {"inspections": items, "coverage": state.coverage}


def playbooks(state: EnforcementState) -> list[dict[str, Any]]:
    return [
        {
            "key": s.key,
            "playbook": s.playbook,
            "step": s.step.id,
            "action": s.step.action.value,
            "to": list(s.step.to),
            "incident": s.incident,
            "issued_at": _t(s.issued_at),
            "due_by": _t(s.due_by),
            "status": s.status,
            "escalate_to": list(s.step.escalate_to),
            "acked_by": s.acked_by,
            "withdrawn_at": _t(s.withdrawn_at),
            "withdrawn_why": s.withdrawn_why or None,
        }
        for s in state.steps
    ]


def ignored(state: EnforcementState) -> list[dict[str, Any]]:
    return [{"index": i.index, "reason": i.reason} for i in state.ignored]

"""Playbooks: triggered by act and grade, once per incident, acknowledged only by recipients."""

from __future__ import annotations

from datetime import timedelta

from truceline.agreement.enforcement import Playbook, PlaybookStep
from truceline.enforcement.engine import derive
from truceline.enforcement.records import ACK_TYPE
from truceline.observation import format_time

from ._world import T0, Log, agreement

BOOK = Playbook(
    id="sites",
    acts=["impact_in_zone"],
    grades=["confirmed", "fair"],
    steps=[
        PlaybookStep(
            id="cover",
            action="request_air_defence",
            to=["g1", "g2"],
            deadline_hours=2,
            escalate_to=["g3"],
        ),
        PlaybookStep(id="resupply", action="trigger_resupply", to=["mission"], deadline_hours=12),
    ],
)


def ack(log: Log, step: str, by: str, hours: float, signer: str | None = None) -> int:
    return log.add(
        ACK_TYPE,
        {"step": step, "by": by, "at": format_time(T0 + timedelta(hours=hours))},
        signer or by,
    )


def test_trigger_by_act_and_grade_once_per_incident() -> None:
    a = agreement(playbooks=[BOOK], routine=0)
    log = Log()
    log.incident(
        "shelling", "verified", T0, rules=("art-1",)
    )  # fire across the line: not this book
    log.incident("zone", "corroborated", T0, grade="weak", rules=("art-2",))  # weak: not yet
    log.incident("zone", "verified", T0 + timedelta(hours=1), grade="fair", rules=("art-2",))
    log.incident("zone", "confirmed", T0 + timedelta(hours=2), rules=("art-2",))
    steps = derive(log.records, a, T0 + timedelta(hours=3)).steps
    assert [(s.key, s.issued_at) for s in steps] == [
        ("sites:cover:zone", T0 + timedelta(hours=1)),
        ("sites:resupply:zone", T0 + timedelta(hours=1)),
    ]
    assert steps[0].status == "open"


def test_only_a_recipient_acknowledges_and_late_acks_still_escalate() -> None:
    a = agreement(playbooks=[BOOK], routine=0)
    log = Log()
    log.incident("zone", "verified", T0, rules=("art-2",))
    ack(log, "sites:cover:zone", "party-b", 0.5)  # not a recipient: does not count...
    ack(log, "sites:cover:zone", "g1", 1.0, signer="g2")  # ...nor does a forged one
    ack(log, "sites:cover:zone", "g2", 1.5)  # the first valid one
    ack(log, "sites:resupply:zone", "mission", 13)  # after its 12 h
    state = derive(log.records, a, T0 + timedelta(hours=14))
    by_key = {s.key: s for s in state.steps}
    assert (by_key["sites:cover:zone"].status, by_key["sites:cover:zone"].acked_by) == (
        "done",
        "g2",
    )
    assert by_key["sites:resupply:zone"].status == "done_late"
    assert any("refused" in i.reason for i in state.ignored)

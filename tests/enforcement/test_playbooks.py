"""Playbooks: triggered by act and grade, once per incident, acknowledged only by recipients."""

from __future__ import annotations

from datetime import timedelta

from truceline.agreement.enforcement import Playbook, PlaybookStep
from truceline.enforcement.engine import derive
from truceline.enforcement.records import ACK_TYPE
from truceline.enforcement.transitions import events
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


def _events(log: Log, hours: float) -> list[tuple[str, str, object]]:
    """The playbook transitions `derive` implies at T0 + hours: (event, key, at)."""
    a = agreement(playbooks=[BOOK], routine=0)
    state = derive(log.records, a, T0 + timedelta(hours=hours))
    return [(e.event.value, e.key, e.at) for e in events(state) if e.event.value.startswith("pl")]


def test_a_step_whose_incident_is_dismissed_before_its_deadline_is_withdrawn_unescalated() -> None:
    log = Log()
    log.incident("zone", "verified", T0, grade="fair", rules=("art-2",))
    log.incident("zone", "dismissed", T0 + timedelta(hours=1), grade="discounted", rules=())
    a = agreement(playbooks=[BOOK], routine=0)
    state = derive(log.records, a, T0 + timedelta(hours=30))
    by_key = {s.key: s for s in state.steps}
    cover = by_key["sites:cover:zone"]
    assert (cover.status, cover.escalated) == ("void", False)
    assert cover.withdrawn_at == T0 + timedelta(hours=1)
    assert cover.withdrawn_why == "incident zone dismissed"
    # Both steps issued at T0, both withdrawn at the dismissal, neither escalated after it.
    assert _events(log, 30) == [
        ("playbook_step", "sites:cover:zone", T0),
        ("playbook_step", "sites:resupply:zone", T0),
        ("playbook_void", "sites:cover:zone:void", T0 + timedelta(hours=1)),
        ("playbook_void", "sites:resupply:zone:void", T0 + timedelta(hours=1)),
    ]
    # Before the dismissal the steps stood: a pure function of the log at event time.
    assert [e for e, _, _ in _events(log, 0.5)] == ["playbook_step", "playbook_step"]


def test_a_withdrawal_after_the_deadline_keeps_the_escalation_and_names_both() -> None:
    log = Log()
    log.incident("zone", "confirmed", T0, rules=("art-2",))
    # Re-judged (a back-dated revocation, say) into a breach of no act the book names.
    log.incident("zone", "verified", T0 + timedelta(hours=3), grade="fair", rules=("art-1",))
    a = agreement(playbooks=[BOOK], routine=0)
    state = derive(log.records, a, T0 + timedelta(hours=4))
    cover = next(s for s in state.steps if s.key == "sites:cover:zone")
    assert (cover.status, cover.escalated) == ("void", True)
    assert cover.withdrawn_why == "incident zone no longer breaches impact_in_zone"
    [void] = [e for e in events(state) if e.key == "sites:cover:zone:void"]
    assert void.detail["withdraws"] == [
        {"key": "sites:cover:zone", "at": format_time(T0)},
        {"key": "sites:cover:zone:escalated", "at": format_time(T0 + timedelta(hours=2))},
    ]
    assert void.detail["escalate_to"] == ["g3"]
    assert ("playbook_escalated", "sites:cover:zone:escalated", T0 + timedelta(hours=2)) in (
        _events(log, 4)
    )


def test_a_dispute_or_a_regrade_does_not_withdraw_a_step() -> None:
    log = Log()
    log.incident("zone", "verified", T0, grade="fair", rules=("art-2",))
    log.incident("zone", "disputed", T0 + timedelta(minutes=10), grade="fair", rules=("art-2",))
    log.incident("zone", "inspection", T0 + timedelta(minutes=20), grade="weak", rules=("art-2",))
    a = agreement(playbooks=[BOOK], routine=0)
    state = derive(log.records, a, T0 + timedelta(hours=1))
    assert {s.status for s in state.steps} == {"open"}
    assert all(s.withdrawn_at is None for s in state.steps)

"""Property: a penalty in force always falls on a party with verified breaches of its own."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adjudication.verdict import State
from truceline.agreement.enforcement import Rung, Trigger
from truceline.enforcement.engine import derive
from truceline.enforcement.incidents import BREACH_STATES
from truceline.enforcement.penalties import Status
from truceline.enforcement.records import VOTE_TYPE
from truceline.observation import format_time

from ._world import T0, Log, agreement, snapback

PARTIES = ["party-a", "party-b"]
transition = st.tuples(
    st.sampled_from([f"i{i}" for i in range(6)]),
    st.sampled_from(list(State)),
    st.integers(0, 60 * 24 * 40),  # minutes after T0
    st.sampled_from([*PARTIES, None]),
    st.sampled_from(["confirmed", "fair", "weak", "contested", "discounted"]),
)
ballot = st.tuples(
    st.sampled_from(["g1", "g2", "g3", "party-a", "party-b"]),
    st.sampled_from(["block", "allow", "abstain"]),
    st.integers(0, 60 * 24 * 40),
    st.sampled_from(["g1", "g2", "g3", "party-a", "party-b"]),  # who actually signs
)


def ladder():
    return agreement(
        rungs=[
            Rung(
                id="warn", penalty="warning", trigger=Trigger(count=1, grades=["confirmed", "fair"])
            ),
            Rung(
                id="snap",
                penalty="sanctions",
                trigger=Trigger(count=2, within_days=10),
                block_rule="snap",
                countdown_days=3,
                sunset_days=20,
            ),
        ],
        block_rules=[snapback(window_days=5)],
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(transition, max_size=14),
    st.lists(ballot, max_size=10),
    st.integers(0, 60 * 24 * 60),
)
def test_no_penalty_on_a_party_that_did_not_breach(transitions, ballots, now_min) -> None:
    a = ladder()
    log = Log()
    for ident, state, minute, accused, grade in transitions:
        log.incident(ident, state, T0 + timedelta(minutes=minute), accused=accused, grade=grade)
    now = T0 + timedelta(minutes=now_min)
    first = derive(log.records, a, now)
    case_ids = [c.case.id for c in first.cases] or ["none"]
    for n, (voter, choice, minute, signer) in enumerate(ballots):
        obj = {
            "case": case_ids[n % len(case_ids)],
            "voter": voter,
            "choice": choice,
            "cast_at": format_time(T0 + timedelta(minutes=minute)),
        }
        log.add(VOTE_TYPE, obj, signer)
    state = derive(log.records, a, now)

    rungs = {r.id: r for r in a.penalties.rungs}
    for cs in state.cases:
        if cs.status is not Status.in_force:
            continue
        party, rung = cs.case.accused, rungs[cs.case.rung.id]
        own = []
        for ident in cs.case.incidents:
            latest = state.incidents[ident].latest(now)
            assert latest is not None
            if latest.state in BREACH_STATES and latest.accused == party:
                verified = [
                    t
                    for t in state.incidents[ident].seen(now)
                    if t.state in BREACH_STATES
                    and t.accused == party
                    and t.grade in rung.trigger.grades
                ]
                assert verified, "counted breach was never verified against this party"
                own.append(ident)
        assert len(own) >= rung.trigger.count, (party, cs.case.incidents)
        assert now >= cs.timeline.effective_at

    # The accused party's own votes never change any outcome.
    accused = {c.case.id: c.case.accused for c in state.cases}
    keep = [
        r
        for r in log.records
        if r.payload_type != VOTE_TYPE or accused.get(r.payload["case"]) != r.payload["voter"]
    ]
    again = derive(keep, a, now)
    assert [c.status for c in again.cases] == [c.status for c in state.cases]

"""Consultation windows extended by consensus of the eligible voters, and only so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from truceline.agreement.enforcement import Rung, Trigger
from truceline.enforcement.engine import derive
from truceline.enforcement.penalties import Status
from truceline.enforcement.records import EXTENSION_TYPE
from truceline.enforcement.transitions import events
from truceline.observation import format_time

from ._world import T0, Log, agreement, snapback

# Opened 5 March 13:00; 15 days of consultation end 20 March 13:00; 30-day vote window
# and 15 + 15 days of countdown both end 5 April 00:00 UTC.
CONSULT_END = T0 + timedelta(days=15)
DEADLINE = datetime(2026, 4, 5, tzinfo=UTC)
VOTERS = ("g1", "g2", "g3")  # party-a, also a voter, is the accused and is left out


def world():
    rung = Rung(
        id="s",
        penalty="p",
        trigger=Trigger(count=1),
        block_rule="snap",
        consultation_days=15,
        countdown_days=15,
    )
    return agreement(rungs=[rung], block_rules=[snapback()])


def assent(log: Log, case: str, by: str, at: datetime, days: float = 15, round_: int = 1) -> int:
    obj = {"case": case, "round": round_, "days": days, "by": by, "at": format_time(at)}
    return log.add(EXTENSION_TYPE, obj, by)


def opened() -> tuple[Log, str]:
    log = Log()
    log.incident("i1", "verified", T0)
    return log, derive(log.records, world(), T0).cases[0].case.id


def test_consensus_extends_every_later_deadline() -> None:
    a = world()
    log, case = opened()
    for by in VOTERS:
        assent(log, case, by, T0 + timedelta(days=3))
    state = derive(log.records, a, T0 + timedelta(days=20))
    tl = state.cases[0].timeline
    assert tl.countdown_from == CONSULT_END + timedelta(days=15)
    assert tl.effective_at == DEADLINE + timedelta(days=15)
    assert state.cases[0].status is Status.consultation
    [ev] = [e for e in events(state) if e.event == "consultation_extended"]
    assert ev.detail == {"round": 1, "days": 15.0, "signers": list(VOTERS)}
    assert derive(log.records, a, DEADLINE + timedelta(days=15)).cases[0].status is Status.in_force


def test_one_missing_or_different_assent_means_no_extension() -> None:
    a = world()
    log, case = opened()
    assent(log, case, "g1", T0 + timedelta(days=1))
    assent(log, case, "g2", T0 + timedelta(days=1))
    assent(log, case, "g3", T0 + timedelta(days=1), days=10)  # agrees to a different length
    st = derive(log.records, a, DEADLINE).cases[0]
    assert st.timeline.effective_at == DEADLINE and st.status is Status.in_force


def test_assent_at_the_end_counts_after_it_is_late_and_accused_or_outsider_cannot() -> None:
    a = world()
    log, case = opened()
    assent(log, case, "g1", CONSULT_END)
    assent(log, case, "g2", CONSULT_END)
    late = assent(log, case, "g3", CONSULT_END + timedelta(seconds=1))
    accused = assent(log, case, "party-a", T0 + timedelta(days=1))
    outsider = assent(log, case, "party-b", T0 + timedelta(days=1))
    state = derive(log.records, a, DEADLINE)
    reasons = {i.index: i.reason for i in state.ignored}
    assert "late extension" in reasons[late]
    assert "may not extend" in reasons[accused] and "may not extend" in reasons[outsider]
    assert state.cases[0].timeline.effective_at == DEADLINE
    # With g3 on time, the round is adopted at the last assent, exactly at the end.
    log2, _ = opened()
    for by in VOTERS:
        assent(log2, case, by, CONSULT_END)
    assert derive(log2.records, a, DEADLINE).extensions[0].at == CONSULT_END


def test_rounds_chain_in_order() -> None:
    a = world()
    log, case = opened()
    for by in VOTERS:
        assent(log, case, by, T0 + timedelta(days=1), days=5)
        # Round 2 is agreed inside the window as extended by round 1 (15 + 5 days).
        assent(log, case, by, T0 + timedelta(days=19), days=5, round_=2)
        # Round 4 without a round 3 is never reached.
        assent(log, case, by, T0 + timedelta(days=2), days=30, round_=4)
    state = derive(log.records, a, T0 + timedelta(days=21))
    assert [(x.round, x.days) for x in state.extensions] == [(1, 5.0), (2, 5.0)]
    assert state.cases[0].timeline.countdown_from == CONSULT_END + timedelta(days=10)

"""The penalty ladder over the log: countdowns, deadlines at 00:00 UTC, votes, standing, disputes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from truceline.agreement.enforcement import Rung, Trigger
from truceline.authority import KeyBook
from truceline.enforcement.engine import derive
from truceline.enforcement.penalties import Status
from truceline.enforcement.records import NOTIFICATION_TYPE, VOTE_TYPE
from truceline.observation import format_time

from ._world import KEYS, T0, Log, agreement, snapback

DEADLINE = datetime(2026, 4, 5, 0, 0, tzinfo=UTC)  # T0 (5 March 13:00) + 30 days, then 00:00 UTC


def snap_agreement(**rung_kw: object):
    rung = Rung(
        id="sanctions",
        penalty="sanctions_package_1",
        trigger=Trigger(count=1, within_days=30),
        block_rule="snap",
        **rung_kw,
    )
    return agreement(rungs=[rung], block_rules=[snapback()])


def vote(
    log: Log, case: str, voter: str, choice: str, at: datetime, signer: str | None = None
) -> int:
    obj = {"case": case, "voter": voter, "choice": choice, "cast_at": format_time(at)}
    return log.add(VOTE_TYPE, obj, signer or voter)


def opened(log: Log, a) -> str:
    state = derive(log.records, a, T0)
    assert len(state.cases) == 1
    return state.cases[0].case.id


def test_countdown_opens_on_verification_and_deadline_is_midnight_utc() -> None:
    a = snap_agreement()
    log = Log()
    log.incident("i1", "verified", T0)
    st = derive(log.records, a, T0).cases[0]
    assert st.status is Status.countdown
    assert st.case.accused == "party-a" and st.case.opened_at == T0
    assert st.timeline.vote_deadline == DEADLINE and st.timeline.effective_at == DEADLINE
    # Default outcome: nobody votes, the penalty applies at the deadline and not before.
    assert (
        derive(log.records, a, DEADLINE - timedelta(seconds=1)).cases[0].status is Status.countdown
    )
    assert derive(log.records, a, DEADLINE).cases[0].status is Status.in_force


def test_vote_at_exactly_the_deadline_counts_one_second_after_does_not() -> None:
    a = snap_agreement()
    log = Log()
    log.incident("i1", "verified", T0)
    case = opened(log, a)
    vote(log, case, "g1", "block", DEADLINE)
    vote(log, case, "g3", "block", DEADLINE)
    st = derive(log.records, a, DEADLINE).cases[0]
    assert st.status is Status.blocked and st.tally and st.tally.block == 2

    log2 = Log()
    log2.incident("i1", "verified", T0)
    vote(log2, case, "g1", "block", DEADLINE)
    late = vote(log2, case, "g3", "block", DEADLINE + timedelta(seconds=1))
    state = derive(log2.records, a, DEADLINE + timedelta(days=1))
    assert state.cases[0].status is Status.in_force
    assert [i.index for i in state.ignored] == [late]
    assert "late vote" in state.ignored[0].reason


def test_one_veto_of_the_continuation_makes_the_penalty_happen() -> None:
    a = snap_agreement()
    log = Log()
    log.incident("i1", "verified", T0)
    case = opened(log, a)
    for voter in ("g2", "g3"):
        vote(log, case, voter, "block", T0 + timedelta(days=1))
    vote(log, case, "g1", "allow", T0 + timedelta(days=2))
    st = derive(log.records, a, DEADLINE).cases[0]
    assert st.status is Status.in_force and "vetoed by g1" in st.reason


def test_tie_does_not_block() -> None:
    a = agreement(
        rungs=[Rung(id="r", penalty="p", trigger=Trigger(count=1), block_rule="snap")],
        block_rules=[snapback(majority=2)],
    )
    log = Log()
    log.incident("i1", "verified", T0, accused="party-b")
    case = opened(log, a)
    vote(log, case, "g3", "block", T0 + timedelta(days=1))
    vote(log, case, "party-a", "block", T0 + timedelta(days=1))
    vote(log, case, "g1", "abstain", T0 + timedelta(days=1))
    vote(log, case, "g2", "abstain", T0 + timedelta(days=1))
    assert derive(log.records, a, DEADLINE).cases[0].status is Status.blocked  # 2 = majority
    log2 = Log()
    log2.incident("i1", "verified", T0, accused="party-b")
    vote(log2, case, "g3", "block", T0 + timedelta(days=1))
    vote(log2, case, "party-a", "allow", T0 + timedelta(days=1))  # 1-1
    assert derive(log2.records, a, DEADLINE).cases[0].status is Status.in_force


def test_accused_vote_revoked_key_unknown_key_duplicate_are_ignored_with_reasons() -> None:
    a = snap_agreement()
    log = Log()
    log.incident("i1", "verified", T0)
    case = opened(log, a)
    day = T0 + timedelta(days=1)
    accused = vote(log, case, "party-a", "block", day)
    revoked = vote(log, case, "g3", "block", day + timedelta(hours=2))
    forged = vote(log, case, "g2", "block", day, signer="party-b")  # signed with someone else's key
    first = vote(log, case, "g1", "block", day)
    dup = vote(log, case, "g1", "allow", day + timedelta(hours=1))
    book = KeyBook.from_agreement(a, revoked=[(_keyid("g3"), day + timedelta(hours=1))])
    state = derive(log.records, a, DEADLINE, book)
    reasons = {i.index: i.reason for i in state.ignored}
    assert set(reasons) == {accused, revoked, forged, dup}
    assert "accused" in reasons[accused]
    assert "revoked" in reasons[revoked]
    assert "belongs to 'party-b'" in reasons[forged]
    assert "duplicate" in reasons[dup]
    st = state.cases[0]
    assert st.votes == {"g1": "block"}
    assert st.status is Status.in_force  # one block vote < majority 2
    assert first not in reasons


def _keyid(who: str) -> str:
    from truceline.codec.keys import key_id

    return key_id(KEYS[who].public_key())


def test_standing_refuses_a_trigger_by_a_party_without_it() -> None:
    rung = Rung(
        id="snapback",
        penalty="sanctions",
        trigger=Trigger(count=1),
        block_rule="snap",
        standing=["g1", "g2"],
    )
    a = agreement(rungs=[rung], block_rules=[snapback()])
    log = Log()
    log.incident("i1", "verified", T0)
    assert derive(log.records, a, T0 + timedelta(days=1)).cases == []  # no automatic trigger
    note = {"rung": "snapback", "accused": "party-a", "at": format_time(T0 + timedelta(hours=5))}
    bad = log.add(NOTIFICATION_TYPE, note | {"notifier": "g3"}, "g3")
    state = derive(log.records, a, T0 + timedelta(days=1))
    assert state.cases == []
    assert [(i.index, "no standing" in i.reason) for i in state.ignored] == [(bad, True)]
    log.add(NOTIFICATION_TYPE, note | {"notifier": "g2"}, "g2")
    state = derive(log.records, a, T0 + timedelta(days=1))
    assert len(state.cases) == 1 and state.cases[0].case.notifier == "g2"
    assert state.cases[0].case.opened_at == T0 + timedelta(hours=5)


def test_a_notification_without_enough_breaches_is_refused() -> None:
    rung = Rung(id="s", penalty="p", trigger=Trigger(count=2), standing=["g1"])
    a = agreement(rungs=[rung])
    log = Log()
    log.incident("i1", "verified", T0)
    note = {"rung": "s", "accused": "party-a", "notifier": "g1", "at": format_time(T0)}
    log.add(NOTIFICATION_TYPE, note, "g1")
    state = derive(log.records, a, T0 + timedelta(days=1))
    assert state.cases == [] and "2 needed" in state.ignored[0].reason


def test_dispute_suspends_and_extends_the_countdown() -> None:
    a = snap_agreement()
    log = Log()
    log.incident("i1", "verified", T0)
    log.incident("i1", "disputed", T0 + timedelta(days=10), grade="contested")
    mid = T0 + timedelta(days=20)
    assert derive(log.records, a, mid).cases[0].status is Status.suspended
    assert derive(log.records, a, DEADLINE + timedelta(days=1)).cases[0].status is Status.suspended
    log.incident("i1", "confirmed", T0 + timedelta(days=15))
    st = derive(log.records, a, DEADLINE).cases[0]
    # 5 days of dispute push the deadline from 5 April to 10 April 00:00 UTC.
    assert st.timeline.effective_at == DEADLINE + timedelta(days=5)
    assert st.status is Status.countdown
    assert derive(log.records, a, DEADLINE + timedelta(days=5)).cases[0].status is Status.in_force


def test_dismissal_voids_even_a_penalty_in_force() -> None:
    a = snap_agreement()
    log = Log()
    log.incident("i1", "verified", T0)
    assert derive(log.records, a, DEADLINE).cases[0].status is Status.in_force
    log.incident("i1", "dismissed", DEADLINE + timedelta(days=1), grade="discounted")
    assert derive(log.records, a, DEADLINE + timedelta(days=2)).cases[0].status is Status.void


def test_sunset_lapses_the_penalty() -> None:
    a = snap_agreement(sunset_days=10)
    log = Log()
    log.incident("i1", "verified", T0)
    assert derive(log.records, a, DEADLINE + timedelta(days=9)).cases[0].status is Status.in_force
    assert derive(log.records, a, DEADLINE + timedelta(days=10)).cases[0].status is Status.lapsed


def test_ladder_counts_breaches_within_the_window_and_consumes_them() -> None:
    rung = Rung(id="r3", penalty="p", trigger=Trigger(count=3, within_days=7))
    a = agreement(rungs=[rung])
    log = Log()
    for i, day in enumerate([0, 1, 9, 10, 11, 12, 13]):
        log.incident(f"i{i}", "verified", T0 + timedelta(days=day))
    log.incident("x", "verified", T0, accused="party-b")
    cases = derive(log.records, a, T0 + timedelta(days=30)).cases
    # days 0,1 never reach 3 within 7 days; 9,10,11 open one; 12,13 are left over.
    assert [(c.case.accused, c.case.opened_at) for c in cases] == [
        ("party-a", T0 + timedelta(days=11))
    ]
    assert cases[0].status is Status.in_force  # no block rule, no countdown: immediate


def test_grade_and_rule_filters() -> None:
    rung = Rung(id="r", penalty="p", trigger=Trigger(rules=["art-2"], grades=["confirmed", "fair"]))
    a = agreement(rungs=[rung])
    log = Log()
    log.incident("i1", "verified", T0, rules=("art-1",))
    log.incident("i2", "verified", T0, grade="weak", rules=("art-2",))
    assert derive(log.records, a, T0).cases == []
    log.incident("i3", "verified", T0, grade="fair", rules=("art-2",))
    assert [c.case.incidents for c in derive(log.records, a, T0).cases] == [("i3",)]


def test_event_time_future_records_do_not_count_yet() -> None:
    a = snap_agreement()
    log = Log()
    log.incident("i1", "verified", T0 + timedelta(days=1))
    assert derive(log.records, a, T0).cases == []

"""settle's reuse between passes (reuse.py) never changes what a pass decides.

A `Folded` kept from pass to pass, settled at whatever `now` each pass brings
(later, earlier, the same again), must give the state and the transitions that a
fresh fold of the same records gives at that `now`: what was reused is exactly
what would have been recomputed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adjudication.verdict import INCIDENT_TYPE, State
from truceline.agreement.enforcement import PlaybookStep
from truceline.authority import KeyBook
from truceline.codec.entries import decode
from truceline.enforcement.engine import Folded, fold_records, settle
from truceline.enforcement.penalties import case_id
from truceline.enforcement.records import ACK_TYPE, VOTE_TYPE
from truceline.enforcement.transitions import events
from truceline.observation import format_time

from ._world import AFTER_PRINCIPALS, T0, entry, incident, warning_then_snapback
from .test_incremental import mission

A = warning_then_snapback(
    PlaybookStep(id="tell", action="notify", to=["g1"], deadline_hours=6),
    PlaybookStep(id="look", action="open_inspection", to=["mission"], deadline_hours=9),
)
BOOK = KeyBook.from_agreement(A)
MISSION = mission(A)

minute = st.integers(0, 60 * 24 * 5)
transition = st.tuples(
    st.just("incident"),
    st.sampled_from(["i0", "i1", "i2"]),
    st.sampled_from(list(State)),
    minute,
    st.sampled_from(["party-a", "party-b"]),
    st.sampled_from(["confirmed", "fair"]),
)
ack = st.tuples(st.just("ack"), st.sampled_from(["i0", "i1", "i2"]), minute)
# Votes on the snapback cases two of the incidents would open (ids are hashes of them).
CASES = [
    case_id("snap", party, pair)
    for party in ("party-a", "party-b")
    for pair in (("i0", "i1"), ("i0", "i2"), ("i1", "i2"))
]
vote = st.tuples(
    st.just("vote"),
    st.sampled_from(CASES),
    st.sampled_from(["g1", "g2", "g3"]),
    minute,
    st.sampled_from(["allow", "block", "abstain"]),
)
# (records folded so far, minutes after T0): counts only grow, `now` goes anywhere
passes = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 60 * 24 * 8)), min_size=2, max_size=12
)


def _entry(item: tuple[Any, ...]) -> bytes:
    if item[0] == "incident":
        _, ident, state, m, accused, grade = item
        at = T0 + timedelta(minutes=m)
        return entry(INCIDENT_TYPE, incident(ident, state, at, accused=accused, grade=grade))
    if item[0] == "vote":
        _, case, voter, m, choice = item
        cast = {"case": case, "voter": voter, "choice": choice}
        return entry(VOTE_TYPE, {**cast, "cast_at": format_time(T0 + timedelta(minutes=m))}, voter)
    _, ident, m = item
    at = format_time(T0 + timedelta(minutes=m))
    return entry(ACK_TYPE, {"step": f"pb:tell:{ident}", "by": "g1", "at": at}, "g1")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(transition, transition, transition, ack, vote), min_size=1, max_size=12),
    passes,
)
def test_a_kept_fold_settles_as_a_fresh_one(items, schedule) -> None:
    records = [
        r
        for r in (decode(AFTER_PRINCIPALS + i, _entry(x)) for i, x in enumerate(items))
        if r is not None
    ]
    kept = Folded(A, BOOK, MISSION)
    fed = 0
    # Every pass twice: the second finds everything it can reuse.
    for count, m in [p for p in sorted(schedule, key=lambda p: p[0]) for _ in (0, 1)]:
        for r in records[fed:count]:
            kept.add(r)
        fed = max(fed, min(count, len(records)))
        now = T0 + timedelta(minutes=m)
        got = settle(kept, now, plan_routes=False)
        fresh = settle(fold_records(records[:fed], A, BOOK, MISSION), now, plan_routes=False)
        assert got == fresh, f"after {fed} records at {now}"
        assert events(got, skip=got.logged) == events(fresh, skip=fresh.logged)


def test_a_dispute_still_open_keeps_the_timeline_moving() -> None:
    """A case whose incident is disputed (and not yet resolved) has deadlines that move
    with `now`: two passes over the same records at different times must not share one."""
    items: list[tuple[Any, ...]] = [
        ("incident", "i0", State.verified, 0, "party-a", "confirmed"),
        ("incident", "i1", State.verified, 10, "party-a", "confirmed"),
        ("incident", "i1", State.disputed, 60, "party-a", "confirmed"),
    ]
    records = [decode(AFTER_PRINCIPALS + i, _entry(x)) for i, x in enumerate(items)]
    kept = fold_records([r for r in records if r is not None], A, BOOK, MISSION)
    first, later = (settle(kept, T0 + timedelta(hours=h), plan_routes=False) for h in (2, 30))
    snap = [c for c in first.cases if c.case.rung.id == "snap"]
    assert snap[0].timeline != [c for c in later.cases if c.case.rung.id == "snap"][0].timeline
    fresh = fold_records([r for r in records if r is not None], A, BOOK, MISSION)
    assert later == settle(fresh, T0 + timedelta(hours=30), plan_routes=False)


def test_a_vote_logged_later_is_counted() -> None:
    """Votes are read on every pass: one logged after a pass that settled the case (same
    histories, same `now`) changes the case's state."""
    items: list[tuple[Any, ...]] = [
        ("incident", "i0", State.verified, 0, "party-a", "confirmed"),
        ("incident", "i1", State.verified, 10, "party-a", "confirmed"),
        ("vote", CASES[0], "g1", 60, "block"),
        ("vote", CASES[0], "g2", 70, "block"),
    ]
    before, after = _settled_before_and_after(items, T0 + timedelta(days=8))
    assert [c.status for c in before.cases] != [c.status for c in after.cases]


def test_a_case_whose_incident_changes_is_settled_again() -> None:
    """A dispute opened and closed on one of a case's incidents after a pass settled the
    case: the same case (same id, same opening) gets the longer deadlines."""
    items: list[tuple[Any, ...]] = [
        ("incident", "i0", State.verified, 0, "party-a", "confirmed"),
        ("incident", "i1", State.verified, 10, "party-a", "confirmed"),
        ("incident", "i1", State.disputed, 60, "party-a", "confirmed"),
        ("incident", "i1", State.verified, 180, "party-a", "confirmed"),
    ]
    before, after = _settled_before_and_after(items, T0 + timedelta(days=1))
    assert [c.timeline for c in before.cases] != [c.timeline for c in after.cases]


def _settled_before_and_after(items: list[tuple[Any, ...]], late: datetime) -> tuple[Any, Any]:
    """A kept fold of the first two records settled at `late`, then the rest added and
    settled again; the second must equal a fresh fold of all the records settled."""
    records = [
        r
        for r in (decode(AFTER_PRINCIPALS + i, _entry(x)) for i, x in enumerate(items))
        if r is not None
    ]
    kept = fold_records(records[:2], A, BOOK, MISSION)
    before = settle(kept, late, plan_routes=False)
    for r in records[2:]:
        kept.add(r)
    after = settle(kept, late, plan_routes=False)
    assert after == settle(fold_records(records, A, BOOK, MISSION), late, plan_routes=False)
    return before, after

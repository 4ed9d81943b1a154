"""The appender's incremental fold gives exactly what the pure `derive` gives.

`Folded` takes the records one at a time; `settle` at any `now` must equal `derive`
over the same prefix of the log at that `now`, whatever the records and however the
passes fall between them (hypothesis), and on the simulator presets' real logs
(test_presets.py calls `assert_incremental_matches` on each).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adjudication.verdict import INCIDENT_TYPE, State
from truceline.agreement.enforcement import PlaybookStep
from truceline.agreement.model import Agreement
from truceline.authority import Authority, KeyBook
from truceline.codec.entries import Record, decode
from truceline.enforcement.engine import Folded, derive, settle
from truceline.enforcement.live import Live
from truceline.enforcement.records import ACK_TYPE, ENFORCEMENT_TYPE, VOTE_TYPE
from truceline.enforcement.transitions import events
from truceline.observation import format_time

from ._world import (
    ADJUDICATOR,
    AFTER_PRINCIPALS,
    T0,
    entry,
    incident,
    principals,
    warning_then_snapback,
)

A = warning_then_snapback(
    PlaybookStep(id="tell", action="notify", to=["g1"], deadline_hours=6),
    PlaybookStep(id="look", action="open_inspection", to=["mission"], deadline_hours=9),
)


def mission(agreement: Agreement) -> Authority:
    """Who may write what: the agreement's registrar, and the principals it introduced."""
    authority = Authority(agreement)
    for i, e in enumerate(principals()):
        authority.apply(i, e)
    return authority


MISSION = mission(A)


def _placed(entries: list[bytes]) -> list[tuple[int, bytes]]:
    """The entries with the indices they take on a log after the principals."""
    return [(AFTER_PRINCIPALS + i, e) for i, e in enumerate(entries)]


def assert_incremental_matches(
    records: Sequence[Record],
    agreement: Agreement,
    book: KeyBook,
    authority: Authority,
    passes: Sequence[tuple[int, datetime]],
) -> None:
    """Feed `records` one at a time; at each (count, now) in `passes` the settled state
    (and its transitions) must equal a full `derive` over the first `count` records."""
    folded = Folded(agreement, book, authority)
    # The kept state of a long-running appender too, wherever the clock moves forward.
    live = Live(Folded(agreement, book, authority))
    fed = 0
    for count, now in sorted(passes, key=lambda p: p[0]):
        for r in records[fed:count]:
            folded.add(r)
            live.add(r)
        fed = max(fed, count)
        inc = settle(folded, now, plan_routes=False)
        full = derive(records[:fed], agreement, now, book, authority, plan_routes=False)
        assert inc == full, f"after {fed} records at {now}"
        every = events(full)
        assert events(inc) == every
        if live.reaches(now):
            live.advance(now)
            assert live.state(plan_routes=False) == full
            assert live.pending() == events(full, skip=full.logged)
        # Skipping keys (the logged ones, in the appender) leaves exactly the others.
        skip = {e.key for e in every[::2]}
        assert events(inc, skip=skip) == [e for e in every if e.key not in skip]


def _vote(case_subject: str, voter: str, minute: int, choice: str) -> dict[str, Any]:
    return {
        "case": case_subject,
        "voter": voter,
        "choice": choice,
        "cast_at": format_time(T0 + timedelta(minutes=minute)),
    }


minute = st.integers(0, 60 * 24 * 6)
record = st.one_of(
    st.tuples(
        st.just("incident"),
        st.sampled_from(["i0", "i1", "i2"]),
        st.sampled_from([State.verified, State.confirmed, State.disputed, State.dismissed]),
        minute,
        st.sampled_from(["party-a", "party-b"]),
        st.sampled_from([ADJUDICATOR, "party-b"]),  # party-b may not write a transition
    ),
    st.tuples(
        st.just("vote"),
        st.integers(0, 5),  # which case (of those open on the log so far) it names
        st.sampled_from(["g1", "g2", "g3"]),
        minute,
        st.sampled_from(["allow", "block", "abstain"]),
        st.sampled_from(["g1", "g2"]),  # the signer, who may not be the voter
    ),
    st.tuples(st.just("ack"), st.sampled_from(["i0", "i1"]), minute, st.just(""), st.just("")),
    st.tuples(st.just("bad"), st.sampled_from([INCIDENT_TYPE, VOTE_TYPE, ENFORCEMENT_TYPE])),
)


def _entry(item: tuple[Any, ...], counter: int, before: list[bytes]) -> bytes:
    kind = item[0]
    if kind == "incident":
        _, ident, state, m, accused, signer = item
        obj = incident(ident, state, T0 + timedelta(minutes=m), accused=accused)
        return entry(INCIDENT_TYPE, obj, signer)
    if kind == "vote":
        _, which, voter, m, choice, signer = item
        # Case ids are hashes: take one of the cases the log so far opens (or none).
        prior = [r for r in (decode(i, e) for i, e in _placed(before)) if r is not None]
        cases = derive(prior, A, T0 + timedelta(days=10), None, MISSION, plan_routes=False).cases
        case = cases[which % len(cases)].case.id if cases else "no-such-case"
        return entry(VOTE_TYPE, _vote(case, voter, m, choice), signer)
    if kind == "ack":
        _, ident, m, _, _ = item
        obj = {"step": f"pb:tell:{ident}", "by": "g1", "at": format_time(T0 + timedelta(minutes=m))}
        return entry(ACK_TYPE, obj, "g1")
    return entry(item[1], {"malformed": counter})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(record, min_size=1, max_size=14),
    st.lists(st.tuples(st.integers(0, 14), st.integers(0, 60 * 24 * 10)), min_size=1, max_size=6),
)
def test_incremental_fold_equals_full_derive(items, passes) -> None:
    entries: list[bytes] = []
    for n, item in enumerate(items):
        entries.append(_entry(item, n, entries))
    records = [r for r in (decode(i, e) for i, e in _placed(entries)) if r is not None]
    at = [(min(count, len(records)), T0 + timedelta(minutes=m)) for count, m in passes]
    at.append((len(records), T0 + timedelta(days=10)))
    assert_incremental_matches(records, A, KeyBook.from_agreement(A), MISSION, at)


def test_settle_leaves_the_fold_unchanged() -> None:
    """Settling at one `now` must not change what a later pass sees (copies, not views)."""
    entries = [
        entry(INCIDENT_TYPE, incident("i0", "verified", T0)),
        entry(INCIDENT_TYPE, incident("i1", "confirmed", T0 + timedelta(hours=1))),
        entry(VOTE_TYPE, _vote("snap:i1", "g1", 90, "block"), "g1"),
        entry(INCIDENT_TYPE, incident("i1", "confirmed", T0), signer="party-b"),
    ]
    records = [r for r in (decode(i, e) for i, e in _placed(entries)) if r is not None]
    folded = Folded(A, KeyBook.from_agreement(A), MISSION)
    for r in records:
        folded.add(r)
    late = T0 + timedelta(days=9)
    for now in (T0, T0 + timedelta(hours=2), late, T0):
        settle(folded, now)
    assert settle(folded, late) == derive(records, A, late, None, MISSION)
    assert [e.event.value for e in events(settle(folded, late))].count("countdown_started") >= 1

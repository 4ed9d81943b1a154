"""A long-running appender's kept state equals a replay of the same log from entry 0.

`Live` (live.py) recomputes a unit only when a record touches it or the clock reaches
the first moment its answer could change. Hypothesis writes a log of incident
transitions, notifications, votes, extension assents, acknowledgements and inspection
requests; the kept state is fed it in arbitrary chunks, at arbitrary clock advances,
and writes its transitions back onto the log as the appender does; at every pass its
state and the transitions it would write must equal those of a fresh fold of the log
so far, settled at the same `now`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adjudication.verdict import INCIDENT_TYPE, State
from truceline.agreement.enforcement import Playbook, PlaybookStep, Rung, Trigger
from truceline.authority import KeyBook
from truceline.codec.entries import Record, decode
from truceline.enforcement.engine import Folded, fold_records, settle
from truceline.enforcement.live import Live
from truceline.enforcement.probe import Probe
from truceline.enforcement.records import (
    ACK_TYPE,
    ENFORCEMENT_TYPE,
    EXTENSION_TYPE,
    INSPECTION_REQUEST_TYPE,
    NOTIFICATION_TYPE,
    VOTE_TYPE,
)
from truceline.enforcement.transitions import events
from truceline.observation import format_time

from ._world import AFTER_PRINCIPALS, T0, agreement, entry, incident, snapback
from .test_incremental import mission

A = agreement(
    rungs=[
        Rung(id="warn", penalty="warning", trigger=Trigger(count=1, grades=["confirmed"])),
        Rung(
            id="snap",
            penalty="sanctions",
            trigger=Trigger(count=2, within_days=2),
            block_rule="snap",
            consultation_days=0.5,
            countdown_days=1,
            sunset_days=2,
        ),
        Rung(id="noted", penalty="censure", trigger=Trigger(count=1), standing=["g1", "g2"]),
    ],
    block_rules=[snapback(window_days=1, cutoff_midnight_utc=True)],
    playbooks=[
        Playbook(
            id="pb",
            steps=[
                PlaybookStep(id="tell", action="notify", to=["g1"], deadline_hours=6),
                PlaybookStep(id="look", action="open_inspection", to=["mission"], deadline_hours=9),
            ],
        )
    ],
    routine=1,
)


MISSION = mission(A)
BOOK = KeyBook.from_agreement(A)
INCIDENTS = ["i0", "i1", "i2", "i3"]
PARTIES = ["party-a", "party-b"]
minute = st.integers(0, 60 * 24 * 5)


def _at(m: int) -> str:
    return format_time(T0 + timedelta(minutes=m))


item = st.one_of(
    st.tuples(
        st.just("incident"),
        st.sampled_from(INCIDENTS),
        st.sampled_from(
            [State.verified, State.confirmed, State.disputed, State.inspection, State.dismissed]
        ),
        minute,
        st.sampled_from(PARTIES),
        st.sampled_from(["confirmed", "fair"]),
    ),
    st.tuples(st.just("vote"), st.integers(0, 7), st.sampled_from(["g1", "g2", "g3"]), minute),
    st.tuples(st.just("extension"), st.integers(0, 7), st.sampled_from(["g1", "g2", "g3"]), minute),
    st.tuples(
        st.just("notification"), st.sampled_from(["g1", "g3"]), st.sampled_from(PARTIES), minute
    ),
    st.tuples(
        st.just("ack"), st.sampled_from(INCIDENTS), st.sampled_from(["tell", "look"]), minute
    ),
    st.tuples(st.just("request"), st.sampled_from([*INCIDENTS, None]), minute),
)


def _case(which: int, records: list[Record]) -> str:
    """One of the cases the log so far opens (case ids are hashes), or none."""
    cases = settle(fold_records(records, A, BOOK, MISSION), T0 + timedelta(days=9), False).cases
    return cases[which % len(cases)].case.id if cases else "no-such-case"


def _entry(x: tuple[Any, ...], records: list[Record]) -> bytes:
    kind = x[0]
    if kind == "incident":
        _, ident, state, m, accused, grade = x
        return entry(
            INCIDENT_TYPE,
            incident(ident, state, T0 + timedelta(minutes=m), accused=accused, grade=grade),
        )
    if kind == "vote":
        _, which, voter, m = x
        choice = ["allow", "block", "abstain"][m % 3]
        vote = {"case": _case(which, records), "voter": voter, "choice": choice, "cast_at": _at(m)}
        return entry(VOTE_TYPE, vote, voter)
    if kind == "extension":
        _, which, by, m = x
        ext = {"case": _case(which, records), "round": 1, "days": 1, "by": by, "at": _at(m)}
        return entry(EXTENSION_TYPE, ext, by)
    if kind == "notification":
        _, notifier, accused, m = x
        note = {"rung": "noted", "accused": accused, "notifier": notifier, "at": _at(m)}
        return entry(NOTIFICATION_TYPE, note, notifier)
    if kind == "ack":
        _, ident, step, m = x
        return entry(ACK_TYPE, {"step": f"pb:{step}:{ident}", "by": "g1", "at": _at(m)}, "g1")
    _, ident, m = x
    req = {"requester": "g2", "at": _at(m), "location": [35.1, 47.4], "incident": ident}
    return entry(INSPECTION_REQUEST_TYPE, req, "g2")


def _record(index: int, e: bytes) -> Record:
    got = decode(index, e)
    assert got is not None
    return got


def assert_live_matches_replay(
    inputs: list[tuple[Any, ...]], passes: list[tuple[int, int]], write: bool = True
) -> Live:
    """Feed the log to a kept state pass by pass ((inputs so far, minutes after T0), both
    non-decreasing); with `write`, each pass's transitions go on the log, as the appender
    writes them."""
    log: list[Record] = []
    live = Live(Folded(A, BOOK, MISSION))
    fed = 0
    for count, m in passes:
        for x in inputs[fed:count]:
            r = _record(AFTER_PRINCIPALS + len(log), _entry(x, log))
            log.append(r)
            live.add(r)
        fed = max(fed, count)
        now = T0 + timedelta(minutes=m)
        live.advance(now)
        replay = settle(fold_records(log, A, BOOK, MISSION), now, plan_routes=False)
        assert live.state(plan_routes=False) == replay, f"after {len(log)} records at {now}"
        todo = live.pending()
        assert todo == events(replay, skip=replay.logged)
        for e in todo if write else []:
            r = _record(
                AFTER_PRINCIPALS + len(log), entry(ENFORCEMENT_TYPE, e.model_dump(mode="json"))
            )
            log.append(r)
            live.add(r)
    return live


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(item, min_size=1, max_size=14),
    st.lists(st.tuples(st.integers(0, 14), st.integers(0, 60 * 24 * 7)), min_size=1, max_size=8),
    st.booleans(),
)
def test_a_kept_state_equals_a_replay_from_entry_0(inputs, schedule, write) -> None:
    # Chunks and clock only move forward, as a long-running appender meets them.
    passes = list(
        zip(
            sorted(min(c, len(inputs)) for c, _ in schedule),
            sorted(m for _, m in schedule),
            strict=True,
        )
    )
    passes.append((len(inputs), 60 * 24 * 8))
    assert_live_matches_replay(inputs, passes, write)


def test_a_deadline_alone_moves_the_state() -> None:
    """No record arrives between the passes: the countdown, the penalty and its sunset
    fall due with the clock alone (the queue of next moments, not a new record, wakes
    the case), and so do the next month's routine visits."""
    inputs: list[tuple[Any, ...]] = [
        ("incident", "i0", State.verified, 0, "party-a", "confirmed"),
        ("incident", "i1", State.verified, 30, "party-a", "confirmed"),
    ]
    hours = [1, 11, 13, 40, 60, 90, 200, 630, 660, 1400]
    assert_live_matches_replay(inputs, [(2, 60 * h) for h in hours])


def test_a_probe_notes_when_an_answer_can_change() -> None:
    p = Probe(T0)
    now = p.as_now()
    assert now < T0 + timedelta(hours=2)  # changes at T0 + 2 h
    assert not now > T0 + timedelta(hours=1)  # changes one tick after T0 + 1 h
    assert T0 - timedelta(hours=1) <= now  # held since T0 - 1 h
    assert p.until == T0 + timedelta(hours=1, microseconds=1)
    assert p.since == T0 - timedelta(hours=1)
    assert p.holds_at(T0 + timedelta(hours=1)) and not p.holds_at(p.until)
    _ = now - timedelta(days=1)  # arithmetic pins the answer to this instant
    assert p.until == T0 + timedelta(microseconds=1) and p.since == T0
    p.close()
    try:
        _ = now < T0
    except RuntimeError:
        return
    raise AssertionError("a closed probe must refuse to be read")


def test_a_new_transition_wakes_the_cases_on_its_incident() -> None:
    """A dispute on an incident of an open case suspends the case at once: the record,
    not a deadline, is what changes its answer."""
    inputs: list[tuple[Any, ...]] = [
        ("incident", "i0", State.verified, 0, "party-a", "confirmed"),
        ("incident", "i1", State.verified, 30, "party-a", "confirmed"),
        ("incident", "i1", State.disputed, 90, "party-a", "confirmed"),
    ]
    assert_live_matches_replay(inputs, [(2, 60), (3, 120), (3, 180)])


def test_a_case_suspended_by_an_open_dispute_sleeps() -> None:
    """While a dispute is open the case's deadlines move with the clock, but its decision
    (suspended) does not read them: once its countdown is logged, it waits for a record
    or a deadline instead of being worked out again on every pass."""
    inputs: list[tuple[Any, ...]] = [
        ("incident", "i0", State.verified, 0, "party-a", "confirmed"),
        ("incident", "i1", State.verified, 30, "party-a", "confirmed"),
        ("incident", "i1", State.disputed, 90, "party-a", "confirmed"),
    ]
    live = assert_live_matches_replay(inputs, [(3, 120), (3, 180), (3, 240)])
    suspended = [
        key
        for key, cs in live.case_states.items()
        if cs.status.value == "suspended" and cs.case.rung.id == "snap"
    ]
    assert suspended
    for ident in suspended:
        probe = live.answers[("case", ident)].probe
        assert probe is not None and probe.until is None

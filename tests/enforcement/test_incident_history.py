"""An incident history gives the same answers whatever it was asked before.

Histories keep answers for a `now` past their last transition (the appender keeps
histories from pass to pass); asked in any order of `now`, before and after the last
transition, each answer must equal the one a fresh history computes.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.enforcement.incidents import BREACH_STATES, DISPUTE_STATES, IncidentHistory

from ._world import T0, incident

hour = st.integers(0, 48)
transition = st.tuples(
    hour,
    st.sampled_from([State.verified, State.confirmed, State.disputed, State.dismissed]),
    st.sampled_from(["party-a", None]),
)


def _history(steps: list[tuple[int, State, str | None]]) -> IncidentHistory:
    h = IncidentHistory("i0")
    for index, (h_at, state, accused) in enumerate(steps):
        t = IncidentTransition.model_validate(
            incident("i0", state, T0 + timedelta(hours=h_at), accused=accused)
        )
        h = h.with_transition(index, t)
    return h


def _breach(t: IncidentTransition) -> bool:
    return t.state in BREACH_STATES


def _answers(h: IncidentHistory, hours: int) -> tuple[object, ...]:
    now = T0 + timedelta(hours=hours)
    return (
        list(h.seen(now)),
        h.latest(now),
        h.dispute_intervals(now),
        list(h.where(now, ("breach",), _breach)),
    )


def _spec(ts: list[IncidentTransition], hours: int) -> tuple[object, ...]:
    """The answers straight from the definitions, with nothing kept."""
    now = T0 + timedelta(hours=hours)
    seen = [t for t in ts if t.at <= now]

    def state_at(moment: object) -> State:
        return [t for t in seen if t.at <= moment][-1].state

    periods: list[tuple[object, object]] = []
    start = None
    for moment in sorted({t.at for t in seen}):
        disputed = state_at(moment) in DISPUTE_STATES
        if disputed and start is None:
            start = moment
        elif not disputed and start is not None:
            periods.append((start, moment))
            start = None
    if start is not None:
        periods.append((start, now))
    return seen, (seen[-1] if seen else None), periods, [t for t in seen if _breach(t)]


@given(st.lists(transition, min_size=1, max_size=6), st.lists(st.integers(-1, 50), max_size=8))
def test_answers_do_not_depend_on_earlier_questions(
    steps: list[tuple[int, State, str | None]], nows: list[int]
) -> None:
    kept = _history(steps)
    ts = [t for _, t in kept.transitions]
    for hours in [*nows, 60, *nows]:  # 60: past every transition
        assert _answers(kept, hours) == _spec(ts, hours)


def test_a_new_transition_makes_a_new_history() -> None:
    h = _history([(1, State.disputed, "party-a")])
    later = T0 + timedelta(hours=5)
    assert h.dispute_intervals(later) == [(T0 + timedelta(hours=1), later)]
    t = IncidentTransition.model_validate(incident("i0", State.confirmed, T0 + timedelta(hours=3)))
    h2 = h.with_transition(1, t)
    assert h2.dispute_intervals(later) == [(T0 + timedelta(hours=1), T0 + timedelta(hours=3))]
    assert h.dispute_intervals(later) == [(T0 + timedelta(hours=1), later)]  # unchanged

"""The delivery policy: the retry schedule, what a response means, and when an endpoint
is paused, probed and resumed; times are given, as the notifier reads them from its clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truceline.publication.policy import (
    DEFAULT_SCHEDULE_S,
    DeliveryPolicy,
    Health,
    State,
    Verdict,
    after_attempt,
    classify,
    policy_from,
)

P = DeliveryPolicy()


def test_the_schedule_is_the_documented_one_and_ends() -> None:
    assert DEFAULT_SCHEDULE_S == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    at = [P.next_attempt_at(n, 1000.0) for n in range(1, 9)]
    assert at == [1005, 1300, 2800, 8200, 19000, 37000, 37000, None]
    # A longer Retry-After wins, up to the schedule's longest step; a shorter one does not.
    assert P.next_attempt_at(1, 0.0, retry_after=60) == 60
    assert P.next_attempt_at(1, 0.0, retry_after=1) == 5
    assert P.next_attempt_at(1, 0.0, retry_after=10**9) == 36000


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.ack),
        (204, Verdict.ack),
        (None, Verdict.retry),
        (301, Verdict.retry),
        (408, Verdict.retry),
        (425, Verdict.retry),
        (429, Verdict.retry),
        (500, Verdict.retry),
        (503, Verdict.retry),
        (400, Verdict.refused),
        (401, Verdict.refused),
        (404, Verdict.refused),
        (410, Verdict.gone),
    ],
)
def test_classify(status: int | None, verdict: Verdict) -> None:
    assert classify(status) is verdict


def test_sustained_failure_pauses_a_probe_resumes_410_disables() -> None:
    h = Health()
    h = after_attempt(h, Verdict.retry, 0.0, P, "500")
    h = after_attempt(h, Verdict.retry, 5.0, P, "500")
    h = after_attempt(h, Verdict.retry, 305.0, P, "500")
    assert (h.label, h.failures, h.failing_since) == ("failing", 3, 0.0)  # 3 failures, 305 s
    h = after_attempt(h, Verdict.retry, 2105.0, P, "500")  # failing for 35 min
    assert h.state is State.paused and h.changes == ["paused"]
    assert h.next_probe_at == 2105.0 + P.probe_every_s and "4 failed attempts" in h.reason
    h = after_attempt(h, Verdict.retry, 2165.0, P, "503")  # a failed probe: probe again later
    assert h.state is State.paused and h.next_probe_at == 2225.0 and h.changes == []
    h = after_attempt(h, Verdict.ack, 2225.0, P, "204")
    assert h.label == "healthy" and h.changes == ["resumed by probe"]
    gone = after_attempt(h, Verdict.gone, 2300.0, P, "410 bye")
    assert gone.state is State.disabled and gone.reason == "410 bye"


@given(
    gaps=st.lists(st.floats(0, 2000), min_size=1, max_size=30),
    after_s=st.floats(0, 3600),
    failures=st.integers(1, 6),
)
def test_pauses_exactly_when_failing_long_and_often_enough(
    gaps: list[float], after_s: float, failures: int
) -> None:
    p = DeliveryPolicy(pause_after_s=after_s, pause_after_failures=failures)
    h, t = Health(), 0.0
    for n, gap in enumerate(gaps, start=1):
        t += gap
        was = h.state
        h = after_attempt(h, Verdict.retry, t, p, "500")
        sustained = n >= failures and t - gaps[0] >= after_s
        assert (h.state is State.paused) == sustained or was is State.paused
    assert after_attempt(h, Verdict.ack, t, p, "200").label == "healthy"


def test_publication_yaml_keys_and_their_errors(tmp_path: Path) -> None:
    p = policy_from(
        {"retry_schedule_s": [0, 1], "max_in_flight": 2, "ordered": True, "url": "ignored"},
        P,
        "cfg: delivery",
    )
    assert (p.schedule_s, p.max_in_flight, p.ordered, p.timeout_s) == ((0, 1), 2, True, 10)
    with pytest.raises(ValueError, match=r"cfg: delivery\.max_in_flight"):
        policy_from({"max_in_flight": 0}, P, "cfg: delivery")
    with pytest.raises(ValueError, match=r"cfg: delivery\.ordered: 'yes'"):
        policy_from({"ordered": "yes"}, P, "cfg: delivery")
    with pytest.raises(ValueError, match=r"retry_schedule_s"):
        policy_from({"retry_schedule_s": [-1]}, P, "cfg: delivery")

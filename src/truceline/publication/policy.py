"""How a webhook subscriber is treated: the retry schedule, what a response means, and
when a failing endpoint is paused, probed and resumed. Pure functions of times given in
Unix seconds (the caller reads them from the project's clock), so tests drive them
with any clock and any schedule.

Schedule (Standard Webhooks / Svix practice): a message is attempted at once, then, after
each failure, after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (8 attempts over about
27.5 h). A `Retry-After` longer than the next step is honoured, up to the schedule's
longest step. A message that fails its last attempt goes to the dead-letter table.

Failing: while an endpoint's last `pause_after_failures` (3) or more attempts all failed, it
gets one attempt at a time, at most one every `failing_every_s` (5 s; 0: no limit), the
message due first; the others wait in its queue, their schedules untouched. A dead endpoint
then costs the notifier (and the network) one request per 5 s, not one per message; its first
2xx ends the limit.

Health: an endpoint whose attempts have all failed for `pause_after_s` (15 min), with at
least `pause_after_failures` (3) failed attempts, is paused: nothing is sent but one probe
(a real attempt of its oldest message) every `probe_every_s` (60 s); its backlog is kept and
no message of it is dead-lettered while paused. A probe's 2xx resumes it, as does an
operator's signed resume. HTTP 410 Gone disables the subscription (Standard Webhooks);
only an operator's resume enables it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

DEFAULT_SCHEDULE_S = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True)
class DeliveryPolicy:
    schedule_s: tuple[float, ...] = DEFAULT_SCHEDULE_S  # delay before attempt n (n = 0, 1, ...)
    max_in_flight: int = 1  # concurrent requests to this subscriber (1: they arrive in order)
    ordered: bool = False  # True: nothing after a message is sent until it is settled
    timeout_s: float = 10.0
    pause_after_s: float = 900.0
    pause_after_failures: int = 3
    probe_every_s: float = 60.0
    failing_every_s: float = 5.0  # while failing: one attempt at a time, one per this (0: off)

    def __post_init__(self) -> None:
        if not self.schedule_s or any(d < 0 for d in self.schedule_s):
            raise ValueError("retry_schedule_s: needs at least one delay, none negative")
        if self.max_in_flight < 1:
            raise ValueError("max_in_flight: must be at least 1")
        for name in ("timeout_s", "probe_every_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be positive")
        if self.failing_every_s < 0:
            raise ValueError("failing_every_s: must be >= 0")
        if self.pause_after_s < 0 or self.pause_after_failures < 1:
            raise ValueError("pause_after_s, pause_after_failures: must be >= 0 and >= 1")

    def next_attempt_at(
        self, failed: int, now: float, retry_after: float | None = None
    ) -> float | None:
        """When to try again after the `failed`-th failure (1 = the first attempt failed);
        None once the schedule is used up."""
        if failed >= len(self.schedule_s):
            return None
        delay = self.schedule_s[failed]
        if retry_after is not None:
            delay = max(delay, min(retry_after, max(self.schedule_s)))
        return now + delay

    def limited(self, h: Health) -> bool:
        """Whether an active subscriber is failing enough to get one attempt at a time."""
        return (
            self.failing_every_s > 0
            and h.state is State.active
            and h.failures >= self.pause_after_failures
        )


# The YAML keys of a `delivery:` block (publication.yaml) and the fields they set.
_YAML_KEYS = {
    "retry_schedule_s": "schedule_s",
    "max_in_flight": "max_in_flight",
    "ordered": "ordered",
    "timeout_s": "timeout_s",
    "pause_after_s": "pause_after_s",
    "pause_after_failures": "pause_after_failures",
    "probe_every_s": "probe_every_s",
    "failing_every_s": "failing_every_s",
}


def policy_from(doc: dict[str, Any], base: DeliveryPolicy, where: str) -> DeliveryPolicy:
    """`base` with the delivery keys `doc` sets; ValueError naming the key otherwise."""
    changes: dict[str, Any] = {}
    for key, value in doc.items():
        if key not in _YAML_KEYS:
            continue
        try:
            if key == "retry_schedule_s":
                value = tuple(float(v) for v in value)
            elif key == "ordered":
                if not isinstance(value, bool):
                    raise TypeError("expected true or false")
            elif key in ("max_in_flight", "pause_after_failures"):
                value = int(value)
            else:
                value = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}.{key}: {value!r} ({exc})") from exc
        changes[_YAML_KEYS[key]] = value
    try:
        return replace(base, **changes)
    except ValueError as exc:
        raise ValueError(f"{where}.{exc}") from exc


class Verdict(StrEnum):
    ack = "ack"  # 2xx: delivered
    retry = "retry"  # network error, timeout, 408/425/429, 3xx, 5xx: try again later
    refused = "refused"  # any other 4xx: this message will never be taken (dead letter)
    gone = "gone"  # 410: the receiver asks us to stop (subscription disabled)


def classify(status: int | None) -> Verdict:
    if status is None:
        return Verdict.retry
    if 200 <= status < 300:
        return Verdict.ack
    if status == 410:
        return Verdict.gone
    if 400 <= status < 500 and status not in RETRYABLE:
        return Verdict.refused
    return Verdict.retry


class State(StrEnum):
    active = "active"
    paused = "paused"
    disabled = "disabled"


@dataclass(frozen=True)
class Health:
    """A subscriber's delivery health, as stored in `publication_notify_subscribers`."""

    state: State = State.active
    failures: int = 0  # consecutive failed attempts
    failing_since: float | None = None  # the first failure of that run
    next_probe_at: float | None = None  # while paused
    reason: str = ""  # why paused or disabled
    changes: list[str] = field(default_factory=list, compare=False)  # transitions, for the log

    @property
    def label(self) -> str:
        """healthy | failing | paused | disabled"""
        if self.state is not State.active:
            return self.state.value
        return "failing" if self.failures else "healthy"


def after_attempt(h: Health, verdict: Verdict, now: float, p: DeliveryPolicy, why: str) -> Health:
    """The health after one attempt ended with `verdict` (`why`: status or error text)."""
    if verdict is Verdict.ack:
        changes = ["resumed by probe"] if h.state is State.paused else []
        return Health(State.active, changes=changes)
    if verdict is Verdict.gone:
        changes = [] if h.state is State.disabled else ["disabled"]
        return Health(State.disabled, h.failures + 1, h.failing_since or now, None, why, changes)
    failures, since = h.failures + 1, h.failing_since if h.failing_since is not None else now
    if h.state is State.paused:
        return Health(State.paused, failures, since, now + p.probe_every_s, h.reason)
    if (
        h.state is State.active
        and failures >= p.pause_after_failures
        and now - since >= p.pause_after_s
    ):
        reason = f"{failures} failed attempts over {now - since:.1f} s; last: {why}"
        return Health(State.paused, failures, since, now + p.probe_every_s, reason, ["paused"])
    return Health(h.state, failures, since, h.next_probe_at, h.reason)

"""The records enforcement reads and writes, and their payload types.

Inputs signed by signatories (votes, notifications, inspection requests,
playbook acknowledgements) and the transitions the appender writes all travel
as DSSE envelopes on the ledger; this module only names and validates payloads.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from truceline.observation import LonLat, UtcTime

VOTE_TYPE = "application/vnd.truceline.vote+json"
NOTIFICATION_TYPE = "application/vnd.truceline.notification+json"
INSPECTION_REQUEST_TYPE = "application/vnd.truceline.inspection-request+json"
ACK_TYPE = "application/vnd.truceline.ack+json"
EXTENSION_TYPE = "application/vnd.truceline.extension+json"
ENFORCEMENT_TYPE = "application/vnd.truceline.enforcement+json"


class Choice(StrEnum):
    # One vocabulary for the three block rules: `block` is a vote to stop the penalty
    # (for the continuation resolution in 2231, to reject the recommendation in the EU,
    # to reject the suspension in the WTO); `allow` is a vote against blocking. An
    # `allow` by a veto holder under reverse_veto is a veto of the continuation.
    block = "block"
    allow = "allow"
    abstain = "abstain"


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    case: str = Field(min_length=1, description="the penalty case id")
    voter: str = Field(min_length=1, description="signatory id; must match the signing key")
    choice: Choice
    cast_at: UtcTime


class Notification(BaseModel):
    """A signatory invokes a rung whose `standing` names who may trigger it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rung: str
    accused: str
    notifier: str
    at: UtcTime


class InspectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    requester: str
    at: UtcTime
    location: LonLat
    incident: str | None = None
    reason: str = ""


class Extension(BaseModel):
    """One voter's assent to extend a case's consultation window (JCPOA para 36: by consensus)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    case: str = Field(min_length=1)
    round: int = Field(ge=1, description="the 1st, 2nd, ... extension of this case")
    days: float = Field(gt=0, le=365)
    by: str
    at: UtcTime


class Ack(BaseModel):
    """A recipient acknowledges a playbook step, which stops its escalation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    step: str = Field(description="the step key, playbook:step:incident")
    by: str
    at: UtcTime


class EventKind(StrEnum):
    case_opened = "case_opened"
    countdown_started = "countdown_started"
    consultation_extended = "consultation_extended"
    suspended = "suspended"
    block_attempt_failed = "block_attempt_failed"
    blocked = "blocked"
    penalty_in_force = "penalty_in_force"
    penalty_lapsed = "penalty_lapsed"
    case_void = "case_void"
    record_ignored = "record_ignored"
    playbook_step = "playbook_step"
    playbook_escalated = "playbook_escalated"
    playbook_void = "playbook_void"  # the step withdrawn: its incident no longer stands
    inspection_scheduled = "inspection_scheduled"
    inspection_reported = "inspection_reported"


CASE_KINDS = frozenset(
    {
        EventKind.case_opened,
        EventKind.countdown_started,
        EventKind.consultation_extended,
        EventKind.suspended,
        EventKind.block_attempt_failed,
        EventKind.blocked,
        EventKind.penalty_in_force,
        EventKind.penalty_lapsed,
    }
)
"""The events that tell of a case against a party (`subject` is the case id): what its
`case_void` withdraws."""


class EnforcementEvent(BaseModel):
    """One transition the appender writes. `key` is unique per transition, so replays add nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event: EventKind
    key: str
    at: UtcTime
    subject: str = Field(description="case id, step key, inspection id or ignored record index")
    party: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


Signed = Literal["vote", "notification", "inspection_request", "ack"]

"""Accepting a signatory's act: check it at the door, log it, run the appender.

The acts a party or guarantor performs over the CLI or HTTP (`ACTS`): a vote, an
inspection request, a consultation extension, a dispute of an incident, an acknowledgement
of a playbook step, a notification invoking a penalty rung. At the door an act is refused
only if it cannot be attributed: not a sealed record of one of those types, malformed, not
signed by a live key of the signatory it names, or dated outside the allowed clock skew
(which stops back-dating). An act that is late, duplicate, by the accused or about an
unknown case is logged all the same, and the fold ignores it with a logged reason, so the
attempt is public. One more is refused: an acknowledgement of a playbook step already
withdrawn (`void`) when it was made, since nothing is left to acknowledge; the refusal
names the step, when and why it was withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ValidationError

from truceline.adjudication.verdict import DISPUTE_TYPE, Dispute
from truceline.codec.entries import Record, read
from truceline.enforcement.appender import Appender
from truceline.enforcement.records import (
    ACK_TYPE,
    EXTENSION_TYPE,
    INSPECTION_REQUEST_TYPE,
    NOTIFICATION_TYPE,
    VOTE_TYPE,
    Ack,
    Extension,
    InspectionRequest,
    Notification,
    Vote,
)
from truceline.enforcement.votes import signer
from truceline.errors import TrucelineError
from truceline.observation import format_time

MAX_SKEW = timedelta(minutes=5)

# payload type -> (model, the field naming the signatory, the field dating the act)
ACTS: dict[str, tuple[type[BaseModel], str, str]] = {
    VOTE_TYPE: (Vote, "voter", "cast_at"),
    INSPECTION_REQUEST_TYPE: (InspectionRequest, "requester", "at"),
    EXTENSION_TYPE: (Extension, "by", "at"),
    DISPUTE_TYPE: (Dispute, "party", "at"),
    ACK_TYPE: (Ack, "by", "at"),
    NOTIFICATION_TYPE: (Notification, "notifier", "at"),
}


class Refused(TrucelineError, ValueError):
    """The record cannot be accepted; the message names the field and the reason."""


@dataclass(frozen=True)
class Accepted:
    index: int
    counted: bool
    reason: str
    appended: list[int]


def submit(app: Appender, entry: bytes, now: datetime, expect: str | None = None) -> Accepted:
    """Log a signatory's act. `expect`: the one payload type this route takes."""
    rec = read(0, entry)
    if not isinstance(rec, Record):
        why = rec.reason if rec is not None else "not a canonical DSSE envelope"
        raise Refused(f"body: {why}")
    wanted = [expect] if expect is not None else list(ACTS)
    if rec.payload_type not in wanted:
        raise Refused(
            f"payloadType: expected one of {', '.join(wanted)}, found {rec.payload_type!r}"
        )
    model, who, when = ACTS[rec.payload_type]
    try:
        obj = model.model_validate(rec.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Refused(f"payload.{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    at: datetime = getattr(obj, when)
    if abs(at - now) > MAX_SKEW:
        raise Refused(
            f"payload.{when}: {at.isoformat()} is more than {MAX_SKEW} from now {now.isoformat()}"
        )
    app.catch_up()  # the keys as the log has them now (rotations, revocations)
    try:
        signer(rec, app.folded.keys(), getattr(obj, who), at)
    except ValueError as exc:
        raise Refused(f"signatures: {exc}") from exc
    if isinstance(obj, Ack):
        _standing_step(app, obj, now)
    [index] = app.ledger.append([entry])
    appended = app.run(now)
    state = app.state(now)
    why = next((i.reason for i in state.ignored if i.index == index), "")
    return Accepted(index, not why, why, appended)


def _standing_step(app: Appender, ack: Ack, now: datetime) -> None:
    """Refuse an acknowledgement of a step withdrawn by the time it was made (`void`: its
    incident no longer stands, playbooks.py), as the log implies at `now`. One made before
    the withdrawal is taken, like any other."""
    step = next((s for s in app.state(now, plan_routes=False).steps if s.key == ack.step), None)
    if step is not None and step.withdrawn_at is not None and step.withdrawn_at <= ack.at:
        raise Refused(
            f"payload.step: {ack.step} is void, withdrawn at {format_time(step.withdrawn_at)} "
            f"({step.withdrawn_why}): a withdrawn step cannot be acknowledged"
        )

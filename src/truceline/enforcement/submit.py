"""Accepting a signed vote or inspection request: check it at the door, log it, run the appender.

At the door a record is refused only if it cannot be attributed: not a sealed
record of the right type, malformed, not signed by a live key of the signatory
it names, or dated outside the allowed clock skew (which stops back-dating).
A vote that is late, duplicate, by the accused or on an unknown case is logged
all the same, and the fold ignores it with a logged reason, so the attempt is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from truceline.codec.entries import Record, read
from truceline.enforcement.appender import Appender
from truceline.enforcement.records import (
    EXTENSION_TYPE,
    INSPECTION_REQUEST_TYPE,
    VOTE_TYPE,
    Extension,
    InspectionRequest,
    Vote,
)
from truceline.enforcement.votes import signer

MAX_SKEW = timedelta(minutes=5)


class Refused(ValueError):
    """The record cannot be accepted; the message names the field and the reason."""


@dataclass(frozen=True)
class Accepted:
    index: int
    counted: bool
    reason: str
    appended: list[int]


def submit(app: Appender, entry: bytes, now: datetime) -> Accepted:
    rec = read(0, entry)
    if not isinstance(rec, Record):
        why = rec.reason if rec is not None else "not a canonical DSSE envelope"
        raise Refused(f"body: {why}")
    model: type[Vote] | type[InspectionRequest] | type[Extension]
    if rec.payload_type == VOTE_TYPE:
        model, who, when = Vote, "voter", "cast_at"
    elif rec.payload_type == INSPECTION_REQUEST_TYPE:
        model, who, when = InspectionRequest, "requester", "at"
    elif rec.payload_type == EXTENSION_TYPE:
        model, who, when = Extension, "by", "at"
    else:
        kinds = ", ".join((VOTE_TYPE, INSPECTION_REQUEST_TYPE, EXTENSION_TYPE))
        raise Refused(f"payloadType: expected one of {kinds}, found {rec.payload_type!r}")
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
    [index] = app.ledger.append([entry])
    appended = app.run(now)
    state = app.state(now)
    why = next((i.reason for i in state.ignored if i.index == index), "")
    return Accepted(index, not why, why, appended)

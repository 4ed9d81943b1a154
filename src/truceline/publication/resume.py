"""An operator's resume of a paused or disabled webhook subscriber, as a signed record.

The record (payload type `application/vnd.truceline.webhook-resume+json`) names the
subscription, the moment and a reason, sealed as a DSSE envelope like every record
here. It must be signed by a registrar's key (the mission signatory the agreement on the
log names: who runs the home) and dated within 5 minutes of its receipt. It is not
a ledger entry (delivery is operations, not evidence): the store keeps it beside the
subscriber's health history (`publication_notify_health`), once per record, so who
resumed what and when stays checkable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError

from truceline.codec import dsse
from truceline.codec.errors import CodecError
from truceline.codec.keys import key_id
from truceline.codec.records import open_record, seal
from truceline.home import Home
from truceline.observation import UtcTime, format_time
from truceline.publication.outbox import Outbox, Subscriber

RESUME_TYPE = "application/vnd.truceline.webhook-resume+json"
MAX_SKEW = timedelta(minutes=5)


class Refused(ValueError):
    """The resume is not accepted; the message names the field and the reason."""


class Resume(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subscription: str = Field(min_length=1)
    at: UtcTime
    reason: str = ""


def operator_keys(home: Home) -> dict[str, Ed25519PublicKey]:
    """Who may resume a subscriber: the registrars' keys, as the agreement on the log names
    them (the mission's own signatory, by default)."""
    from truceline.authority import authority_of

    log = home.reader()
    try:
        return dict(authority_of(log).registrar_keys)
    finally:
        log.close()


def seal_resume(subscription: str, at: datetime, reason: str, key: Ed25519PrivateKey) -> bytes:
    obj = {"subscription": subscription, "at": format_time(at), "reason": reason}
    return seal(RESUME_TYPE, obj, key, key_id(key.public_key()))


def accept_resume(
    outbox: Outbox,
    record: bytes,
    trusted: Mapping[str, Ed25519PublicKey],
    now: datetime,
    subscription: str | None = None,
) -> Subscriber:
    """Check a signed resume and apply it; Refused naming the field otherwise, KeyError
    for a subscription the notifier does not know."""
    try:
        payload_type, obj, env = open_record(record)
    except CodecError as exc:
        raise Refused(f"body: not a DSSE envelope with a JSON payload ({exc})") from exc
    if payload_type != RESUME_TYPE:
        raise Refused(f"payloadType: expected {RESUME_TYPE}, found {payload_type!r}")
    try:
        req = Resume.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Refused(f"payload.{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    if subscription is not None and req.subscription != subscription:
        raise Refused(f"payload.subscription: {req.subscription!r}, not {subscription!r}")
    if abs(req.at - now) > MAX_SKEW:
        raise Refused(f"payload.at: {req.at.isoformat()} is more than {MAX_SKEW} from now")
    try:
        [keyid, *_] = dsse.verify(env, trusted)
    except CodecError as exc:
        raise Refused(f"signatures: {exc} (a mission key must sign a resume)") from exc
    try:
        return outbox.resume(req.subscription, keyid, req.reason, now.timestamp(), record)
    except IntegrityError as exc:
        raise Refused("body: this signed resume was already used") from exc

"""What adjudication reads from the ledger, folded in one pass in log order.

* observations (payload OBSERVATION_TYPE; ingest verified their signatures);
* the sensor registry (kind and operator of each sensor: `truceline.registry`);
* the agreement versions (`truceline.agreement.versions`); the verdicts use the
  newest complete version, named in every transition by id, number and hash;
* disputes (DISPUTE_TYPE) signed by a party key listed in the agreement;
* incident transitions already logged (INCIDENT_TYPE), for replay.

Anything malformed is skipped and listed in `problems` with its index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from truceline.adjudication.verdict import (
    DISPUTE_TYPE,
    INCIDENT_TYPE,
    AgreementRef,
    Dispute,
    IncidentTransition,
)
from truceline.agreement.model import Agreement
from truceline.agreement.versions import AgreementHistory, payload_sha256
from truceline.codec import dsse, records
from truceline.codec.errors import CodecError
from truceline.codec.keys import public_key_from_b64
from truceline.fusion.base import SensorInfo
from truceline.observation import OBSERVATION_TYPE, Observation
from truceline.registry.state import Registry

_MARKS = {
    t: b'"payloadType":"' + t.encode() + b'"'
    for t in (OBSERVATION_TYPE, INCIDENT_TYPE, DISPUTE_TYPE)
}


@dataclass
class LogView:
    size: int = 0
    observations: list[tuple[int, Observation]] = field(default_factory=list)
    disputes: list[tuple[int, Dispute, dsse.Envelope]] = field(default_factory=list)
    transitions: list[tuple[int, IncidentTransition, bytes]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    registry: Registry | None = None
    history: AgreementHistory = field(default_factory=AgreementHistory)

    def sensors(self) -> dict[str, SensorInfo]:
        if self.registry is None:
            return {}
        return {
            sid: SensorInfo(st.kind.value, st.operator) for sid, st in self.registry.sensors.items()
        }

    def agreement(self, fallback: Agreement | None = None) -> tuple[Agreement, AgreementRef]:
        """The newest complete version in the log, else `fallback` (named by its payload hash)."""
        latest = self.history.latest()
        if latest is not None:
            agr, sha = latest.agreement, latest.sha256
        elif fallback is not None:
            agr, sha = fallback, payload_sha256(fallback)
        else:
            raise ValueError(
                "agreement: the log holds no complete agreement version and none was given"
            )
        return agr, AgreementRef(id=agr.id, version=agr.version, sha256=sha)


def read_view(
    entries: Iterable[tuple[int, bytes]], mission_keys: Mapping[str, Ed25519PublicKey]
) -> LogView:
    view = LogView(registry=Registry(mission_keys))
    assert view.registry is not None
    for index, entry in entries:
        view.size = index + 1
        view.registry.apply(index, entry)
        view.history.apply(index, entry)
        kind = next((t for t, mark in _MARKS.items() if mark in entry), None)
        if kind is None:
            continue
        try:
            payload_type, obj, envelope = records.open_record(entry)
            if payload_type == OBSERVATION_TYPE:
                view.observations.append((index, Observation.model_validate(obj)))
            elif payload_type == INCIDENT_TYPE:
                view.transitions.append((index, IncidentTransition.model_validate(obj), entry))
            elif payload_type == DISPUTE_TYPE:
                view.disputes.append((index, Dispute.model_validate(obj), envelope))
        except (CodecError, ValidationError) as exc:
            view.problems.append((index, f"{kind} entry ignored: {str(exc)[:200]}"))
    return view


def dispute_is_signed(dispute: Dispute, envelope: dsse.Envelope, agreement: Agreement) -> bool:
    """The dispute carries a valid signature by one of the disputing party's keys."""
    try:
        signatory = agreement.signatory(dispute.party)
    except KeyError:
        return False
    keys = {k.keyid: public_key_from_b64(k.public_key) for k in signatory.keys}
    try:
        dsse.verify(envelope, keys)
    except CodecError:
        return False
    return True

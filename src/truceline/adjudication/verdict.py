"""The incident transition: the record adjudication writes to the ledger.

Enforcement and publication read only these records (and votes), never the
fusion internals, so any party can recompute them from the log.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field

from truceline.agreement.rules import Grade
from truceline.observation import LonLat, UtcTime, WeaponClass

INCIDENT_TYPE = "application/vnd.truceline.incident+json"


class State(StrEnum):
    reported = "reported"
    corroborated = "corroborated"
    verified = "verified"
    disputed = "disputed"
    inspection = "inspection"
    confirmed = "confirmed"
    dismissed = "dismissed"


class AgreementRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: int
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="of the agreement version entry")


class IncidentTransition(BaseModel):
    """One step of an incident's lifecycle, naming its evidence by leaf index."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    incident: str = Field(description="stable id derived from the first evidence")
    state: State
    at: UtcTime = Field(description="event time: the newest evidence's observed_at")
    agreement: AgreementRef
    evidence: list[int] = Field(min_length=1, description="ledger indices of the observations")
    window: tuple[UtcTime, UtcTime]
    location: LonLat
    uncertainty_m: float = Field(ge=0)
    kind: str = Field(description="impact, launch, thermal_anomaly, heavy_weapon_sighting, ...")
    weapon_class: WeaponClass | None = None
    origin: LonLat | None = None
    accused: str | None = Field(default=None, description="the party attributed as firing")
    attribution_confidence: float = Field(default=0.0, ge=0, le=1)
    rules: list[str] = Field(default_factory=list, description="prohibited-act ids breached")
    grade: Grade
    reason: str = ""
    logged_at: UtcTime | None = Field(
        default=None,
        description="when the adjudicator logged it, by its clock, signed: the windows the "
        "transition opens for the parties (consultation, vote, inspection) start then, so "
        "evidence that arrives late cannot skip them",
    )

    @property
    def opens_at(self) -> datetime:
        """When the transition happened for the parties: its logging time, or its event time
        if that is later (or nothing says when it was logged)."""
        if self.logged_at is None or self.logged_at < self.at:
            return self.at
        return self.logged_at

    def judged(self) -> str:
        """What replay recomputes, as canonical text: everything but the logging time (a
        fact of the log, not of the evidence)."""
        return json.dumps(
            self.model_dump(mode="json", exclude={"logged_at"}),
            sort_keys=True,
            separators=(",", ":"),
        )


def seal_transition(
    record: IncidentTransition,
    key: Ed25519PrivateKey,
    keyid: str,
    logged_at: datetime | None = None,
) -> bytes:
    """The ledger entry of a transition, signed by an adjudicator's key, stamped with the
    time it is logged (the adjudicator's clock) when given."""
    from truceline.codec import records

    if logged_at is not None:
        record = record.model_copy(update={"logged_at": logged_at})
    return records.seal(
        INCIDENT_TYPE, record.model_dump(mode="json", exclude_none=True), key, keyid
    )


DISPUTE_TYPE = "application/vnd.truceline.dispute+json"


class Dispute(BaseModel):
    """A party contests a verified incident; signed with one of that party's agreement keys.

    The incident goes to `disputed`, then `inspection`, and an inspection report
    (an observation of kind inspection_report) settles it: confirmed or dismissed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    incident: str
    party: str
    at: UtcTime
    reason: str = Field(default="", max_length=2000)

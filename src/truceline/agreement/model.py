"""The ceasefire agreement as code: one YAML document, validated by these models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from truceline.agreement.enforcement import InspectionRegime, PenaltyLadder, Playbook
from truceline.agreement.geography import Geography
from truceline.agreement.principals import Principals
from truceline.agreement.rules import EvidenceStandard, ProhibitedAct
from truceline.agreement.timebounds import DEFAULT_TIME_BOUNDS, TimeBounds
from truceline.observation import Count
from truceline.rfc3339 import UtcTime, format_time

AGREEMENT_TYPE = "application/vnd.truceline.agreement+json"


class Role(StrEnum):
    party = "party"  # bound by the ceasefire
    guarantor = "guarantor"  # vouches for it, votes on penalties, runs a witness
    mission = "mission"  # the monitoring mission


class Key(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    keyid: str = Field(default="", description="derived from public_key when left empty")
    public_key: str = Field(description="base64 raw Ed25519 public key (32 bytes)")

    @model_validator(mode="after")
    def _derive_keyid(self) -> Key:
        from truceline.codec.keys import KeyFileError, key_id, public_key_from_b64

        try:
            derived = key_id(public_key_from_b64(self.public_key))
        except KeyFileError as exc:
            raise ValueError(str(exc)) from exc
        if not self.keyid:
            object.__setattr__(self, "keyid", derived)
        elif self.keyid != derived:
            raise ValueError(f"keyid: expected {derived} for this public_key, found {self.keyid!r}")
        return self


class Signatory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str
    role: Role
    keys: list[Key] = Field(default_factory=list)
    witness: str | None = Field(default=None, description="the signatory's witness vkey")


class Agreement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,127}$")
    title: str
    version: Count = Field(ge=1, le=1_000_000, description="each amendment increments it")
    previous: str | None = Field(default=None, description="sha256 of the version it amends")
    effective_from: UtcTime
    signatories: list[Signatory] = Field(min_length=2)
    geography: Geography
    prohibited_acts: list[ProhibitedAct] = Field(min_length=1)
    evidence: EvidenceStandard = Field(default_factory=EvidenceStandard)
    penalties: PenaltyLadder = Field(default_factory=PenaltyLadder)
    playbooks: list[Playbook] = Field(default_factory=list)
    inspections: InspectionRegime = Field(default_factory=InspectionRegime)
    principals: Principals = Field(default_factory=Principals)
    time: TimeBounds | None = Field(
        default=None, description="evidence age and skew bounds, and the end; absent = defaults"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        problems = cross_reference_errors(self)
        if problems:
            # One line per problem, each starting with its field path (see agreement.load).
            raise ValueError("\n".join(problems))
        return self

    @property
    def time_bounds(self) -> TimeBounds:
        """The `time` section, or the defaults when the version has none."""
        return self.time or DEFAULT_TIME_BOUNDS

    @property
    def parties(self) -> list[Signatory]:
        return [s for s in self.signatories if s.role is Role.party]

    @property
    def registrars(self) -> list[Signatory]:
        """The signatories whose agreement keys sign registry records."""
        named = self.principals.registrars
        return [s for s in self.signatories if (s.id in named if named else s.role is Role.mission)]

    def signatory(self, id_: str) -> Signatory:
        for s in self.signatories:
            if s.id == id_:
                return s
        raise KeyError(id_)


def cross_reference_errors(agreement: Agreement) -> list[str]:
    """Ids that must name something else in the agreement: `path: expected …, found …` lines."""
    problems: list[str] = []
    ids = [sig.id for sig in agreement.signatories]
    seen: set[str] = set()
    for i, id_ in enumerate(ids):
        if id_ in seen:
            problems.append(f"signatories[{i}].id: expected a unique id, found duplicate {id_!r}")
        seen.add(id_)
    parties = {sig.id for sig in agreement.signatories if sig.role is Role.party}
    if len(parties) < 2:
        problems.append(
            f"signatories: expected at least two signatories with role party, found {len(parties)}"
        )
    for i, territory in enumerate(agreement.geography.territories):
        if territory.party not in parties:
            problems.append(
                f"geography.territories[{i}].party: expected a party id "
                f"({', '.join(sorted(parties))}), found {territory.party!r}"
            )
    for i, site in enumerate(agreement.geography.holding_sites):
        if site.party not in parties:
            problems.append(
                f"geography.holding_sites[{i}].party: expected a party id "
                f"({', '.join(sorted(parties))}), found {site.party!r}"
            )
    zone_ids = {z.id for z in agreement.geography.zones}
    for i, act in enumerate(agreement.prohibited_acts):
        for j, zone in enumerate(act.zones):
            if zone not in zone_ids:
                problems.append(
                    f"prohibited_acts[{i}].zones[{j}]: expected a zone id from geography.zones, "
                    f"found {zone!r}"
                )
    until = agreement.time_bounds.effective_until
    if until is not None and until <= agreement.effective_from:
        problems.append(
            f"time.effective_until: expected a time after effective_from "
            f"({format_time(agreement.effective_from)}), found {format_time(until)}"
        )
    act_ids = [act.id for act in agreement.prohibited_acts]
    if len(set(act_ids)) != len(act_ids):
        problems.append("prohibited_acts: expected unique ids, found duplicates")
    for i, id_ in enumerate(agreement.principals.registrars):
        if id_ not in ids:
            problems.append(f"principals.registrars[{i}]: expected a signatory id, found {id_!r}")
        elif id_ in parties:
            problems.append(
                f"principals.registrars[{i}]: expected a signatory that is not a party, "
                f"found party {id_!r}"
            )
    if not agreement.registrars:
        problems.append(
            "principals.registrars: expected a registrar (a signatory with role mission, "
            "or one named here), found none"
        )
    known = set(ids)
    for i, rule in enumerate(agreement.penalties.block_rules):
        for j, voter in enumerate(rule.voters):
            if voter.id not in known:
                problems.append(
                    f"penalties.block_rules[{i}].voters[{j}].id: expected a signatory id, "
                    f"found {voter.id!r}"
                )
    return problems

"""The ceasefire agreement as code: one YAML document, validated by these models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from truceline.agreement.enforcement import InspectionRegime, PenaltyLadder, Playbook
from truceline.agreement.geography import Geography
from truceline.agreement.rules import EvidenceStandard, ProhibitedAct
from truceline.observation import UtcTime

AGREEMENT_TYPE = "application/vnd.truceline.agreement+json"


class Role(StrEnum):
    party = "party"  # bound by the ceasefire
    guarantor = "guarantor"  # vouches for it, votes on penalties, runs a witness
    mission = "mission"  # the monitoring mission


class Key(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    keyid: str
    public_key: str = Field(description="base64 raw Ed25519 public key (32 bytes)")


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
    version: int = Field(ge=1, description="each amendment increments it")
    previous: str | None = Field(default=None, description="sha256 of the version it amends")
    effective_from: UtcTime
    signatories: list[Signatory] = Field(min_length=2)
    geography: Geography
    prohibited_acts: list[ProhibitedAct] = Field(min_length=1)
    evidence: EvidenceStandard = Field(default_factory=EvidenceStandard)
    penalties: PenaltyLadder = Field(default_factory=PenaltyLadder)
    playbooks: list[Playbook] = Field(default_factory=list)
    inspections: InspectionRegime = Field(default_factory=InspectionRegime)

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        ids = [s.id for s in self.signatories]
        if len(set(ids)) != len(ids):
            raise ValueError("signatory ids must be unique")
        parties = {s.id for s in self.signatories if s.role is Role.party}
        if len(parties) < 2:
            raise ValueError("an agreement needs at least two signatories with role party")
        for territory in self.geography.territories:
            if territory.party not in parties:
                raise ValueError(f"territory names {territory.party!r}, which is not a party")
        zone_ids = {z.id for z in self.geography.zones}
        for act in self.prohibited_acts:
            unknown = set(act.zones) - zone_ids
            if unknown:
                raise ValueError(f"prohibited act {act.id!r} names unknown zones {sorted(unknown)}")
        voters = {v.id for rule in self.penalties.block_rules for v in rule.voters}
        unknown_voters = voters - set(ids)
        if unknown_voters:
            raise ValueError(f"block rules name unknown voters {sorted(unknown_voters)}")
        return self

    @property
    def parties(self) -> list[Signatory]:
        return [s for s in self.signatories if s.role is Role.party]

    def signatory(self, id_: str) -> Signatory:
        for s in self.signatories:
            if s.id == id_:
                return s
        raise KeyError(id_)

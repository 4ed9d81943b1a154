"""The agreement's consequences: penalty ladder, block rules, playbooks, inspections.

The engines that run these live in `truceline.enforcement`; this module is
only what the parties signed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from truceline.agreement.rules import Act, Grade
from truceline.observation import Count, LonLat, Real

TEN_YEARS_DAYS = 3650


class BlockKind(StrEnum):
    # UNSCR 2231 snapback: only an adopted continuation (majority, no veto) blocks the penalty.
    reverse_veto = "reverse_veto"
    # EU reverse qualified majority: adopted unless a qualified majority rejects it in time.
    reverse_qualified_majority = "reverse_qualified_majority"
    # WTO negative consensus: adopted unless every member rejects it.
    negative_consensus = "negative_consensus"


class Voter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(description="a party, guarantor or council member id with a registered key")
    weight: Real = Field(
        default=1.0,
        gt=0,
        le=1e12,
        allow_inf_nan=False,
        description="for qualified majorities, e.g. population; (0, 10^12]",
    )
    veto: bool = Field(default=False, description="a veto holder, for reverse_veto")


class BlockRule(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # the JSON Schema states `_majority_for_reverse_veto` too
        json_schema_extra={
            "if": {"properties": {"kind": {"const": "reverse_veto"}}, "required": ["kind"]},
            "then": {"required": ["majority"], "properties": {"majority": {"type": "integer"}}},
        },
    )
    id: str
    kind: BlockKind
    voters: list[Voter] = Field(min_length=1)
    window_days: Real = Field(
        gt=0,
        le=TEN_YEARS_DAYS,
        allow_inf_nan=False,
        description="votes after the deadline do not count",
    )
    majority: Count | None = Field(
        default=None, ge=1, le=1000, description="reverse_veto: votes to adopt"
    )
    qualified_share_of_voters: Real = Field(default=0.55, gt=0, le=1, allow_inf_nan=False)
    qualified_share_of_weight: Real = Field(default=0.65, gt=0, le=1, allow_inf_nan=False)
    cutoff_midnight_utc: bool = Field(
        default=True, description="the deadline falls at 00:00 UTC after the window, as in 2231"
    )
    exclude_accused: bool = Field(
        default=True, description="the accused party's votes are left out"
    )

    @model_validator(mode="after")
    def _majority_for_reverse_veto(self) -> BlockRule:
        if self.kind is BlockKind.reverse_veto and self.majority is None:
            raise ValueError("reverse_veto needs `majority` (votes to adopt the continuation)")
        return self


class Trigger(BaseModel):
    """Which verified breaches count towards a rung."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    acts: list[Act] = Field(default_factory=list, description="empty = any prohibited act")
    rules: list[str] = Field(default_factory=list, description="prohibited-act ids; empty = any")
    grades: list[Grade] = Field(default_factory=lambda: [Grade.confirmed])
    count: Count = Field(default=1, ge=1, le=1_000_000)
    within_days: Real = Field(default=30, gt=0, le=TEN_YEARS_DAYS, allow_inf_nan=False)


class Rung(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    penalty: str = Field(description="what takes effect, e.g. formal_warning, sanctions_package_1")
    trigger: Trigger
    block_rule: str | None = Field(default=None, description="a BlockRule id; none = immediate")
    consultation_days: Real = Field(default=0, ge=0, le=TEN_YEARS_DAYS, allow_inf_nan=False)
    countdown_days: Real = Field(default=0, ge=0, le=TEN_YEARS_DAYS, allow_inf_nan=False)
    standing: list[str] = Field(
        default_factory=list,
        description="who may trigger it; empty = automatic on verification",
    )
    sunset_days: Real | None = Field(
        default=None,
        gt=0,
        le=10 * TEN_YEARS_DAYS,
        allow_inf_nan=False,
        description="the penalty lapses after",
    )
    suspend_during_dispute: bool = True


class PenaltyLadder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rungs: list[Rung] = Field(default_factory=list)
    block_rules: list[BlockRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_block_rules(self) -> PenaltyLadder:
        known = {rule.id for rule in self.block_rules}
        for rung in self.rungs:
            if rung.block_rule is not None and rung.block_rule not in known:
                raise ValueError(f"rung {rung.id!r} names unknown block_rule {rung.block_rule!r}")
        return self


class StepAction(StrEnum):
    notify = "notify"
    request_air_defence = "request_air_defence"
    open_inspection = "open_inspection"
    trigger_resupply = "trigger_resupply"
    publish_alert = "publish_alert"


class PlaybookStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    action: StepAction
    to: list[str] = Field(
        default_factory=list, description="recipients: party, guarantor, team ids"
    )
    deadline_hours: Real = Field(default=24, gt=0, le=24 * 365, allow_inf_nan=False)
    escalate_to: list[str] = Field(default_factory=list, description="who is told if it is missed")


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    acts: list[Act] = Field(default_factory=list, description="empty = any")
    grades: list[Grade] = Field(default_factory=list, description="empty = any")
    steps: list[PlaybookStep] = Field(min_length=1)


class ObserverTeam(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(description="a registered observer-patrol sensor id")
    base: LonLat = Field(description="longitude, latitude of the team's base")
    speed_kmh: Real = Field(default=40, gt=0, le=1000, allow_inf_nan=False)


class InspectionRegime(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    routine_per_zone_per_month: Count = Field(default=2, ge=0, le=1000)
    on_demand_within_hours: Real = Field(default=48, gt=0, le=24 * 365, allow_inf_nan=False)
    auto_for_grades: list[Grade] = Field(default_factory=lambda: [Grade.weak, Grade.contested])
    teams: list[ObserverTeam] = Field(default_factory=list)

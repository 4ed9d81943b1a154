"""What the agreement prohibits, and what evidence proves a breach."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from truceline.observation import Count, Real, WeaponClass


class Act(StrEnum):
    fire_across_line = "fire_across_line"  # origin in one party's territory, impact in the other's
    impact_in_zone = "impact_in_zone"  # an impact inside a named zone
    weapon_in_withdrawal_zone = "weapon_in_withdrawal_zone"  # closer to the line than allowed
    buffer_entry = "buffer_entry"  # armed forces inside a buffer zone
    corridor_attack = "corridor_attack"  # an impact on a corridor during its window
    protected_site_attack = "protected_site_attack"  # an impact within a site's radius
    weapon_missing_from_site = "weapon_missing_from_site"  # short of a holding site's declaration
    access_denial = "access_denial"  # monitors refused access


class ProhibitedAct(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(description="cited in verdicts, like an article number")
    act: Act
    description: str = ""
    zones: list[str] = Field(
        default_factory=list, description="zone ids, for zone acts; empty = all"
    )
    weapon_classes: list[WeaponClass] = Field(
        default_factory=list, description="empty = every class"
    )
    severity: Count = Field(default=1, ge=1, le=5)


class Grade(StrEnum):
    """The evidence ladder of Airwars and OSCE SMM practice."""

    confirmed = "confirmed"
    fair = "fair"
    weak = "weak"
    contested = "contested"
    discounted = "discounted"


class EvidenceStandard(BaseModel):
    """Which grades verify a breach, and how many independent sources each grade needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    verify_grades: list[Grade] = Field(default_factory=lambda: [Grade.confirmed, Grade.fair])
    confirmed_min_sources: Count = Field(default=3, ge=1, le=100, description="independent sources")
    fair_min_sources: Count = Field(default=2, ge=1, le=100)
    association_window_s: Real = Field(
        default=300, gt=0, le=86_400, allow_inf_nan=False, description="(0, 86,400] s"
    )
    association_radius_m: Real = Field(
        default=2000, gt=0, le=100_000, allow_inf_nan=False, description="(0, 100,000] m"
    )

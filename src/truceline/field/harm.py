"""Civilian harm as an observer reports it: casualties and damage to civilian objects.

Figures are ranges (a patrol rarely knows an exact count), civilians and combatants apart,
each with the source of the figure, as casualty-recording practice asks (Every Casualty's
standards, OHCHR's civilian-casualty methodology): a count seen by the patrol and a count a
hospital gave are not the same evidence, and the report says which it is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

Count = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]
MAX_DAMAGE_ITEMS = 64


class FigureSource(StrEnum):
    """Where a figure comes from, strongest first."""

    seen = "seen"  # the patrol saw the killed or injured itself
    medical = "medical"  # a hospital, morgue or medical staff
    authorities = "authorities"  # local authorities or a party's officials
    residents = "residents"  # residents or witnesses interviewed
    media = "media"  # press or social media


class CivilianObject(StrEnum):
    housing = "housing"
    school = "school"
    hospital = "hospital"
    health = "health"  # clinics and other health facilities
    energy = "energy"
    water = "water"
    religious = "religious"
    market = "market"
    transport = "transport"
    agriculture = "agriculture"
    other = "other"


def _range(value: tuple[int, int] | None) -> tuple[int, int] | None:
    if value is not None and value[0] > value[1]:
        raise ValueError(f"expected [min, max] with min <= max, found {list(value)}")
    return value


class Casualties(BaseModel):
    """Killed and injured, each as [min, max], and the source of the figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    killed: tuple[Count, Count] | None = Field(default=None, description="[min, max]")
    injured: tuple[Count, Count] | None = Field(default=None, description="[min, max]")
    source: FigureSource

    _killed = field_validator("killed")(_range)
    _injured = field_validator("injured")(_range)


class Damage(BaseModel):
    """Damage to civilian objects of one type."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    object: CivilianObject
    count: Annotated[int, Strict(), Field(ge=1, le=100_000)] = 1
    destroyed: bool = False
    source: FigureSource


class Harm(BaseModel):
    """What a report says of civilian harm: civilians and combatants apart."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    civilians: Casualties | None = None
    combatants: Casualties | None = None
    damage: list[Damage] = Field(default_factory=list, max_length=MAX_DAMAGE_ITEMS)

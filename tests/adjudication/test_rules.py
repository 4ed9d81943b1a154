"""The prohibited acts of the example agreement as geometric tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from truceline.adjudication.rules import Facts, RuleBook
from truceline.fusion.attribute import Attributor
from truceline.fusion.base import frame_for
from truceline.observation import Kind, WeaponClass

from .helpers import agreement


@pytest.fixture(scope="module")
def book():
    agr = agreement()
    frame = frame_for(agr.geography.contact_line)
    return RuleBook(agr, frame, Attributor(agr.geography, frame)), frame


def xy(frame, lon, lat):
    x, y = frame.to_xy(lon, lat)
    return float(x), float(y)


T_OPEN = datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp()  # corridor window open
T_SHUT = datetime(2026, 3, 3, 12, tzinfo=UTC).timestamp()


def test_fire_across_line_needs_both_ends(book) -> None:
    rules, f = book
    across = Facts(
        Kind.impact, T_SHUT, xy(f, 36.62, 47.75), xy(f, 36.60, 47.55), WeaponClass.artillery
    )
    assert "art-1.1" in rules.breached(across)
    own_side = Facts(
        Kind.impact, T_SHUT, xy(f, 36.62, 47.60), xy(f, 36.60, 47.55), WeaponClass.artillery
    )
    assert "art-1.1" not in rules.breached(own_side)
    no_origin = Facts(Kind.impact, T_SHUT, xy(f, 36.62, 47.75), None, WeaponClass.artillery)
    assert rules.breached(no_origin) == []


def test_zone_corridor_and_site(book) -> None:
    rules, f = book
    in_buffer = Facts(Kind.impact, T_SHUT, xy(f, 35.60, 47.55), None, None)
    assert rules.breached(in_buffer) == ["art-2.2"]
    on_corridor = Facts(Kind.explosion, T_OPEN, xy(f, 35.30, 47.48), None, None)
    assert "art-5.1" in rules.breached(on_corridor)
    shut = Facts(Kind.explosion, T_SHUT, xy(f, 35.30, 47.48), None, None)
    assert "art-5.1" not in rules.breached(shut)
    near_plant = Facts(Kind.impact, T_SHUT, xy(f, 34.60, 47.50), None, None)
    assert any(r.startswith("art-6") for r in rules.breached(near_plant))


def test_withdrawal_by_sighting_or_by_fire(book) -> None:
    rules, f = book
    close = Facts(
        Kind.heavy_weapon_sighting, T_SHUT, xy(f, 36.60, 47.66), None, WeaponClass.artillery
    )
    assert "art-3.1" in rules.breached(close)
    far = Facts(
        Kind.heavy_weapon_sighting, T_SHUT, xy(f, 36.60, 47.30), None, WeaponClass.artillery
    )
    assert "art-3.1" not in rules.breached(far)
    # A gun located by its own fire: the origin, 4 km from the line (< 15 km).
    firing = Facts(
        Kind.impact, T_SHUT, xy(f, 36.62, 47.75), xy(f, 36.60, 47.66), WeaponClass.artillery
    )
    assert "art-3.1" in rules.breached(firing)
    # Small arms are not a listed heavy-weapon class.
    rifles = Facts(
        Kind.impact, T_SHUT, xy(f, 36.62, 47.75), xy(f, 36.60, 47.66), WeaponClass.small_arms
    )
    assert "art-3.1" not in rules.breached(rifles)


def test_buffer_entry_is_about_forces_not_rounds(book) -> None:
    rules, f = book
    troops = Facts(Kind.troop_movement, T_SHUT, xy(f, 35.60, 47.55), None, None)
    assert "art-2.1" in rules.breached(troops)

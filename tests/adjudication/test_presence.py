"""Presence breaches: withdrawal polygons per weapon class, holding sites, access denial,
and one incident for one presence seen on successive passes."""

from __future__ import annotations

import pytest

from truceline.adjudication.lifecycle import adjudicate
from truceline.adjudication.rules import Facts, RuleBook
from truceline.adjudication.verdict import State
from truceline.fusion.attribute import Attributor
from truceline.fusion.base import SensorInfo, build_table, frame_for
from truceline.observation import Kind, Observation, WeaponClass

from .helpers import SENSORS, T0, agreement, obs, ref

T = T0.timestamp()
# South of the line, inside `withdrawal-east` (barred: mlrs, tank), about 16 km from the
# line: clear of every class's distance but the MLRS's 35 km.
IN_POLYGON = (36.90, 47.60)
# As far from the line, west of the polygon.
OUTSIDE = (35.70, 47.40)


@pytest.fixture(scope="module")
def book():
    agr = agreement()
    frame = frame_for(agr.geography.contact_line)
    attributor = Attributor(agr.geography, frame)
    return RuleBook(agr, frame, attributor), frame, attributor


def at(frame, lonlat):
    x, y = frame.to_xy(*lonlat)
    return float(x), float(y)


def sighting(frame, lonlat, weapon, kind=Kind.heavy_weapon_sighting):
    return Facts(kind, T, at(frame, lonlat), None, weapon)


def test_withdrawal_polygon_bars_its_classes_beyond_their_distance(book) -> None:
    rules, f, attributor = book
    distance = attributor.distance_to_line(*at(f, IN_POLYGON))
    assert 15_000 < distance < 20_000  # beyond the tank's and artillery's 15 km
    assert "art-3.1" in rules.breached(sighting(f, IN_POLYGON, WeaponClass.tank))
    # Artillery and mortars are not barred by this polygon, and 16 km is beyond their
    # 15 and 7.5 km.
    assert "art-3.1" not in rules.breached(sighting(f, IN_POLYGON, WeaponClass.artillery))
    assert "art-3.1" not in rules.breached(sighting(f, IN_POLYGON, WeaponClass.mortar))
    # The same distance outside the polygon: no breach for a tank.
    assert attributor.distance_to_line(*at(f, OUTSIDE)) > 15_000
    assert "art-3.1" not in rules.breached(sighting(f, OUTSIDE, WeaponClass.tank))
    # MLRS: within 35 km anywhere.
    assert "art-3.1" in rules.breached(sighting(f, OUTSIDE, WeaponClass.mlrs))
    # A class the act does not list, or none named, is no breach inside the polygon.
    assert "art-3.1" not in rules.breached(sighting(f, IN_POLYGON, WeaponClass.small_arms))
    assert "art-3.1" not in rules.breached(sighting(f, IN_POLYGON, None))


def test_withdrawal_polygon_applies_to_a_gun_located_by_its_fire(book) -> None:
    rules, f, _ = book
    tank = Facts(Kind.impact, T, at(f, (36.9, 47.85)), at(f, IN_POLYGON), WeaponClass.tank)
    assert "art-3.1" in rules.breached(tank)
    gun = Facts(Kind.impact, T, at(f, (36.9, 47.85)), at(f, IN_POLYGON), WeaponClass.artillery)
    assert "art-3.1" not in rules.breached(gun)


def test_holding_site_shortfall_and_access_denial(book) -> None:
    rules, f, _ = book
    site = (35.40, 48.05)  # hs-north-1: 12 tanks, 18 guns declared
    missing = sighting(f, site, WeaponClass.tank, Kind.weapons_missing)
    assert rules.breached(missing) == ["art-4.1"]
    # MLRS were never declared there; elsewhere there is no site.
    assert rules.breached(sighting(f, site, WeaponClass.mlrs, Kind.weapons_missing)) == []
    assert rules.breached(sighting(f, (35.0, 48.2), WeaponClass.tank, Kind.weapons_missing)) == []
    # A report of the site inspected is context, not a breach.
    assert rules.breached(sighting(f, site, WeaponClass.tank, Kind.site_inspection)) == []
    assert rules.breached(sighting(f, (35.0, 48.2), None, Kind.access_denied)) == ["art-4.2"]
    # Troops in the buffer breach art-2.1, monitors refused there only art-4.2.
    buffer = (35.60, 47.55)
    assert rules.breached(sighting(f, buffer, None, Kind.troop_movement)) == ["art-2.1"]
    assert rules.breached(sighting(f, buffer, None, Kind.access_denied)) == ["art-4.2"]


SIGHTERS = {
    **SENSORS,
    "sar-g2": SensorInfo("satellite_sar", "guarantor-2"),
    "uav-m1": SensorInfo("uav", "mission"),
}


def _run(items: list[Observation]):
    agr = agreement()
    table = build_table(list(enumerate(items)), SIGHTERS, frame_for(agr.geography.contact_line))
    engine, _ = adjudicate(table, agr, ref(agr))
    return engine


def test_one_tank_on_successive_passes_is_one_verified_incident() -> None:
    hour = 3600.0
    tank = {"weapon_class": "tank"}
    near = (IN_POLYGON[0] + 0.0004, IN_POLYGON[1])  # 30 m east: the next pass's fix
    engine = _run(
        [
            obs("sar-g2", 1, 0, "heavy_weapon_sighting", IN_POLYGON, 25.0, **tank),
            obs("sar-g2", 2, 12 * hour, "heavy_weapon_sighting", near, 25.0, **tank),
            obs("uav-m1", 1, 20 * hour, "heavy_weapon_sighting", IN_POLYGON, 30.0, **tank),
            # The next day's pass, another tank 8 km away: its own incident.
            obs("sar-g2", 3, 24 * hour, "heavy_weapon_sighting", (36.80, 47.60), 25.0, **tank),
        ]
    )
    incidents = {rec.incident: rec for rec in engine.incidents()}
    assert engine.members()["inc-0"] == [0, 1, 2]
    assert incidents["inc-0"].state is State.verified
    assert incidents["inc-0"].accused == "party-b"
    assert incidents["inc-0"].rules == ["art-3.1"]
    assert incidents["inc-3"].state is State.reported


def test_sightings_too_far_apart_in_time_or_class_stay_apart() -> None:
    day = 86_400.0
    engine = _run(
        [
            obs("sar-g2", 1, 0, "heavy_weapon_sighting", IN_POLYGON, 25.0, weapon_class="tank"),
            # Two days later: the persistence gap is 24 h.
            obs(
                "uav-m1", 1, 2 * day, "heavy_weapon_sighting", IN_POLYGON, 25.0, weapon_class="tank"
            ),
            # An hour later at the same place, but artillery: another weapon.
            obs(
                "uav-m1",
                2,
                2 * day + 3600,
                "heavy_weapon_sighting",
                IN_POLYGON,
                25.0,
                weapon_class="artillery",
            ),
        ]
    )
    members = engine.members()
    assert [members[i] for i in sorted(members)] == [[0], [1], [2]]


def test_stream_links_presence_across_passes_as_the_batch(tmp_path) -> None:
    """The presence CLI test's day of escalation (imagery, inspections, denials): the
    stream, entry by entry, gives the batch's verdicts and memberships."""
    from truceline.adjudication.stream import StreamAdjudicator

    from .simulated import load, run, simulate
    from .test_presence_cli import SCENARIO

    scenario = tmp_path / "presence.yaml"
    scenario.write_text(SCENARIO)
    out = simulate(tmp_path, str(scenario), 3, 1.0)
    engine, _, items, sensors = run(out)
    agreement, _, _ = load(out)
    stream = StreamAdjudicator(agreement, ref(agreement))
    streamed = []
    for index, observation in items:
        streamed.extend(stream.observe(index, observation, sensors[observation.sensor]))
    linked = [
        members
        for members in engine.members().values()
        if len({items[i][1].sensor for i in members}) > 1
        and items[members[0]][1].kind is Kind.heavy_weapon_sighting
    ]
    assert linked  # presence incidents of several reports exist to compare
    assert [r.model_dump() for r in streamed] == [r.model_dump() for r in engine.emitted]
    assert stream.engine.members() == engine.members()
    chunked = StreamAdjudicator(agreement, ref(agreement))
    in_chunks = []
    for k in range(0, len(items), 64):
        in_chunks.extend(chunked.observe_many(items[k : k + 64], sensors))
    assert [r.model_dump() for r in in_chunks] == [r.model_dump() for r in engine.emitted]

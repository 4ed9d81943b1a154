"""A duel pooled by association, through the CLI: `truceline init`, `sensor add`,
`ingest --now`, `fuse --now`, `incidents`, `replay`.

Within 65 s, near the example agreement's line (about 47.495 N at 34.85 E), two party-a
guns 1.7 km north of the line fire south and a party-b gun 3.9 km south fires north. The
rounds land 0.8-0.9 km either side of the line, within the association gate of each
other, so association pools the three shots. Its naive pooled origin fix is pulled south,
across the line from two of the three guns, by the mission radar's precise track of the
one party-b shot: before the consistency test, party-b was accused at Confirmed for an
incident two thirds of whose shots party-a fired; before the split, the pooled incident
named party-b alone and party-a's fire was no incident of its own.

When sensors that are not the accuser's place both sides' guns, the duel is one incident
per firing side, each with its own accused, origin and evidence. When only the accuser's
sensors place one side's guns, it stays one incident, which the pooled-fire cap keeps at
Fair.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .signed_mission import cli, fuse, ingest, open_mission, replay, report

SENSORS = {
    "acoustic-m1": ("acoustic_array", "mission"),
    "radar-m1": ("weapon_locating_radar", "mission"),
    "camera-g1": ("camera", "guarantor-1"),
    "acoustic-g2": ("acoustic_array", "guarantor-2"),
    "acoustic-b1": ("acoustic_array", "party-b"),
}
KEYS = {
    sid: Ed25519PrivateKey.from_private_bytes(bytes([70 + n]) * 32) for n, sid in enumerate(SENSORS)
}
GUN_A1, GUN_A2 = (34.840, 47.510), (34.855, 47.511)  # party-a, north of the line
GUN_B = (34.850, 47.460)  # party-b, south of it
HIT_1, HIT_2 = (34.850, 47.487), (34.852, 47.488)  # party-a's rounds, in party-b's ground
HIT_3 = (34.851, 47.502)  # party-b's round, in party-a's ground


def heard(seq: int, at: str, kind: str, where: tuple[float, float], by: str = "acoustic-m1") -> str:
    return report(by, seq, at, kind, where, 120, keys=KEYS, weapon_class="artillery")


def tracked(seq: int, at: str, gun: tuple[float, float], hit: tuple[float, float]) -> str:
    origin = {"coordinates": list(gun), "cep_m": 50.0}
    return report(
        "radar-m1",
        seq,
        at,
        "projectile",
        hit,
        60,
        keys=KEYS,
        weapon_class="artillery",
        origin=origin,
    )


# Party-b's shot: heard leaving and landing, its impact filmed by a guarantor's camera,
# and tracked by the mission radar (logged last: the report that makes three sources):
# three independent sources, firmly party-b's.
SHOT_B = [
    heard(5, "10:00:50", "launch", GUN_B),
    heard(6, "10:01:05", "impact", HIT_3),
    report("camera-g1", 1, "10:01:05.5", "impact", HIT_3, 150, keys=KEYS),
    tracked(1, "10:00:50.3", GUN_B, HIT_3),
]
# Party-a's two shots, heard leaving and landing by the same array.
SHOTS_A = [
    heard(1, "10:00:00", "launch", GUN_A1),
    heard(2, "10:00:08", "impact", HIT_1),
    heard(3, "10:00:20", "launch", GUN_A2),
    heard(4, "10:00:28", "impact", HIT_2),
]


def incidents(root: Path, lines: list[str]) -> list[dict[str, Any]]:
    """A home fed `lines` and fused: the logged incidents (latest transition each);
    `truceline replay` agrees with the log."""
    home = open_mission(root, SENSORS, KEYS)
    ingest(home, "feed.jsonl", "\n".join(lines))
    fuse(home)
    replay(home)
    features = json.loads(cli("incidents", "--home", home))["features"]
    return [f["properties"] for f in features]


# A guarantor's array hears all three guns too, and the guarantor's camera films party-a's
# guns firing: each side's guns are placed by three independent neutral sources.
WITNESSED = [
    *SHOTS_A,
    heard(1, "10:00:00.4", "launch", GUN_A1, by="acoustic-g2"),
    heard(2, "10:00:20.4", "launch", GUN_A2, by="acoustic-g2"),
    report("camera-g1", 2, "10:00:00.1", "launch", GUN_A1, 300, keys=KEYS),
    report("camera-g1", 3, "10:00:20.1", "launch", GUN_A2, 300, keys=KEYS),
    *SHOT_B,
    heard(3, "10:00:50.4", "launch", GUN_B, by="acoustic-g2"),
]


def test_a_duel_is_one_incident_per_firing_side(tmp_path: Path) -> None:
    """Both sides fire into the same 2 km: two incidents, each against its own firer, on
    its own evidence and origin fix; neither side's fire hides in the other's incident."""
    found = incidents(tmp_path / "duel", WITNESSED)
    assert len(found) == 2, found
    by_accused = {i["accused"]: i for i in found}
    assert set(by_accused) == {"party-a", "party-b"}, found
    a, b = by_accused["party-a"], by_accused["party-b"]
    # Each is verified and Confirmed: three neutral sources placed each side's guns.
    for inc in (a, b):
        assert (inc["state"], inc["grade"]) == ("verified", "confirmed"), inc
        assert inc["rules"], inc
        assert "one of 2 firing sides pooled by association" in inc["reason"]
        assert "inconsistent" not in inc["reason"]
    # Its own evidence (ingest logs the feed in event-time order, party-a's 8 reports
    # first): party-a's two shots and the impacts they landed with; party-b's shot (its
    # last verdict came before the camera's view of the landing, which changes nothing).
    first = min(a["evidence"])
    assert a["evidence"] == list(range(first, first + 8)), a
    assert b["evidence"] == list(range(first + 8, first + 12)), b
    # Each origin fix lies at its own guns: party-a's between its two, party-b's on its one.
    assert abs(a["origin"][1] - 47.5105) < 0.002 and abs(b["origin"][1] - GUN_B[1]) < 0.002
    # The incident ids are those of each part's first evidence: party-a's first launch
    # (the pooled incident's own id) and party-b's first report.
    assert int(a["incident"].split("-")[1]) < int(b["incident"].split("-")[1])


def test_a_duel_one_side_of_which_only_its_accuser_places_stays_one_capped(
    tmp_path: Path,
) -> None:
    """Party-a's guns are heard by party-b's own array alone: an accuser's word does not
    make an incident of its own (a lying radar's mirrored origin must not either). The
    three shots stay one incident, and its fix of two batteries either side of the line
    cannot confirm who fired."""
    accused_by_b = [
        heard(seq, line_at, kind, where, by="acoustic-b1")
        for seq, (line_at, kind, where) in enumerate(
            [
                ("10:00:00", "launch", GUN_A1),
                ("10:00:08", "impact", HIT_1),
                ("10:00:20", "launch", GUN_A2),
                ("10:00:28", "impact", HIT_2),
            ],
            start=1,
        )
    ]
    found = incidents(tmp_path / "duel", accused_by_b + SHOT_B)
    pooled = [i for i in found if len(i["evidence"]) == len(accused_by_b + SHOT_B)]
    # The three shots are one incident (the premise: association pools them) ...
    assert len(pooled) == 1, found
    assert [i for i in found if i["state"] != "dismissed"] == pooled, found
    duel = pooled[0]
    # ... and its pooled origin fix accuses party-b, whose one shot the radar tracked.
    assert duel["accused"] == "party-b" and duel["rules"]
    # It still verifies (party-b did fire across the line, three sources saw it), but
    # the fix of two batteries either side of the line cannot confirm who fired.
    assert duel["state"] == "verified"
    assert duel["grade"] == "fair", duel
    assert "inconsistent with one firing point" in duel["reason"]
    assert "party-a and party-b territory" in duel["reason"]


def test_the_same_evidence_of_one_gun_is_confirmed(tmp_path: Path) -> None:
    """The control: party-b's shot alone (consistent origin reports) stays Confirmed."""
    found = incidents(tmp_path / "one-gun", SHOT_B)
    assert len(found) == 1, found
    shot = found[0]
    assert (shot["state"], shot["grade"], shot["accused"]) == ("verified", "confirmed", "party-b")
    assert "inconsistent" not in shot["reason"]

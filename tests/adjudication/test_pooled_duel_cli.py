"""A duel pooled into one incident must not confirm one side's guilt, through the CLI:
`truceline init`, `sensor add`, `ingest --now`, `fuse --now`, `incidents`, `replay`.

Within 65 s, near the example agreement's line (about 47.495 N at 34.85 E), two party-a
guns 1.7 km north of the line fire south and a party-b gun 3.9 km south fires north. The
rounds land 0.8-0.9 km either side of the line, within the association gate of each
other, so the three shots are one incident. Its naive pooled origin fix is pulled south,
across the line from two of the three guns, by the mission radar's precise track of the
one party-b shot: before the consistency test, party-b was accused at Confirmed for an
incident two thirds of whose shots party-a fired.
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
}
KEYS = {
    sid: Ed25519PrivateKey.from_private_bytes(bytes([70 + n]) * 32) for n, sid in enumerate(SENSORS)
}
GUN_A1, GUN_A2 = (34.840, 47.510), (34.855, 47.511)  # party-a, north of the line
GUN_B = (34.850, 47.460)  # party-b, south of it
HIT_1, HIT_2 = (34.850, 47.487), (34.852, 47.488)  # party-a's rounds, in party-b's ground
HIT_3 = (34.851, 47.502)  # party-b's round, in party-a's ground


def heard(seq: int, at: str, kind: str, where: tuple[float, float]) -> str:
    return report("acoustic-m1", seq, at, kind, where, 120, keys=KEYS, weapon_class="artillery")


# Party-b's shot: heard leaving and landing, its impact filmed by a guarantor's camera,
# and tracked by the mission radar (logged last: the report that makes three sources):
# three independent sources, firmly party-b's.
SHOT_B = [
    heard(5, "10:00:50", "launch", GUN_B),
    heard(6, "10:01:05", "impact", HIT_3),
    report("camera-g1", 1, "10:01:05.5", "impact", HIT_3, 150, keys=KEYS),
    report(
        "radar-m1",
        1,
        "10:00:50.3",
        "projectile",
        HIT_3,
        60,
        keys=KEYS,
        weapon_class="artillery",
        origin={"coordinates": list(GUN_B), "cep_m": 50.0},
    ),
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


def test_a_pooled_duel_is_not_confirmed_against_either_side(tmp_path: Path) -> None:
    found = incidents(tmp_path / "duel", SHOTS_A + SHOT_B)
    pooled = [i for i in found if len(i["evidence"]) == len(SHOTS_A + SHOT_B)]
    # The three shots are one incident (the premise: association pools them) ...
    assert len(pooled) == 1, found
    duel = pooled[0]
    # ... and its pooled origin fix accuses party-b, whose one shot the radar tracked.
    assert duel["accused"] == "party-b" and duel["rules"]
    # It still verifies (party-b did fire across the line, three sources saw it), but
    # the fix of two batteries either side of the line cannot confirm who fired.
    assert duel["state"] == "verified"
    assert duel["grade"] == "fair", duel
    assert "inconsistent with one firing point" in duel["reason"]
    assert "party-a and party-b territory" in duel["reason"]
    assert not [i for i in found if i["grade"] == "confirmed"], found


def test_the_same_evidence_of_one_gun_is_confirmed(tmp_path: Path) -> None:
    """The control: party-b's shot alone (consistent origin reports) stays Confirmed."""
    found = incidents(tmp_path / "one-gun", SHOT_B)
    assert len(found) == 1, found
    shot = found[0]
    assert (shot["state"], shot["grade"], shot["accused"]) == ("verified", "confirmed", "party-b")
    assert "inconsistent" not in shot["reason"]

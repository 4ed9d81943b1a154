"""Civilian harm counted by `truceline metrics`: the simulated cameras' reports carry
casualties and damage (signed again by the cameras' own keys), the home is built through the
CLI, and the figures are theirs, once per verified breach they are evidence of, per grade."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from simulated_home import Mission, build_mission, cli
from truceline.codec import dsse, jcs, keys
from truceline.codec.entries import Record, read
from truceline.home import Home
from truceline.observation import OBSERVATION_TYPE

HARM = {
    "civilians": {"killed": [1, 3], "source": "seen"},
    "combatants": {"injured": [0, 2], "source": "authorities"},
    "damage": [{"object": "housing", "count": 2, "source": "seen"}],
}


def cameras(sim: Path) -> set[str]:
    sensors = json.loads((sim / "sensors.json").read_text())["sensors"]
    return {s["id"] for s in sensors if s["kind"] == "camera"}


def with_harm(sim: Path) -> None:
    """Every camera report says it saw harm; each is signed again by its camera's key."""
    mine = cameras(sim)
    lines = []
    for line in (sim / "observations.jsonl").read_bytes().splitlines():
        env = dsse.Envelope.from_json(line)
        obs = jcs.loads(env.payload)
        if obs["sensor"] in mine:
            obs["attributes"]["harm"] = HARM
            key = keys.load_private_key(sim / "keys" / f"{obs['sensor']}.key")
            line = dsse.sign(
                OBSERVATION_TYPE, jcs.canonicalize(obs), key, env.signatures[0].keyid
            ).to_json()
        lines.append(line)
    (sim / "observations.jsonl").write_bytes(b"\n".join(lines) + b"\n")


@pytest.fixture(scope="module")
def harmed(tmp_path_factory: pytest.TempPathFactory) -> Mission:
    return build_mission(tmp_path_factory.mktemp("harm"), edit=with_harm)


def test_metrics_count_the_harm_reported_once_per_breach_and_grade(harmed: Mission) -> None:
    doc = json.loads(
        cli("metrics", "--home", harmed.h, "--from", "2026-05-31", "--to", "2026-06-03")
    )
    got: Counter[tuple[str, str]] = Counter()
    for r in doc["rows"]:
        if r["metric"] == "civilian_harm":
            got[(r["party"], r["key"])] += r["value"]
    # expected, from the logged incidents: each breach with a camera report among its evidence
    reader = Home(harmed.home).reader()
    mine = cameras(harmed.sim)

    def by_camera(index: int) -> bool:
        rec = read(index, reader.entry(index), (OBSERVATION_TYPE,))
        return isinstance(rec, Record) and rec.payload["sensor"] in mine

    breaches: Counter[tuple[str, str]] = Counter()
    for i in harmed.incidents():
        standing = i["state"] in ("verified", "confirmed", "disputed", "inspection")
        if standing and i["rules"] and i["accused"] and any(map(by_camera, i["evidence"])):
            breaches[(i["accused"], i["grade"])] += 1
    assert breaches, "the simulated day has breaches a camera saw"
    want: Counter[tuple[str, str]] = Counter()
    for (party, grade), n in breaches.items():
        for key, each in (
            ("civilians_killed_min", 1),
            ("civilians_killed_max", 3),
            ("combatants_injured_min", 0),
            ("combatants_injured_max", 2),
            ("damage:housing_min", 2),
            ("damage:housing_max", 2),
        ):
            want[(party, f"{key}:{grade}")] += each * n
    assert got == want

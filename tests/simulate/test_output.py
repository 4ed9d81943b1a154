"""The files: valid agreement, registry, envelopes that verify, traceable truth, determinism."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from truceline.agreement.load import load_agreement
from truceline.codec import dsse, keys
from truceline.codec.jcs import canonicalize, loads
from truceline.observation import OBSERVATION_TYPE, Observation
from truceline.registry.model import SensorList
from truceline.simulate import config, writer

from .conftest import PRESETS

# The keys of a truth.jsonl event line, in the order the writer puts them.
EVENT_KEYS = [
    "type",
    "id",
    "time",
    "kind",
    "party",
    "weapon_class",
    "origin",
    "impact",
    "breach",
    "rules",
]


def _read(d: Path) -> tuple[list[bytes], list[dict], list[dict]]:
    envelopes = (d / "observations.jsonl").read_bytes().splitlines()
    truth = [json.loads(line) for line in (d / "truth.jsonl").read_text().splitlines()]
    events = [t for t in truth if t["type"] == "event"]
    obs = [t for t in truth if t["type"] == "observation"]
    return envelopes, events, obs


@pytest.mark.parametrize("name", PRESETS)
def test_preset_files_are_valid_and_traceable(preset_dirs: dict[str, Path], name: str) -> None:
    d = preset_dirs[name]
    agreement = load_agreement(d / "agreement.yaml")
    acts = {a.id for a in agreement.prohibited_acts}
    registry = SensorList.model_validate(json.loads((d / "sensors.json").read_text())).sensors
    by_keyid = {s.keyid: s for s in registry}
    pub = {s.keyid: keys.public_key_from_b64(s.public_key) for s in registry}
    for s in registry:  # keys/ holds the matching private keys
        private = keys.load_private_key(d / "keys" / f"{s.id}.key")
        assert keys.key_id(private.public_key()) == s.keyid
    operators = {s.operator for s in registry}
    assert operators <= {x.id for x in agreement.signatories}

    envelopes, events, obs_truth = _read(d)
    assert envelopes, f"{name}: no observations"
    assert len(obs_truth) == len(envelopes)
    event_ids = {e["id"] for e in events}
    last_seq: dict[str, int] = {}
    last_time: datetime | None = None
    for raw, t in zip(envelopes, obs_truth, strict=True):
        env = dsse.Envelope.from_json(raw)
        assert env.to_json() == raw  # canonical envelope bytes
        assert env.payload_type == OBSERVATION_TYPE
        (keyid,) = dsse.verify(env, pub)
        obj = loads(env.payload)
        assert canonicalize(obj) == env.payload
        o = Observation.model_validate(obj)
        assert o.sensor == by_keyid[keyid].id == t["sensor"]
        assert o.seq == t["seq"] and o.seq > last_seq.get(o.sensor, 0)
        last_seq[o.sensor] = o.seq
        assert last_time is None or o.observed_at >= last_time
        last_time = o.observed_at
        assert t["event"] == "false_alarm" or t["event"] in event_ids
        assert isinstance(t["lie"], bool)
    for e in events:
        assert set(e) == set(EVENT_KEYS)
        assert e["breach"] == bool(e["rules"]) and set(e["rules"]) <= acts
        assert e["time"].endswith("Z")
        if e["kind"] in ("thermal_crop", "thermal_forest"):
            assert e["party"] is None and not e["breach"]

    info = json.loads((d / "scenario.json").read_text())
    assert info["observations"]["total"] == len(envelopes)
    assert info["events"]["total"] == len(events)
    assert info["observations"]["by_sensor"] == dict(
        sorted(Counter(t["sensor"] for t in obs_truth).items())
    )
    lies = sum(t["lie"] for t in obs_truth)
    assert info["observations"]["lies"] == lies
    assert (lies > 0) == (name == "spoofing")


def test_truth_lines_have_the_exact_format(preset_dirs: dict[str, Path]) -> None:
    lines = (preset_dirs["duel"] / "truth.jsonl").read_text().splitlines()
    first = lines[0]
    assert first.startswith('{"type":"event","id":"ev-000001","time":"')
    keys_order = list(json.loads(first))
    assert keys_order == EVENT_KEYS
    assert list(json.loads(lines[-1])) == ["type", "sensor", "seq", "event", "lie"]


def test_presets_exercise_their_behaviour(preset_dirs: dict[str, Path]) -> None:
    def rules(name: str) -> Counter[str]:
        return Counter(
            json.loads((preset_dirs[name] / "scenario.json").read_text())["events"]["by_rule"]
        )

    assert rules("corridor")["art-5"] > 0 and rules("corridor")["art-6"] > 0
    assert rules("duel")["art-1"] > rules("quiet")["art-1"]
    spoof = json.loads((preset_dirs["spoofing"] / "scenario.json").read_text())
    assert spoof["sensors"]["liar"] and spoof["sensors"]["malfunctioning"]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    sc = config.load("spoofing", days=0.3)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    writer.simulate(sc, 42, a, workers=1)
    writer.simulate(sc, 42, b, workers=2)  # worker count must not matter
    writer.simulate(sc, 43, c, workers=1)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "observations.jsonl").read_bytes() != (c / "observations.jsonl").read_bytes()


def test_parallel_signing_matches_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "CHUNK", 200)  # force several chunks through the pool
    r = writer.run(config.load("spoofing", days=0.5), 9)
    assert len(r.observed.obs) > 800
    cols = writer.columns(r)
    inline = b"".join(e for e, _ in writer.rendered(cols, 1))
    pooled = b"".join(e for e, _ in writer.rendered(cols, 2))
    assert inline == pooled


def test_fast_signing_path_is_byte_identical_to_the_codec() -> None:
    from truceline.codec.records import seal

    r = writer.run(config.load("spoofing", days=0.3), 4)
    c = writer.columns(r)
    n = min(len(c.seq), 400)
    envelopes, _ = writer.render(c, (0, n))
    for i, (obj, raw) in enumerate(
        zip(writer._payloads(c, 0, n), envelopes.splitlines(), strict=True)
    ):
        assert obj == writer.payload(c, i)
        k = c.key_by_id[obj["sensor"]]
        assert raw == seal(OBSERVATION_TYPE, obj, c.keys[k], c.key_ids[k])

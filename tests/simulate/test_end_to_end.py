"""simulate -> init -> register -> ingest through the real path: everything honest is accepted."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from truceline.clock import FixedClock
from truceline.codec import dsse, keys
from truceline.codec.records import seal
from truceline.home import Home
from truceline.ingest.service import Mission
from truceline.mission import demo
from truceline.observation import OBSERVATION_TYPE


def test_demo_ingests_every_simulated_observation(tmp_path: Path) -> None:
    d = demo.Demo(
        home=tmp_path / "home",
        seed=3,
        days=0.5,
        scenario="spoofing",
        console=Console(file=None, quiet=True),
    )
    demo.run(d)
    ingest = d.results["ingest"]
    generated = d.results["generated"]
    assert generated > 500
    # lies and false alarms are signed by registered keys: ingest cannot and must not refuse them
    assert ingest["accepted"] == generated and ingest["rejected"] == 0
    # agreement + the mission's principals (gateway, adjudicator, enforcement, publisher)
    # + sensors + observations
    assert d.results["ingested_size"] == 5 + d.results["registered"] + generated
    assert d.results["checkpoint"].splitlines()[1] == str(d.results["ingested_size"])
    demo.step_summary(d)

    # the keys in the scenario's keys/ let a test forge: a replayed seq and a tampered payload
    assert d.sim_dir is not None and d.end is not None
    lines = (d.sim_dir / "observations.jsonl").read_bytes().splitlines()
    first = dsse.Envelope.from_json(lines[0])
    obj = json.loads(first.payload)
    key = keys.load_private_key(d.sim_dir / "keys" / f"{obj['sensor']}.key")
    kid = keys.key_id(key.public_key())
    replay = seal(OBSERVATION_TYPE, obj, key, kid)
    tampered = json.loads(lines[1])
    tampered["payload"] = dsse.b64encode(first.payload.replace(b'"seq":', b'"seq":9'))
    with Mission(Home(d.home), FixedClock(d.end)) as mission:
        results = mission.ingestor.ingest([replay, json.dumps(tampered).encode()])
    assert [r.reason for r in results] == ["replay", "bad_signature"]

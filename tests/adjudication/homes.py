"""A real mission home in a temp dir: tile log, keys, registry entries, agreement file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.adjudication.verdict import DISPUTE_TYPE, Dispute
from truceline.agreement.load import parse_agreement
from truceline.agreement.versions import seal_version
from truceline.codec import records
from truceline.codec.keys import key_id, public_key_b64, save_private_key
from truceline.fusion.base import SensorInfo
from truceline.home import Home
from truceline.ledger.base import Ledger
from truceline.ledger.home import create_log
from truceline.observation import OBSERVATION_TYPE, Observation
from truceline.registry.model import Register, Sensor
from truceline.registry.state import seal_event

from .helpers import REPO, T0


def _seed(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(n.to_bytes(32, "big"))


# Entries before the sensors' registrations: the agreement, the adjudicator's key.
GENESIS = 2


class MissionHome:
    """As `truceline init` makes one: entry 0 is the agreement (its mission signatory's key
    is the registrar's), entry 1 introduces the adjudicator's key, then each sensor is
    registered. The observer patrol `patrol-m1` is an inspection team of the agreement."""

    def __init__(
        self,
        root: Path,
        sensors: Mapping[str, SensorInfo],
        amend: Callable[[dict], None] | None = None,
    ) -> None:
        self.home = Home(root)
        root.mkdir(parents=True, exist_ok=True)
        # The example agreement, with an Ed25519 key for each party (to sign disputes).
        doc = yaml.safe_load((REPO / "examples" / "agreement.yaml").read_text())
        self.party_keys = {"party-a": _seed(10), "party-b": _seed(11)}
        self.mission = _seed(2)
        signers = {**self.party_keys, "mission": self.mission}
        for sig in doc["signatories"]:
            if sig["id"] in signers:
                pub = signers[sig["id"]].public_key()
                sig["keys"] = [{"keyid": key_id(pub), "public_key": public_key_b64(pub)}]
        doc["inspections"]["teams"].append({"id": "patrol-m1", "base": [36.5, 47.9]})
        if amend is not None:  # a test's own terms, logged as version 1
            amend(doc)
        self.home.agreement.write_text(yaml.safe_dump(doc))
        self.agreement = parse_agreement(doc)
        mkid = key_id(self.mission.public_key())
        save_private_key(self.home.keys_dir / "mission.key", self.mission)
        adjudicator = _seed(3)
        save_private_key(self.home.keys_dir / "mission-adjudicator.key", adjudicator)
        self.log = create_log(self.home, "test.truceline/log")
        self.sensor_keys: dict[str, Ed25519PrivateKey] = {}
        entries = [
            seal_version(self.agreement, [(self.mission, mkid)]),
            seal_event(
                Register(
                    effective_at=T0.replace(day=1),
                    sensor=Sensor(
                        id="mission-adjudicator",
                        kind="adjudicator",
                        operator="mission",
                        public_key=public_key_b64(adjudicator.public_key()),
                    ),
                ),
                self.mission,
                mkid,
            ),
        ]
        for n, (sid, info) in enumerate(sorted(sensors.items())):
            key = _seed(100 + n)
            self.sensor_keys[sid] = key
            sensor = Sensor(
                id=sid,
                kind=info.kind,
                operator=info.operator,
                public_key=public_key_b64(key.public_key()),
            )
            entries.append(
                seal_event(
                    Register(effective_at=T0.replace(day=1), sensor=sensor),
                    self.mission,
                    mkid,
                )
            )
        self.log.append(entries)

    def schedule_inspections(self, now: datetime) -> list[int]:
        """Introduce the enforcement appender's key (once), and run it at `now`: it logs
        the inspections incidents opened (disputes, weak grades), among its transitions."""
        from truceline.enforcement.appender import open_appender

        enforcer = _seed(4)
        path = self.home.keys_dir / "mission-enforcement.key"
        if not path.exists():
            save_private_key(path, enforcer)
            sensor = Sensor(
                id="mission-enforcement",
                kind="enforcement",
                operator="mission",
                public_key=public_key_b64(enforcer.public_key()),
            )
            event = Register(effective_at=T0.replace(day=1), sensor=sensor)
            self.log.append([seal_event(event, self.mission, key_id(self.mission.public_key()))])
        return open_appender(self.home, self.log, now, write=True).run(now)

    @property
    def adjudicator(self) -> tuple[Ed25519PrivateKey, str]:
        key = _seed(3)
        return key, key_id(key.public_key())

    def dispute(
        self, incident: str, party: str, reason: str = "not us", signer: str | None = None
    ) -> int:
        key = self.party_keys[signer or party]
        body = Dispute(incident=incident, party=party, at=T0, reason=reason)
        entry = records.seal(
            DISPUTE_TYPE, body.model_dump(mode="json"), key, key_id(key.public_key())
        )
        return self.log.append([entry])[0]

    def seal(self, obs: Observation) -> bytes:
        key = self.sensor_keys[obs.sensor]
        return records.seal(OBSERVATION_TYPE, obs.to_json_obj(), key, key_id(key.public_key()))

    def append(self, observations: Iterable[Observation]) -> list[int]:
        return self.log.append([self.seal(o) for o in observations])

    @property
    def ledger(self) -> Ledger:
        return self.log


def dump(obj: object) -> str:
    return json.dumps(obj, sort_keys=True)

"""A small agreement, signatory keys and record factories for the enforcement tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.adjudication.verdict import INCIDENT_TYPE, IncidentTransition, State
from truceline.agreement.enforcement import (
    BlockRule,
    InspectionRegime,
    ObserverTeam,
    PenaltyLadder,
    Playbook,
    PlaybookStep,
    Rung,
    Trigger,
    Voter,
)
from truceline.agreement.load import agreement_json
from truceline.agreement.model import Agreement
from truceline.agreement.rules import Grade
from truceline.codec.keys import key_id, public_key_b64
from truceline.codec.records import seal
from truceline.enforcement.envelope import Record, decode
from truceline.mission.home import Home

T0 = datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
SIGNATORIES = [
    ("party-a", "party"),
    ("party-b", "party"),
    ("g1", "guarantor"),
    ("g2", "guarantor"),
    ("g3", "guarantor"),
    ("g4", "guarantor"),
    ("mission", "mission"),
]
# Deterministic keys, so hypothesis examples replay.
KEYS = {
    sid: Ed25519PrivateKey.from_private_bytes(bytes([i + 1]) * 32)
    for i, (sid, _) in enumerate(SIGNATORIES)
}
KEYIDS = {sid: key_id(k.public_key()) for sid, k in KEYS.items()}


def _square(lon: float, lat: float, d: float = 0.2) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def agreement(
    rungs: list[Rung] | None = None,
    block_rules: list[BlockRule] | None = None,
    playbooks: list[Playbook] | None = None,
    teams: list[ObserverTeam] | None = None,
    routine: int = 2,
) -> Agreement:
    doc = {
        "id": "test-ceasefire",
        "title": "Test",
        "version": 1,
        "effective_from": "2026-03-01T00:00:00Z",
        "signatories": [
            {
                "id": sid,
                "name": sid,
                "role": role,
                "keys": [{"public_key": public_key_b64(KEYS[sid].public_key())}],
            }
            for sid, role in SIGNATORIES
        ],
        "geography": {
            "contact_line": {"type": "LineString", "coordinates": [[35.0, 47.5], [36.0, 47.5]]},
            "territories": [
                {"party": "party-a", "geometry": _square(35.0, 47.5, 0.5)},
                {"party": "party-b", "geometry": _square(35.0, 47.0, 0.5)},
            ],
            "zones": [
                {"id": "z1", "kind": "buffer", "geometry": _square(35.1, 47.45, 0.1)},
                {"id": "z2", "kind": "withdrawal", "geometry": _square(35.6, 47.45, 0.1)},
            ],
        },
        "prohibited_acts": [
            {"id": "art-1", "act": "fire_across_line"},
            {"id": "art-2", "act": "impact_in_zone", "zones": ["z1"]},
        ],
    }
    a = Agreement.model_validate(doc)
    return a.model_copy(
        update={
            "penalties": PenaltyLadder(rungs=rungs or [], block_rules=block_rules or []),
            "playbooks": playbooks or [],
            "inspections": InspectionRegime(routine_per_zone_per_month=routine, teams=teams or []),
        }
    )


def snapback(window_days: float = 30, majority: int = 2, **kw: Any) -> BlockRule:
    return BlockRule(
        id="snap",
        kind="reverse_veto",
        voters=[
            Voter(id="g1", veto=True),
            Voter(id="g2", veto=True),
            Voter(id="g3"),
            Voter(id="party-a"),
        ],
        majority=majority,
        window_days=window_days,
        **kw,
    )


def sanctions_home(root: Path, routine: int) -> Home:
    """A new home whose agreement has one rung (a sanctions package on one incident,
    blockable by the snapback vote) and `routine` inspections per zone per month."""
    h = Home(root)
    h.root.mkdir(parents=True)
    a = agreement(
        rungs=[
            Rung(
                id="sanctions",
                penalty="sanctions_package_1",
                trigger=Trigger(count=1),
                block_rule="snap",
            )
        ],
        block_rules=[snapback()],
        routine=routine,
    )
    h.agreement.write_text(yaml.safe_dump(agreement_json(a)))
    return h


def incident(
    ident: str,
    state: State | str,
    at: datetime,
    accused: str | None = "party-a",
    grade: Grade | str = Grade.confirmed,
    rules: tuple[str, ...] = ("art-1",),
    location: tuple[float, float] = (35.5, 47.5),
) -> dict[str, Any]:
    t = IncidentTransition(
        incident=ident,
        state=State(state),
        at=at,
        agreement={"id": "test-ceasefire", "version": 1, "sha256": "0" * 64},
        evidence=[0],
        window=(at - timedelta(minutes=1), at),
        location=location,
        uncertainty_m=100,
        kind="impact",
        accused=accused,
        attribution_confidence=0.9,
        rules=list(rules),
        grade=Grade(grade),
    )
    return t.model_dump(mode="json", exclude_none=True)


def entry(payload_type: str, obj: dict[str, Any], signer: str = "mission") -> bytes:
    return seal(payload_type, obj, KEYS[signer], KEYIDS[signer])


class Log:
    """An ordered list of sealed entries with their decoded records, for the pure engine."""

    def __init__(self) -> None:
        self.entries: list[bytes] = []

    def add(self, payload_type: str, obj: dict[str, Any], signer: str = "mission") -> int:
        self.entries.append(entry(payload_type, obj, signer))
        return len(self.entries) - 1

    def incident(self, *args: Any, **kw: Any) -> int:
        return self.add(INCIDENT_TYPE, incident(*args, **kw))

    @property
    def records(self) -> list[Record]:
        out = [decode(i, e) for i, e in enumerate(self.entries)]
        return [r for r in out if r is not None]


def warning_then_snapback(*steps: PlaybookStep) -> Agreement:
    """A warning on the first breach, a snapback (3-day window) on the second, one playbook."""
    return agreement(
        rungs=[
            Rung(
                id="warn", penalty="warning", trigger=Trigger(count=1, grades=["confirmed", "fair"])
            ),
            Rung(
                id="snap",
                penalty="sanctions",
                trigger=Trigger(count=2),
                block_rule="snap",
                countdown_days=2,
            ),
        ],
        block_rules=[snapback(window_days=3)],
        playbooks=[Playbook(id="pb", steps=list(steps))],
        routine=1,
    )

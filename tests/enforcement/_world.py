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
from truceline.agreement.versions import seal_version
from truceline.authority import Authority
from truceline.codec.entries import Record, decode
from truceline.codec.keys import key_id, public_key_b64, save_private_key
from truceline.codec.records import seal
from truceline.enforcement.records import ENFORCEMENT_TYPE
from truceline.home import Home
from truceline.ledger.home import create_log
from truceline.registry.model import Register, Sensor
from truceline.registry.state import seal_event

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
# The mission's principals, introduced on the log by the registrar (the mission signatory).
ADJUDICATOR = "mission-adjudicator"
ENFORCER = "mission-enforcement"
PRINCIPALS = {ADJUDICATOR: "adjudicator", ENFORCER: "enforcement"}
# Deterministic keys, so hypothesis examples replay.
KEYS = {
    sid: Ed25519PrivateKey.from_private_bytes(bytes([i + 1]) * 32)
    for i, sid in enumerate([*(sid for sid, _ in SIGNATORIES), *PRINCIPALS])
}
KEYIDS = {sid: key_id(k.public_key()) for sid, k in KEYS.items()}
# Who signs a record of each type unless a test says otherwise.
DEFAULT_SIGNER = {INCIDENT_TYPE: ADJUDICATOR, ENFORCEMENT_TYPE: ENFORCER}


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


def sanctions_home(
    root: Path,
    routine: int,
    origin: str = "test.example/enforcement-api",
    store_url: str | None = None,
) -> Home:
    """A new home whose agreement has one rung (a sanctions package on one incident,
    blockable by the snapback vote) and `routine` inspections per zone per month: its
    log holds the agreement and its principals, its keys the mission's (as `init` makes)."""
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
    for name in ("mission", *PRINCIPALS):
        save_private_key(h.keys_dir / f"{name}.key", KEYS[name])
    if store_url is not None:
        (h.root / "store.url").write_text(store_url)
    ledger = create_log(h, origin)
    ledger.append(genesis(a))
    ledger.close()
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


def entry(payload_type: str, obj: dict[str, Any], signer: str | None = None) -> bytes:
    signer = signer or DEFAULT_SIGNER.get(payload_type, "mission")
    return seal(payload_type, obj, KEYS[signer], KEYIDS[signer])


def principals(at: datetime = T0 - timedelta(days=30)) -> list[bytes]:
    """The registry records introducing the adjudicator's and the enforcement appender's
    keys, signed by the registrar (what `truceline init` logs after the agreement)."""
    return [
        seal_event(
            Register(
                effective_at=at,
                sensor=Sensor(
                    id=pid,
                    kind=kind,
                    operator="mission",
                    public_key=public_key_b64(KEYS[pid].public_key()),
                ),
            ),
            KEYS["mission"],
            KEYIDS["mission"],
        )
        for pid, kind in PRINCIPALS.items()
    ]


# Where records go on a log that starts with `principals()`.
AFTER_PRINCIPALS = len(PRINCIPALS)


def genesis(a: Agreement) -> list[bytes]:
    """The first entries of a mission's log: the agreement, then its principals."""
    return [seal_version(a, [(KEYS["mission"], KEYIDS["mission"])]), *principals()]


def authority(a: Agreement) -> Authority:
    """An authority fold for a log that starts with `principals()` (or `genesis(a)`)."""
    return Authority(a)


class Log:
    """An ordered list of sealed entries with their decoded records, for the pure engine."""

    def __init__(self) -> None:
        self.entries: list[bytes] = []

    def add(self, payload_type: str, obj: dict[str, Any], signer: str | None = None) -> int:
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

"""The appender on a real tile log: transitions written once, replays add nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.agreement.enforcement import Playbook, PlaybookStep, Rung, Trigger
from truceline.codec.records import open_record
from truceline.enforcement import transitions
from truceline.enforcement.appender import Appender
from truceline.enforcement.records import ACK_TYPE, ENFORCEMENT_TYPE, VOTE_TYPE
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.observation import format_time
from truceline.store.base import open_store

from ._world import (
    ENFORCER,
    KEYIDS,
    KEYS,
    T0,
    agreement,
    authority,
    entry,
    incident,
    principals,
    snapback,
)

DEADLINE = datetime(2026, 4, 5, tzinfo=UTC)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[TileLog]:
    origin = "test.example/enforcement"
    signer = Ed25519NoteSigner(origin, Ed25519PrivateKey.generate())
    ledger = TileLog.create(
        tmp_path / "log", origin, signer, open_store(f"sqlite:///{tmp_path / 's.db'}")
    )
    ledger.append(principals())
    yield ledger
    ledger.close()


def events(ledger: TileLog) -> list[dict]:
    out = []
    for _, e in ledger.scan():
        ptype, obj, _env = open_record(e)
        if ptype == ENFORCEMENT_TYPE:
            out.append(obj)
    return out


def world():
    rung = Rung(
        id="sanctions", penalty="sanctions_package_1", trigger=Trigger(count=1), block_rule="snap"
    )
    book = Playbook(
        id="shelling",
        acts=["fire_across_line"],
        steps=[
            PlaybookStep(
                id="notify", action="notify", to=["g1", "g2"], deadline_hours=6, escalate_to=["g3"]
            ),
            PlaybookStep(id="inspect", action="open_inspection", to=["mission"], deadline_hours=48),
        ],
    )
    return agreement(rungs=[rung], block_rules=[snapback()], playbooks=[book], routine=0)


def appender(ledger: TileLog, a) -> Appender:
    return Appender(ledger, a, KEYS[ENFORCER], KEYIDS[ENFORCER], authority=authority(a))


def test_countdown_in_force_and_idempotent_replay(log: TileLog) -> None:
    a = world()
    log.append([entry(INCIDENT_TYPE, incident("i1", "verified", T0))])
    app = appender(log, a)
    first = app.run(T0)
    kinds = [e["event"] for e in events(log)]
    assert kinds.count("countdown_started") == 1 and "playbook_step" in kinds
    assert kinds.count("inspection_scheduled") == 1
    assert len(first) == len(kinds)
    # Replaying, by this appender or by a fresh one reading the same log, adds nothing.
    assert app.run(T0) == []
    assert appender(log, a).run(T0) == []
    size = log.size

    # The notify step was not acknowledged within 6 h: it escalates, once.
    app.run(T0 + timedelta(hours=7))
    esc = [e for e in events(log) if e["event"] == "playbook_escalated"]
    assert [e["detail"]["escalate_to"] for e in esc] == [["g3"]]
    assert log.size == size + 1

    case = next(e for e in events(log) if e["event"] == "countdown_started")["subject"]
    vote = {
        "case": case,
        "voter": "g1",
        "choice": "allow",
        "cast_at": format_time(T0 + timedelta(days=1)),
    }
    log.append([entry(VOTE_TYPE, vote, "g1")])
    app.run(DEADLINE)
    final = {e["event"]: e for e in events(log)}
    assert final["block_attempt_failed"]["detail"]["reason"] == "continuation vetoed by g1"
    assert final["penalty_in_force"]["at"] == "2026-04-05T00:00:00Z"
    assert final["penalty_in_force"]["party"] == "party-a"
    n = log.size
    assert app.run(DEADLINE + timedelta(days=1)) == [] and log.size == n


def test_acknowledged_step_does_not_escalate(log: TileLog) -> None:
    a = world()
    log.append([entry(INCIDENT_TYPE, incident("i1", "verified", T0))])
    ack = {"step": "shelling:notify:i1", "by": "g2", "at": format_time(T0 + timedelta(hours=1))}
    log.append([entry(ACK_TYPE, ack, "g2")])
    app = appender(log, a)
    app.run(T0 + timedelta(days=1))
    assert not [
        e for e in events(log) if e["event"] == "playbook_escalated" and "notify" in e["key"]
    ]
    # The inspection step had no acknowledgement but its 48 h have not passed.
    assert not [e for e in events(log) if e["event"] == "playbook_escalated"]


def test_incident_not_signed_by_the_mission_is_ignored(log: TileLog) -> None:
    a = world()
    log.append([entry(INCIDENT_TYPE, incident("i1", "verified", T0), signer="party-b")])
    appender(log, a).run(T0)
    kinds = [e["event"] for e in events(log)]
    assert "countdown_started" not in kinds
    [reason] = [e["detail"]["reason"] for e in events(log)]
    assert "'party-b''s signatory key" in reason and "needs adjudicator" in reason


def _void_of(ledger: TileLog, case: str) -> dict:
    [void] = [e for e in events(ledger) if e["key"] == f"{case}:case_void"]
    return void


def test_case_void_withdraws_what_the_case_announced(log: TileLog) -> None:
    """A void case's `detail.withdraws` names every transition of it on the log (what its
    subscribers were told, so what the feed's CAP Cancel references), and those logged
    with it; the log implies it: recomputed from the log, the void is the one logged."""
    a = world()
    log.append([entry(INCIDENT_TYPE, incident("i1", "verified", T0))])
    app = appender(log, a)
    app.run(DEADLINE)
    case = next(e for e in events(log) if e["event"] == "countdown_started")["subject"]
    told = {e["key"]: e["at"] for e in events(log) if e["subject"] == case}
    assert {k.split(":")[1] for k in told} == {
        "countdown_started",
        "block_attempt_failed",
        "penalty_in_force",
    }
    later = DEADLINE + timedelta(days=1)
    log.append([entry(INCIDENT_TYPE, incident("i1", "dismissed", later))])
    # A second incident verified and dismissed at the same instant, before any pass: its
    # case opens and is void at once; its countdown goes on the log with (after) the void.
    log.append([entry(INCIDENT_TYPE, incident("i2", "verified", later))])
    log.append([entry(INCIDENT_TYPE, incident("i2", "dismissed", later))])
    app.run(later)
    void = _void_of(log, case)
    assert {w["key"]: w["at"] for w in void["detail"]["withdraws"]} == told
    [other] = {e["subject"] for e in events(log) if e["event"] == "case_void"} - {case}
    assert [w["key"] for w in _void_of(log, other)["detail"]["withdraws"]] == [
        f"{other}:countdown_started"
    ]
    # Recomputed from the log by a fresh appender, each void is the one logged.
    fresh = appender(log, a)
    recomputed = {e.key: e for e in transitions.events(fresh.state(later))}
    for c in (case, other):
        logged = _void_of(log, c)
        assert recomputed[logged["key"]].model_dump(mode="json") == logged
    assert fresh.run(later) == []

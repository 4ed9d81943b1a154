"""Party keys revoked or rotated through the sensor registry's signed events."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.agreement.enforcement import Rung, Trigger
from truceline.authority import KeyBook
from truceline.codec.keys import key_id, public_key_b64
from truceline.codec.records import seal
from truceline.enforcement.engine import derive
from truceline.enforcement.penalties import Status
from truceline.enforcement.records import VOTE_TYPE
from truceline.observation import format_time
from truceline.registry.model import Register, Revoke, Rotate, Sensor
from truceline.registry.state import Registry, seal_event

from ._world import KEYIDS, KEYS, T0, Log, agreement, snapback

MISSION = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
MKID = key_id(MISSION.public_key())


def registry(events) -> Registry:
    reg = Registry({MKID: MISSION.public_key()})
    for i, ev in enumerate(events):
        assert reg.apply(i, seal_event(ev, MISSION, MKID)), reg.problems
    return reg


def test_votes_follow_registry_revocation_and_rotation() -> None:
    a = agreement(
        rungs=[Rung(id="s", penalty="p", trigger=Trigger(count=1), block_rule="snap")],
        block_rules=[snapback()],
    )
    new_g3 = Ed25519PrivateKey.from_private_bytes(b"\x33" * 32)
    g3 = Sensor(
        id="g3",
        kind="signatory",
        operator="g3",
        public_key=public_key_b64(KEYS["g3"].public_key()),
    )
    g2 = Sensor(
        id="g2",
        kind="signatory",
        operator="g2",
        public_key=public_key_b64(KEYS["g2"].public_key()),
    )
    before = T0 - timedelta(days=1)
    reg = registry(
        [
            Register(effective_at=before, sensor=g3),
            Register(effective_at=before, sensor=g2),
            # g2's key is compromised two days in; g3 rotates to a new key on day three.
            Revoke(effective_at=T0 + timedelta(days=2), sensor_id="g2", keyid=KEYIDS["g2"]),
            Rotate(
                effective_at=T0 + timedelta(days=3),
                sensor_id="g3",
                public_key=public_key_b64(new_g3.public_key()),
            ),
        ]
    )
    book = KeyBook.from_agreement(a, registry=reg)

    log = Log()
    log.incident("i1", "verified", T0)
    case = derive(log.records, a, T0, book).cases[0].case.id

    def vote(voter: str, at, key: Ed25519PrivateKey) -> int:
        obj = {"case": case, "voter": voter, "choice": "block", "cast_at": format_time(at)}
        log.entries.append(seal(VOTE_TYPE, obj, key, key_id(key.public_key())))
        return len(log.entries) - 1

    revoked = vote("g2", T0 + timedelta(days=2, hours=1), KEYS["g2"])
    old_key = vote("g3", T0 + timedelta(days=4), KEYS["g3"])  # rotated out
    new_key = vote("g3", T0 + timedelta(days=4, hours=1), new_g3)
    state = derive(log.records, a, T0 + timedelta(days=40), book)
    reasons = {i.index: i.reason for i in state.ignored}
    assert "revoked" in reasons[revoked]
    assert "rotated out" in reasons[old_key]
    assert new_key not in reasons
    assert state.cases[0].votes == {"g3": "block"}
    assert state.cases[0].status is Status.in_force  # one block vote, majority 2

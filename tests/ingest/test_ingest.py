"""Ingest end to end on a real TileLog: the happy path and every rejection reason, on both stores."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

from truceline.codec import dsse, keys, records
from truceline.codec.jcs import canonicalize
from truceline.ingest.reasons import Reason
from truceline.ledger import proof as tlog_proof
from truceline.observation import MAX_ENVELOPE_BYTES, OBSERVATION_TYPE
from truceline.registry.model import Register, Revoke, Rotate, Sensor
from truceline.registry.state import seal_event

from .conftest import T0, World, make_world, obs


def test_happy_path_appends_and_proves(world: World) -> None:
    envs = [world.seal(obs(seq=i)) for i in range(1, 6)]
    results = world.ingestor.ingest(envs)
    assert all(r.accepted for r in results), results
    indices = [r.index for r in results]
    assert indices == list(range(2, 7))  # after the two sensor registrations
    for env, r in zip(envs, results, strict=True):
        assert world.ledger.entry(r.index) == env  # canonical in, same bytes stored
    receipt = world.ingestor.receipt(results[0].index)
    assert receipt["entry_sha256"] == results[0].entry_sha256
    assert receipt["proof"].startswith("c2sp.org/tlog-proof@v1")
    cp = tlog_proof.verify(receipt["proof"].encode(), envs[0], world.log_vkey)
    assert cp.size >= 7
    # the same proof does not verify another entry
    try:
        tlog_proof.verify(receipt["proof"].encode(), envs[1], world.log_vkey)
    except tlog_proof.TlogProofError:
        pass
    else:
        raise AssertionError("proof verified the wrong entry")


def _reject(world: World, env: bytes) -> tuple[str, str, str]:
    (r,) = world.ingestor.ingest([env])
    assert not r.accepted, r
    assert r.quarantine_id is not None
    row = world.ingestor.quarantine.get(r.quarantine_id)
    assert row is not None and row.reason == r.reason
    # a bounded prefix of the bytes, with the whole input's size and hash
    assert row.raw == env[:4096] and row.size == len(env)
    assert row.sha256 == hashlib.sha256(env).hexdigest() and row.truncated == (len(env) > 4096)
    return r.reason or "", r.field or "", r.message or ""


def _envelope(
    payload: bytes, key: keys.Ed25519PrivateKey, kid: str, ptype: str = OBSERVATION_TYPE
) -> bytes:
    return dsse.sign(ptype, payload, key, kid).to_json()


def test_every_envelope_level_rejection(world: World) -> None:
    key, kid = world.sensor_keys["radar-1"], world.kid("radar-1")
    good = canonicalize(obs(seq=1))
    stranger = keys.generate()
    cases = [
        (b"x" * (MAX_ENVELOPE_BYTES + 1), Reason.too_large, "$"),
        (b"{nope", Reason.bad_json, "$"),
        (b'{"payloadType":"t","signatures":[]}', Reason.bad_envelope, "payload"),
        (b'{"payload":"!!","payloadType":"t","signatures":[]}', Reason.bad_base64, "payload"),
        (
            json.dumps({"payload": "", "payloadType": OBSERVATION_TYPE, "signatures": []}).encode(),
            Reason.bad_envelope,
            "signatures",
        ),
        (
            _envelope(good, stranger, keys.key_id(stranger.public_key())),
            Reason.unknown_key,
            "signatures",
        ),
        (_envelope(good, stranger, kid), Reason.bad_signature, "signatures"),
        (_envelope(good, key, kid, "application/json"), Reason.wrong_payload_type, "payloadType"),
        (_envelope(b"{not json", key, kid), Reason.bad_payload_json, "payload"),
        (_envelope(json.dumps(obs(seq=1)).encode(), key, kid), Reason.not_canonical, "payload"),
        (
            _envelope(canonicalize(obs(sensor="gateway")), key, kid),
            Reason.wrong_sensor,
            "payload.sensor",
        ),
    ]
    for env, reason, field in cases:
        got = _reject(world, env)
        assert got[:2] == (reason, field), (reason, got)
    counts = world.ingestor.quarantine.counts()
    assert sum(counts.values()) == len(cases)


def test_schema_rejections_name_the_field(world: World) -> None:
    bad = [
        (
            obs(geometry={"type": "Point", "coordinates": [200.0, 47.5]}),
            "payload.geometry.coordinates",
        ),
        (
            obs(geometry={"type": "Point", "coordinates": [35.0, -91.5]}),
            "payload.geometry.coordinates",
        ),
        (obs(uncertainty_m=-1), "payload.uncertainty_m"),
        (obs(kind="ufo"), "payload.kind"),
        (obs(seq=-3), "payload.seq"),
        (obs(observed_at="2026-03-01T12:00:00"), "payload.observed_at"),
        (obs(extra_field=1), "payload.extra_field"),
    ]
    for body, field in bad:
        reason, got_field, message = _reject(world, world.seal(body))
        assert (reason, got_field) == (Reason.invalid_observation, field), (
            body,
            got_field,
            message,
        )
        assert field in message
    # NaN cannot be canonicalized by a well-behaved signer, and a raw NaN is not JSON at all
    nan_payload = canonicalize(obs()).replace(b"120.5", b"NaN")
    reason, field, _ = _reject(
        world, _envelope(nan_payload, world.sensor_keys["radar-1"], world.kid("radar-1"))
    )
    assert (reason, field) == (Reason.bad_payload_json, "payload")


def test_replay_and_seq_rising(world: World) -> None:
    first = world.ingestor.ingest([world.seal(obs(seq=5))])[0]
    assert first.accepted
    assert _reject(world, world.seal(obs(seq=5)))[:2] == (Reason.replay, "payload.seq")
    assert _reject(world, world.seal(obs(seq=4)))[0] == Reason.replay
    # exact resubmission of accepted bytes is a replay too, and the log does not grow
    size = world.ledger.size
    assert _reject(world, world.seal(obs(seq=5)))[0] == Reason.replay
    assert world.ledger.size == size
    # within one batch
    rs = world.ingestor.ingest(
        [world.seal(obs(seq=7)), world.seal(obs(seq=7)), world.seal(obs(seq=8))]
    )
    assert [r.accepted for r in rs] == [True, False, True]
    assert rs[1].reason == Reason.replay


def test_clock_skew(world: World) -> None:
    now = world.clock.now()
    ahead = obs(seq=1, at=now + timedelta(seconds=301))
    assert _reject(world, world.seal(ahead))[:2] == (Reason.clock_skew, "payload.observed_at")
    within = obs(seq=2, at=now + timedelta(seconds=299))
    assert world.ingestor.ingest([world.seal(within)])[0].accepted
    world.clock.advance(3600)  # the clock is injected: later, the same time is fine
    assert world.ingestor.ingest([world.seal(obs(seq=3, at=now + timedelta(seconds=900)))])[
        0
    ].accepted


def test_revoked_rotated_and_unknown_keys(world: World) -> None:
    old_key, old_kid = world.sensor_keys["radar-1"], world.kid("radar-1")
    new_key = keys.generate()
    t_rot = T0 + timedelta(hours=1)
    t_rev = T0 + timedelta(hours=2)
    world.clock.advance(6 * 3600)
    world.ledger.append(
        [
            seal_event(
                Rotate(
                    effective_at=t_rot,
                    sensor_id="radar-1",
                    public_key=keys.public_key_b64(new_key.public_key()),
                ),
                world.mission,
                world.mission_kid,
            )
        ]
    )
    new_kid = keys.key_id(new_key.public_key())

    def sealed(seq: int, at: object, key: keys.Ed25519PrivateKey, kid: str) -> bytes:
        return records.seal(OBSERVATION_TYPE, obs(seq=seq, at=at), key, kid)  # type: ignore[arg-type]

    # the old key still signs what happened before the rotation
    assert world.ingestor.ingest([sealed(1, T0, old_key, old_kid)])[0].accepted
    assert _reject(world, sealed(2, t_rot + timedelta(minutes=1), old_key, old_kid))[:2] == (
        Reason.rotated_out,
        "payload.observed_at",
    )
    assert _reject(world, sealed(3, T0, new_key, new_kid))[0] == Reason.key_not_yet_valid
    assert world.ingestor.ingest([sealed(4, t_rot + timedelta(minutes=5), new_key, new_kid)])[
        0
    ].accepted
    world.ledger.append(
        [
            seal_event(
                Revoke(effective_at=t_rev, sensor_id="radar-1", reason="captured"),
                world.mission,
                world.mission_kid,
            )
        ]
    )
    assert (
        _reject(world, sealed(5, t_rev + timedelta(seconds=1), new_key, new_kid))[0]
        == Reason.revoked
    )
    # dated before the revocation: still accepted (the revocation is in event time)
    assert world.ingestor.ingest([sealed(6, t_rev - timedelta(seconds=1), new_key, new_kid)])[
        0
    ].accepted


def test_duplicate_provenance(world: World) -> None:
    sha = "ab" * 32

    def row(seq: int, r: int) -> bytes:
        body = obs(sensor="gateway", seq=seq)
        body["attributes"] = {
            "provenance": {"source": "firms.csv", "sha256": sha, "row": r, "format": "firms"}
        }
        return world.seal(body)

    rs = world.ingestor.ingest([row(1, 0), row(2, 1), row(3, 1)])
    assert [r.accepted for r in rs] == [True, True, False]
    assert (
        rs[2].reason == Reason.duplicate_provenance
        and rs[2].field == "payload.attributes.provenance"
    )
    assert _reject(world, row(4, 0))[0] == Reason.duplicate_provenance
    assert world.ingestor.ingest([row(5, 2)])[0].accepted


def test_state_survives_restart_and_catches_up(world: World, tmp_path: object) -> None:
    from truceline.ingest.ingestor import Ingestor
    from truceline.store.base import open_store

    assert world.ingestor.ingest([world.seal(obs(seq=10))])[0].accepted
    # another writer appends an observation the ingestor's tables have not seen
    world.ledger.append([world.seal(obs(seq=11))])
    again = Ingestor(
        world.ledger,
        open_store(world.store_url),
        {world.mission_kid: world.mission.public_key()},
        world.clock,
    )
    assert again.state.last_seq["radar-1"] == 11
    assert again.ingest([world.seal(obs(seq=11))])[0].reason == Reason.replay
    assert again.ingest([world.seal(obs(seq=12))])[0].accepted
    again.close()


def test_process_pool_gives_the_same_results(tmp_path: Path) -> None:
    """Checks in a 2-process pool, pipelined over batches: same verdicts as inline, in order."""
    w = make_world(tmp_path, f"sqlite:///{tmp_path}/s.db", workers=2)
    try:
        good = [w.seal(obs(seq=i)) for i in range(1, 601)]
        mixed = list(good)
        mixed[100] = b"{junk"
        mixed[400] = w.seal(obs(seq=5))  # a replay of an earlier seq in the same stream
        batches = [mixed[:300], mixed[300:]]
        results = [r for batch in w.ingestor.ingest_batches(batches) for r in batch]
        assert len(results) == 600
        assert [i for i, r in enumerate(results) if not r.accepted] == [100, 400]
        assert (results[100].reason, results[400].reason) == (Reason.bad_json, Reason.replay)
        assert w.ledger.size == 2 + 598
    finally:
        w.ingestor.close()
        w.ledger.close()


def test_a_key_registered_while_batches_are_in_flight(tmp_path: Path) -> None:
    """Batches checked against the key table before a sensor's registration reached the
    log are checked again when their turn comes: none is lost as unknown_key."""
    w = make_world(tmp_path, f"sqlite:///{tmp_path}/s.db", workers=2)
    try:
        late = keys.generate()
        kid = keys.key_id(late.public_key())

        def sealed(seq: int) -> bytes:
            return records.seal(OBSERVATION_TYPE, obs("radar-late", seq), late, kid)

        batches = [
            [w.seal(obs(seq=i)) for i in range(1, 301)],
            [sealed(i) for i in range(1, 301)],
            [sealed(i) for i in range(301, 601)],
        ]
        results = []
        for batch in w.ingestor.ingest_batches(batches):
            if not results:
                # The first batch is appended; the next two were already sent to be checked.
                sensor = Sensor(
                    id="radar-late",
                    kind="weapon_locating_radar",
                    operator="mission",
                    public_key=keys.public_key_b64(late.public_key()),
                )
                w.ledger.append(
                    [seal_event(Register(effective_at=T0, sensor=sensor), w.mission, w.mission_kid)]
                )
            results.extend(batch)
        assert [r.reason for r in results if not r.accepted] == []
        assert len(results) == 900
    finally:
        w.ingestor.close()
        w.ledger.close()

"""Every add-checkpoint status path of c2sp.org/tlog-witness, through the HTTP app."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from truceline.clock import FixedClock, unix_seconds
from truceline.ledger import note as notes
from truceline.ledger.cosignature import timestamp_of
from truceline.ledger.merkle import EMPTY_ROOT
from truceline.ledger.note import Ed25519Signer, sign
from truceline.ledger.witness.core import Witness
from truceline.ledger.witness.request import AddCheckpointRequest

from .helpers import TestLog, seed


def post(http: TestClient, body: bytes):  # type: ignore[no-untyped-def]
    return http.post("/add-checkpoint", content=body)


def test_first_checkpoint_is_cosigned_with_a_verifiable_timestamped_line(
    http: TestClient, witness: Witness, log: TestLog, clock: FixedClock
) -> None:
    log.grow(7)
    resp = post(http, log.request(0))
    assert resp.status_code == 200, resp.text
    lines = resp.content
    assert lines.startswith("— witness.example.org/w1 ".encode()) and lines.endswith(b"\n")
    # The response appended to the checkpoint text is a note the witness key opens.
    text = notes.parse(log.checkpoint()).text
    opened = notes.open(text.encode() + b"\n" + lines, [witness.signer.verifier()])
    assert len(opened.signatures) == 1
    assert timestamp_of(opened.signatures[0].signature) == unix_seconds(clock)
    state = witness.store.state(log.origin)
    assert (state.size, state.root) == (7, log.root())
    assert state.checkpoint == log.checkpoint() + lines


def test_consistent_growth_is_cosigned_and_replaces_the_state(
    http: TestClient, witness: Witness, log: TestLog
) -> None:
    log.grow(3)
    assert post(http, log.request(0)).status_code == 200
    for _ in range(5):
        old = len(log.leaves)
        log.grow(old + 1)  # sizes 3 -> 7 -> 15 -> ..., powers of two and not
        resp = post(http, log.request(old))
        assert resp.status_code == 200, resp.text
    assert witness.store.state(log.origin).size == len(log.leaves)


def test_same_checkpoint_again_is_cosigned_again(http: TestClient, log: TestLog) -> None:
    log.grow(4)
    assert post(http, log.request(0)).status_code == 200
    assert post(http, log.request(4)).status_code == 200


def test_409_states_the_latest_size_as_text_x_tlog_size(http: TestClient, log: TestLog) -> None:
    log.grow(5)
    assert post(http, log.request(0)).status_code == 200
    log.grow(3)
    resp = post(http, log.request(0))  # the witness is at 5, not 0
    assert resp.status_code == 409
    assert resp.headers["content-type"] == "text/x.tlog.size"
    assert resp.content == b"5\n"
    resp = post(http, log.request(2))
    assert (resp.status_code, resp.content) == (409, b"5\n")
    assert post(http, log.request(5)).status_code == 200


def test_404_for_an_unknown_origin(http: TestClient) -> None:
    other = TestLog("example.org/other")
    other.grow(2)
    resp = post(http, other.request(0))
    assert resp.status_code == 404
    assert "example.org/other" in resp.text


def test_403_when_no_trusted_key_signed(http: TestClient, log: TestLog) -> None:
    log.grow(2)
    impostor = Ed25519Signer(log.origin, seed("not the log's key"))
    body = AddCheckpointRequest(0, (), log.checkpoint(signer=impostor)).encode()
    resp = post(http, body)
    assert resp.status_code == 403


def test_403_when_the_trusted_signature_is_bad(http: TestClient, log: TestLog) -> None:
    log.grow(2)
    good = log.checkpoint()
    text, _, sigline = good.partition(b"\n\n")
    raw = bytearray(base64.b64decode(sigline.split(b" ")[-1]))
    raw[-1] ^= 1
    bad = text + b"\n\n" + sigline.rsplit(b" ", 1)[0] + b" " + base64.b64encode(raw) + b"\n"
    resp = post(http, AddCheckpointRequest(0, (), bad).encode())
    assert resp.status_code == 403


def test_trusted_signature_among_unknown_ones_is_accepted(http: TestClient, log: TestLog) -> None:
    log.grow(2)
    stranger = Ed25519Signer("someone.else", seed("stranger"))
    body = Checkpoint_with_two_signers(log, stranger)
    assert post(http, AddCheckpointRequest(0, (), body).encode()).status_code == 200


def Checkpoint_with_two_signers(log: TestLog, other: Ed25519Signer) -> bytes:  # noqa: N802
    text = notes.parse(log.checkpoint()).text
    return sign(text, [other, log.signer])


def test_400_when_old_is_larger_than_the_checkpoint(http: TestClient, log: TestLog) -> None:
    log.grow(3)
    body = AddCheckpointRequest(4, (), log.checkpoint()).encode()
    resp = post(http, body)
    assert resp.status_code == 400
    assert "larger" in resp.text


def test_400_for_malformed_bodies(http: TestClient, log: TestLog) -> None:
    log.grow(3)
    cp = log.checkpoint()
    for body in (b"", b"old 0\n", b"old 00\n\n" + cp, b"old 0\nxyz\n\n" + cp, b"x" * 70000):
        resp = post(http, body)
        assert resp.status_code == 400, body[:20]


def test_400_for_a_signed_but_malformed_checkpoint(http: TestClient, log: TestLog) -> None:
    bad = sign(f"{log.origin}\n012\nnot-a-hash\n", [log.signer])
    assert post(http, AddCheckpointRequest(0, (), bad).encode()).status_code == 400


def test_422_for_a_bad_proof_keeps_evidence(
    http: TestClient, witness: Witness, log: TestLog
) -> None:
    log.grow(6)
    assert post(http, log.request(0)).status_code == 200
    log.grow(5)
    proof = log.proof(6, 11)
    proof[0] = bytes(32)
    resp = post(http, log.request(6, proof=proof))
    assert resp.status_code == 422
    assert witness.store.state(log.origin).size == 6
    [ev] = witness.store.evidence()
    assert ev.kind == "inconsistent-proof" and ev.old_size == 6 and ev.proof == tuple(proof)
    assert ev.offered == log.checkpoint(11)
    assert ev.seen.startswith(log.checkpoint(6))
    # A truncated proof is refused too.
    assert post(http, log.request(6, proof=log.proof(6, 11)[:-1])).status_code == 422
    assert post(http, log.request(6)).status_code == 200


def test_422_for_a_proof_with_old_zero(http: TestClient, log: TestLog) -> None:
    log.grow(4)
    resp = post(http, log.request(0, proof=[bytes(32)]))
    assert resp.status_code == 422


def test_422_for_a_proof_between_equal_sizes(http: TestClient, log: TestLog) -> None:
    log.grow(4)
    assert post(http, log.request(0)).status_code == 200
    assert post(http, log.request(4, proof=[log.root()])).status_code == 422


def test_size_zero_must_have_the_empty_root(http: TestClient, log: TestLog) -> None:
    bogus = sign(f"{log.origin}\n0\n{base64.b64encode(bytes(32)).decode()}\n", [log.signer])
    assert post(http, AddCheckpointRequest(0, (), bogus).encode()).status_code == 422
    assert post(http, log.request(0)).status_code == 200  # size 0, SHA-256("")
    assert base64.b64encode(EMPTY_ROOT).decode() in log.checkpoint(0).decode()


def test_same_size_different_root_is_409_and_kept_as_equivocation(
    http: TestClient, witness: Witness, log: TestLog
) -> None:
    log.grow(8)
    assert post(http, log.request(0)).status_code == 200
    fork = TestLog(log.origin, fork="evil ")
    fork.grow(8)
    resp = post(http, fork.request(8))
    assert (resp.status_code, resp.content) == (409, b"8\n")
    # Offered with another old size it is still recognised.
    post(http, fork.request(3))
    [ev] = witness.store.evidence()  # the same pair is kept once
    assert ev.kind == "same-size-different-root"
    assert ev.offered == fork.checkpoint(8)
    seen = notes.open(ev.seen, [log.signer.verifier(), witness.signer.verifier()])
    assert len(seen.signatures) == 2  # the log's and our cosignature: we did see it
    notes.open(ev.offered, [log.signer.verifier()])  # and the log signed the fork
    assert witness.store.state(log.origin).root == log.root()


def test_state_survives_a_restart(sqlite_engine, clock: FixedClock, log: TestLog) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient as TC

    from truceline.ledger.witness.server import create_app

    from .conftest import make_witness

    log.grow(9)
    with TC(create_app(make_witness(sqlite_engine, "w", clock, log))) as c:
        assert post(c, log.request(0)).status_code == 200
    with TC(create_app(make_witness(sqlite_engine, "w", clock))) as c:
        assert post(c, log.request(0)).content == b"9\n"


def test_prefix_is_honoured(witness: Witness, log: TestLog) -> None:
    from truceline.ledger.witness.server import create_app

    log.grow(1)
    with TestClient(create_app(witness, "/w1")) as c:
        assert c.post("/w1/add-checkpoint", content=log.request(0)).status_code == 200
        assert c.post("/add-checkpoint", content=log.request(1)).status_code == 404
        assert c.get("/w1/add-checkpoint").status_code == 405


def test_latest_cosigned_checkpoint_is_served_by_origin_hash(
    http: TestClient, witness: Witness, log: TestLog
) -> None:
    import hashlib

    path = f"/{hashlib.sha256(log.origin.encode()).hexdigest()}/checkpoint"
    assert http.get(path).status_code == 404  # known, but nothing cosigned yet
    log.grow(5)
    lines = post(http, log.request(0)).content
    resp = http.get(path)
    assert resp.status_code == 200 and resp.content == log.checkpoint() + lines
    notes.open(resp.content, [witness.signer.verifier()])
    assert http.get(f"/{'0' * 64}/checkpoint").status_code == 404

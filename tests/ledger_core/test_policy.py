"""tlog-policy parsing, quorum evaluation and checkpoint verification."""

from __future__ import annotations

import itertools

import pytest

from truceline.ledger import cosignature, merkle, note
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.policy import Party, Policy, PolicyError, QuorumError, party_quorum

LOG = note.Ed25519Signer("log.example/truce", b"\x10" * 32)


def _cosigner(i: int, name: str | None = None) -> cosignature.CosignatureSigner:
    return cosignature.CosignatureSigner(name or f"w{i}.example", bytes([0x20 + i]) * 32)


def _w(i: int) -> str:
    return _cosigner(i).verifier().vkey


SPEC_EXAMPLE = f"""
log {LOG.verifier().vkey}

witness X1 {_w(1)}
witness X2 {_w(2)}
witness X3 {_w(3)}
group X-witnesses 2 X1 X2 X3

witness Y1 {_w(4)}
witness Y2 {_w(5)}
witness Y3 {_w(6)}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


def test_spec_example_quorum_truth_table() -> None:
    p = Policy.parse(SPEC_EXAMPLE)
    names = ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    for r in range(len(names) + 1):
        for subset in itertools.combinations(names, r):
            xs = sum(n.startswith("X") for n in subset)
            ys = sum(n.startswith("Y") for n in subset)
            assert p.witnessed("X-and-Y", set(subset)) == (xs >= 2 and ys >= 1), subset


def test_format_roundtrip_and_comments() -> None:
    p = Policy.parse(SPEC_EXAMPLE)
    again = Policy.parse(p.format())
    assert again.format() == p.format()
    assert again.groups["Y-witnesses"].threshold == 1
    commented = "# a comment\n\t  # indented comment\n" + SPEC_EXAMPLE.replace(
        "\n", "  \n"
    ).replace("witness X1", "\t witness\tX1")
    assert Policy.parse(commented).format() == p.format()
    assert Policy.parse("quorum none").quorum == "none"  # no final newline needed


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "quorum: missing"),
        ("quorum none\nquorum none\n", "defined twice"),
        ("quorum X\n", "not defined on an earlier line"),
        ("group G any W1\nwitness W1 {w1}\nquorum G\n", "not defined on an earlier line"),
        ("witness none {w1}\nquorum none\n", "reserved"),
        ("witness A {w1}\nwitness A {w2}\nquorum A\n", "already defined"),
        ("witness A {w1}\nwitness B {w1}\nquorum A\n", "duplicate witness key"),
        ("witness A {w1}\nwitness B {w1same}\nquorum A\n", "duplicate witness key"),
        ("log {log}\nlog {log}\nquorum none\n", "duplicate log key"),
        ("witness A {w1}\ngroup G 0 A\nquorum G\n", r"threshold 0 not in 1\.\.1"),
        ("witness A {w1}\ngroup G 2 A\nquorum G\n", r"threshold 2 not in 1\.\.1"),
        ("witness A {w1}\nwitness B {w2}\ngroup G 02 A B\nquorum G\n", "not all, any or a decimal"),
        ("witness A {w1}\ngroup G any A A\nquorum G\n", "already used"),
        ("witness A {w1}\ngroup G any A\ngroup H any A\nquorum G\n", "already used"),
        ("witness A {w1}\ngroup G any A none\nquorum G\n", "cannot be a member"),
        ("witness A {w1}\ngroup G any\nquorum G\n", "wrong number of fields"),
        ("frobnicate\nquorum none\n", "unknown keyword"),
        ("log {log} url extra\nquorum none\n", "wrong number of fields"),
        ("log {w1}\nquorum none\n", "not a log type"),
        ("witness A {log}\nquorum A\n", "not a witness type"),
        ("witness A not-a-vkey\nquorum A\n", "witness vkey"),
        ("quorum none\r\n", "control character 0x0d"),
    ],
)
def test_malformed_policies(text: str, error: str) -> None:
    w1same = cosignature.CosignatureVerifier("other.name", _cosigner(1).verifier().public_key).vkey
    text = text.format(w1=_w(1), w2=_w(2), w1same=w1same, log=LOG.verifier().vkey)
    with pytest.raises(PolicyError, match=error):
        Policy.parse(text)


def test_error_names_line() -> None:
    with pytest.raises(PolicyError, match="line 3: unknown keyword"):
        Policy.parse("# c\nquorum none\nbogus\n")


def _truce_policy() -> Policy:
    return party_quorum(
        [LOG.verifier().vkey],
        [
            Party("party-A", 2, [(f"A{i}", _w(i)) for i in (1, 2, 3)]),
            Party("party-B", 2, [(f"B{i}", _w(i)) for i in (4, 5, 6)]),
            Party("guarantors", "any", [(f"G{i}", _w(i)) for i in (7, 8)]),
        ],
    )


def _signed(cosigners: list[int], size: int = 5) -> bytes:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(size)]
    body = Checkpoint(LOG.name, size, merkle.root(leaves)).body()
    signed = note.sign(body, [LOG])
    if cosigners:
        signed = note.sign(note.parse(signed), [_cosigner(i) for i in cosigners])
    return signed


def test_party_quorum_policy_text() -> None:
    p = _truce_policy()
    text = p.format()
    assert "group party-A 2 A1 A2 A3\n" in text
    assert "group guarantors any G7 G8\n" in text
    assert text.endswith("group quorum all party-A party-B guarantors\nquorum quorum\n")
    assert Policy.parse(text).format() == text


@pytest.mark.parametrize(
    ("cosigners", "ok"),
    [
        ([1, 2, 4, 5, 7], True),
        ([1, 2, 3, 4, 5, 6, 7, 8], True),
        ([1, 2, 4, 5], False),  # no guarantor
        ([1, 4, 5, 7, 8], False),  # only one of party A
        ([1, 2, 3, 4, 7], False),  # only one of party B
        ([], False),
    ],
)
def test_party_quorum_verification(cosigners: list[int], ok: bool) -> None:
    p = _truce_policy()
    signed = _signed(cosigners)
    if ok:
        v = p.verify(signed, origin=LOG.name)
        assert v.checkpoint.size == 5
        assert v.witnesses == {f"{'A' if i <= 3 else 'B' if i <= 6 else 'G'}{i}" for i in cosigners}
    else:
        with pytest.raises(QuorumError, match="quorum 'quorum' not satisfied"):
            p.verify_checkpoint(signed)


def test_policy_rejections() -> None:
    p = _truce_policy()
    good = _signed([1, 2, 4, 5, 7])
    with pytest.raises(PolicyError, match="origin"):
        p.verify(good, origin="someone.else/log")
    # Unknown cosigners are ignored, not counted.
    stranger = cosignature.CosignatureSigner("stranger.example", b"\x99" * 32)
    extra = note.sign(note.parse(_signed([1, 2, 4, 5])), [stranger])
    with pytest.raises(QuorumError):
        p.verify(extra)
    # Only witnesses cosigned: no log signature.
    body = note.parse(good).text
    only_witnesses = note.sign(body, [_cosigner(i) for i in (1, 2, 4, 5, 7)])
    with pytest.raises(PolicyError, match="no signature by a policy log"):
        p.verify(only_witnesses)
    # A known witness whose cosignature fails rejects the whole note.
    n = note.parse(good)
    bad_sig = note.Signature.make(n.signatures[1].name, n.signatures[1].key_id, b"\x00" * 72)
    forged = note.Note(n.text, (n.signatures[0], bad_sig, *n.signatures[2:])).format()
    with pytest.raises(note.InvalidSignatureError):
        p.verify(forged)
    # The log key name must be the origin.
    other_log = note.Ed25519Signer("other.example/log", b"\x11" * 32)
    q = party_quorum([other_log.verifier().vkey], [Party("A", "any", [("A1", _w(1))])])
    mismatched = note.sign(note.parse(good).text, [other_log, _cosigner(1)])
    with pytest.raises(PolicyError, match="no signature by a policy log"):
        q.verify(mismatched)

"""The add-checkpoint body: the spec's example parses; bad bodies name their fault."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truceline.ledger.witness.request import (
    MAX_PROOF_LINES,
    AddCheckpointRequest,
    MalformedRequest,
    parse_request,
)


def test_spec_example_body_parses(vectors: Path) -> None:
    examples = json.loads((vectors / "c2sp" / "spec_examples.json").read_text())
    body = examples["witness_add_checkpoint_request_example"].encode()
    req = parse_request(body)
    assert req.old == 20852014
    assert [base64.b64encode(h).decode() for h in req.proof] == [
        "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=",
        "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=",
        "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=",
        "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=",
    ]
    assert req.origin == "example.com/behind-the-sofa"
    assert (
        req.checkpoint
        == examples["checkpoint_example"]["note"].encode()
        + (
            "— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
        ).encode()
    )
    assert req.encode() == body


NOTE = b"example.org/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 x abc\n"
H = base64.b64encode(b"\x01" * 32)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"old 1\nexample.org/log\n5\n", "no empty line"),
        (b"old 01\n\n" + NOTE, "old size line"),
        (b"old -1\n\n" + NOTE, "old size line"),
        (b"old  1\n\n" + NOTE, "old size line"),
        (b"new 1\n\n" + NOTE, "old size line"),
        (b"old 1\nnot base64!\n\n" + NOTE, "consistency proof line 1"),
        (b"old 1\n" + base64.b64encode(b"x" * 31) + b"\n\n" + NOTE, "consistency proof line 1"),
        (b"old 1\n" + b"\n".join([H] * (MAX_PROOF_LINES + 1)) + b"\n\n" + NOTE, "at most 63"),
        (b"old 1\n\n", "checkpoint"),
        (b"old 99999999999999999999\n\n" + NOTE, "2^63-1"),
        (b"old 1\xff\n\n" + NOTE, "ASCII"),
    ],
)
def test_malformed_bodies_name_the_field(body: bytes, field: str) -> None:
    with pytest.raises(MalformedRequest, match=re.escape(field)):
        parse_request(body)


def test_sixty_three_proof_lines_are_allowed() -> None:
    body = b"old 1\n" + b"\n".join([H] * MAX_PROOF_LINES) + b"\n\n" + NOTE
    assert len(parse_request(body).proof) == MAX_PROOF_LINES


@given(
    old=st.integers(min_value=0, max_value=(1 << 63) - 1),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=MAX_PROOF_LINES),
    text=st.text(
        alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), min_size=1
    ),
)
def test_encode_parse_round_trip(old: int, proof: list[bytes], text: str) -> None:
    note = (text + "\n1\nroot\n\n— k sig\n").encode()
    req = AddCheckpointRequest(old, tuple(proof), note)
    assert parse_request(req.encode()) == req

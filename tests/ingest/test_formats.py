"""Splitting submissions keeps each envelope's exact bytes."""

from __future__ import annotations

import pytest

from truceline.ingest.formats import SubmissionError, split_envelopes


def test_jsonl_array_and_single() -> None:
    a = b'{"payload":"a]","payloadType":"t, [x]","signatures":[]}'
    b = b'{"payload":"","payloadType":"\\u00e9","signatures":[{"sig":"","keyid":"k"}]}'
    assert split_envelopes(a + b"\n\n" + b + b"\r\n") == [a, b]
    assert split_envelopes(b" [ " + a + b" ,\n" + b + b" ] \n") == [a, b]
    assert split_envelopes(b"[]") == []
    assert split_envelopes(a) == [a]
    # a bad line is one (rejectable) item, not a failure of the whole file
    assert split_envelopes(a + b"\n{oops\n" + b) == [a, b"{oops", b]


@pytest.mark.parametrize("bad", [b"[1,", b"[1 2]", b"[1] x", b'["\xff"]', b"[{]"])
def test_broken_arrays(bad: bytes) -> None:
    with pytest.raises(SubmissionError):
        split_envelopes(bad)

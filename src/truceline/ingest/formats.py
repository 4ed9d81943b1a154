"""Splitting a submission into envelopes, keeping each envelope's exact bytes.

Accepted: JSON Lines (one envelope per line), a JSON array of envelopes, or
a single envelope object. The bytes of each element are kept as sent, so the
quarantine holds exactly what the submitter signed and sent.
"""

from __future__ import annotations

import json

from truceline.errors import TrucelineError

_WS = " \t\r\n"


class SubmissionError(TrucelineError, ValueError):
    """The submission as a whole cannot be split (e.g. an unterminated array)."""


def split_envelopes(data: bytes) -> list[bytes]:
    text = data.lstrip()
    if text.startswith(b"["):
        return _split_array(data)
    lines = [line.strip() for line in data.splitlines()]
    return [line for line in lines if line]


def _split_array(data: bytes) -> list[bytes]:
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"not UTF-8 at byte {exc.start}") from exc
    decoder = json.JSONDecoder()
    i = s.index("[") + 1
    out: list[bytes] = []
    n = len(s)
    while True:
        while i < n and s[i] in _WS:
            i += 1
        if i < n and s[i] == "]":
            i += 1
            break
        try:
            _, end = decoder.raw_decode(s, i)
        except json.JSONDecodeError as exc:
            # one bad element: keep its text up to the next top-level comma as a rejectable item
            raise SubmissionError(f"array element at character {i}: {exc.msg}") from exc
        out.append(s[i:end].encode("utf-8"))
        i = end
        while i < n and s[i] in _WS:
            i += 1
        if i < n and s[i] == ",":
            i += 1
            continue
        if i < n and s[i] == "]":
            i += 1
            break
        raise SubmissionError(f"expected ',' or ']' at character {i}")
    if s[i:].strip(_WS):
        raise SubmissionError(f"trailing data after the array at character {i}")
    return out

"""Splitting a submission into envelopes, keeping each envelope's exact bytes.

Accepted: JSON Lines (one envelope per line), a JSON array of envelopes, or
a single envelope object; a body its sender labels `application/json` is one JSON
document (`split_json`). The bytes of each element are kept as sent, so the
quarantine holds exactly what the submitter signed and sent.

Bounds: a JSON array is read whole, so it is at most `MAX_SUBMISSION_BYTES` (the HTTP
body limit; larger files must be JSON Lines, which `read_envelopes` streams line by
line) and is checked for nesting depth (`codec.jsonlimits`) before it is decoded.
A line is not decoded here at all: each envelope's own checks bound it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from truceline.codec.jsonlimits import JsonLimitError, check_depth
from truceline.errors import TrucelineError

MAX_SUBMISSION_BYTES = 64 * 1024 * 1024
_WS = " \t\r\n"


class SubmissionError(TrucelineError, ValueError):
    """The submission as a whole cannot be split (e.g. an unterminated array)."""


def split_json(data: bytes) -> list[bytes]:
    """A body sent as `application/json`: one JSON document, an array of envelopes or one
    envelope (which may span lines). Not JSON: SubmissionError, since the sender said it was."""
    if data.lstrip().startswith(b"["):
        return _split_array(data)
    try:
        check_depth(data)
        json.loads(data)
    except (JsonLimitError, ValueError) as exc:
        raise SubmissionError(
            f"not a JSON document (Content-Type application/json): {exc}"
        ) from None
    return [data.strip()]


def split_envelopes(data: bytes) -> list[bytes]:
    text = data.lstrip()
    if text.startswith(b"["):
        return _split_array(data)
    lines = [line.strip() for line in data.splitlines()]
    return [line for line in lines if line]


def read_envelopes(path: Path) -> Iterator[bytes]:
    """The envelopes of a file: a JSON array (at most MAX_SUBMISSION_BYTES) or JSON Lines,
    streamed so that memory holds one line at a time."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if head.lstrip().startswith(b"["):
            rest = fh.read(MAX_SUBMISSION_BYTES + 1 - len(head))
            if len(head) + len(rest) > MAX_SUBMISSION_BYTES:
                raise SubmissionError(
                    f"a JSON array larger than {MAX_SUBMISSION_BYTES} bytes: "
                    "write the envelopes as JSON Lines, one per line, instead"
                )
            yield from _split_array(head + rest)
            return
        fh.seek(0)
        for line in fh:
            line = line.strip()
            if line:
                yield line


def _split_array(data: bytes) -> list[bytes]:
    if len(data) > MAX_SUBMISSION_BYTES:
        raise SubmissionError(f"{len(data)} bytes, at most {MAX_SUBMISSION_BYTES} are accepted")
    try:
        check_depth(data)
    except JsonLimitError as exc:
        raise SubmissionError(str(exc)) from None
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

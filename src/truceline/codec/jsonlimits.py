"""Bounds on the JSON Truceline parses: nesting depth and size, checked before parsing.

Parsers: `jcs.loads` (RFC 8785's reading: big integers as doubles, no NaN) and
`dsse.Envelope.from_json` check the depth first. Python's json module recurses once per nested array or object and raises RecursionError
near depth 1,000 (pydantic-core's parser stops at about 200); a few kilobytes of `[[[[`
are enough to reach either. Every parser of outside input (ingest submissions, DSSE
envelopes, payloads, the adapters' JSON and GeoJSON, sensor files) checks the depth
first, so deep input is a rejection that names the limit, never a RecursionError.

No Truceline record nests deeper than about 8 levels (a polygon's coordinates inside
an observation inside an envelope inside a submission array is 7), so `MAX_JSON_DEPTH`
leaves room for sensors' own attributes.
"""

from __future__ import annotations

import numpy as np

MAX_JSON_DEPTH = 64
# Everything but quotes and brackets, deleted to leave the skeleton the depth is read from.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


class JsonLimitError(ValueError):
    """The JSON is nested deeper, or is larger, than the limit allows."""


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in `data`, brackets inside strings not
    counted. For text that is not JSON the answer is still bounded and defined (an
    unterminated string counts its brackets), which is all a limit needs."""
    openers = data.count(b"[") + data.count(b"{")
    if openers <= 1:
        return openers
    # C-speed passes only: drop escaped backslashes, then escaped quotes (left to right, as
    # a JSON reader pairs them), so every quote left delimits a string; keep quotes and
    # brackets; a bracket after an odd number of quotes is inside a string.
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    arr = np.frombuffer(data.translate(None, _NOT_STRUCTURE), dtype=np.uint8)
    outside = (np.cumsum(arr == ord('"'), dtype=np.int32) & 1) == 0
    opens = ((arr == ord("[")) | (arr == ord("{"))) & outside
    closes = ((arr == ord("]")) | (arr == ord("}"))) & outside
    step = opens.astype(np.int8) - closes.astype(np.int8)
    return int(np.cumsum(step, dtype=np.int32).max(initial=0))


def check_depth(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """JsonLimitError when `data` nests arrays and objects deeper than `limit`."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return  # cannot be deeper than the number of openers: the usual, cheap case
    depth = json_depth(bytes(raw))
    if depth > limit:
        raise JsonLimitError(f"nested {depth} levels deep, at most {limit} are accepted")

"""Reading a text source in bounded pieces, so one endless line cannot fill the memory.

`lines` yields each line with whether it was whole: a line longer than the limit is
cut to the limit (the caller reports it as a bad row) and the rest of it is skipped.
`xml_pieces` never drops text: an overlong line is handed on in pieces, each cut just
after a `>`, so that no tag is split (the CoT reader finds events across pieces).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

MAX_LINE_CHARS = 1 << 20


def lines(fh: TextIO, limit: int = MAX_LINE_CHARS) -> Iterator[tuple[str, bool]]:
    """(line, whole) for every line of `fh`; a cut line is `limit` characters long."""
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith("\n"):
            yield line, True
            continue
        while True:  # skip the rest of the overlong line
            more = fh.readline(limit)
            if not more or more.endswith("\n"):
                break
        yield line[:limit], False


def xml_pieces(fh: TextIO, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The text of `fh` as lines, with any line longer than `limit` in pieces of at most
    twice `limit` characters, each ending just after a `>` where the piece has one."""
    carry = ""
    while True:
        chunk = fh.readline(limit)
        if not chunk:
            if carry:
                yield carry
            return
        text = carry + chunk
        if chunk.endswith("\n") or len(chunk) < limit:
            carry = ""
            yield text  # a whole line (or the file's last one)
            continue
        cut = text.rfind(">") + 1 or len(text)  # the rest has no '>', so it stays short
        yield text[:cut]
        carry = text[cut:]

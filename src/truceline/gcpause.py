"""Pause the cyclic garbage collector around a long batch that makes no reference cycles.

CPython's collector runs on allocation counts, and each full collection walks every
tracked object alive: a batch that builds millions of long-lived objects (a heavy day's
engine rows, incidents and records) pays for walks that find no garbage, 12 % of the
batch adjudication of a million observations. Reference counting still frees everything
that is not in a cycle; cycles made meanwhile wait for the next collection after the
pause. Process-wide, so it is restored (not merely enabled) on the way out.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_survivors() -> None:
    """For a long-running follower, after each pass: collect what the pass left behind,
    then freeze what survived (mostly the followed state, which only grows) out of the
    collector's sight.

    A full collection walks only objects not yet frozen, so this one costs about what
    the pass allocated, and no later collection walks the whole state again: on a
    7-day benchmark log the enforcement process otherwise ran 29 full collections
    (5.1 s, the longest 228 ms, the tail of a pass). The price: a reference cycle
    retired after it was frozen is never collected (the folded states hold none)."""
    gc.collect()
    gc.freeze()

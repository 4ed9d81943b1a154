"""The appender as a process of its own, following the log.

Run beside the streaming adjudicator rather than after it, the appender no longer
shares its interpreter (and lock) with fusion: each verified transition is folded
as soon as it is on the log. The log is read as any other reader reads it (another
process's appends are seen after `refresh`), and every decision is still the pure
fold of the logged entries at `now`: following changes when passes run, not what
they decide.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from truceline.enforcement.appender import Appender
from truceline.ledger.base import Ledger


def event_time(app: Appender) -> Callable[[], datetime | None]:
    """A clock for replaying a log in event time: the newest incident transition folded
    so far (None before the first). It costs the same on the last pass as on the first
    (`Folded.newest_at` is kept as records are folded), unlike asking every history."""
    return lambda: app.folded.newest_at


def follow(
    app: Appender,
    ledger: Ledger,
    clock: Callable[[], datetime | None],
    stop: Callable[[], bool],
    poll_s: float = 0.05,
    every_s: float = 1.0,
    on_pass: Callable[[list[int]], None] | None = None,
) -> int:
    """Run the appender whenever the log has grown, and at least every `every_s`
    seconds (deadlines fall due with time alone); sleep `poll_s` between looks.
    `clock()` is the event time of each pass, asked after the new entries are folded
    (`app.folded` is current); None skips the pass (no event time yet: a benchmark
    replaying event time takes `event_time(app)`). `on_pass(indices)` after
    each pass that ran.

    Returns how many transitions it appended once `stop()` is true and a last look
    finds nothing new: what was on the log when `stop()` turned true is then folded."""
    appended = 0
    last_pass = float("-inf")
    while True:
        last = stop()  # asked before looking, so the look sees every entry before it
        size = ledger.refresh()
        grown = size > app.cursor
        due = time.monotonic() - last_pass >= every_s
        if grown or due:
            app.catch_up()
            last_pass = time.monotonic()
            now = clock()
            if now is not None:
                indices = app.run(now)
                appended += len(indices)
                if on_pass is not None:
                    on_pass(indices)
        if not grown:
            if last:
                return appended
            if not due:
                time.sleep(poll_s)

"""A pass of the following appender costs what the new entries bring, not what the log holds.

The live benchmark's appender grew from 4.6 to 29 ms of CPU per pass over 30 days: its
event-time clock asked every incident history for its last transition on every pass, and
every pass decoded the whole partial entry bundle again (up to 255 entries it had read).
Timing is no test on a shared machine, so the cost is counted: the Python and C
function calls a pass makes (`sys.setprofile`; a generator's every step is a call), the
same whatever else runs. Passes that fold the same few observations make the same calls
late in a long log as early (and at any offset in the entry bundle), whatever the
log has come to hold.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.enforcement.appender import Appender
from truceline.enforcement.follow import event_time, follow
from truceline.ledger.tilelog import TileLog
from truceline.observation import OBSERVATION_TYPE, format_time

from ._world import T0, entry, incident
from .test_appender import appender, world

INCIDENTS = 150  # the state grows by one incident, its case, steps and inspection each
OBSERVATIONS = 4  # per observation-only pass


def calls(work: Callable[[], Any]) -> int:
    """How many function calls (Python and C) `work` makes in this thread."""
    count = 0

    def tally(_frame: FrameType, event: str, _arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(tally)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def observations(k: int, at: datetime) -> list[bytes]:
    return [
        entry(
            OBSERVATION_TYPE,
            {
                "sensor": "radar-1",
                "seq": k * OBSERVATIONS + n,
                "observed_at": format_time(at),
                "kind": "impact",
                "geometry": {"type": "Point", "coordinates": [35.5, 47.5]},
                "uncertainty_m": 150,
                "attributes": {"perception": "recorded"},
            },
        )
        for n in range(OBSERVATIONS)
    ]


def one_pass(app: Appender, log: TileLog, clock: Callable[[], datetime | None]) -> None:
    """One look at the log and the pass it runs, as the follower process makes them."""
    follow(app, log, clock, lambda: True, poll_s=0)


def observation_pass_costs(
    writer: TileLog, reader: TileLog, clock_of: Callable[[Appender], Callable[[], datetime | None]]
) -> list[int]:
    """A log of one verified incident every 2 hours (a case, a countdown, playbook steps
    and an inspection each), each followed by a few observations: the calls of each
    pass that folds only those observations."""
    a = world()
    app = appender(reader, a)
    clock = clock_of(app)
    costs: list[int] = []
    for k in range(INCIDENTS):
        at = T0 + timedelta(hours=2 * k)
        accused = ("party-a", "party-b")[k % 2]
        writer.append([entry(INCIDENT_TYPE, incident(f"i{k}", "verified", at, accused))])
        one_pass(app, reader, clock)
        writer.append(observations(k, at))
        costs.append(calls(lambda: one_pass(app, reader, clock)))
    # What the passes wrote is what one appender over the whole log would write.
    writer.refresh()
    assert appender(writer, a).pending(at) == []
    assert len(app.folded.incidents) == INCIDENTS
    return costs


def late_over_early(costs: list[int]) -> float:
    tenth = len(costs) // 10
    # The first tenth's first passes set up what every pass reuses (caches, the
    # routine month): the early figure is the rest of that tenth.
    early = statistics.median(costs[2:tenth])
    late = statistics.median(costs[-tenth:])
    return late / early


def test_a_pass_costs_as_much_late_in_the_log_as_early(logs: tuple[TileLog, TileLog]) -> None:
    costs = observation_pass_costs(*logs, event_time)
    assert late_over_early(costs) < 1.1, costs
    # Nor with where the pass falls in the entry bundle: one that decoded the bundle
    # again from its first entry cost 604 calls at its start and 2137 at its end.
    late = costs[-len(costs) // 10 :]
    assert max(late) / min(late) < 1.2, late


def test_the_count_sees_a_pass_that_grows_with_the_log(logs: tuple[TileLog, TileLog]) -> None:
    """The measure can fail: the event-time clock the benchmark used to have, a look at
    every incident's history each pass, is caught."""

    def scanning(app: Appender) -> Callable[[], datetime | None]:
        return lambda: max(
            (h.last_at for h in app.folded.incidents.values() if h.last_at), default=None
        )

    assert late_over_early(observation_pass_costs(*logs, scanning)) > 1.1

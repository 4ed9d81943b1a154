"""The appender following the log as a separate reader and writer would.

A second TileLog opened on the same directory stands for another process: it sees
the first one's appends only after `refresh`, and its own appends land on the same
log. Following appends exactly what one `run` over the final log appends.
"""

from __future__ import annotations

from datetime import timedelta

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.enforcement.follow import follow
from truceline.ledger.tilelog import TileLog

from ._world import T0, entry, incident
from .test_appender import appender, events, world


def test_follow_sees_another_writer_and_appends_once(logs: tuple[TileLog, TileLog]) -> None:
    writer, reader = logs
    a = world()
    app = appender(reader, a)
    passes: list[list[int]] = []

    def once() -> bool:
        return True  # stop after the first look that finds nothing new

    # Nothing on the log yet, no event time: the first look runs no pass.
    assert follow(app, reader, lambda: None, once, poll_s=0, on_pass=passes.append) == 0
    assert passes == []

    writer.append([entry(INCIDENT_TYPE, incident("i1", "verified", T0))])
    n = follow(app, reader, lambda: T0, once, poll_s=0, on_pass=passes.append)
    writer.refresh()
    kinds = [e["event"] for e in events(writer)]
    assert n == len(kinds) and kinds.count("countdown_started") == 1
    assert len(passes) == 1

    # A later look with time moved on escalates the unacknowledged step, once; a fresh
    # appender over the same log then has nothing to add.
    later = T0 + timedelta(hours=7)
    follow(app, reader, lambda: later, once, poll_s=0, every_s=0)
    writer.refresh()
    assert [e["event"] for e in events(writer)].count("playbook_escalated") == 1
    assert appender(writer, a).run(later) == []

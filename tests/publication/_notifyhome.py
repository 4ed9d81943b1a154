"""A mission home with many logged enforcement transitions, its publication.yaml, and a
notifier running on it in this process."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from truceline.authority import Authority
from truceline.home import Home
from truceline.publication.notifier import serve
from truceline.publication.notify import body_of, logged_events
from truceline.publication.webhooks import webhook_id

from ._receivers import SECRET, Receiver
from .test_bus import make_home

ENV = {"W_SECRET": "whsec_" + base64.b64encode(SECRET).decode()}
# The production schedule's shape, in tenths of a second: tests stay fast.
FAST: dict[str, Any] = {
    "retry_schedule_s": [0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.5],
    "pause_after_s": 0.3,
    "pause_after_failures": 3,
    "probe_every_s": 0.2,
    "failing_every_s": 0,  # every failure on its own schedule (the limit: test_failing_limit)
    "timeout_s": 10,
}


def events_home(root: Path, incidents: int, store_url: str | None = None) -> Home:
    """A home whose log holds `incidents` countdowns (and one ignored record)."""
    return make_home(root, store_url, incidents=incidents)


def event_ids(h: Home) -> list[str]:
    """The webhook ids of the home's logged transitions, in ledger order."""
    ledger = h.reader()
    try:
        return [webhook_id(body_of(ev)) for ev in logged_events(ledger, Authority())]
    finally:
        ledger.close()


def write_config(
    h: Home,
    subs: dict[str, tuple[Receiver, dict[str, Any]]],
    delivery: dict[str, Any] | None = None,
    name: str = "publication.yaml",
) -> Path:
    path = h.root / name
    hooks = [
        {"id": sid, "url": rx.url, "secret_env": "W_SECRET", **extra}
        for sid, (rx, extra) in subs.items()
    ]
    path.write_text(yaml.safe_dump({"delivery": delivery or FAST, "webhooks": hooks}))
    return path


async def until(
    cond: Callable[[], bool], timeout: float = 60.0, why: Callable[[], Any] | None = None
) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            pytest.fail(f"condition not met within {timeout} s" + (f": {why()}" if why else ""))
        await asyncio.sleep(0.01)


@asynccontextmanager
async def following(h: Home, config: Path, **kw: Any) -> AsyncIterator[dict[str, Any]]:
    """`serve(h, stop)` running; on exit it is stopped and its summary put in the dict."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(h, stop, config=config, env=ENV, poll_s=0.01, **kw))
    out: dict[str, Any] = {}
    try:
        yield out
    finally:
        stop.set()
        out.update(await task)


def grow(h: Home, first: int, count: int) -> None:
    """Log `count` more incidents (i<first>...), verified then confirmed, and the
    countdowns the appender writes for them: the log grows as in production."""
    from datetime import timedelta

    from enforcement._world import T0, entry, incident
    from truceline.adjudication.verdict import INCIDENT_TYPE
    from truceline.enforcement.appender import open_appender

    from .test_bus import NOW

    ledger = h.ledger()
    try:
        records = []
        for n in range(first, first + count):
            at = T0 + timedelta(minutes=n)
            records.append(entry(INCIDENT_TYPE, incident(f"i{n}", "verified", at, grade="fair")))
            records.append(
                entry(INCIDENT_TYPE, incident(f"i{n}", "confirmed", at + timedelta(hours=1)))
            )
        ledger.append(records)
        open_appender(h, ledger, NOW, write=True).run(NOW)
    finally:
        ledger.close()

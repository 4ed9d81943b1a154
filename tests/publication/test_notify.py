"""The notifier over a real home, with real receivers on 127.0.0.1: healthy, flaky, slow,
dead (500) and gone (410). Every store test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from truceline.mission.home import Home
from truceline.publication.outbox import Outbox
from truceline.publication.status import subscriber_status
from truceline.store.base import open_store

from ._notifyhome import event_ids, events_home, following, until, write_config
from ._receivers import Receiver, receivers  # noqa: F401 - the fixture

INCIDENTS = 120


def _status(h: Home) -> dict[str, dict]:
    store = _stores.get(h.store_url) or _stores.setdefault(h.store_url, open_store(h.store_url))
    return {s["id"]: s for s in subscriber_status(store, datetime.now(UTC))}


_stores: dict[str, Engine] = {}


def _time_to_all(rx: Receiver, want: list[str], start: float) -> float:
    got = {}
    for g in rx.delivered():
        got.setdefault(g.id, g.at)
    return max(got[i] for i in want) - start


def test_healthy_subscriber_is_not_held_back_by_the_others(
    tmp_path: Path,
    store_url: str,
    receivers,  # noqa: F811
) -> None:
    h = events_home(tmp_path / "home", INCIDENTS, store_url)
    want = event_ids(h)
    alone = receivers()
    healthy = receivers()
    flaky = receivers(fail_each=2)  # each message fails twice, then goes through
    slow = receivers(delay_s=0.5)
    dead = receivers(500)
    gone = receivers(410)
    solo = write_config(h, {"alone": (alone, {})}, name="solo.yaml")
    crowd = write_config(
        h,
        {
            "healthy": (healthy, {}),
            "flaky": (flaky, {}),
            "slow": (slow, {}),
            "dead": (dead, {}),
            "gone": (gone, {}),
        },
        name="crowd.yaml",
    )

    async def go() -> tuple[float, float, int]:
        start = time.monotonic()
        async with following(h, solo):
            await until(lambda: len(alone.delivered_ids()) == len(want))
        t_alone = _time_to_all(alone, want, start)
        start = time.monotonic()
        async with following(h, crowd):
            await until(lambda: len(healthy.delivered_ids()) == len(want))
            t_crowd = _time_to_all(healthy, want, start)
            await until(lambda: len(flaky.delivered_ids()) == len(want))
            await until(lambda: _status(h)["dead"]["health"] == "paused")
            # While paused, only probes reach the dead endpoint, one at a time.
            n = dead.requests()
            await until(lambda: dead.requests() >= n + 2)
            slow_seen = len(slow.delivered_ids())
        return t_alone, t_crowd, slow_seen

    t_alone, t_crowd, slow_seen = asyncio.run(go())
    print(f"healthy alone {t_alone:.2f} s, beside flaky/slow/dead/gone {t_crowd:.2f} s")
    # Sequential delivery would wait out the slow one (0.5 s a message) and every retry
    # of the dead one for each message: well over 100x. Own queues: about the same time.
    assert t_crowd < 4 * t_alone
    # The healthy one gets each message once, in ledger order.
    assert [g.id for g in healthy.delivered()] == want
    assert [g.event["index"] for g in healthy.delivered()] == sorted(
        g.event["index"] for g in healthy.delivered()
    )
    # The flaky one: everything, each after exactly three tries (same webhook-id).
    assert set(flaky.delivered_ids()) == set(want)
    assert set(Counter(g.id for g in flaky.got).values()) == {3}
    st = _status(h)
    assert st["healthy"]["backlog"] == 0 and st["healthy"]["health"] == "healthy"
    assert st["dead"]["health"] == "paused" and st["dead"]["backlog"] == len(want)
    assert st["dead"]["dead_letters"] == 0 and st["dead"]["oldest_undelivered_age_s"] > 0
    assert st["gone"]["health"] == "disabled" and st["gone"]["backlog"] == len(want)
    assert gone.requests() == 1  # 410 Gone: not one request more
    assert st["slow"]["backlog"] == len(want) - st["slow"]["delivered"] > 0
    assert st["slow"]["delivered"] >= slow_seen
    box = Outbox(open_store(h.store_url))
    changes = [(c.change, c.by) for c in box.health_changes("dead")]
    assert changes[0] == ("paused", "notifier")
    assert [(c.change, c.by) for c in box.health_changes("gone")] == [("disabled", "notifier")]

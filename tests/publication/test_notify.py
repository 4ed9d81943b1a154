"""The notifier over a real home, with real receivers on 127.0.0.1: healthy, flaky, slow,
dead (500) and gone (410). Every store test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from truceline.home import Home
from truceline.publication.outbox import Outbox
from truceline.publication.status import subscriber_status
from truceline.store.base import open_store

from ._notifyhome import event_ids, events_home, following, until, write_config
from ._receivers import Receiver

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
    receivers,
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
    # of the dead one for each message: over 100x. Own queues: about 2x measured (the
    # others' attempts share this process's CPU); 8x leaves room for a loaded machine.
    assert t_crowd < 8 * t_alone
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


def test_dead_subscriber_keeps_its_backlog_until_probe_or_operator_resumes(
    tmp_path: Path,
    store_url: str,
    receivers,
) -> None:
    from typer.testing import CliRunner

    from enforcement._world import KEYIDS, KEYS
    from truceline.cli import app
    from truceline.codec.keys import save_private_key

    h = events_home(tmp_path / "home", 20, store_url)
    key_file = tmp_path / "mission.key"  # the agreement's mission signatory's key
    save_private_key(key_file, KEYS["mission"])
    want = event_ids(h)
    probed, operated = receivers(500), receivers(500)
    cfg = write_config(
        h,
        {
            "probed": (probed, {}),
            "operated": (operated, {"probe_every_s": 3600}),  # no probe within this test
        },
    )

    async def go() -> None:
        async with following(h, cfg):
            await until(lambda: [s["health"] for s in _status(h).values()] == ["paused"] * 2)
            st = _status(h)
            assert [st[k]["backlog"] for k in ("probed", "operated")] == [len(want)] * 2
            probed.status = operated.status = 204  # both come back
            await until(lambda: set(probed.delivered_ids()) == set(want))
            await until(lambda: _status(h)["probed"]["health"] == "healthy")
            await asyncio.sleep(0.3)
            assert operated.delivered() == [] and _status(h)["operated"]["health"] == "paused"
            # The operator resumes it: a record signed with the mission key, through the CLI.
            args = ["notify", "resume", "--home", str(h.root), "--subscription", "operated"]
            args += ["--key", str(key_file)]
            r = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--reason", "fixed"])
            assert r.exit_code == 0, r.output
            await until(lambda: set(operated.delivered_ids()) == set(want))

    asyncio.run(go())
    # Nothing was dead-lettered; each got every message once, in ledger order.
    for rx in (probed, operated):
        assert [g.id for g in rx.delivered()] == want
    st = _status(h)
    assert all(s["backlog"] == 0 and s["dead_letters"] == 0 for s in st.values())
    box = Outbox(open_store(h.store_url))
    assert [(c.change, c.by) for c in box.health_changes("probed")] == [
        ("paused", "notifier"),
        ("resumed by probe", "probe"),
    ]
    paused, resumed = box.health_changes("operated")
    assert (paused.change, resumed.change) == ("paused", "resumed by operator")
    assert (resumed.by, resumed.reason) == (KEYIDS["mission"], "fixed")
    assert resumed.record is not None and b"webhook-resume" in resumed.record


def test_production_schedule_driven_by_the_clock(
    tmp_path: Path,
    receivers,
) -> None:
    """The default policy, with the project's clock moved by hand: attempts at 0, 5 s,
    5 min, 35 min (failing 35 min > 15: paused), then a probe a minute."""
    from truceline.clock import FixedClock

    h = events_home(tmp_path / "home", 2)
    want = event_ids(h)
    rx = receivers(503)
    # The schedule of each message: no limit on a failing subscriber's attempts here.
    cfg = write_config(h, {"s": (rx, {})}, delivery={"max_in_flight": 4, "failing_every_s": 0})
    clock = FixedClock(datetime(2026, 3, 6, tzinfo=UTC))
    n = len(want)

    seen = [n]

    async def failed(requests: int) -> None:
        """The receiver got them and the notifier recorded their failure (at the clock's
        time: the clock must not move before)."""
        await until(lambda: rx.requests() == requests)
        await until(lambda: _status(h)["s"]["failures"] == requests, 20, lambda: _status(h))

    async def step(seconds: float, requests: int) -> None:
        await asyncio.sleep(0.1)  # nothing more may come before the clock moves
        assert rx.requests() == seen[0]
        clock.advance(seconds)
        await failed(requests)
        seen[0] = requests

    async def go() -> None:
        async with following(h, cfg, clock=clock, control_poll_s=0.01):
            await failed(n)
            clock.advance(4.9)
            await step(0.2, 2 * n)  # 5 s
            await step(300, 3 * n)  # 5 min later
            assert _status(h)["s"]["health"] == "failing"
            await step(1800, 4 * n)  # 30 min later: failing for 35 min
            await until(lambda: _status(h)["s"]["health"] == "paused")
            await step(60, 4 * n + 1)  # a probe a minute, one message
            rx.status = 204
            await asyncio.sleep(0.1)
            assert rx.requests() == seen[0]
            clock.advance(60)  # the next probe goes through, and the rest follow at once
            await until(lambda: set(rx.delivered_ids()) == set(want))

    asyncio.run(go())
    assert len({g.id for g in rx.got}) == n  # retries carry the same webhook-id
    # The probe (the oldest) first; the rest go 4 at a time (max_in_flight), so their
    # arrival order is not the ledger's (only max_in_flight 1 promises that).
    delivered = [g.id for g in rx.delivered()]
    assert delivered[0] == want[0] and sorted(delivered) == sorted(want)
    assert rx.requests() == 4 * n + 1 + n


def test_failing_limit_one_attempt_per_interval_beside_a_healthy_one(
    tmp_path: Path,
    receivers,
) -> None:
    """The default policy with the project's clock moved by hand: once its last 3 attempts
    failed, a dead subscriber gets one attempt per 5 s (not one per message), the message
    due first; its first 2xx lifts the limit. A healthy one beside it gets everything."""
    from truceline.clock import FixedClock

    h = events_home(tmp_path / "home", 6)
    want = event_ids(h)
    dead, healthy = receivers(503), receivers()
    # The defaults (a non-empty `delivery`: an empty one means the tests' fast schedule).
    cfg = write_config(
        h, {"dead": (dead, {}), "healthy": (healthy, {})}, delivery={"max_in_flight": 1}
    )
    clock = FixedClock(datetime(2026, 3, 6, tzinfo=UTC))
    n = len(want)
    assert n > 4

    async def failed(requests: int) -> None:
        await until(lambda: dead.requests() == requests)
        await until(lambda: _status(h)["dead"]["failures"] == requests, 20, lambda: _status(h))

    async def go() -> None:
        async with following(h, cfg, clock=clock, control_poll_s=0.01):
            await until(lambda: set(healthy.delivered_ids()) == set(want))
            await failed(3)  # the first three messages, then the limit
            await asyncio.sleep(0.2)
            clock.advance(4.9)
            await asyncio.sleep(0.2)
            assert dead.requests() == 3
            clock.advance(0.2)  # 5 s after the last attempt: one more, the one due first
            await failed(4)
            await asyncio.sleep(0.2)
            assert dead.requests() == 4
            assert _status(h)["dead"]["health"] == "failing"
            assert _status(h)["dead"]["backlog"] == n
            dead.status = 204
            clock.advance(5)  # the next attempt succeeds, and the rest go at once
            await until(lambda: set(dead.delivered_ids()) == set(want))

    asyncio.run(go())
    # The fourth attempt is the message due first: one never tried (due since the start),
    # not a retry (due 5 s after its failure).
    assert [g.id for g in dead.got[:4]] == want[:4]
    assert dead.requests() == 4 + n  # each delivered once
    assert [g.id for g in healthy.delivered()] == want


def test_refused_messages_are_dead_lettered_then_redelivered(
    tmp_path: Path,
    store_url: str,
    receivers,
    monkeypatch,
) -> None:
    from typer.testing import CliRunner

    from truceline.cli import app

    from ._notifyhome import ENV

    h = events_home(tmp_path / "home", 3, store_url)
    want = event_ids(h)
    rx = receivers(fail_first=len(want), fail_status=422)  # refuses each message once
    cfg = write_config(h, {"s": (rx, {})})
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    args = ["notify", "--home", str(h.root), "--config", str(cfg)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 1 and rx.requests() == len(want)  # refused: never retried
    [st] = _json(first.stdout)["subscribers"]
    assert (st["dead_letters"], st["backlog"], st["last_status"]) == (len(want), 0, 422)
    assert CliRunner().invoke(app, args).exit_code == 0 and rx.requests() == len(want)
    again = CliRunner().invoke(
        app, ["notify", "redeliver", "--home", str(h.root), "--subscription", "s"]
    )
    assert _json(again.stdout) == {"requeued": len(want)}
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0 and _json(out.stdout)["delivered"] == len(want)
    assert [g.id for g in rx.delivered()] == want
    status = CliRunner().invoke(app, ["notify", "status", "--home", str(h.root)])
    [st] = _json(status.stdout)["subscribers"]
    assert (st["dead_letters"], st["backlog"], st["delivered"], st["health"]) == (
        0,
        0,
        len(want),
        "healthy",
    )


def _json(text: str) -> dict:
    import json

    return dict(json.loads(text))


def test_ordered_subscriber_gets_nothing_past_an_unsettled_message(
    tmp_path: Path,
    receivers,
) -> None:
    h = events_home(tmp_path / "home", 10)
    want = event_ids(h)
    rx = receivers(fail_each=1)
    cfg = write_config(h, {"s": (rx, {"ordered": True, "max_in_flight": 4})})

    async def go() -> None:
        async with following(h, cfg):
            await until(lambda: len(rx.delivered_ids()) == len(want))

    asyncio.run(go())
    assert [(g.id, g.status) for g in rx.got] == [
        (i, s) for i in want for s in (rx.fail_status, 204)
    ]


def test_http_status_and_signed_resume(tmp_path: Path, store_url: str, receivers) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from enforcement._world import KEYIDS, KEYS
    from truceline.codec.keys import generate
    from truceline.publication.api import router
    from truceline.publication.notifier import serve
    from truceline.publication.resume import seal_resume

    from ._notifyhome import ENV

    h = events_home(tmp_path / "home", 3, store_url)
    want = event_ids(h)
    rx = receivers(500)
    pause_at_once = {"pause_after_s": 0, "pause_after_failures": 1, "probe_every_s": 3600}
    cfg = write_config(h, {"s": (rx, pause_at_once)})
    asyncio.run(serve(h, None, config=cfg, env=ENV))  # one pass: fails once, paused
    # A restarted notifier keeps it paused: no request until the probe is due.
    asyncio.run(serve(h, None, config=cfg, env=ENV))
    assert rx.requests() == 1
    app = FastAPI()
    app.include_router(router(h))
    client = TestClient(app)
    [st] = client.get("/publication/subscribers").json()["subscribers"]
    assert (st["id"], st["health"], st["backlog"], st["log_behind"]) == (
        "s",
        "paused",
        len(want),
        0,
    )
    assert "1 failed attempts" in st["reason"] and st["next_probe_at"] is not None

    now = datetime.now(UTC)
    url = "/publication/subscribers/s/resume"
    record = seal_resume("s", now, "receiver redeployed", KEYS["mission"])
    stranger = seal_resume("s", now, "", generate())
    stale = seal_resume("s", now - timedelta(hours=1), "", KEYS["mission"])
    other = seal_resume("t", now, "", KEYS["mission"])
    for body, code, says in [
        (b"{}", 422, "body: not a DSSE envelope"),
        (stranger, 422, "signatures"),
        (stale, 422, "payload.at"),
        (other, 422, "payload.subscription"),
    ]:
        r = client.post(url, content=body)
        assert (r.status_code, says in r.json()["detail"]) == (code, True), r.text
    assert client.post("/publication/subscribers/t/resume", content=other).status_code == 404
    r = client.post(url, content=record)
    assert r.status_code == 200 and r.json()["health"] == "healthy"
    again = client.post(url, content=record)
    assert again.status_code == 422 and "already used" in again.json()["detail"]
    [change] = [c for c in Outbox(open_store(h.store_url)).health_changes("s") if c.record]
    assert (change.by, change.record) == (KEYIDS["mission"], record)


def test_a_failed_queueing_commit_loses_and_repeats_nothing(
    tmp_path: Path, store_url: str, receivers, caplog: pytest.LogCaptureFixture
) -> None:
    """The store refuses a commit that queues a log range already handed to the
    dispatchers (as a lost database connection would): the log is read again from the
    stored cursors; every message arrives, each acknowledged one once."""
    from sqlalchemy.exc import OperationalError

    from truceline.ledger.home import open_log
    from truceline.publication.notifier import Notifier
    from truceline.publication.notify import load_routes

    from ._notifyhome import ENV, grow

    h = events_home(tmp_path / "home", 10, store_url)
    rx = receivers()
    cfg = write_config(h, {"s": (rx, {})})
    store = open_store(h.store_url)
    log = open_log(h, store, witnesses=False)

    notifier = Notifier(log, store, load_routes(cfg, ENV))
    real = notifier.outbox.enqueue
    calls: list[int] = []

    def flaky_enqueue(*args, **kw):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:  # the first range handed over before its commit
            raise OperationalError("INSERT ...", {}, Exception("connection lost"))
        return real(*args, **kw)

    notifier.outbox.enqueue = flaky_enqueue  # type: ignore[method-assign]

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(notifier.follow(stop, poll_s=0.01))
        await until(lambda: len(rx.delivered_ids()) == 11)
        await asyncio.to_thread(grow, h, 10, 5)  # handed over; its commit fails
        await asyncio.to_thread(grow, h, 15, 5)
        await until(lambda: len(rx.delivered_ids()) == 21)
        stop.set()
        await task

    try:
        asyncio.run(go())
    finally:
        log.close()
    want = event_ids(h)
    assert len(calls) >= 3 and len(want) == 21
    assert "queueing the log failed (" in caplog.text and "reading it again" in caplog.text
    assert sorted(rx.delivered_ids()) == sorted(want)
    assert set(rx.delivered_ids().values()) == {1}  # nothing acknowledged came twice
    st = _status(h)["s"]
    assert (st["backlog"], st["delivered"]) == (0, 21)

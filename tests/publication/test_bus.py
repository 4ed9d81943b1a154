"""A small mission home with incidents, a vote and enforcement transitions, and NATS helpers.

The NATS server is the real one `scripts/services` starts at 127.0.0.1:4222; a test
that needs it fails (never skips) when it is down.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nats.aio.client import Client
from nats.js.errors import NotFoundError
from sqlalchemy.engine import Engine

from enforcement._world import T0, entry, incident, sanctions_home
from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.enforcement.appender import open_appender
from truceline.enforcement.records import VOTE_TYPE
from truceline.home import Home
from truceline.ledger.tilelog import TileLog
from truceline.publication import bus
from truceline.registry.model import SENSOR_TYPE, Revoke, event_json

NATS_URL = os.environ.get("TRUCELINE_NATS_URL", bus.DEFAULT_URL)
NOW = T0 + timedelta(days=1)


def require_nats() -> str:
    host, port = NATS_URL.removeprefix("nats://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        pytest.fail(
            f"NATS JetStream is not reachable at {NATS_URL} ({exc}); start it with scripts/services"
        )
    return NATS_URL


def make_home(root: Path, store_url: str | None = None, incidents: int = 1) -> Home:
    """Agreement (one snapback rung), `incidents` incidents verified then confirmed, a vote,
    a non-record entry, and the enforcement transitions the appender writes."""
    origin = f"test.example/bus-{uuid.uuid4().hex[:10]}"
    h = sanctions_home(root, routine=0, origin=origin, store_url=store_url)
    ledger = h.ledger()
    try:
        ledger.append([b"not a sealed record: the feed skips it"])
        records = []
        for n in range(incidents):
            at = T0 + timedelta(minutes=n)
            records.append(entry(INCIDENT_TYPE, incident(f"i{n}", "verified", at, grade="fair")))
            records.append(
                entry(INCIDENT_TYPE, incident(f"i{n}", "confirmed", at + timedelta(hours=1)))
            )
        ledger.append(records)
        revoke = Revoke(effective_at=T0, sensor_id="radar-1", reason="lost")
        ledger.append([entry(SENSOR_TYPE, event_json(revoke))])
        vote = {
            "case": "sanctions-party-a-x",
            "voter": "g1",
            "choice": "block",
            "cast_at": "2026-03-05T15:00:00Z",
        }
        ledger.append([entry(VOTE_TYPE, vote, signer="g1")])
    finally:
        ledger.close()
    ledger = h.ledger()
    try:
        open_appender(h, ledger, NOW, write=True).run(NOW)
    finally:
        ledger.close()
    return h


@asynccontextmanager
async def nats_stream(name: str) -> AsyncIterator[Client]:
    """A connection; the stream `name` is deleted afterwards (and before, if left over)."""
    nc = await bus.connect(require_nats())
    jsm = nc.jsm()
    try:
        with suppress(NotFoundError):
            await jsm.delete_stream(name)
        yield nc
    finally:
        with suppress(NotFoundError):
            await jsm.delete_stream(name)
        await nc.close()


def unique_stream() -> str:
    return f"TEST_BUS_{uuid.uuid4().hex[:12]}"


async def stream_messages(nc: Client, name: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """Every message of the stream in order: (subject, data, headers)."""
    info = await nc.jsm().stream_info(name)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        m = await nc.jsm().get_msg(name, seq)
        out.append((m.subject or "", m.data or b"", dict(m.headers or {})))
    return out


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@asynccontextmanager
async def feed_session(h: Home, name: str) -> AsyncIterator[tuple[Client, Engine, TileLog]]:
    """A NATS connection with the stream `name` (dropped afterwards), and the home's store and log."""
    async with nats_stream(name) as nc:
        store = open_store(h.store_url)
        log = open_log(h, store, witnesses=False)
        try:
            yield nc, store, log
        finally:
            log.close()
            store.dispose()


def make_feed(h: Home, log: TileLog, store: Engine, nc: Client, **kw: Any) -> Feed:
    """A feed of the home's log, rendering with the home's fallback agreement."""
    return Feed(log, store, nc, log.origin, **kw)


def verifying_subscriber(
    nc: Client, stream: str, name: str, h: Home, log: TileLog
) -> bus.Subscriber:
    """A subscriber that checks signatures against the home's keys and each entry's
    inclusion proof against the home's log key."""
    return bus.Subscriber(
        nc, stream, name, home_keys(h), log_key=h.log_vkey.read_text().strip(), prover=log.prove
    )


async def fetch_all(sub: bus.Subscriber, batch: int) -> list[bus.Alert]:
    """Every alert the subscriber gets until a fetch comes back empty."""
    got: list[bus.Alert] = []
    while alerts := await sub.fetch(batch, timeout=0.5):
        got.extend(alerts)
    return got


def assert_entries_are_the_log(log: TileLog, got: list[tuple[str, bytes, dict[str, str]]]) -> None:
    """The entry messages' bytes are the ledger's entries, at the indices the headers name."""
    for _, data, hd in got:
        if hd[bus.H_PART] == bus.PART_ENTRY:
            i = int(hd[bus.H_INDEX])
            assert log.read(i, i + 1)[0] == data


# --- tests ---------------------------------------------------------------------------

from lxml import etree  # noqa: E402

from truceline.ledger.home import open_log  # noqa: E402
from truceline.publication.feed import Feed, FeedCursor, home_keys  # noqa: E402
from truceline.publication.xml import validate  # noqa: E402
from truceline.store.base import open_store  # noqa: E402


def expected(h: Home, _feed: Feed | None = None) -> list[str]:
    """The msg ids the feed must publish for the whole log, in order (then the checkpoint)."""

    log = open_log(h, witnesses=False)
    try:
        # `messages` needs neither the store nor the connection.
        probe = Feed(log, None, None, log.origin)  # type: ignore[arg-type]
        ids = [m.id for i, e in log.scan() for m in probe.messages(i, e)]
        return [*ids, bus.checkpoint_msg_id(log.origin, log.size)]
    finally:
        log.close()


def test_every_relevant_entry_once_in_order_verified(
    tmp_path: Path, store_url: str, vectors: Path
) -> None:
    h = make_home(tmp_path / "home", store_url)
    name = unique_stream()

    async def go() -> None:
        async with feed_session(h, name) as (nc, store, log):
            feed = make_feed(h, log, store, nc, stream=name)
            want = expected(h, feed)
            assert await feed.run_once() == len(want)
            sub = verifying_subscriber(nc, name, "guarantor-g1", h, log)
            got = await fetch_all(sub, 16)
            assert [(a.part, a.index) for a in got] == [_part_index(m) for m in want]
            assert sub.rejected == []
            entries = [a for a in got if a.part == bus.PART_ENTRY]
            assert all(a.signed_by and a.proof for a in entries)
            root = feed.root
            subjects = [a.subject for a in got]
            assert f"{root}.incident.verified" in subjects
            assert f"{root}.incident.confirmed.cap" in subjects
            assert f"{root}.party.vote" in subjects
            assert f"{root}.sensor" in subjects
            # A CAP alert carries the signers of the entry it renders (checked by hash).
            assert all(a.signed_by for a in got if a.part == bus.PART_CAP)
            assert f"{root}.enforcement.countdown_started" in subjects
            assert f"{root}.enforcement.countdown_started.cap" in subjects
            assert subjects[-1] == f"{root}.checkpoint"
            # CAP variants validate and an update cites the earlier alert.
            xsd = vectors / "cap12" / "schema" / "CAP-v1.2.xsd"
            ns = {"c": cap_ns()}
            caps = [a for a in got if a.part == bus.PART_CAP]
            for a in caps:
                validate(a.data, xsd)
            confirmed = next(a for a in caps if a.subject.endswith("incident.confirmed.cap"))
            doc = etree.fromstring(confirmed.data)
            verified = next(
                etree.fromstring(a.data)
                for a in caps
                if a.subject.endswith("incident.verified.cap")
                and etree.fromstring(a.data).findtext("c:incidents", namespaces=ns) == "i0"
            )
            # It names the one alert it replaces: that alert's sender, identifier and sent.
            assert doc.findtext("c:references", namespaces=ns) == ",".join(
                verified.findtext(f"c:{k}", namespaces=ns) for k in ("sender", "identifier", "sent")
            )
            # The log grows: only the new entries go out, to the same durable consumer.
            log2 = open_log(h, store, witnesses=False)
            [new] = log2.append([entry(INCIDENT_TYPE, incident("i9", "verified", NOW))])
            log2.close()
            log.refresh()
            restarted = make_feed(h, log, store, nc, stream=name)
            assert await restarted.run_once() == 3  # entry, CAP, checkpoint
            assert restarted.duplicates == 0
            more = await sub.fetch(16, timeout=0.5)
            assert [(a.part, a.index) for a in more] == [
                ("entry", new),
                ("cap", new),
                ("checkpoint", None),
            ]
            assert await restarted.run_once() == 0 and restarted.duplicates == 0
            with store.connect() as conn:
                from sqlalchemy import select

                row = conn.execute(select(FeedCursor.next_index)).scalar_one()
            assert row == new + 1
            await sub.close()

    run(go())


def cap_ns() -> str:
    from truceline.publication.cap import CAP_NS

    return CAP_NS


def _part_index(msg_id: str) -> tuple[str, int | None]:
    tail = msg_id.rsplit("/", 2)
    if tail[-2] == "checkpoint":
        return ("checkpoint", None)
    if tail[-1] == "cap":
        return ("cap", int(tail[-2]))
    return ("entry", int(tail[-1]))


class Crash(Exception):
    """Stands for kill -9 between a PubAck and the cursor save."""


def test_crash_between_ack_and_cursor_save_sends_nothing_twice(tmp_path: Path) -> None:
    h = make_home(tmp_path / "home", incidents=5)
    name = unique_stream()

    async def go() -> None:
        async with feed_session(h, name) as (nc, store, log):
            want: list[str] = []
            for k in (1, 2, 5, 6):  # entry, its CAP, and a later entry's two parts
                seen: list[str] = []

                def crash_at(m: Any, k: int = k, seen: list[str] = seen) -> None:
                    seen.append(m.id)
                    if len(seen) == k:
                        raise Crash

                feed = make_feed(
                    h, log, store, nc, stream=name, after_ack=crash_at, cursor_every=1000
                )
                want = want or expected(h, feed)
                with pytest.raises(Crash):
                    await feed.run_once()
            # A feed with a 1000-entry cursor interval never saved: the stream alone
            # tells the next one where to go on, so nothing is sent a second time.
            last = make_feed(h, log, store, nc, stream=name)
            await last.run_once()
            assert last.duplicates == 0
            got = await stream_messages(nc, name)
            assert [hd[bus.H_MSG_ID] for _, _, hd in got] == want
            assert_entries_are_the_log(log, got)

    run(go())


def test_subscriber_rejects_forgeries_and_resumes_in_order(tmp_path: Path) -> None:
    from truceline.codec.keys import generate, key_id
    from truceline.codec.records import seal

    h = make_home(tmp_path / "home", incidents=3)
    name = unique_stream()

    async def go() -> None:
        async with feed_session(h, name) as (nc, store, log):
            feed = make_feed(h, log, store, nc, stream=name)
            total = await feed.run_once()
            # A forged incident: right subject and headers, signed by an unknown key.
            rogue = generate()
            forged = seal(
                INCIDENT_TYPE,
                incident("fake", "verified", NOW),
                rogue,
                key_id(rogue.public_key()),
            )
            await nc.jetstream().publish(
                f"{feed.root}.incident.verified",
                forged,
                stream=name,
                headers={
                    bus.H_MSG_ID: "forged",
                    bus.H_PART: bus.PART_ENTRY,
                    bus.H_INDEX: "1",
                    bus.H_TYPE: INCIDENT_TYPE,
                },
            )
            keys = home_keys(h)
            first = bus.Subscriber(nc, name, "party-b", keys)
            a = await first.fetch(4, timeout=0.5)
            # Stops without processing the second batch: not acknowledged.
            b = await first.fetch(4, timeout=0.5)
            first._sub = None  # the process is gone; its fetched batch was never acked
            again = bus.Subscriber(nc, name, "party-b", keys)
            rest = await fetch_all(again, 8)
            await again.close()
            seqs = [x.stream_seq for x in a + rest]
            assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
            assert [x.stream_seq for x in rest[: len(b)]] == [x.stream_seq for x in b]
            assert len(a) + len(rest) == total
            [bad] = again.rejected
            assert bad.subject.endswith("incident.verified") and "not a trusted key" in bad.reason
            # Nothing more for this party; another party has its own cursor.
            assert await bus.Subscriber(nc, name, "party-b", keys).fetch(8, 0.3) == []
            other = await bus.Subscriber(nc, name, "guarantor-g2", keys).fetch(100, 0.5)
            assert len(other) == total

    run(go())


def test_follow_publishes_what_another_process_appends(tmp_path: Path) -> None:
    h = make_home(tmp_path / "home")
    name = unique_stream()

    async def go() -> None:
        async with feed_session(h, name) as (nc, store, log):
            stop = asyncio.Event()
            feed = make_feed(h, log, store, nc, stream=name)
            await feed.position()  # creates the stream the subscriber binds to
            task = asyncio.create_task(feed.follow(stop, poll_s=0.01))
            try:
                sub = bus.Subscriber(
                    nc, name, "g3", home_keys(h), subjects=f"{feed.root}.incident.*"
                )
                got: list[bus.Alert] = []
                while len(got) < 2:  # i0 verified and confirmed
                    got.extend(await sub.fetch(100, timeout=1.0))
                writer = open_log(h, witnesses=False)
                [i] = writer.append([entry(INCIDENT_TYPE, incident("late", "verified", NOW))])
                writer.close()
                more: list[bus.Alert] = []
                while not more:
                    more = await sub.fetch(100, timeout=1.0)
                assert [x.payload["incident"] for x in got] == ["i0", "i0"]
                assert [(x.index, x.payload["incident"]) for x in more] == [(i, "late")]
                assert all(x.part == bus.PART_ENTRY for x in got + more)  # filter: no .cap
                await sub.close()
            finally:
                stop.set()
                await task

    run(go())


def test_cli_feed_publishes_and_reports(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from truceline.cli import app

    h = make_home(tmp_path / "home")
    name = unique_stream()

    async def count() -> int:
        nc = await bus.connect(require_nats())
        try:
            return len(await stream_messages(nc, name))
        finally:
            await nc.close()

    async def drop() -> None:
        async with nats_stream(name):
            pass

    try:
        args = ["feed", "--home", str(h.root), "--nats", NATS_URL, "--stream", name]
        first = CliRunner().invoke(app, args)
        assert first.exit_code == 0, first.output
        out = json.loads(first.output)
        assert out["published"] == run(count()) > 0
        second = json.loads(CliRunner().invoke(app, args).output)
        assert second["published"] == 0 and second["next_index"] == out["next_index"]
    finally:
        run(drop())


def test_unreachable_server_and_bad_names_are_clear_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from truceline.cli import app

    with pytest.raises(bus.BusError, match="nats://127.0.0.1:1"):
        run(bus.connect("nats://127.0.0.1:1"))
    h = make_home(tmp_path / "home")
    r = CliRunner().invoke(app, ["feed", "--home", str(h.root), "--nats", "nats://127.0.0.1:1"])
    assert r.exit_code == 2 and "cannot connect to NATS" in r.output
    r = CliRunner().invoke(app, ["feed", "--home", str(tmp_path / "none")])
    assert r.exit_code == 2 and "no log" in r.output
    with pytest.raises(ValueError, match="prefix"):
        bus.subject_root("o", "bad prefix")
    with pytest.raises(ValueError, match="origin"):
        bus.slug("///")


@given(st.text(min_size=1, max_size=40))
def test_slug_is_one_subject_token(origin: str) -> None:
    try:
        s = bus.slug(origin)
    except ValueError:
        assert not any(c.isascii() and c.isalnum() for c in origin)
        return
    assert s and all(c.isascii() and (c.isalnum() or c in "_-") for c in s)
    assert bus.stream_name(origin).startswith("TRUCELINE_")


def test_a_stream_of_other_subjects_is_refused() -> None:
    name = unique_stream()

    async def go() -> None:
        async with nats_stream(name) as nc:
            await bus.ensure_stream(nc, name, f"t{name.lower()}.a", 60)
            with pytest.raises(bus.BusError, match=f"--stream {name}: exists with subjects"):
                await bus.ensure_stream(nc, name, f"t{name.lower()}.b", 60)

    run(go())


def test_follow_rides_out_a_lost_puback(tmp_path: Path) -> None:
    """A PubAck that never came (the message was stored): the follower retries the pass
    and the stream still holds each message once, the same bytes as an unbroken run."""
    import nats.errors

    h = make_home(tmp_path / "home", incidents=4)
    name = unique_stream()
    want = expected(h)

    async def go() -> None:
        async with nats_stream(name) as nc:
            store = open_store(h.store_url)
            log = open_log(h, store, witnesses=False)
            stop = asyncio.Event()
            acks: list[str] = []

            def lose_some(m: Any) -> None:
                acks.append(m.id)
                if len(acks) in (3, 8):  # an incident's CAP, then an entry
                    raise nats.errors.TimeoutError
                if m.id == want[-1]:
                    stop.set()

            feed = make_feed(h, log, store, nc, stream=name, after_ack=lose_some)
            await asyncio.wait_for(feed.follow(stop, poll_s=0.01, retry_s=0.01), 30)
            got = await stream_messages(nc, name)
            assert [hd[bus.H_MSG_ID] for _, _, hd in got] == want
            assert feed.duplicates == 0
            clean = make_feed(h, log, store, nc)
            rendered = {m.id: m.data for i, e in log.scan() for m in clean.messages(i, e)}
            assert all(rendered[hd[bus.H_MSG_ID]] == data for _, data, hd in got[:-1])

    run(go())

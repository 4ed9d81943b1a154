"""`truceline feed` killed with SIGKILL at random moments of its publication, then rerun:
the stream holds every relevant ledger entry exactly once, in log order, byte for byte."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from truceline.home import Home
from truceline.ledger.home import open_log
from truceline.publication import bus

from .test_bus import (
    NATS_URL,
    assert_entries_are_the_log,
    expected,
    make_home,
    nats_stream,
    stream_messages,
    unique_stream,
)

ROUNDS = 4


async def _count(nc: Client, name: str) -> int:
    try:
        return int((await nc.jsm().stream_info(name)).state.messages)
    except NotFoundError:
        return 0


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_repeats_nothing(tmp_path: Path) -> None:
    h = make_home(tmp_path / "home", incidents=80)
    want = expected(h)
    name = unique_stream()
    rng = random.Random()
    cmd = [
        sys.executable,
        "-m",
        "truceline.cli",
        "feed",
        "--home",
        str(h.root),
        "--nats",
        NATS_URL,
        "--stream",
        name,
    ]

    async def go() -> None:
        async with nats_stream(name) as nc:
            killed_at: list[int] = []
            for _ in range(ROUNDS):
                before = await _count(nc, name)
                target = before + rng.randint(1, max(1, (len(want) - before) // 2))
                proc = await asyncio.create_subprocess_exec(
                    *cmd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
                )
                while proc.returncode is None and await _count(nc, name) < target:
                    await asyncio.sleep(0.002)
                await asyncio.sleep(rng.uniform(0, 0.01))
                if proc.returncode is None:
                    proc.send_signal(signal.SIGKILL)
                await proc.wait()
                killed_at.append(await _count(nc, name))
            # The kills landed during publication, not before or after it.
            assert any(0 < k < len(want) for k in killed_at), killed_at
            proc = await asyncio.create_subprocess_exec(
                *cmd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            _, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()
            assert b"Traceback" not in err, err.decode()
            assert_stream_is_the_log(h, await stream_messages(nc, name), want)

    asyncio.run(go())


def assert_stream_is_the_log(
    h: Home, got: list[tuple[str, bytes, dict[str, str]]], want: list[str]
) -> None:
    """The stream holds the expected message ids, in order, with the log's own bytes."""
    assert [hd[bus.H_MSG_ID] for _, _, hd in got] == want
    log = open_log(h, witnesses=False)
    try:
        assert_entries_are_the_log(log, got)
    finally:
        log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start_nats(port: int, store: Path) -> asyncio.subprocess.Process:
    """A private JetStream server (not the shared one: this test kills it)."""
    import shutil

    exe = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not Path(exe).exists():
        pytest.fail("nats-server is not installed (scripts/services installs it)")
    proc = await asyncio.create_subprocess_exec(
        exe,
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "-js",
        "-sd",
        str(store),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return proc
        except OSError:
            await asyncio.sleep(0.05)
    pytest.fail(f"nats-server did not listen on {port}")


async def _count_at(url: str, name: str) -> int:
    """Messages in the stream, or -1 while the server is down (a fresh connection each time)."""
    try:
        nc = await bus.connect(url)
    except bus.BusError:
        return -1
    try:
        return await _count(nc, name)
    except Exception:  # noqa: BLE001 - a server going down under the question
        return -1
    finally:
        await nc.close()


@pytest.mark.slow
def test_server_killed_mid_publish_exactly_once_and_one_line_per_reconnect(
    tmp_path: Path,
) -> None:
    """SIGKILL of the NATS server while `truceline feed --follow` publishes, a restart
    a moment later: the stream ends with every message once, in log order, and the feed's
    log reports the outage in single lines, with no traceback."""
    h = make_home(tmp_path / "home", incidents=800)
    want = expected(h)
    name = unique_stream()
    port = _free_port()
    url = f"nats://127.0.0.1:{port}"
    store = tmp_path / "nats"
    cmd = [sys.executable, "-m", "truceline.cli", "feed", "--home", str(h.root)]
    cmd += ["--nats", url, "--stream", name, "--follow", "--poll", "0.01"]

    async def go() -> str:
        server = await _start_nats(port, store)
        feed = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            while (n := await _count_at(url, name)) < len(want) // 3:
                assert feed.returncode is None
                await asyncio.sleep(0.01)
            server.send_signal(signal.SIGKILL)  # mid-publish
            await server.wait()
            await asyncio.sleep(1.5)  # the feed retries while nobody listens
            server = await _start_nats(port, store)
            while (n := await _count_at(url, name)) < len(want):
                assert feed.returncode is None
                await asyncio.sleep(0.05)
            feed.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(feed.communicate(), 60)
            assert feed.returncode == 0, err.decode()
            nc = await bus.connect(url)
            try:
                got = await stream_messages(nc, name)
            finally:
                await nc.close()
            assert n == len(want)
            assert_stream_is_the_log(h, got, want)
            return err.decode()
        finally:
            for p in (feed, server):
                if p.returncode is None:
                    p.kill()
                    await p.wait()

    err = asyncio.run(go())
    assert "Traceback" not in err, err
    outage = [line for line in err.splitlines() if "WARNING" in line]
    assert any(line.endswith("disconnected") for line in outage), err
    assert any(line.endswith("reconnected") for line in outage), err
    # Each report is one line with its time, logger and level.
    assert all(line[:4].isdigit() and " truceline." in line for line in err.splitlines()), err

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
            got = await stream_messages(nc, name)
            assert [hd[bus.H_MSG_ID] for _, _, hd in got] == want
            log = open_log(h, witnesses=False)
            try:
                assert_entries_are_the_log(log, got)
            finally:
                log.close()

    asyncio.run(go())

"""A demo-sized home through the real pipeline (simulate, ingest, fuse, enforcement), fed to
NATS: a guarantor's subscriber receives every relevant entry once, in log order, each
signature and inclusion proof verifying, and every CAP rendering valid against the XSD."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from rich.console import Console

from enforcement.test_presets import _scenario
from truceline.home import Home
from truceline.publication import bus
from truceline.publication.xml import validate

from .test_bus import (
    expected,
    feed_session,
    fetch_all,
    make_feed,
    unique_stream,
    verifying_subscriber,
)

DAYS = 0.1


@pytest.mark.slow
def test_demo_home_feed_is_complete_ordered_and_verifiable(tmp_path: Path, vectors: Path) -> None:
    from truceline.adjudication.service import fuse
    from truceline.mission.demo import Demo, run

    d = run(
        Demo(
            home=tmp_path / "home",
            days=DAYS,
            scenario=str(_scenario(tmp_path, "duel")),
            workers=1,
            console=Console(file=io.StringIO()),
        )
    )
    h = Home(d.home)
    fuse(h)
    want = expected(h)
    name = unique_stream()
    xsd = vectors / "cap12" / "schema" / "CAP-v1.2.xsd"

    async def go() -> None:
        async with feed_session(h, name) as (nc, store, log):
            feed = make_feed(h, log, store, nc, stream=name)
            assert await feed.run_once() == len(want)
            sub = verifying_subscriber(nc, name, "guarantor", h, log)
            got = await fetch_all(sub, 256)
            await sub.close()
            assert sub.rejected == []
            ids = [
                bus.checkpoint_msg_id(log.origin, int(a.data.split(b"\n")[1]))
                if a.part == bus.PART_CHECKPOINT
                else bus.msg_id(log.origin, a.index or 0, a.part)
                for a in got
            ]
            assert ids == want
            kinds = {a.subject.split(".")[2] for a in got}
            assert {"sensor", "agreement", "incident", "enforcement", "checkpoint"} <= kinds
            for a in got:
                if a.part == bus.PART_ENTRY:
                    assert a.signed_by and a.proof
                elif a.part == bus.PART_CAP:
                    assert a.signed_by
                    validate(a.data, xsd)

    asyncio.run(go())

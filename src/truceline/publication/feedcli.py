"""`truceline feed`: publish a home's log to NATS JetStream (see docs/feed.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from pathlib import Path

import nats.errors
import typer

from truceline.home import Home
from truceline.mission.options import fail
from truceline.publication import bus


def feed_command(
    home: Path = typer.Option(..., "--home", help="mission home directory"),
    nats_url: str = typer.Option(bus.DEFAULT_URL, "--nats", help="NATS server URL"),
    follow: bool = typer.Option(False, "--follow", help="keep publishing as the log grows"),
    stream: str | None = typer.Option(None, "--stream", help="default: TRUCELINE_<origin>"),
    prefix: str = typer.Option(bus.DEFAULT_PREFIX, "--prefix", help="first subject token(s)"),
    observations: bool = typer.Option(
        False, "--observations", help="also publish every observation (high volume)"
    ),
    poll: float = typer.Option(0.05, "--poll", min=0.001, help="seconds between log checks"),
) -> None:
    """Publish the log's incidents, enforcement, registry, party records and checkpoints,
    each once, in log order, from the cursor kept in the home's store."""
    if follow:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
    try:
        summary = asyncio.run(
            _run(Home(home), nats_url, follow, stream, prefix, observations, poll)
        )
    except (bus.BusError, FileNotFoundError, ValueError, RuntimeError) as exc:
        fail(exc, 2)
    except (nats.errors.Error, TimeoutError) as exc:
        typer.echo(
            f"error: --nats {nats_url}: publication interrupted ({type(exc).__name__}: {exc}); "
            "running the command again resumes where the stream stops",
            err=True,
        )
        raise typer.Exit(3) from exc
    typer.echo(json.dumps(summary, indent=2))


async def _run(
    h: Home,
    url: str,
    follow: bool,
    stream: str | None,
    prefix: str,
    observations: bool,
    poll: float,
) -> dict[str, object]:
    from truceline.publication.feed import Feed

    store = h.store()
    nc = await bus.connect(url)
    log = h.ledger(store, witnesses=False)
    try:
        feed = Feed(
            log,
            store,
            nc,
            log.origin,
            prefix=prefix,
            stream=stream,
            observations=observations,
        )
        if follow:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await feed.follow(stop, poll)
        else:
            await feed.run_once()
        pos = await feed.position()
        return {
            "stream": feed.stream_name,
            "subjects": f"{feed.root}.>",
            "published": feed.published,
            "duplicates_dropped": feed.duplicates,
            "next_index": pos.next_index,
            "checkpoint_size": pos.checkpoint_size,
        }
    finally:
        log.close()
        await nc.close()
        store.dispose()


def register(app: typer.Typer) -> None:
    app.command("feed")(feed_command)

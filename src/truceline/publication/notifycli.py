"""`truceline notify [--follow] | notify status | notify resume | notify redeliver`."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer

from truceline.home import Home
from truceline.mission.options import fail

notify_app = typer.Typer()
HOME = typer.Option(..., "--home", help="mission home directory")


def _print(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


def _fail(message: str | Exception, code: int = 2) -> NoReturn:
    fail(message, code)  # notify's errors are usage errors: exit 2


@notify_app.callback(invoke_without_command=True)
def notify_command(
    ctx: typer.Context,
    home: Path | None = typer.Option(None, "--home", help="mission home directory"),
    config: Path | None = typer.Option(None, "--config", help="default: HOME/publication.yaml"),
    follow: bool = typer.Option(
        False, "--follow", help="keep delivering as the log grows (SIGINT/SIGTERM stop it)"
    ),
    poll: float = typer.Option(0.05, "--poll", min=0.001, help="seconds between log checks"),
    grace: float = typer.Option(
        2.0, "--grace", min=0.0, help="on stop: seconds for in-flight attempts to end"
    ),
) -> None:
    """Send the logged enforcement transitions to the webhook subscribers of
    HOME/publication.yaml, each subscriber on its own queue (docs/enforcement.md).

    Without --follow: one pass (queue the log, make every attempt due now); exit 1 if
    something was dead-lettered or is left queued (retried by the next pass)."""
    if ctx.invoked_subcommand is not None:
        return
    if home is None:
        _fail("--home: required")
    assert home is not None
    from truceline.publication.notifier import serve

    h = Home(home)
    if follow:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    try:
        summary = asyncio.run(_run(h, config, follow, poll, grace, serve))
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        _fail(exc)
    _print(summary)
    if not follow and (
        summary["dead_lettered"] or any(s["backlog"] for s in summary["subscribers"])
    ):
        raise typer.Exit(1)


async def _run(
    h: Home, config: Path | None, follow: bool, poll: float, grace: float, serve: Any
) -> Any:
    if not follow:
        return await serve(h, None, config=config, grace_s=grace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return await serve(h, stop, config=config, poll_s=poll, grace_s=grace)


@notify_app.command("status")
def status_command(home: Path = HOME) -> None:
    """Each subscriber's health, backlog and the age of its oldest undelivered message."""
    from truceline.publication.status import subscriber_status

    h = Home(home)
    store, size = _store_and_size(h)
    try:
        _print(
            {
                "now": datetime.now(UTC).isoformat(),
                "subscribers": subscriber_status(store, datetime.now(UTC), size),
            }
        )
    finally:
        store.dispose()


def _store_and_size(h: Home) -> Any:
    from truceline.home import HomeError

    try:
        store = h.store()
        log = h.reader()
    except (HomeError, RuntimeError) as exc:
        _fail(exc)
    try:
        return store, log.size
    finally:
        log.close()


@notify_app.command("resume")
def resume_command(
    home: Path = HOME,
    subscription: str = typer.Option(..., "--subscription", help="the subscriber's id"),
    key: Path | None = typer.Option(
        None,
        "--key",
        help="a registrar's key to sign the resume with (default: the home's own, as the "
        "agreement on the log names the registrar)",
    ),
    reason: str = typer.Option("", "--reason", help="why, for the health history"),
) -> None:
    """Resume a paused or disabled subscriber: sign a resume record with a mission key; its
    queued messages are due at once. A running notifier picks it up within a second."""
    from truceline.authority import authority_of, registrar_ids
    from truceline.codec.keys import KeyFileError, load_private_key
    from truceline.home import HomeError
    from truceline.publication.outbox import Outbox
    from truceline.publication.resume import Refused, accept_resume, operator_keys, seal_resume
    from truceline.publication.status import subscriber_status
    from truceline.store.base import open_store

    h = Home(home)
    try:
        if key is not None:
            private = load_private_key(key)
        else:
            log = h.reader()
            try:
                private, _, _ = h.signing_key(*registrar_ids(authority_of(log)))
            finally:
                log.close()
    except (KeyFileError, OSError, HomeError, RuntimeError) as exc:
        _fail(f"--key: {exc}")
    now = datetime.now(UTC)
    record = seal_resume(subscription, now, reason, private)
    store = open_store(h.store_url)
    try:
        accept_resume(Outbox(store), record, operator_keys(h), now, subscription)
        [row] = [s for s in subscriber_status(store, now) if s["id"] == subscription]
        _print(row)
    except Refused as exc:
        _fail(exc)
    except KeyError as exc:
        _fail(f"--subscription: {exc.args[0]}")
    finally:
        store.dispose()


@notify_app.command("redeliver")
def redeliver_command(
    home: Path = HOME,
    subscription: str = typer.Option(..., "--subscription", help="the subscriber's id"),
) -> None:
    """Put a subscriber's dead letters back in its queue; the notifier sends them again."""
    from truceline.publication.outbox import Outbox
    from truceline.store.base import open_store

    store = open_store(Home(home).store_url)
    try:
        box = Outbox(store)
        ids = [d.id for d in box.dead_letters(subscription)]
        _print({"requeued": box.redeliver(ids, datetime.now(UTC).timestamp())})
    except KeyError as exc:
        _fail(str(exc.args[0]))
    finally:
        store.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")

"""`truceline cot push`: the incidents' latest states as CoT, streamed to a TAK server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from truceline.home import Home

cot_app = typer.Typer(help="Cursor-on-Target for TAK: push incidents to a TAK server.")


@cot_app.command("push")
def push_command(
    home: Path = typer.Option(..., "--home", help="mission home directory (or a mirror)"),
    url: str = typer.Option(..., "--url", help="tcp://host:port or tls://host:port"),
    cert: Path | None = typer.Option(None, "--cert", help="client certificate (PEM), for tls://"),
    key: Path | None = typer.Option(None, "--key", help="its private key (PEM), if not in --cert"),
    ca: Path | None = typer.Option(None, "--ca", help="CA certificate(s) to verify the server"),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="seconds per network step"),
) -> None:
    """One CoT event per incident (its latest state), each a complete XML document on
    one streaming connection; prints how many were sent."""
    from truceline.publication.logged import logged_incidents
    from truceline.publication.takpush import push, target

    to = target(url, cert, key, ca)
    with logged_incidents(Home(home)) as incidents:
        events = incidents.events(datetime.now(UTC))
    sent = push(to, events, timeout)
    typer.echo(json.dumps({"url": url, "events": sent}))


def register(app: typer.Typer) -> None:
    app.add_typer(cot_app, name="cot")

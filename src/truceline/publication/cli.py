"""`truceline alert | notify`: CAP/CoT for an incident, and webhooks for logged transitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer

from truceline.home import Home

HOME = typer.Option(..., "--home", help="mission home directory")


class AlertFormat(StrEnum):
    cap = "cap"
    cot = "cot"


def alert_command(
    home: Path = HOME,
    incident: str = typer.Option(..., "--incident", help="incident id"),
    format: AlertFormat = typer.Option(AlertFormat.cap, "--format", help="cap (CAP 1.2) or cot"),  # noqa: A002
) -> None:
    """One incident's latest state as a CAP 1.2 alert (an Update citing earlier states) or a CoT event."""
    from truceline.enforcement.cli import with_appender
    from truceline.publication import cap, cot

    now = datetime.now(UTC)
    app, state = with_appender(home, now, lambda a: (a, a.state(now, plan_routes=False)))
    hist = state.incidents.get(incident)
    if hist is None or not hist.transitions:
        typer.echo(f"error: --incident {incident!r}: not on the log", err=True)
        raise typer.Exit(1)
    mine = [t for _, t in hist.transitions]
    if format is AlertFormat.cot:
        typer.echo(cot.incident_event(mine[-1]).decode())
        return
    sender = f"{app.agreement.id}@truceline"
    refs = [cap.Reference(sender, cap.alert_id(app.agreement.id, t), t.at) for t in mine[:-1]]
    typer.echo(cap.incident_alert(mine[-1], app.agreement, sender, refs).decode())


def notify_command(
    home: Path = HOME,
    config: Path | None = typer.Option(None, "--config", help="default: HOME/publication.yaml"),
) -> None:
    """Send the logged enforcement transitions to the webhook subscribers (each at most once)."""
    from truceline.publication.notify import load_routes, logged_events, publish
    from truceline.publication.webhooks import Deliverer
    from truceline.store.base import open_store

    h = Home(home)
    path = config or h.root / "publication.yaml"
    try:
        routes = load_routes(path)
        ledger = h.reader()
    except (OSError, ValueError, RuntimeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        events = logged_events(ledger)
    finally:
        ledger.close()
    with Deliverer(open_store(h.store_url)) as deliverer:
        outcomes = publish(events, routes, deliverer)
    summary = {
        "events": len(events),
        "delivered": sum(1 for o in outcomes if o.delivered and not o.duplicate),
        "already_delivered": sum(1 for o in outcomes if o.duplicate),
        "dead_lettered": sum(1 for o in outcomes if not o.delivered),
    }
    typer.echo(json.dumps(summary, indent=2))
    if summary["dead_lettered"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("alert")(alert_command)
    app.command("notify")(notify_command)
    from truceline.publication import feedcli

    feedcli.register(app)  # `truceline feed` (NATS JetStream)

"""`truceline alert`: CAP/CoT for an incident; registers `notify` (webhooks) and `feed` (NATS)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer

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


def register(app: typer.Typer) -> None:
    app.command("alert")(alert_command)
    from truceline.publication import feedcli, notifycli

    notifycli.register(app)  # `truceline notify` (webhooks)
    feedcli.register(app)  # `truceline feed` (NATS JetStream)

"""`truceline alert`: CAP/CoT for an incident; registers `notify` (webhooks) and `feed` (NATS)."""

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
    incident: str | None = typer.Option(None, "--incident", help="incident id"),
    format: AlertFormat = typer.Option(AlertFormat.cap, "--format", help="cap (CAP 1.2) or cot"),  # noqa: A002
    all_: bool = typer.Option(
        False, "--all", help="every CAP alert of every incident, in log order (needs --out)"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="with --all: a directory, one file per alert"
    ),
) -> None:
    """One incident's latest state as a CAP 1.2 alert (an Update, or a Cancel once
    dismissed, referencing the alert it replaces) or a CoT event (a complete document,
    framed for a TAK stream: outputs concatenated still parse one by one); or, with
    --all --out DIR, every alert the log implies as DIR/<ledger index>.xml."""
    from truceline.publication import cot
    from truceline.publication.logged import logged_incidents

    if all_ == (incident is not None):
        typer.echo("error: give either --incident ID or --all --out DIR", err=True)
        raise typer.Exit(2)
    if all_ and (out is None or format is not AlertFormat.cap):
        typer.echo("error: --all writes CAP alerts into --out DIR", err=True)
        raise typer.Exit(2)
    with logged_incidents(Home(home)) as incidents:
        if out is not None and all_:
            out.mkdir(parents=True, exist_ok=True)
            n = 0
            for index, xml in incidents.alerts():
                (out / f"{index}.xml").write_bytes(xml)
                n += 1
            typer.echo(json.dumps({"alerts": n, "out": str(out)}))
            return
        assert incident is not None
        if incident not in incidents.histories:
            typer.echo(f"error: --incident {incident!r}: not on the log", err=True)
            raise typer.Exit(1)
        if format is AlertFormat.cot:
            event = incidents.event(incident, datetime.now(UTC))
            typer.echo(cot.frame(event), nl=False)  # no newline: it would come before the next
            return
        typer.echo(incidents.latest_alert(incident).decode())


def register(app: typer.Typer) -> None:
    app.command("alert")(alert_command)
    from truceline.publication import feedcli, notifycli

    notifycli.register(app)  # `truceline notify` (webhooks)
    feedcli.register(app)  # `truceline feed` (NATS JetStream)
    from truceline.publication import cotcli

    cotcli.register(app)  # `truceline cot push` (TAK servers)

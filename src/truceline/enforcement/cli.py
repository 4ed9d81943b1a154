"""`truceline penalties | inspections | playbooks | enforce`, and a signatory's acts:
`vote | dispute | acknowledge | invoke | request-inspection`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from truceline.home import Home
from truceline.mission.options import fail, option_time

HOME = typer.Option(..., "--home", help="mission home directory")
NOW = typer.Option(None, "--now", help="event time to derive at (RFC 3339); default: the clock")


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        return option_time("--now", text).astimezone(UTC)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def with_appender(home: Path, now: datetime, fn: Any, *, write: bool = False) -> Any:
    """`fn(appender)` over the home's ledger, closed afterwards; a missing or broken
    home (no ledger, no agreement, no key to write with) is a clean exit 2. Reading
    commands never need a key, so they answer on a mirror as on the operator's home."""
    from truceline.enforcement.appender import open_appender
    from truceline.home import HomeError

    h = Home(home)
    try:
        ledger = h.ledger() if write else h.reader()
    except (HomeError, RuntimeError) as exc:
        fail(exc, 2)
    try:
        return fn(open_appender(h, ledger, now, write=write))
    except (HomeError, ValueError) as exc:
        fail(exc, 2)
    finally:
        ledger.close()


def _print(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


def penalties_command(home: Path = HOME, now: str | None = NOW) -> None:
    """Penalty cases: status, countdown deadline (00:00 UTC), votes counted, and ignored records."""
    from truceline.enforcement import views

    at = _now(now)
    state = with_appender(home, at, lambda app: app.state(at))
    _print(
        {
            "now": at.isoformat(),
            "penalties": views.penalties(state),
            "ignored": views.ignored(state),
        }
    )


def inspections_command(home: Path = HOME, now: str | None = NOW) -> None:
    """Inspections (routine, requested, automatic), assigned teams, and coverage per zone."""
    from truceline.enforcement import views

    at = _now(now)
    _print(views.inspections(with_appender(home, at, lambda app: app.state(at))))


def playbooks_command(home: Path = HOME, now: str | None = NOW) -> None:
    """Playbook steps issued per incident, their deadlines and escalations."""
    from truceline.enforcement import views

    at = _now(now)
    _print(views.playbooks(with_appender(home, at, lambda app: app.state(at))))


def enforce_command(
    home: Path = HOME,
    now: str | None = NOW,
    follow: bool = typer.Option(
        False,
        "--follow",
        help="keep running: a pass whenever the log grows and every second (Ctrl-C stops)",
    ),
    poll: float = typer.Option(0.05, "--poll", help="with --follow: seconds between looks"),
) -> None:
    """Append the enforcement transitions due by `now` that are not on the log yet (idempotent).

    With --follow, run as the mission's enforcement process beside `truceline adjudicate`:
    each verified breach gets its countdown as soon as its transition is on the log, and
    deadlines are settled as the clock reaches them."""
    if not follow:
        at = _now(now)
        appended = with_appender(home, at, lambda app: app.run(at), write=True)
        _print({"now": at.isoformat(), "appended": len(appended), "indices": appended})
        return
    if now is not None:
        raise typer.BadParameter("--now: a follower runs on the clock; leave it out")
    total = with_appender(home, _now(None), lambda app: _follow(app, poll), write=True)
    typer.echo(f"{total} enforcement transition(s) appended")


def _follow(app: Any, poll: float) -> int:
    import signal
    import threading

    from truceline.clock import SystemClock
    from truceline.enforcement.follow import follow
    from truceline.gcpause import freeze_survivors

    clock = SystemClock()
    app.catch_up()
    freeze_survivors()

    def report(indices: list[int]) -> None:
        if indices:
            typer.echo(f"log size {indices[-1] + 1}: {len(indices)} transition(s) appended")
        freeze_survivors()  # the fold grows; full collections of it would delay countdowns

    # Ctrl-C or a service manager's SIGTERM: finish the pass, take a last look, then stop.
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        return follow(app, app.ledger, clock.now, stop.is_set, poll_s=poll, on_pass=report)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


KEY = typer.Option(..., "--key", help="your Ed25519 private key (PEM or base64 seed)")
AS = typer.Option(..., "--as", help="your signatory id")


def _act(home: Path, payload_type: str, body: dict[str, Any], key: Path) -> None:
    """Sign a signatory's act, dated now by the clock (a window cannot be entered late by
    back-dating it), put it on the log, and print the index and whether it counts."""
    from truceline.codec.keys import KeyFileError, key_id, load_private_key
    from truceline.codec.records import seal
    from truceline.enforcement.submit import ACTS, Refused, submit
    from truceline.observation import format_time

    try:
        private = load_private_key(key)
    except KeyFileError as exc:
        raise typer.BadParameter(str(exc)) from exc
    now = _now(None)
    _, _, when = ACTS[payload_type]
    entry = seal(
        payload_type, {**body, when: format_time(now)}, private, key_id(private.public_key())
    )

    def go(app: Any) -> Any:
        try:
            return submit(app, entry, now, expect=payload_type)
        except Refused as exc:
            typer.echo(f"refused: {exc}", err=True)
            raise typer.Exit(1) from exc

    out = with_appender(home, now, go, write=True)
    _print({"index": out.index, "counted": out.counted, "reason": out.reason})


def vote_command(
    home: Path = HOME,
    case: str = typer.Option(..., "--case", help="penalty case id (see `truceline penalties`)"),
    voter: str = typer.Option(..., "--voter", help="your signatory id"),
    choice: str = typer.Option(..., "--choice", help="block | allow | abstain"),
    key: Path = KEY,
) -> None:
    """Sign a vote on a penalty case, cast now, and put it on the log."""
    from truceline.enforcement.records import VOTE_TYPE, Choice

    if choice not in Choice.__members__:
        raise typer.BadParameter(f"--choice: expected block, allow or abstain, found {choice!r}")
    _act(home, VOTE_TYPE, {"case": case, "voter": voter, "choice": choice}, key)


def dispute_command(
    home: Path = HOME,
    incident: str = typer.Option(..., "--incident", help="the incident you are accused of"),
    party: str = AS,
    reason: str = typer.Option("", "--reason", help="why (at most 2,000 characters)"),
    key: Path = KEY,
) -> None:
    """Dispute a verified incident attributed to you: it goes to inspection."""
    from truceline.adjudication.verdict import DISPUTE_TYPE

    _act(home, DISPUTE_TYPE, {"incident": incident, "party": party, "reason": reason}, key)


def acknowledge_command(
    home: Path = HOME,
    step: str = typer.Option(..., "--step", help="the step key (see `truceline playbooks`)"),
    by: str = AS,
    key: Path = KEY,
) -> None:
    """Acknowledge a playbook step addressed to you: it stops escalating."""
    from truceline.enforcement.records import ACK_TYPE

    _act(home, ACK_TYPE, {"step": step, "by": by}, key)


def invoke_command(
    home: Path = HOME,
    rung: str = typer.Option(..., "--rung", help="a penalty rung whose standing names you"),
    accused: str = typer.Option(..., "--accused", help="the party in breach"),
    notifier: str = AS,
    key: Path = KEY,
) -> None:
    """Notify a penalty rung that needs a notification (e.g. a snapback), as a party with standing."""
    from truceline.enforcement.records import NOTIFICATION_TYPE

    _act(home, NOTIFICATION_TYPE, {"rung": rung, "accused": accused, "notifier": notifier}, key)


def request_inspection_command(
    home: Path = HOME,
    lon: float = typer.Option(..., "--lon"),
    lat: float = typer.Option(..., "--lat"),
    incident: str = typer.Option("", "--incident", help="the incident, if any"),
    reason: str = typer.Option("", "--reason"),
    requester: str = AS,
    key: Path = KEY,
) -> None:
    """Request an on-demand inspection of a place (and incident)."""
    from truceline.enforcement.records import INSPECTION_REQUEST_TYPE

    body: dict[str, Any] = {"requester": requester, "location": [lon, lat], "reason": reason}
    if incident:
        body["incident"] = incident
    _act(home, INSPECTION_REQUEST_TYPE, body, key)


def register(app: typer.Typer) -> None:
    app.command("penalties")(penalties_command)
    app.command("inspections")(inspections_command)
    app.command("playbooks")(playbooks_command)
    app.command("enforce")(enforce_command)
    app.command("vote")(vote_command)
    app.command("dispute")(dispute_command)
    app.command("acknowledge")(acknowledge_command)
    app.command("invoke")(invoke_command)
    app.command("request-inspection")(request_inspection_command)

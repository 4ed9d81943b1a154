"""`truceline ingest`, `truceline submit`, `truceline quarantine list|show`, `truceline receipt`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from truceline.mission.options import fail

HOME_OPT = typer.Option(..., "--home", help="The mission home directory.")
quarantine_app = typer.Typer(
    no_args_is_help=True, help="Rejected envelopes and rows, with their reasons."
)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("submit")(submit)
    app.command("finding")(finding)
    app.command("receipt")(receipt)
    app.add_typer(quarantine_app, name="quarantine")


def ingest(
    files: list[Path] = typer.Argument(..., help="Files to ingest."),
    home: Path = HOME_OPT,
    fmt: str = typer.Option(
        "dsse",
        "--format",
        help="dsse (JSONL or JSON array of envelopes), or an adapter: firms, cot, geojson, observer, radar, ...",
    ),
    batch: int = typer.Option(4096, "--batch", min=1, help="Envelopes per durable ledger append."),
    uploader: str = typer.Option(
        "",
        "--uploader",
        help="For a source file: the registered importer it is imported for (its rows are "
        "that principal's evidence); default: the mission's own import.",
    ),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Processes for signature and schema checks."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
    now: str = typer.Option(
        "",
        "--now",
        help="the arrival time to judge evidence age and skew against (RFC 3339; default: the "
        "clock): for a recorded feed replayed into a new home",
    ),
) -> None:
    """Ingest files; print accepted and rejected counts (per reason) for each, and each
    accepted report whose stated device clock the receipt-time check flags."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from truceline.clock import FixedClock
    from truceline.home import Home, HomeError
    from truceline.ingest.formats import SubmissionError
    from truceline.ingest.service import Mission
    from truceline.mission.options import option_time

    for f in files:
        if not f.is_file():
            fail(f"{f}: no such file")
    try:
        clock = FixedClock(option_time("--now", now)) if now else None
        mission = Mission(Home(home), clock, workers=workers)
    except (HomeError, ValueError) as exc:
        fail(exc)
    summary = {}
    failed = False
    with (
        mission,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
            disable=as_json,
        ) as progress,
    ):
        for f in files:
            try:
                if fmt == "dsse":
                    task = progress.add_task(f.name, total=None)
                    tally = mission.ingest_dsse_file(f, batch, _advance(progress, task))
                else:
                    task = progress.add_task(f.name, total=None)
                    tally = mission.import_file(
                        fmt, f, batch, _advance(progress, task), uploader=uploader or None
                    )
            except (SubmissionError, ValueError) as exc:
                typer.echo(f"error: {f}: {exc}", err=True)
                failed = True
                continue
            summary[str(f)] = tally.to_json()
            if not as_json:
                progress.console.print(
                    _line(f, tally.to_json()), soft_wrap=True, highlight=False, markup=False
                )
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    if failed:
        raise typer.Exit(1)


def _open(home: Any) -> Any:
    """The home, checked to hold a log (a clean error, not a traceback, if not)."""
    from truceline.home import HomeError

    try:
        home.require_log()
    except HomeError as exc:
        fail(exc)
    return home


def submit(
    files: list[Path] = typer.Argument(..., help="Files to send."),
    url: str = typer.Option(..., "--url", help="The mission's server, e.g. http://host:8080"),
    fmt: str = typer.Option("dsse", "--format", help="dsse, or an adapter's format"),
    key: Path | None = typer.Option(
        None,
        "--key",
        help="For a source file: the private key of your importer principal (registered on "
        "the log); the request is signed with it (RFC 9421).",
    ),
) -> None:
    """Send files to a mission's server: envelopes as they are (they authenticate
    themselves), source files signed by your importer key. Prints the server's answer."""
    import httpx

    from truceline import httpsig
    from truceline.codec.keys import KeyFileError, key_id, load_private_key

    private = None
    if fmt != "dsse":
        if key is None:
            fail("--key: a source file is imported for a registered importer; give its key")
        try:
            private = load_private_key(key)
        except KeyFileError as exc:
            fail(exc)
    base = url.rstrip("/")
    failed = False
    with httpx.Client(timeout=600) as client:
        for f in files:
            data = f.read_bytes()
            target = f"{base}/observations" if fmt == "dsse" else f"{base}/ingest/{fmt}"
            headers = {"x-filename": f.name, "content-type": "application/octet-stream"}
            if private is not None:
                headers |= httpsig.sign_headers(
                    "POST", target, data, private, key_id(private.public_key())
                )
            try:
                r = client.post(target, content=data, headers=headers)
            except httpx.HTTPError as exc:
                fail(f"{target}: {exc}")
            typer.echo(f"{f}: HTTP {r.status_code} {r.text}")
            failed = failed or r.status_code >= 400
    if failed:
        raise typer.Exit(1)


def finding(
    home: Path = HOME_OPT,
    team: str = typer.Option(..., "--as", help="your team (or team member) principal id"),
    key: Path = typer.Option(..., "--key", help="your private key, registered on the log"),
    incident: str = typer.Option(..., "--incident", help="the incident or inspection id"),
    result: str = typer.Option(..., "--finding", help="confirmed | dismissed | inconclusive"),
    lon: float = typer.Option(..., "--lon", help="where the team stood"),
    lat: float = typer.Option(..., "--lat"),
    uncertainty_m: float = typer.Option(50.0, "--uncertainty-m"),
    notes: str = typer.Option("", "--notes"),
    at: str = typer.Option(
        "", "--at", help="when the inspection took place (RFC 3339); default: now"
    ),
) -> None:
    """File an inspection finding as a neutral inspection team: an observation signed by
    your key, dated now, ingested like any other (it counts only within an inspection
    enforcement scheduled for that incident)."""
    from truceline.clock import SystemClock
    from truceline.codec.keys import KeyFileError, key_id, load_private_key
    from truceline.codec.records import seal
    from truceline.home import Home, HomeError
    from truceline.ingest.service import Mission
    from truceline.mission.options import option_time
    from truceline.observation import OBSERVATION_TYPE, format_time

    try:
        when = option_time("--at", at) if at else SystemClock().now()
    except ValueError as exc:
        fail(exc)
    if result not in ("confirmed", "dismissed", "inconclusive"):
        fail(f"--finding: expected confirmed, dismissed or inconclusive, found {result!r}")
    try:
        private = load_private_key(key)
    except KeyFileError as exc:
        fail(exc)
    try:
        mission = Mission(Home(home))
    except HomeError as exc:
        fail(exc)
    with mission:
        seq = mission.ingestor.state.last_seq.get(team, -1) + 1
        attributes: dict[str, Any] = {"incident": incident, "finding": result}
        if notes:
            attributes["notes"] = notes
        obs = {
            "sensor": team,
            "seq": seq,
            "observed_at": format_time(when),
            "kind": "inspection_report",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "uncertainty_m": uncertainty_m,
            "attributes": attributes,
        }
        entry = seal(OBSERVATION_TYPE, obs, private, key_id(private.public_key()))
        [res] = mission.ingestor.ingest([entry], "finding")
    typer.echo(json.dumps(res.to_json(), indent=2))
    if not res.accepted:
        raise typer.Exit(1)


def _advance(progress: Any, task: Any) -> Callable[[int], None]:
    def advance(n: int) -> None:
        progress.advance(task, n)

    return advance


def _line(f: Path, t: dict[str, object]) -> str:
    reasons = t["rejected_by_reason"]
    flagged = t["time_flagged"]
    assert isinstance(reasons, dict) and isinstance(flagged, list)
    detail = ", ".join(f"{k} {v}" for k, v in reasons.items())
    lines = [
        f"{f}: accepted {t['accepted']}, rejected {t['rejected']}"
        + (f" ({detail})" if detail else "")
    ]
    lines += [
        f"  index {x['index']} ({x['sensor']} seq {x['seq']}): time flagged: {x['time']['detail']}"
        for x in flagged
    ]
    return "\n".join(lines)


def receipt(index: int = typer.Argument(...), home: Path = HOME_OPT) -> None:
    """An entry's receipt: its hash and a c2sp.org/tlog-proof once a checkpoint covers it."""
    from truceline.home import Home

    ledger = _open(Home(home)).reader()
    try:
        if not 0 <= index < ledger.size:
            fail(f"index {index}: no such entry (log size {ledger.size})")
        import hashlib

        entry = ledger.entry(index)
        typer.echo(f"index {index}\nentry_sha256 {hashlib.sha256(entry).hexdigest()}\n")
        typer.echo(ledger.prove(index).decode(), nl=False)
    finally:
        ledger.close()


@quarantine_app.command("list")
def q_list(
    home: Path = HOME_OPT,
    reason: str = typer.Option("", "--reason"),
    sensor: str = typer.Option("", "--sensor"),
    limit: int = typer.Option(50, "--limit"),
    offset: int = typer.Option(0, "--offset"),
) -> None:
    """Quarantined submissions, oldest first, with counts per reason."""
    from truceline.home import Home
    from truceline.ingest.quarantine import Quarantine

    q = Quarantine(_open(Home(home)).store())
    counts = q.counts()
    typer.echo(
        "total "
        + str(sum(counts.values()))
        + "".join(f", {k} {v}" for k, v in sorted(counts.items()))
    )
    for row in q.list(reason=reason or None, sensor=sensor or None, limit=limit, offset=offset):
        typer.echo(
            f"{row.id:>6} {row.received_at.isoformat()[:19]} {row.reason:<22} {row.field:<32} {row.message[:80]}"
        )


@quarantine_app.command("show")
def q_show(
    id_: int = typer.Argument(...),
    home: Path = HOME_OPT,
    raw: bool = typer.Option(False, "--raw", help="Write only the kept bytes."),
) -> None:
    """One quarantined submission: the reason, the field, the message and the bytes kept
    (the first 4 KiB; `truncated` when fewer than `size`)."""
    import sys

    from truceline.home import Home
    from truceline.ingest.quarantine import Quarantine

    row = Quarantine(_open(Home(home)).store()).get(id_)
    if row is None:
        fail(f"no quarantined item {id_}")
    assert row is not None and row.raw is not None
    if raw:
        sys.stdout.buffer.write(row.raw)
        return
    typer.echo(
        json.dumps(
            {
                "id": row.id,
                "received_at": row.received_at.isoformat(),
                "reason": row.reason,
                "field": row.field,
                "message": row.message,
                "sensor": row.sensor,
                "seq": row.seq,
                "sha256": row.sha256,
                "size": row.size,
                "kept": row.kept,
                "truncated": row.truncated,
                "source": row.source,
                "raw_base64": base64.b64encode(row.raw).decode(),
                "raw_text": row.raw.decode("utf-8", "replace")[:2000],
            },
            indent=2,
        )
    )

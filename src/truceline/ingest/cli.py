"""`truceline ingest`, `truceline quarantine list|show`, `truceline receipt`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

HOME_OPT = typer.Option(..., "--home", help="The mission home directory.")
quarantine_app = typer.Typer(
    no_args_is_help=True, help="Rejected envelopes and rows, with their reasons."
)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("receipt")(receipt)
    app.add_typer(quarantine_app, name="quarantine")


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(1)


def ingest(
    files: list[Path] = typer.Argument(..., help="Files to ingest."),
    home: Path = HOME_OPT,
    fmt: str = typer.Option(
        "dsse",
        "--format",
        help="dsse (JSONL or JSON array of envelopes), or an adapter: firms, cot, geojson, observer, radar, ...",
    ),
    batch: int = typer.Option(4096, "--batch", min=1, help="Envelopes per durable ledger append."),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Processes for signature and schema checks."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Ingest files; print accepted and rejected counts (per reason) for each."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from truceline.ingest.formats import SubmissionError
    from truceline.ingest.home import HomeError
    from truceline.ingest.service import Mission
    from truceline.mission.home import Home

    for f in files:
        if not f.is_file():
            _fail(f"{f}: no such file")
    try:
        mission = Mission(Home(home), workers=workers)
    except HomeError as exc:
        _fail(str(exc))
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
                    tally = mission.import_file(fmt, f, batch, _advance(progress, task))
            except (SubmissionError, ValueError) as exc:
                typer.echo(f"error: {f}: {exc}", err=True)
                failed = True
                continue
            summary[str(f)] = tally.to_json()
            if not as_json:
                progress.console.print(_line(f, tally.to_json()), soft_wrap=True, highlight=False)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    if failed:
        raise typer.Exit(1)


def _advance(progress: Any, task: Any) -> Callable[[int], None]:
    def advance(n: int) -> None:
        progress.advance(task, n)

    return advance


def _line(f: Path, t: dict[str, object]) -> str:
    reasons = t["rejected_by_reason"]
    assert isinstance(reasons, dict)
    detail = ", ".join(f"{k} {v}" for k, v in reasons.items())
    return f"{f}: accepted {t['accepted']}, rejected {t['rejected']}" + (
        f" ({detail})" if detail else ""
    )


def receipt(index: int = typer.Argument(...), home: Path = HOME_OPT) -> None:
    """An entry's receipt: its hash and a c2sp.org/tlog-proof once a checkpoint covers it."""
    from truceline.ingest import home as mh
    from truceline.ingest.ingestor import read_entry
    from truceline.mission.home import Home

    h = Home(home)
    ledger = mh.open_ledger(h, mh.engine(h))
    try:
        if not 0 <= index < ledger.size:
            _fail(f"index {index}: no such entry (log size {ledger.size})")
        import hashlib

        entry = read_entry(ledger, index)
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
    from truceline.ingest import home as mh
    from truceline.ingest.quarantine import Quarantine
    from truceline.mission.home import Home

    q = Quarantine(mh.engine(Home(home)))
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

    from truceline.ingest import home as mh
    from truceline.ingest.quarantine import Quarantine
    from truceline.mission.home import Home

    row = Quarantine(mh.engine(Home(home))).get(id_)
    if row is None:
        _fail(f"no quarantined item {id_}")
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

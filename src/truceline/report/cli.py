"""`truceline report`: the daily report of a mission (HTML or PDF, English, Ukrainian or
Russian); `--publish` logs its hash, `--verify FILE` finds the record that published it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import typer

from truceline.home import Home
from truceline.mission.options import fail


class Format(StrEnum):
    html = "html"
    pdf = "pdf"


def report_command(
    home: Path = typer.Option(..., "--home", help="mission home directory (or a mirror)"),
    day: str | None = typer.Option(None, "--date", help="the day, e.g. 2026-06-01 (UTC)"),
    format: Format = typer.Option(Format.html, "--format", help="html or pdf"),  # noqa: A002
    lang: str = typer.Option("en", "--lang", help="en, uk or ru"),
    out: Path | None = typer.Option(
        None, "--out", help="default: HOME/reports/<date>.<lang>.<format>"
    ),
    publish: bool = typer.Option(
        False, "--publish", help="log the report's sha256, signed by the mission's publisher"
    ),
    verify: Path | None = typer.Option(
        None, "--verify", help="a report file: print the log records that published it"
    ),
) -> None:
    """The day's report: summary, key figures against the week before, a map, charts,
    the verified incidents (grade, evidence, location, ledger index), penalties and
    inspections due. A function of the log: a mirror renders the same bytes."""
    from truceline.report.i18n import LANGS

    h = Home(home)
    if verify is not None:
        _verify(h, verify)
        return
    if day is None:
        fail("--date: the day to report on is required (e.g. 2026-06-01)", 2)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        fail(f"--date: expected a day like 2026-06-01, found {day!r}", 2)
    if lang not in LANGS:
        fail(f"--lang: expected one of {', '.join(LANGS)}, found {lang!r}", 2)
    if publish:
        from truceline.report.publish import publisher_key

        publisher_key(h)  # a home that cannot sign fails before anything is made
    from truceline.report.make import make_report

    made = make_report(h, when, lang, format.value)
    target = out or h.root / "reports" / f"{when.isoformat()}.{lang}.{format.value}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(made.data)
    summary: dict[str, object] = {
        "report": str(target),
        "sha256": hashlib.sha256(made.data).hexdigest(),
        "bytes": len(made.data),
        "log_size": made.log_size,
    }
    if publish:
        from truceline.report.publish import describe
        from truceline.report.publish import publish as log_it

        p = log_it(
            h,
            made.data,
            when,
            lang,
            format.value,
            made.log_size,
            made.log_root,
            made.agreement,
            datetime.now(UTC),
        )
        summary["published"] = describe(p)
    typer.echo(json.dumps(summary, indent=2))


def _verify(h: Home, path: Path) -> None:
    from truceline.report.publish import describe, published

    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        fail(f"--verify: {exc}", 2)
    ledger = h.reader()
    try:
        found = [p for p in published(ledger) if p.record.sha256 == digest]
    finally:
        ledger.close()
    typer.echo(json.dumps({"sha256": digest, "published": [describe(p) for p in found]}, indent=2))
    if not found:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)

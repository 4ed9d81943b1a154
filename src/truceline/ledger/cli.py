"""`truceline log ...`: create, append to, prove from and audit a mission's transparency log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from truceline.home import Home
from truceline.mission.options import fail

if TYPE_CHECKING:
    from truceline.ledger.tilelog import TileLog

log_app = typer.Typer(no_args_is_help=True, help="The mission's C2SP tiled transparency log.")

HOME_OPT = typer.Option(..., "--home", help="Mission home directory.")


@log_app.command("init")
def init_cmd(
    home: Path = HOME_OPT,
    origin: str = typer.Option(
        ..., "--origin", help="Checkpoint origin, e.g. example.org/mission/log."
    ),
) -> None:
    """Create the log key (HOME/log.key, HOME/log.vkey), the empty log (HOME/log/) and the store."""
    from truceline.ledger.home import create_log
    from truceline.ledger.keys import KeyFileError
    from truceline.ledger.tilelog import LogError

    h = Home(home)
    try:
        log = create_log(h, origin)
    except (KeyFileError, LogError, ValueError) as exc:
        fail(str(exc), code=2)
    log.close()
    typer.echo(h.log_vkey.read_text().strip())


def _open(home: Path, *, witnesses: bool = True) -> TileLog:
    from truceline.ledger.home import open_log
    from truceline.ledger.tilelog import LogError

    try:
        return open_log(Home(home), witnesses=witnesses)
    except LogError as exc:
        fail(str(exc), code=2)


@log_app.command("append")
def append_cmd(
    files: list[Path] = typer.Argument(..., help="Each file's bytes become one entry."),
    home: Path = HOME_OPT,
) -> None:
    """Append files as entries; prints `FILE INDEX` per file once the batch is durable."""
    from truceline.ledger.tilelog import MAX_ENTRY_SIZE

    entries = []
    for f in files:
        try:
            data = f.read_bytes()
        except OSError as exc:
            fail(f"{f}: {exc.strerror}", code=2)
        if len(data) > MAX_ENTRY_SIZE:
            fail(
                f"{f}: {len(data)} bytes, at most {MAX_ENTRY_SIZE} per entry "
                "(tlog-tiles entry bundles use a uint16 length prefix)",
                code=2,
            )
        entries.append(data)
    log = _open(home)
    try:
        indices = log.append(entries)
    finally:
        log.close()
    for f, idx in zip(files, indices, strict=True):
        typer.echo(f"{f} {idx}")


@log_app.command("prove")
def prove_cmd(
    index: int = typer.Argument(..., help="Entry index."),
    home: Path = HOME_OPT,
) -> None:
    """Print the c2sp.org/tlog-proof@v1 of entry INDEX against the latest checkpoint."""

    log = _open(home, witnesses=False)
    try:
        proof = log.prove(index)
    except IndexError as exc:
        fail(str(exc), code=2)
    finally:
        log.close()
    sys.stdout.buffer.write(proof)
    sys.stdout.flush()


@log_app.command("audit")
def audit_cmd(home: Path = HOME_OPT) -> None:
    """Recompute every tile and the root from the entry bundles; check the checkpoint signatures.

    Exit status 0 when everything verifies, 1 when anything differs (each difference is printed
    with its file and offset).
    """
    from truceline.ledger.audit import audit_log
    from truceline.ledger.keys import KeyFileError, load_log_verifier
    from truceline.ledger.policy import Policy, PolicyError

    h = Home(home)
    try:
        verifier = load_log_verifier(h)
    except KeyFileError as exc:
        fail(str(exc), code=2)
    policy = None
    if h.policy.exists():
        try:
            policy = Policy.parse(h.policy.read_bytes())
        except PolicyError as exc:
            fail(f"{h.policy}: {exc}", code=2)
    report = audit_log(h.log_dir, verifier, policy)
    for finding in report.findings:
        typer.echo(f"FAIL {finding}")
    summary = (
        f"size {report.size}, root {report.root.hex()}, "
        f"{report.bundles} bundles and {report.tiles} tiles checked"
        + (", witness policy satisfied" if policy is not None and report.ok else "")
    )
    if report.ok:
        typer.echo(f"OK {summary}")
        return
    typer.echo(f"FAILED {len(report.findings)} finding(s); {summary}")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")

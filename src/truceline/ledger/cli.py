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
        fail(exc, code=2)
    log.close()
    typer.echo(h.log_vkey.read_text().strip())


def _open(home: Path) -> TileLog:
    from truceline.ledger.home import open_log
    from truceline.ledger.tilelog import LogError

    try:
        return open_log(Home(home))
    except LogError as exc:
        fail(exc, code=2)


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
    """Print the c2sp.org/tlog-proof@v1 of entry INDEX against the latest checkpoint.

    Needs only public data: works on a mirror (`truceline mirror`) as on the operator's home.
    """
    from truceline.ledger.home import open_reader
    from truceline.ledger.tilelog import LogError

    try:
        log = open_reader(Home(home))
    except LogError as exc:
        fail(exc, code=2)
    try:
        proof = log.prove(index)
    except IndexError as exc:
        fail(exc, code=2)
    finally:
        log.close()
    sys.stdout.buffer.write(proof)
    sys.stdout.flush()


NO_POLICY_WARNING = (
    "WARNING: no witness policy ({policy}): nobody but the log key's holder vouches for this "
    "checkpoint, so that holder can rewrite the log's history and re-sign it unseen by anyone "
    "who has not kept an earlier checkpoint. This audit remembers the checkpoint it verified "
    "and catches a rewrite on its next run; a witness policy catches it for everyone."
)


@log_app.command("audit")
def audit_cmd(
    home: Path = HOME_OPT,
    state: Path | None = typer.Option(
        None,
        "--state",
        help="Where to remember verified checkpoints, one per log (origin and key); default "
        "$XDG_STATE_HOME/truceline/audit, else ~/.local/state/truceline/audit. Must lie outside "
        "the audited home.",
    ),
) -> None:
    """Recompute every tile and the root from the entry bundles; check the checkpoint signatures;
    require the checkpoint to extend the one this audit verified last time.

    Exit status 0 when everything verifies, 1 when anything differs (each difference is printed
    with its file and offset) or the log rolled back or forked since the last audit (evidence is
    kept under the state directory).
    """
    from truceline.ledger.audit import audit_log, check_memory
    from truceline.ledger.keys import KeyFileError, load_log_verifier
    from truceline.ledger.memory import default_state_dir, memory_for
    from truceline.ledger.policy import Policy, PolicyError

    h = Home(home)
    state_dir = (state or default_state_dir()).absolute()
    if state_dir.resolve().is_relative_to(h.root.resolve()):
        fail(
            f"--state {state_dir}: inside the audited home {h.root}; the memory of what was "
            "verified must be out of reach of whoever can write the home",
            code=2,
        )
    try:
        verifier = load_log_verifier(h)
    except KeyFileError as exc:
        fail(exc, code=2)
    policy = None
    if h.policy.exists():
        try:
            policy = Policy.parse(h.policy.read_bytes())
        except PolicyError as exc:
            fail(f"{h.policy}: {exc}", code=2)
    storage = h.tile_storage()
    report = audit_log(storage, verifier, policy)
    notes = check_memory(report, storage, memory_for(state_dir, verifier))
    storage.close()
    for finding in report.findings:
        typer.echo(f"FAIL {finding}")
    summary = (
        f"size {report.size}, root {report.root.hex()}, "
        f"{report.bundles} bundles and {report.tiles} tiles checked"
        + (", witness policy satisfied" if policy is not None and report.ok else "")
    )
    if report.ok:
        typer.echo(f"OK {summary}")
    else:
        typer.echo(f"FAILED {len(report.findings)} finding(s); {summary}")
    for line in notes:
        typer.echo(line)
    if policy is None:
        typer.secho(NO_POLICY_WARNING.format(policy=h.policy), err=True, fg="yellow", bold=True)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    from truceline.ledger.mirror_cli import mirror_cmd

    app.add_typer(log_app, name="log")
    app.command("mirror")(mirror_cmd)

"""`truceline mirror URL --home DIR`: make or update a verified public-data copy of a log."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from truceline.home import Home
from truceline.mission.options import fail


def mirror_cmd(
    url: str = typer.Argument(
        ..., help="The log's tlog-tiles prefix, e.g. http://host:8080/log (truceline serve)."
    ),
    home: Path = typer.Option(..., "--home", help="The mirror's home (public data only)."),
    vkey: Path | None = typer.Option(
        None,
        "--vkey",
        help="The log's verifier key file; default: pinned, or trusted on first use.",
    ),
    policy: Path | None = typer.Option(
        None,
        "--policy",
        help="The witness policy (c2sp.org/tlog-policy); default: pinned, or trusted on first use.",
    ),
) -> None:
    """Fetch the log's new checkpoint, tiles and entries; verify all before keeping any.

    The checkpoint must be signed by the pinned key, meet the pinned witness quorum, and extend
    the checkpoint verified last time; every tile is recomputed from the entries and the root from
    the tiles. A rollback, fork or bad file is refused (exit 1) with the evidence kept under
    HOME/evidence/; the mirror stays as it was. Exit 2: could not run (network, configuration).
    """
    from truceline.ledger.fetch import TileFetcher
    from truceline.ledger.mirror import MirrorError, MirrorRefused, mirror
    from truceline.ledger.pinning import pin

    h = Home(home)
    try:
        given_vkey = vkey.read_text() if vkey is not None else None
        given_policy = policy.read_bytes() if policy is not None else None
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror}", code=2)
    fetcher = TileFetcher(url)
    started = time.monotonic()
    try:
        for warning in pin(h, fetcher, given_vkey, given_policy):
            typer.secho(warning, err=True, fg="yellow", bold=True)
        with _progress() as progress:
            result = mirror(h, fetcher, progress=progress)
    except MirrorRefused as exc:
        typer.secho(f"REFUSED ({exc.reason}): {exc.message}", err=True, fg="red", bold=True)
        typer.echo(f"evidence kept in {exc.evidence}; the mirror is unchanged", err=True)
        raise typer.Exit(1) from None
    except MirrorError as exc:
        fail(f"{exc}; the mirror is unchanged", code=2)
    finally:
        fetcher.close()
    elapsed = time.monotonic() - started
    cp = result.checkpoint.split(b"\n", 1)[0].decode()
    if not result.first and result.size == result.old_size:
        typer.echo(f"up to date: {cp} at size {result.size}")
        return
    nbytes = sum(n for _, n in result.fetched)
    typer.echo(
        f"mirrored {cp}: size {result.old_size} -> {result.size} (+{result.entries} entries), "
        f"{len(result.fetched)} files, {nbytes / 1e6:.2f} MB ({result.wire_bytes / 1e6:.2f} MB "
        f"on the wire) in {elapsed:.2f} s; every tile recomputed and the root verified"
    )


class _progress:
    """A rich progress bar on stderr for long runs (none when stderr is not a terminal)."""

    def __enter__(self) -> _progress:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        console = Console(stderr=True)
        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task = self.bar.add_task("verifying entries", total=None)
        self.bar.__enter__()
        return self

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

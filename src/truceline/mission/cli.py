"""`truceline init` and `truceline serve`: create a mission home, run its HTTP API."""

from __future__ import annotations

from pathlib import Path

import typer

from truceline.mission.options import fail

HOME_OPT = typer.Option(..., "--home", help="The mission home directory.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
    app.command("run")(run)


def init(
    home: Path = HOME_OPT,
    agreement: Path = typer.Option(..., "--agreement", help="The agreement YAML (version 1)."),
    signers: Path | None = typer.Option(
        None,
        "--signers",
        help="A directory of <signatory-id>.key files: each key signs the first version "
        "(see `truceline agreement keygen`).",
    ),
    origin: str = typer.Option(
        "", "--origin", help="The log's origin line (default: from the agreement id)."
    ),
    store_url: str = typer.Option(
        "", "--store-url", help="A PostgreSQL URL instead of SQLite in the home."
    ),
    log_storage: str = typer.Option(
        "",
        "--log-storage",
        help="A postgresql+psycopg:// URL keeping the log's tiles in PostgreSQL instead of "
        "HOME/log/ (one log per schema: ?options=-csearch_path%3DNAME).",
    ),
) -> None:
    """Create mission keys, the store and the ledger, and log the agreement's first version."""
    from truceline.agreement.load import AgreementError, load_agreement
    from truceline.clock import SystemClock
    from truceline.ingest.bootstrap import InitError, init_home

    try:
        parsed = load_agreement(agreement)
    except AgreementError as exc:
        fail(exc)
    try:
        report = init_home(
            home,
            parsed,
            agreement.read_text(),
            signers,
            origin or None,
            store_url or None,
            SystemClock(),
            log_storage=log_storage or None,
        )
    except (InitError, ValueError) as exc:
        fail(exc)
    for line in report:
        typer.echo(line)


def serve(
    home: Path = HOME_OPT,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8080, "--port"),
) -> None:
    """Run the HTTP API (ingest, receipts, quarantine, and every other package's routes)."""
    import uvicorn

    from truceline.api import create_app
    from truceline.home import Home

    uvicorn.run(create_app(Home(home)), host=host, port=port)


def run(
    home: Path = HOME_OPT,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8080, "--port"),
) -> None:
    """Run the mission as one service: the API, streaming adjudication, enforcement, and
    notifications and the NATS feed when configured, each a supervised child process
    restarted with backoff; JSON-lines logs on stdout; /healthz and /readyz on the API."""
    from truceline.home import Home
    from truceline.mission.run import run as supervise

    raise typer.Exit(supervise(Home(home), host, port))

"""`truceline witness …`: run a c2sp.org/tlog-witness witness."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from truceline.ledger.witness.home import WitnessHome
from truceline.mission.options import fail

if TYPE_CHECKING:
    from truceline.ledger.witness.core import Witness

HOME_OPT = typer.Option(..., "--home", help="The witness's home directory.")

witness_app = typer.Typer(
    no_args_is_help=True,
    help="A transparency-log witness (c2sp.org/tlog-witness): cosigns consistent checkpoints.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")


@witness_app.command()
def init(
    home: Path = HOME_OPT,
    name: str = typer.Option(..., "--name", help="Cosigner name, e.g. witness.example.org/w1."),
) -> None:
    """Create the witness's Ed25519 cosigning key (type 0x04) and print its vkey."""
    from truceline.ledger.cosignature import generate_cosigner
    from truceline.store.base import open_store

    wh = WitnessHome(home)
    try:
        skey, vkey = generate_cosigner(name)
        wh.write_key(skey, vkey)
    except (ValueError, FileExistsError) as exc:
        fail(exc)
    open_store(wh.store_url).dispose()
    typer.echo(vkey)


@witness_app.command("add-log")
def add_log(
    home: Path = HOME_OPT,
    origin: str = typer.Option(..., "--origin", help="The log's checkpoint origin line."),
    vkey: str = typer.Option(
        ..., "--vkey", help="The log's verifier key (name must equal origin)."
    ),
) -> None:
    """Trust a log key for an origin (repeat to add more keys for one origin)."""
    from truceline.ledger.witness.core import check_log_vkey

    wh = WitnessHome(home)
    try:
        check_log_vkey(origin, vkey)
        witness = _open_witness(wh)
    except (ValueError, FileNotFoundError) as exc:
        fail(exc)
    witness.store.add_log(origin, vkey, now=0)
    state = witness.store.state(origin)
    typer.echo(f"{origin}: {len(witness.store.keys(origin))} key(s), cosigned size {state.size}")


@witness_app.command()
def logs(home: Path = HOME_OPT) -> None:
    """List known logs and the latest size cosigned for each."""
    try:
        witness = _open_witness(WitnessHome(home))
    except (ValueError, FileNotFoundError) as exc:
        fail(exc)
    for st in witness.store.logs():
        root = "-" if st.root is None else st.root.hex()
        typer.echo(f"{st.origin}\t{st.size}\t{root}")


@witness_app.command()
def serve(
    home: Path = HOME_OPT,
    listen: str = typer.Option("127.0.0.1:7380", "--listen", help="HOST:PORT to listen on."),
    prefix: str = typer.Option("", "--prefix", help="Submission prefix, e.g. /witness."),
) -> None:
    """Serve POST <prefix>/add-checkpoint over HTTP."""
    import uvicorn

    from truceline.ledger.witness.server import create_app

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        fail(f"--listen: want HOST:PORT, got {listen!r}")
    try:
        witness = _open_witness(WitnessHome(home))
    except (ValueError, FileNotFoundError) as exc:
        fail(exc)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    typer.echo(f"witness {witness.vkey} on http://{listen}{prefix}/add-checkpoint", err=True)
    uvicorn.run(
        create_app(witness, prefix.rstrip("/")), host=host, port=int(port), log_level="info"
    )


@witness_app.command()
def evidence(
    home: Path = HOME_OPT,
    export: Path | None = typer.Option(
        None, "--export", help="Write each piece of evidence as files under this directory."
    ),
) -> None:
    """List (and optionally export) signed checkpoints that contradict each other."""
    from truceline.ledger.witness.evidence import export_evidence

    try:
        witness = _open_witness(WitnessHome(home))
    except (ValueError, FileNotFoundError) as exc:
        fail(exc)
    items = witness.store.evidence()
    for ev in items:
        typer.echo(
            f"{ev.id}\t{ev.origin}\t{ev.kind}\told {ev.old_size}\tat {ev.observed_at}\t{ev.detail}"
        )
    if export is not None:
        for path in export_evidence(items, export):
            typer.echo(f"wrote {path}", err=True)
    if not items:
        typer.echo("no evidence of log misbehaviour", err=True)


def _open_witness(wh: WitnessHome) -> Witness:
    from truceline.ledger.witness.core import Witness, load_cosigner
    from truceline.ledger.witness.store import WitnessStore
    from truceline.store.base import open_store

    signer = load_cosigner(wh.read_skey())
    return Witness(WitnessStore(open_store(wh.store_url), signer.name), signer)

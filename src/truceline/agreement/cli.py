"""`truceline agreement …`: schema, validate, keygen, propose, sign, show."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from truceline.agreement.load import agreement_json_schema
from truceline.mission.options import fail, option_time

agreement_app = typer.Typer(
    no_args_is_help=True, help="The agreement as code: validate, sign, amend."
)
HOME_OPT = typer.Option(..., "--home", help="The mission home directory.")


def _observation() -> dict[str, Any]:
    from truceline.observation import observation_json_schema

    schema = observation_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://truceline.org/schemas/observation.schema.json"
    return schema


def _sensor() -> dict[str, Any]:
    from truceline.registry.model import sensor_json_schema

    schema = sensor_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://truceline.org/schemas/sensor.schema.json"
    return schema


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "agreement": agreement_json_schema,
    "observation": _observation,
    "sensor": _sensor,
}


def dump_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def register(app: typer.Typer) -> None:
    app.add_typer(agreement_app, name="agreement")


@agreement_app.command()
def schema(
    kind: str = typer.Argument("agreement", help="agreement, observation or sensor"),
) -> None:
    """Print a published JSON Schema (the same as schemas/<kind>.schema.json)."""
    if kind not in SCHEMAS:
        fail(f"kind: expected one of {sorted(SCHEMAS)}, found {kind!r}")
    typer.echo(dump_schema(SCHEMAS[kind]()), nl=False)


@agreement_app.command()
def validate(file: Path = typer.Argument(..., help="The agreement YAML.")) -> None:
    """Check an agreement; exit 1 listing every error with its field path."""
    from truceline.agreement.load import AgreementError, load_agreement

    try:
        a = load_agreement(file)
    except AgreementError as exc:
        fail(exc)
    typer.echo(
        f"ok: {a.id} version {a.version}, {len(a.signatories)} signatories, "
        f"{len(a.prohibited_acts)} prohibited acts"
    )


@agreement_app.command()
def keygen(
    file: Path = typer.Argument(..., help="The agreement YAML."),
    out: Path = typer.Option(
        ..., "--out", help="Directory for <signatory-id>.key and agreement.yaml."
    ),
) -> None:
    """Make a key for each signatory without one; write the agreement with the public keys filled in."""
    import yaml

    from truceline.agreement.load import AgreementError, load_agreement, load_yaml
    from truceline.codec import keys

    try:
        load_agreement(file)
    except AgreementError as exc:
        fail(exc)
    doc = load_yaml(file.read_text())
    out.mkdir(parents=True, exist_ok=True)
    for s in doc["signatories"]:
        if s.get("keys"):
            continue
        path = out / f"{s['id']}.key"
        if path.exists():
            key = keys.load_private_key(path)
        else:
            key = keys.generate()
            keys.save_private_key(path, key)
        s["keys"] = [
            {
                "keyid": keys.key_id(key.public_key()),
                "public_key": keys.public_key_b64(key.public_key()),
            }
        ]
        typer.echo(f"{s['id']}: {path} keyid {s['keys'][0]['keyid']}")
    target = out / "agreement.yaml"
    target.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    load_agreement(target)
    typer.echo(f"wrote {target}")


@agreement_app.command()
def propose(
    file: Path = typer.Argument(
        ..., help="The new version's YAML (version n+1, previous = sha256 of n)."
    ),
    home: Path = HOME_OPT,
    signers: Path | None = typer.Option(
        None, "--signers", help="Directory of <signatory-id>.key files."
    ),
) -> None:
    """Append a version (signed by the mission and any signer keys given) to the ledger."""
    from truceline.agreement.load import AgreementError, load_agreement
    from truceline.agreement.versions import (
        history_from_ledger,
        seal_version,
        signer_keys_by_signatory,
    )
    from truceline.authority import authority_of, registrar_ids
    from truceline.home import Home
    from truceline.ingest.bootstrap import load_signer_keys

    try:
        a = load_agreement(file)
    except AgreementError as exc:
        fail(exc)
    ledger = _ledger(Home(home))
    try:
        try:
            mission, mkid, _ = Home(home).signing_key(*registrar_ids(authority_of(ledger)))
            signer_pairs = (
                signer_keys_by_signatory(a, load_signer_keys(signers, a)) if signers else []
            )
        except (ValueError, RuntimeError) as exc:
            fail(exc)
        before = history_from_ledger(ledger)
        if a.version > 1 and a.previous not in before.versions:
            fail(
                f"previous: expected the sha256 of a recorded version {a.version - 1}, found {a.previous!r}"
            )
        (index,) = ledger.append([seal_version(a, [(mission, mkid), *signer_pairs])])
        after = history_from_ledger(ledger)
        _print_version(after, a, index)
    finally:
        ledger.close()


@agreement_app.command()
def sign(
    home: Path = HOME_OPT,
    as_: str = typer.Option(..., "--as", help="The signatory id you sign for."),
    key: Path = typer.Option(..., "--key", help="Your private key file."),
    version: int = typer.Option(
        0, "--version", help="The version number (default: the newest pending)."
    ),
) -> None:
    """Append your signature on a recorded version (an endorsement entry)."""
    from truceline.agreement.versions import history_from_ledger, seal_endorsement
    from truceline.codec import keys
    from truceline.home import Home

    ledger = _ledger(Home(home))
    try:
        history = history_from_ledger(ledger)
        candidates = [v for v in history.pending() if not version or v.agreement.version == version]
        if not candidates:
            candidates = [v for v in history.versions.values() if v.agreement.version == version]
        if not candidates:
            fail(f"--version: no recorded version {version or '(pending)'}")
        target = candidates[-1]
        private = keys.load_private_key(key)
        kid = keys.key_id(private.public_key())
        if kid not in history.signing_keys(target, as_):
            fail(f"--key: key {kid} is not a key of {as_!r} for version {target.agreement.version}")
        (index,) = ledger.append([seal_endorsement(target.agreement, as_, private, kid)])
        history = history_from_ledger(ledger)
        _print_version(history, target.agreement, index)
    finally:
        ledger.close()


@agreement_app.command()
def show(
    home: Path = HOME_OPT,
    at: str = typer.Option("", "--at", help="Event time (RFC 3339); default now."),
    as_json: bool = typer.Option(False, "--json", help="Print the version in force as JSON."),
) -> None:
    """The agreement version in force at a time, and versions awaiting signatures."""
    from truceline.agreement.load import agreement_json
    from truceline.agreement.versions import history_from_ledger
    from truceline.clock import SystemClock
    from truceline.home import Home

    when = SystemClock().now() if not at else _time(at)
    ledger = _ledger(Home(home), write=False)
    try:
        history = history_from_ledger(ledger)
    finally:
        ledger.close()
    v = history.in_force(when)
    if as_json:
        typer.echo(json.dumps(agreement_json(v.agreement) if v else None, indent=2))
        return
    if v is None:
        typer.echo(f"no version in force at {when.isoformat()}")
    else:
        typer.echo(
            f"in force at {when.isoformat()}: {v.agreement.id} v{v.agreement.version} "
            f"sha256 {v.sha256} (entry {v.index}, signed by {', '.join(sorted(v.signed_by))})"
        )
    for p in history.pending():
        typer.echo(
            f"pending: v{p.agreement.version} sha256 {p.sha256} awaiting {', '.join(p.missing())}"
        )


def _ledger(home: Any, write: bool = True) -> Any:
    from truceline.home import HomeError

    try:
        return home.ledger() if write else home.reader()
    except (HomeError, RuntimeError) as exc:
        fail(exc)


def _time(text: str) -> datetime:
    try:
        return option_time("--at", text)
    except ValueError as exc:
        fail(exc)


def _print_version(history: object, a: object, index: int) -> None:
    from truceline.agreement.versions import AgreementHistory, payload_sha256

    assert isinstance(history, AgreementHistory)
    v = history.versions[payload_sha256(a)]  # type: ignore[arg-type]
    state = "complete" if v.complete else f"awaiting {', '.join(v.missing())}"
    typer.echo(
        f"entry {index}: {v.agreement.id} v{v.agreement.version} sha256 {v.sha256} ({state})"
    )

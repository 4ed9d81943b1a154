"""`truceline field invite|check-media`: enrol observers' devices, check a reported file."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import typer

from truceline.mission.options import fail

field_app = typer.Typer(
    no_args_is_help=True, help="The observers' field app: device invitations, media checks."
)
HOME_OPT = typer.Option(..., "--home", help="The mission home directory.")


def register(app: typer.Typer) -> None:
    app.add_typer(field_app, name="field")


@field_app.command()
def invite(
    home: Path = HOME_OPT,
    team: str = typer.Option(..., "--team", help="The observer team (a team of the agreement)."),
    member: str = typer.Option(..., "--member", help="The team member who enrols a device."),
    hours: float = typer.Option(24.0, "--hours", min=0.1, max=24 * 14, help="Valid for."),
) -> None:
    """Print a one-time code that enrols one device of MEMBER of TEAM in the field app."""
    from truceline.clock import SystemClock
    from truceline.field.enrol import invite as make
    from truceline.home import Home

    code = make(Home(home), team, member, SystemClock().now(), timedelta(hours=hours))
    typer.echo(code)


@field_app.command("check-media")
def check_media(
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    home: Path = HOME_OPT,
) -> None:
    """Find the logged reports that name FILE's SHA-256 and check FILE against each
    (works on a mirror: the log is all it reads). Exit 1 if no report names it."""
    from truceline.authority import authority_of
    from truceline.codec.entries import Record, read
    from truceline.field.c2pacheck import trust_anchors
    from truceline.field.mediacheck import media_checks
    from truceline.home import Home
    from truceline.observation import OBSERVATION_TYPE, Observation

    data = file.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    where = Home(home)
    reader = where.reader()
    anchors = trust_anchors(where)
    authority = authority_of(reader)
    needle = sha.encode("ascii")
    found = []
    for index, entry in reader.scan():
        got = read(index, entry, (OBSERVATION_TYPE,))
        if not isinstance(got, Record) or needle not in got.envelope.payload:
            continue
        obs = Observation.model_validate(got.payload)
        if sha in obs.attributes.media_sha256:
            refusal = authority.check_observation(index, obs, got.envelope)
            signer = "ok" if refusal is None else f"refused: {refusal.reason}"
            found.append(
                {
                    "entry": index,
                    "sensor": obs.sensor,
                    "signer": signer,
                    "checks": media_checks(data, sha, obs, anchors),
                }
            )
    typer.echo(json.dumps({"sha256": sha, "reports": found}, indent=2))
    if not found:
        fail(f"{file}: no report on the log names SHA-256 {sha}")

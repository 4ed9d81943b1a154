"""`truceline sensor add|rotate|revoke|list|keygen`: the registry, as signed ledger entries."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from truceline.mission.options import fail, option_time

sensor_app = typer.Typer(
    no_args_is_help=True, help="The sensor registry (events signed by the mission key)."
)
HOME_OPT = typer.Option(..., "--home", help="The mission home directory.")
AT_OPT = typer.Option("", "--effective-at", help="Event time (RFC 3339); default now.")


def register(app: typer.Typer) -> None:
    app.add_typer(sensor_app, name="sensor")


def _when(text: str) -> datetime:
    from truceline.clock import SystemClock

    if not text:
        return SystemClock().now()
    try:
        return option_time("--effective-at", text)
    except ValueError as exc:
        fail(exc)


def _append(home: Path, events: list[object]) -> list[int]:
    """Sign the events with the registrar's key and append them (`registry.append`)."""
    from truceline.home import Home, HomeError
    from truceline.registry.append import RegistryRefused, append_events

    try:
        return append_events(Home(home), events)  # type: ignore[arg-type]
    except (HomeError, RegistryRefused) as exc:
        fail(exc)


@sensor_app.command()
def add(
    home: Path = HOME_OPT,
    from_: Path | None = typer.Option(
        None, "--from", help='A sensors.json file ({"sensors": [...]}).'
    ),
    id_: str = typer.Option("", "--id"),
    kind: str = typer.Option("", "--kind", help="satellite_thermal, weapon_locating_radar, ..."),
    operator: str = typer.Option("", "--operator", help="The signatory running it."),
    public_key: str = typer.Option("", "--public-key", help="Base64 raw Ed25519 public key."),
    lon: float | None = typer.Option(None, "--lon"),
    lat: float | None = typer.Option(None, "--lat"),
    range_km: float | None = typer.Option(None, "--range-km"),
    team: str = typer.Option("", "--team", help="For an observer team member: the team id."),
    effective_at: str = AT_OPT,
) -> None:
    """Register sensors and other principals (importer, signatory, observer team members),
    from a sensors.json file or from options."""
    from pydantic import ValidationError

    from truceline.agreement.load import field_errors
    from truceline.codec import jcs
    from truceline.registry.model import Register, Sensor, SensorList

    when = _when(effective_at)
    try:
        if from_ is not None:
            try:
                doc = jcs.loads(from_.read_text())
            except (OSError, ValueError) as exc:
                fail(f"{from_}: {exc}")
            if isinstance(doc, list):
                doc = {"sensors": doc}
            sensors = SensorList.model_validate(doc).sensors
        else:
            sensor: dict[str, object] = {
                "id": id_,
                "kind": kind,
                "operator": operator,
                "public_key": public_key,
            }
            if lon is not None and lat is not None:
                sensor["location"] = (lon, lat)
            if range_km is not None:
                sensor["coverage"] = {"range_km": range_km}
            if team:
                sensor["team"] = team
            sensors = [Sensor.model_validate(sensor)]
    except ValidationError as exc:
        fail("\n".join(str(e) for e in field_errors(exc)))
    indices = _append(home, [Register(effective_at=when, sensor=s) for s in sensors])
    for s, index in zip(sensors, indices, strict=True):
        typer.echo(
            f"registered {s.id} ({s.kind}, operator {s.operator}) keyid {s.keyid} at entry {index}"
        )


@sensor_app.command()
def rotate(
    sensor_id: str = typer.Argument(...),
    home: Path = HOME_OPT,
    public_key: str = typer.Option(..., "--public-key", help="The new base64 Ed25519 public key."),
    reason: str = typer.Option("", "--reason"),
    effective_at: str = AT_OPT,
) -> None:
    """Replace a sensor's key from a time on; the old key signs nothing dated after it."""
    from pydantic import ValidationError

    from truceline.registry.model import Rotate

    try:
        event = Rotate(
            effective_at=_when(effective_at),
            sensor_id=sensor_id,
            public_key=public_key,
            reason=reason,
        )
    except ValidationError as exc:
        fail(exc)
    (index,) = _append(home, [event])
    typer.echo(
        f"rotated {sensor_id} to keyid {event.keyid} from {event.effective_at.isoformat()} at entry {index}"
    )


@sensor_app.command()
def revoke(
    sensor_id: str = typer.Argument(...),
    home: Path = HOME_OPT,
    keyid: str = typer.Option(
        "", "--keyid", help="Revoke only this key (default: the whole sensor)."
    ),
    reason: str = typer.Option("", "--reason"),
    effective_at: str = AT_OPT,
) -> None:
    """Revoke a sensor (or one key) from a time on, which may be in the past (compromise time)."""
    from truceline.registry.model import Revoke

    event = Revoke(
        effective_at=_when(effective_at), sensor_id=sensor_id, keyid=keyid or None, reason=reason
    )
    (index,) = _append(home, [event])
    typer.echo(
        f"revoked {sensor_id}{' key ' + keyid if keyid else ''} from {event.effective_at.isoformat()} at entry {index}"
    )


@sensor_app.command("list")
def list_(home: Path = HOME_OPT, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every registered sensor with its current key and status."""
    from truceline.authority import authority_of
    from truceline.home import Home, HomeError

    try:
        ledger = Home(home).reader()
    except (HomeError, RuntimeError) as exc:
        fail(exc)
    try:
        registry = authority_of(ledger).registry
    finally:
        ledger.close()
    rows = []
    for sid in sorted(registry.sensors):
        st = registry.sensors[sid]
        rows.append(
            {
                "id": sid,
                "kind": str(st.kind),
                "operator": st.operator,
                "team": st.sensor.team,
                "keyid": st.current_keyid,
                "keys": len(st.keys),
                "status": "revoked" if st.revoked_at else "active",
                "revoked_at": st.revoked_at.isoformat() if st.revoked_at else None,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        typer.echo(
            f"{r['id']:<28} {r['kind']:<22} {r['operator']:<12} {r['keyid']} {r['status']}"
            + (f" from {r['revoked_at']}" if r["revoked_at"] else "")
        )


@sensor_app.command()
def keygen(
    out: Path = typer.Argument(..., help="Where to write the private key (mode 0600)."),
) -> None:
    """Make a sensor key; prints the public key and keyid to register."""
    from truceline.codec import keys

    if out.exists():
        fail(f"{out}: exists; refusing to replace a key")
    key = keys.generate()
    keys.save_private_key(out, key)
    typer.echo(f"public_key {keys.public_key_b64(key.public_key())}")
    typer.echo(f"keyid      {keys.key_id(key.public_key())}")

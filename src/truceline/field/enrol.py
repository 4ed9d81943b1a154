"""A field device's key, registered on the log by invitation.

The mission's registrar invites a member of an observer team (`truceline field invite`):
a one-time code, valid for a few hours, kept here as its SHA-256 only. The member opens the
field app, which creates an Ed25519 key pair in the browser (the private half
non-extractable) and sends the code with the public key. The server then signs, with the
registrar's key, a registry record of kind `observer_patrol` for that key, with the member's
team as `team` and the team's operator as `operator`: from then on the device signs its own
reports, and anyone holding the log can check them (`truceline.authority`: an observing
principal, and an inspection team's member if its team is one of `inspections.teams`).

    HOME/field/invites/<sha256 of the code>.json   {"team", "member", "expires_at"}

The code is what a mission hands over in person or by a channel it trusts; the record on the
log, not the invitation, is what makes the key count, so the invitation files are no part
of any decision and are deleted when used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from truceline.codec.keys import KeyFileError, key_id, public_key_from_b64
from truceline.errors import TrucelineError
from truceline.home import Home
from truceline.registry.model import SENSOR_ID_PATTERN, Register, Sensor, SensorKind
from truceline.rfc3339 import format_time

MEMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class EnrolRefused(TrucelineError):
    code = "enrol_refused"


@dataclass(frozen=True)
class Enrolled:
    sensor: str
    keyid: str
    team: str
    member: str
    index: int


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _team_operator(home: Home, team: str) -> str:
    """The operator of observer team `team`: the registered team principal's, else the
    mission's registrar. EnrolRefused unless the team is an observer team of the mission."""
    from truceline.authority import authority_of, registrar_ids

    reader = home.reader()
    authority = authority_of(reader)
    teams = {t.id for t in authority.agreement.inspections.teams}
    state = authority.registry.get(team)
    if state is not None and state.kind is SensorKind.observer_patrol:
        return state.sensor.operator
    if team in teams:
        return registrar_ids(authority)[0]
    raise EnrolRefused(
        f"{team!r} is neither a registered observer patrol nor a team of the agreement's "
        "inspections.teams",
        field="team",
    )


def invite(home: Home, team: str, member: str, now: datetime, valid_for: timedelta) -> str:
    """A one-time enrolment code for `member` of `team`, valid for `valid_for` from `now`."""
    if not MEMBER_PATTERN.match(member):
        raise EnrolRefused(
            f"{member!r}: expected letters, digits, '_' or '-', at most 48", field="member"
        )
    _team_operator(home, team)
    code = secrets.token_urlsafe(18)
    folder = home.root / "field" / "invites"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"team": team, "member": member, "expires_at": format_time(now + valid_for)}
    path = folder / f"{_digest(code)}.json"
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    return code


@contextmanager
def _taken(home: Home, code: str, now: datetime) -> Iterator[tuple[str, str]]:
    """(team, member) of the invitation `code`, held while the block runs: used up if it
    ends normally, given back if it raises (a refused registration does not burn the code)."""
    if not CODE_PATTERN.match(code):
        raise EnrolRefused("not an enrolment code", field="code")
    path = home.root / "field" / "invites" / f"{_digest(code)}.json"
    taken = path.with_suffix(".taken")
    try:
        os.rename(path, taken)  # atomic: of two requests with one code, one wins
    except FileNotFoundError:
        raise EnrolRefused("unknown or already used enrolment code", field="code") from None
    doc = json.loads(taken.read_text())
    if datetime.fromisoformat(doc["expires_at"].replace("Z", "+00:00")) <= now:
        taken.unlink()
        raise EnrolRefused(f"enrolment code expired at {doc['expires_at']}", field="code")
    try:
        yield str(doc["team"]), str(doc["member"])
    except BaseException:
        os.rename(taken, path)
        raise
    taken.unlink()


def device_id(team: str, member: str, keyid: str) -> str:
    """The device's principal id: team, member and the key's id, so a member's second device
    (or a re-enrolled one) is a principal of its own."""
    ident = f"{team}.{member}.{keyid[:8]}"
    if not re.match(SENSOR_ID_PATTERN, ident):
        ident = f"{member}.{keyid[:8]}"
    return ident


def enrol(home: Home, code: str, public_key: str, now: datetime) -> Enrolled:
    """Register the device key `public_key` (base64 raw Ed25519) for the invitation `code`."""
    from truceline.registry.append import append_events

    try:
        keyid = key_id(public_key_from_b64(public_key))
    except KeyFileError as exc:
        raise EnrolRefused(str(exc), field="public_key") from exc
    with _taken(home, code, now) as (team, member):
        sensor = Sensor(
            id=device_id(team, member, keyid),
            kind=SensorKind.observer_patrol,
            operator=_team_operator(home, team),
            public_key=public_key,
            team=team,
            name=member,
        )
        [index] = append_events(home, [Register(effective_at=now, sensor=sensor)])
    return Enrolled(sensor.id, sensor.keyid, team, member, index)

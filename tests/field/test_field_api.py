"""The field kit over HTTP, as a device and as an attacker reach it: enrolment by a one-time
code, a report signed by the device's own key through POST /observations, its media stored
only under the hash the logged report names, and checked against the report's time and place."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from simulated_home import SERVED_AT, cli, cli_result
from truceline.api import create_app
from truceline.authority import Role, authority_of, roles_of
from truceline.clock import FixedClock
from truceline.codec import dsse, jcs
from truceline.codec.keys import key_id, public_key_b64
from truceline.home import Home
from truceline.observation import OBSERVATION_TYPE

REPORTED_AT = "2026-06-05T01:10:00Z"  # after the device was enrolled (at SERVED_AT)
RECEIVED_AT = "2026-06-05T01:15:00Z"


@pytest.fixture(scope="module")
def field(simulated_mission: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("field") / "home"
    shutil.copytree(simulated_mission.home, home)
    agreement = yaml.safe_load((simulated_mission.sim / "agreement.yaml").read_text())
    team = agreement["inspections"]["teams"][0]
    clock = FixedClock(datetime.fromisoformat(SERVED_AT))
    with TestClient(create_app(Home(home), clock)) as client:
        yield Field(home, team["id"], tuple(team["base"]), client, clock)


class Field:
    def __init__(
        self, home: Path, team: str, base: tuple[float, float], client: Any, clock: Any
    ) -> None:
        self.home, self.team, self.base, self.client, self.clock = home, team, base, client, clock

    def invite(self, member: str) -> str:
        return cli(
            "field", "invite", "--home", str(self.home), "--team", self.team, "--member", member
        ).strip()

    def enrol(self, member: str) -> tuple[Ed25519PrivateKey, dict[str, Any]]:
        key = Ed25519PrivateKey.generate()
        self.clock.at = datetime.fromisoformat(SERVED_AT)
        r = self.client.post(
            "/field/enrol",
            json={"code": self.invite(member), "public_key": public_key_b64(key.public_key())},
        )
        assert r.status_code == 200, r.text
        return key, r.json()

    def report(
        self, key: Ed25519PrivateKey, sensor: str, seq: int, media: list[str], **extra: Any
    ) -> bytes:
        obs = {
            "sensor": sensor,
            "seq": seq,
            "observed_at": REPORTED_AT,
            "kind": "impact",
            "geometry": {"type": "Point", "coordinates": list(self.base)},
            "uncertainty_m": 2000,
            "attributes": {
                "perception": "seen",
                "bearing_deg": 45,
                "distance_band_m": [1000, 2000],
                "media_sha256": media,
                "position_accuracy_m": 12.5,
                **extra,
            },
        }
        payload = jcs.canonicalize(obs)
        return dsse.sign(OBSERVATION_TYPE, payload, key, key_id(key.public_key())).to_json()

    def submit(self, envelope: bytes) -> dict[str, Any]:
        self.clock.at = datetime.fromisoformat(RECEIVED_AT)
        r = self.client.post("/observations", content=envelope)
        assert r.status_code == 200, r.text
        return dict(r.json()["results"][0])


def jpeg(when: str | None, lonlat: tuple[float, float] | None, colour: str = "red") -> bytes:
    """A photo with the EXIF a phone writes: its time (with offset) and GPS position."""
    from PIL import Image

    image = Image.new("RGB", (32, 24), colour)
    exif = Image.Exif()
    if when is not None:
        exif.get_ifd(0x8769).update({0x9003: when, 0x9011: "+00:00"})
    if lonlat is not None:
        lon, lat = lonlat

        def dms(x: float) -> tuple[float, float, float]:
            d = int(abs(x))
            m = int((abs(x) - d) * 60)
            return (float(d), float(m), (abs(x) - d - m / 60) * 3600)

        exif.get_ifd(0x8825).update(
            {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
        )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_device_enrols_once_and_its_report_is_logged_as_the_team_members(field: Field) -> None:
    key, device = field.enrol("anna")
    assert device["team"] == field.team and device["keyid"] == key_id(key.public_key())
    result = field.submit(field.report(key, device["sensor"], 1, []))
    assert result["accepted"], result
    authority = authority_of(Home(field.home).reader())
    state = authority.registry.get(device["sensor"])
    assert state is not None and state.sensor.team == field.team
    assert Role.inspection_team in roles_of(state, authority.agreement)
    # a key registered already: refused by the registry, and the code is not used up
    size = Home(field.home).reader().size
    code = field.invite("ben")
    body = {"code": code, "public_key": public_key_b64(key.public_key())}
    twice = field.client.post("/field/enrol", json=body)
    assert twice.status_code == 409, twice.text
    body["public_key"] = public_key_b64(Ed25519PrivateKey.generate().public_key())
    assert field.client.post("/field/enrol", json=body).status_code == 200
    # the same code again, or a made-up one: refused, nothing registered
    for body["code"] in (code, "x" * 24):
        again = field.client.post("/field/enrol", json=body)
        assert again.status_code == 403 and "unknown or already used" in again.json()["detail"]
    assert Home(field.home).reader().size == size + 1  # ben's one registration


def test_an_invitation_names_a_team_of_the_mission(field: Field) -> None:
    out = cli_result(
        "field", "invite", "--home", str(field.home), "--team", "nobody", "--member", "x"
    )
    assert out.exit_code == 2 and "neither a registered observer patrol" in out.output


def test_a_report_altered_after_signing_is_refused(field: Field) -> None:
    key, device = field.enrol("carl")
    envelope = json.loads(field.report(key, device["sensor"], 1, []))
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["attributes"]["perception"] = "heard"
    envelope["payload"] = base64.b64encode(jcs.canonicalize(payload)).decode()
    result = field.submit(json.dumps(envelope).encode())
    assert not result["accepted"] and result["reason"] == "bad_signature", result


def test_media_is_stored_only_under_the_hash_its_logged_report_signed(field: Field) -> None:
    key, device = field.enrol("dana")
    photo = jpeg("2026:06:05 01:05:00", field.base)
    far = jpeg("2026:06:04 09:00:00", (field.base[0] + 0.5, field.base[1]), "blue")
    noise = b"not a photo at all" * 10
    result = field.submit(
        field.report(
            key,
            device["sensor"],
            1,
            [sha(photo), sha(far), sha(noise)],
            harm={"civilians": {"injured": [2, 3], "source": "seen"}},
        )
    )
    assert result["accepted"], result
    index = result["index"]

    stored = field.client.put(f"/field/media/{sha(photo)}?entry={index}", content=photo)
    assert stored.status_code == 200, stored.text
    checks = {c["check"]: c["status"] for c in stored.json()["checks"]}
    assert checks == {"sha256": "ok", "time": "ok", "place": "ok", "c2pa": "absent"}
    assert field.client.get(f"/field/media/{sha(photo)}").content == photo

    # the media's own time and place disagree with the report: stored, and flagged
    flagged = field.client.put(f"/field/media/{sha(far)}?entry={index}", content=far)
    got = {c["check"]: c for c in flagged.json()["checks"]}
    assert got["time"]["status"] == "flag" and got["place"]["status"] == "flag", got
    assert "from the report's position" in got["place"]["detail"]

    # a file swapped after the report was signed: refused, both hashes named
    swapped = field.client.put(f"/field/media/{sha(photo)}?entry={index}", content=far)
    assert swapped.status_code == 422 and swapped.json()["code"] == "hash_mismatch"
    assert sha(far) in swapped.json()["detail"] and sha(photo) in swapped.json()["detail"]
    # a file no report names, under its own hash
    other = jpeg(None, None, "green")
    unnamed = field.client.put(f"/field/media/{sha(other)}?entry={index}", content=other)
    assert unnamed.status_code == 422 and unnamed.json()["code"] == "not_reported"
    # named, but not a photo, video or audio file
    bad = field.client.put(f"/field/media/{sha(noise)}?entry={index}", content=noise)
    assert bad.status_code == 415 and bad.json()["code"] == "unsupported_type"
    assert field.client.get(f"/field/media/{sha(noise)}").status_code == 404


def test_anyone_holding_the_log_checks_a_file_against_its_report(
    field: Field, tmp_path: Path
) -> None:
    key, device = field.enrol("eli")
    photo = jpeg("2026:06:05 01:09:00", field.base, "yellow")
    result = field.submit(field.report(key, device["sensor"], 1, [sha(photo)]))
    assert result["accepted"], result
    (tmp_path / "photo.jpg").write_bytes(photo)
    out = json.loads(
        cli("field", "check-media", "--home", str(field.home), str(tmp_path / "photo.jpg"))
    )
    [found] = out["reports"]
    assert found["entry"] == result["index"] and found["signer"] == "ok"
    (tmp_path / "edited.jpg").write_bytes(photo + b"\x00")
    edited = cli_result(
        "field", "check-media", "--home", str(field.home), str(tmp_path / "edited.jpg")
    )
    assert edited.exit_code == 1 and "no report on the log names" in edited.output


def test_the_field_app_is_served_with_its_service_worker(field: Field) -> None:
    page = field.client.get("/field/")
    assert (
        page.status_code == 200 and "worker-src 'self'" in page.headers["content-security-policy"]
    )
    for name in ("app.js", "store.js", "sw.js", "manifest.webmanifest", "field.css"):
        assert field.client.get(f"/field/{name}").status_code == 200, name
    assert field.client.get("/field/../api.py").status_code == 404
    assert field.client.get("/field/index.html").status_code == 404


def test_a_report_sent_twice_or_under_another_devices_name_is_refused(field: Field) -> None:
    key, device = field.enrol("fay")
    _, other = field.enrol("gus")
    envelope = field.report(key, device["sensor"], 1, [])
    assert field.submit(envelope)["accepted"]
    again = field.submit(envelope)
    assert not again["accepted"] and again["reason"] == "replay", again
    posing = field.submit(field.report(key, other["sensor"], 1, []))
    assert not posing["accepted"] and posing["reason"] == "wrong_sensor", posing
    # a device revoked (a lost phone): what it signs after the revocation is refused
    cli(
        "sensor",
        "revoke",
        device["sensor"],
        "--home",
        str(field.home),
        "--effective-at",
        "2026-06-05T01:05:00Z",
    )
    late = field.submit(field.report(key, device["sensor"], 2, []))
    assert not late["accepted"] and late["reason"] == "revoked", late


def test_replay_accepts_every_record_the_field_kit_logged(field: Field) -> None:
    """Device registrations, their reports: all authorized from the log alone."""
    key, device = field.enrol("hal")
    assert field.submit(field.report(key, device["sensor"], 1, []))["accepted"]
    result = cli_result("replay", "--home", str(field.home))
    assert result.exit_code == 0, result.output

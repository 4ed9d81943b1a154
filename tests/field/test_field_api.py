"""The field kit over HTTP, as a device and as an attacker reach it: enrolment by a one-time
code, a report signed by the device's own key through POST /observations, its media stored
only under the hash the logged report names, and checked against the report's time and place."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulated_home import cli, cli_result
from truceline.authority import Role, authority_of, roles_of
from truceline.codec import jcs
from truceline.codec.keys import key_id, public_key_b64
from truceline.home import Home

from .conftest import Field, jpeg, sha


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

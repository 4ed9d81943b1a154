"""The attacks of issue #7 (authority), each end to end through the CLI and HTTP.

Every attack either is refused at the door (ingest's quarantine, reason `unauthorized`; an
HTTP 401 or 403) or, when it reaches the log around the door (`truceline log append`, the
log key holder's power), is ignored by every reader the same way and named by `truceline
replay`, which then exits 1.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from truceline import httpsig
from truceline.adjudication.verdict import IncidentTransition, seal_transition
from truceline.codec import keys, records
from truceline.enforcement.records import ENFORCEMENT_TYPE
from truceline.registry.model import Register, Sensor
from truceline.registry.state import seal_event

from .conftest import ENFORCE_AT, Mission, cli, cli_result, observation, seal, server, when

URL = "http://testserver"


def _next_seq(m: Mission, sensor: str) -> int:
    """The sensor's next sequence number after what the simulator signed for it."""
    last = -1
    for line in (m.sim / "observations.jsonl").read_bytes().splitlines():
        payload = json.loads(base64.b64decode(json.loads(line)["payload"]))
        if payload["sensor"] == sensor:
            last = max(last, payload["seq"])
    return last + 1


def _post_envelopes(m: Mission, *envelopes: bytes) -> list[dict[str, Any]]:
    with TestClient(server(m.home)) as client:
        r = client.post("/observations", content=b"\n".join(envelopes))
        assert r.status_code == 200, r.text
        return r.json()["results"]


def _radar_of(party: str) -> str:
    return f"radar-{party}-001"


def test_a_party_cannot_dismiss_its_own_breach(mission: Mission, tmp_path: Path) -> None:
    verified = [i for i in mission.incidents() if i["state"] == "verified" and i["accused"]]
    assert verified, "the simulated day must hold verified breaches"
    target = verified[0]
    accused = target["accused"]
    report = seal(
        observation(
            _radar_of(accused),
            _next_seq(mission, _radar_of(accused)),
            "inspection_report",
            when(target["window"][1]) + timedelta(hours=1),
            tuple(target["location"]),
            incident=target["incident"],
            finding="dismissed",
        ),
        mission.sensor_key(_radar_of(accused)),
    )
    # At the door: refused, with the reason, kept in the quarantine.
    [result] = _post_envelopes(mission, report)
    assert not result["accepted"] and result["reason"] == "unauthorized"
    assert "inspection_report" in result["message"]
    quarantined = cli("quarantine", "list", "--home", mission.h, "--reason", "unauthorized")
    assert "unauthorized" in quarantined
    # Around the door: every reader ignores it, replay names it.
    index = mission.append_raw(tmp_path, report)
    cli("fuse", "--home", mission.h)
    assert mission.incident(target["incident"])["state"] == "verified"
    code, report_json = mission.replay()
    assert code == 1
    reasons = {r["ledger_index"]: r["reason"] for r in report_json["refusals"]}
    assert "may not write inspection_report" in reasons[index]


def test_a_party_cannot_confirm_the_other_sides_incidents(mission: Mission, tmp_path: Path) -> None:
    fair = [i for i in mission.incidents() if i["grade"] in ("fair", "weak") and i["accused"]]
    assert fair
    target = fair[0]
    accuser = "west" if target["accused"] == "east" else "east"
    report = seal(
        observation(
            _radar_of(accuser),
            _next_seq(mission, _radar_of(accuser)),
            "inspection_report",
            when(target["window"][1]) + timedelta(hours=1),
            tuple(target["location"]),
            incident=target["incident"],
            finding="confirmed",
        ),
        mission.sensor_key(_radar_of(accuser)),
    )
    [result] = _post_envelopes(mission, report)
    assert result["reason"] == "unauthorized"
    mission.append_raw(tmp_path, report)
    cli("fuse", "--home", mission.h)
    assert mission.incident(target["incident"])["grade"] == target["grade"]
    assert mission.replay()[0] == 1


def test_a_neutral_team_files_only_within_a_scheduled_inspection(mission: Mission) -> None:
    """The genuine path: enforcement scheduled an inspection of a weak incident (the
    agreement's automatic inspections); a neutral team's finding within its window moves the
    incident, and one on an incident nobody scheduled is refused."""
    inspections = json.loads(cli("inspections", "--home", mission.h, "--now", ENFORCE_AT))
    scheduled = [
        i for i in inspections["inspections"] if i.get("incident") and i["origin"] == "automatic"
    ]
    assert scheduled
    item = scheduled[0]
    incident = item["incident"]
    team = "patrol-mission-001"
    seq = _next_seq(mission, team)
    at = when(item["opened_at"]) + timedelta(hours=2)
    place = tuple(mission.incident(incident)["location"])
    good = seal(
        observation(
            team, seq, "inspection_report", at, place, incident=incident, finding="confirmed"
        ),
        mission.sensor_key(team),
    )
    scheduled_ids = {i["incident"] for i in scheduled}
    other = next(i for i in mission.incidents() if i["incident"] not in scheduled_ids)
    stray = seal(
        observation(
            team,
            seq + 1,
            "inspection_report",
            at,
            tuple(other["location"]),
            incident=other["incident"],
            finding="dismissed",
        ),
        mission.sensor_key(team),
    )
    late = seal(
        observation(
            team,
            seq + 2,
            "inspection_report",
            when(item["due_by"]) + timedelta(hours=1),
            place,
            incident=incident,
            finding="dismissed",
        ),
        mission.sensor_key(team),
    )
    results = _post_envelopes(mission, good, stray, late)
    assert results[0]["accepted"], results[0]
    assert results[1]["reason"] == "unauthorized" and "no inspection" in results[1]["message"]
    assert results[2]["reason"] == "unauthorized" and "outside" in results[2]["message"]
    cli("fuse", "--home", mission.h)
    assert mission.incident(incident)["state"] == "confirmed"
    assert mission.replay() == (0, mission.replay()[1])


def _fake_breach_files(tmp: Path, incident: dict[str, Any]) -> list[tuple[str, Path]]:
    """A radar track, a GeoJSON point and an observer report of one invented event, six
    hours after a real one, in the same place."""
    at = when(incident["window"][1]) + timedelta(hours=6)
    lon, lat = incident["location"]
    olon, olat = incident.get("origin") or (lon, lat - 0.05)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    radar = tmp / "fake.csv"
    radar.write_text(
        "radar,time,origin_lat,origin_lon,impact_lat,impact_lon,cep_m,weapon_class\n"
        f"TPQ-X,{stamp},{olat},{olon},{lat},{lon},40,artillery\n"
    )
    geo = tmp / "fake.geojson"
    geo.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {"time": stamp, "kind": "impact", "uncertainty_m": 100},
                    }
                ],
            }
        )
    )
    observer = tmp / "fake-observer.csv"
    observer.write_text(
        "team,team_lat,team_lon,time,perception,kind,uncertainty_m\n"
        f"OBS-1,{lat},{lon},{stamp},heard,explosion,500\n"
    )
    return [("radar", radar), ("geojson", geo), ("observer", observer)]


def test_imports_need_a_signature_and_count_as_their_uploader(
    mission: Mission, tmp_path: Path
) -> None:
    real = next(i for i in mission.incidents() if i["state"] == "verified" and i["accused"])
    files = _fake_breach_files(tmp_path, real)
    importer = keys.generate()
    accuser = "west" if real["accused"] == "east" else "east"
    cli(
        "sensor",
        "add",
        "--home",
        mission.h,
        "--id",
        f"importer-{accuser}",
        "--kind",
        "importer",
        "--operator",
        accuser,
        "--public-key",
        keys.public_key_b64(importer.public_key()),
    )
    importer_kid = keys.key_id(importer.public_key())
    radar_key = mission.sensor_key(_radar_of(accuser))
    stranger = keys.generate()
    with TestClient(server(mission.home)) as client:
        fmt, path = files[0]
        body = path.read_bytes()
        target = f"{URL}/ingest/{fmt}"
        # Anonymous: 401.
        assert client.post(f"/ingest/{fmt}", content=body).status_code == 401
        # A key nobody registered: 401.
        forged = httpsig.sign_headers(
            "POST", target, body, stranger, keys.key_id(stranger.public_key())
        )
        assert client.post(f"/ingest/{fmt}", content=body, headers=forged).status_code == 401
        # A registered sensor that is not an importer: 403.
        wrong = httpsig.sign_headers(
            "POST", target, body, radar_key, keys.key_id(radar_key.public_key())
        )
        r = client.post(f"/ingest/{fmt}", content=body, headers=wrong)
        assert r.status_code == 403 and "not an importer" in r.text
        # The importer's signature, on another body: 401.
        signed = httpsig.sign_headers("POST", target, body, importer, importer_kid)
        r = client.post(f"/ingest/{fmt}", content=body + b"\n", headers=signed)
        assert r.status_code == 401
        # The same signed request twice: the second is a replay.
        assert client.post(f"/ingest/{fmt}", content=body, headers=signed).status_code == 200
        assert client.post(f"/ingest/{fmt}", content=body, headers=signed).status_code == 401
        # A cross-site write from a browser: 403 before any route.
        r = client.post("/observations", content=b"[]", headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        r = client.post("/observations", content=b"[]", headers={"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
    # The importer sends the other two files through the CLI client, signed.
    importer_file = tmp_path / "importer.key"
    keys.save_private_key(importer_file, importer)
    # Three formats from one uploader are one source, the uploader's party: no verified
    # breach can come of them alone.
    before = {i["incident"] for i in mission.incidents()}
    with TestClient(server(mission.home)) as client:
        for fmt, path in files[1:]:
            body = path.read_bytes()
            headers = httpsig.sign_headers(
                "POST", f"{URL}/ingest/{fmt}", body, importer, importer_kid
            )
            r = client.post(f"/ingest/{fmt}", content=body, headers=headers)
            assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    cli("fuse", "--home", mission.h)
    new = [i for i in mission.incidents() if i["incident"] not in before]
    assert new and all(i["state"] not in ("verified", "confirmed") for i in new), new
    assert mission.replay()[0] == 0


def _forged_transition(mission: Mission) -> IncidentTransition:
    props = mission.incidents()[0]
    forged = {
        k: props[k] for k in IncidentTransition.model_fields if k in props and props[k] is not None
    }
    forged |= {"incident": "inc-forged", "state": "confirmed", "grade": "confirmed"}
    return IncidentTransition.model_validate(forged)


def test_records_by_keys_the_agreement_does_not_authorize_are_ignored(
    mission: Mission, tmp_path: Path
) -> None:
    forged = _forged_transition(mission)
    stranger = keys.generate()
    party = mission.signatory_key("west")
    by_stranger = mission.append_raw(
        tmp_path, seal_transition(forged, stranger, keys.key_id(stranger.public_key()))
    )
    by_party = mission.append_raw(
        tmp_path,
        seal_transition(
            forged.model_copy(update={"incident": "inc-forged-2"}),
            party,
            keys.key_id(party.public_key()),
        ),
    )
    # A registry record introducing a new "adjudicator" key, signed by a party: ignored,
    # and so is what that key signs.
    rogue = keys.generate()
    intro = seal_event(
        Register(
            effective_at=when(ENFORCE_AT),
            sensor=Sensor(
                id="mission-adjudicator-2",
                kind="adjudicator",
                operator="mission",
                public_key=keys.public_key_b64(rogue.public_key()),
            ),
        ),
        party,
        keys.key_id(party.public_key()),
    )
    by_intro = mission.append_raw(tmp_path, intro)
    by_rogue = mission.append_raw(
        tmp_path,
        seal_transition(
            forged.model_copy(update={"incident": "inc-forged-3"}),
            rogue,
            keys.key_id(rogue.public_key()),
        ),
    )
    penalty = records.seal(
        ENFORCEMENT_TYPE,
        {
            "event": "penalty_in_force",
            "key": "forged:penalty",
            "at": ENFORCE_AT,
            "subject": "forged-case",
            "party": "east",
            "detail": {},
        },
        party,
        keys.key_id(party.public_key()),
    )
    by_penalty = mission.append_raw(tmp_path, penalty)
    shown = {i["incident"] for i in mission.incidents()}
    assert not shown & {"inc-forged", "inc-forged-2", "inc-forged-3"}
    with TestClient(server(mission.home)) as client:
        listed = {r["incident"] for r in client.get("/incidents").json()}
        geo = client.get("/incidents.geojson").json()
    assert not listed & {"inc-forged", "inc-forged-2", "inc-forged-3"}
    assert len(geo["features"]) == len(shown)
    ignored = {i["index"]: i["reason"] for i in mission.penalties()["ignored"]}
    assert "signatory key" in ignored[by_penalty]
    code, report = mission.replay()
    assert code == 1
    named = {r["ledger_index"] for r in report["refusals"]}
    assert {by_stranger, by_party, by_intro, by_rogue} <= named


def test_reading_commands_never_create_keys(mission: Mission, tmp_path: Path) -> None:
    """A copy of the home without its private keys (what a party holds): every reading
    command answers as the operator's home does, and creates no key."""
    import shutil

    public = tmp_path / "public"
    shutil.copytree(mission.home, public)
    shutil.rmtree(public / "keys")
    (public / "log.key").unlink()
    for args in (
        ["incidents"],
        ["penalties", "--now", ENFORCE_AT],
        ["inspections", "--now", ENFORCE_AT],
        ["playbooks", "--now", ENFORCE_AT],
        ["replay"],
    ):
        operator = cli(args[0], "--home", mission.h, *args[1:])
        outsider = cli(args[0], "--home", str(public), *args[1:])
        assert operator == outsider, args
    assert not (public / "keys").exists()
    # Writing needs the mission's keys: refused with the reason, nothing created.
    result = cli_result("fuse", "--home", str(public))
    assert result.exit_code != 0 and "key" in result.output
    assert not (public / "keys").exists()


def test_a_rotated_out_mission_key_signs_nothing_more(mission: Mission, tmp_path: Path) -> None:
    """The adjudicator's key is captured; the registrar rotates it, as for a sensor. What
    the old key signs afterwards is refused; the new key writes as the adjudicator did."""
    old = keys.load_private_key(mission.home / "keys" / "mission-adjudicator.key")
    new = tmp_path / "new.key"
    public = cli("sensor", "keygen", str(new)).split()[1]
    cli(
        "sensor",
        "rotate",
        "mission-adjudicator",
        "--home",
        mission.h,
        "--public-key",
        public,
        "--effective-at",
        ENFORCE_AT,
        "--reason",
        "key captured",
    )
    forged = _forged_transition(mission)
    late = mission.append_raw(tmp_path, seal_transition(forged, old, keys.key_id(old.public_key())))
    assert "inc-forged" not in {i["incident"] for i in mission.incidents()}
    code, report = mission.replay()
    assert code == 1 and late in {r["ledger_index"] for r in report["refusals"]}
    reason = next(r["reason"] for r in report["refusals"] if r["ledger_index"] == late)
    assert "retired" in reason
    # The operator puts the new key in place: the adjudicator writes again.
    (mission.home / "keys" / "mission-adjudicator.key").write_bytes(new.read_bytes())
    strike = next(i for i in mission.incidents() if i["state"] == "verified" and i["origin"])
    report_ = seal(
        observation(
            "radar-mission-001",
            _next_seq(mission, "radar-mission-001"),
            "impact",
            when(ENFORCE_AT),
            tuple(strike["location"]),
            origin={"coordinates": strike["origin"], "cep_m": 50},
            perception="recorded",
            weapon_class="artillery",
        ),
        mission.sensor_key("radar-mission-001"),
    )
    assert _post_envelopes(mission, report_)[0]["accepted"]
    fused = json.loads(cli("fuse", "--home", mission.h))
    assert fused["appended"] >= 1
    assert late in {r["ledger_index"] for r in mission.replay()[1]["refusals"]}

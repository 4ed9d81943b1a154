"""`truceline init` + sensor registration + ingest via the CLI, and the HTTP API on the same home."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from truceline import httpsig
from truceline.api import create_app
from truceline.cli import app
from truceline.codec import keys, records
from truceline.home import Home
from truceline.ledger import proof as tlog_proof
from truceline.observation import OBSERVATION_TYPE

from .conftest import obs

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, keys.Ed25519PrivateKey]:
    tmp = tmp_path_factory.mktemp("mission")
    _run(
        "agreement", "keygen", str(REPO / "examples/agreement.yaml"), "--out", str(tmp / "signers")
    )
    out = _run(
        "init",
        "--home",
        str(tmp / "home"),
        "--agreement",
        str(tmp / "signers/agreement.yaml"),
        "--signers",
        str(tmp / "signers"),
    )
    assert "(in force)" in out
    sensor_key = keys.generate()
    (tmp / "sensors.json").write_text(
        json.dumps(
            {
                "sensors": [
                    {
                        "id": "radar-1",
                        "kind": "weapon_locating_radar",
                        "operator": "party-a",
                        "public_key": keys.public_key_b64(sensor_key.public_key()),
                        "location": [35.2, 47.8],
                        "error_model": {"base_m": 30, "per_km_m": 4},
                    }
                ]
            }
        )
    )
    assert "registered radar-1" in _run(
        "sensor", "add", "--home", str(tmp / "home"), "--from", str(tmp / "sensors.json")
    )
    return tmp / "home", sensor_key


def test_agreement_amendment_via_cli(home: tuple[Path, keys.Ed25519PrivateKey]) -> None:
    import yaml

    from truceline.agreement.load import load_agreement
    from truceline.agreement.versions import payload_sha256

    root, _ = home
    signers = root.parent / "signers"
    v1 = load_agreement(signers / "agreement.yaml")
    doc = yaml.safe_load((signers / "agreement.yaml").read_text())
    doc.update(version=2, previous=payload_sha256(v1), effective_from="2026-06-01T00:00:00Z")
    doc["evidence"]["confirmed_min_sources"] = 4
    (root.parent / "v2.yaml").write_text(yaml.safe_dump(doc))
    out = _run("agreement", "propose", str(root.parent / "v2.yaml"), "--home", str(root))
    assert "awaiting party-a, party-b" in out
    _run(
        "agreement",
        "sign",
        "--home",
        str(root),
        "--as",
        "party-a",
        "--key",
        str(signers / "party-a.key"),
    )
    wrong = runner.invoke(
        app,
        [
            "agreement",
            "sign",
            "--home",
            str(root),
            "--as",
            "party-b",
            "--key",
            str(signers / "party-a.key"),
        ],
    )
    assert wrong.exit_code == 1 and "is not a key of 'party-b'" in wrong.output
    out = _run(
        "agreement",
        "sign",
        "--home",
        str(root),
        "--as",
        "party-b",
        "--key",
        str(signers / "party-b.key"),
    )
    assert "(complete)" in out
    assert " v2 " in _run("agreement", "show", "--home", str(root), "--at", "2026-06-02T00:00:00Z")
    assert " v1 " in _run("agreement", "show", "--home", str(root), "--at", "2026-05-01T00:00:00Z")


def _seal(key: keys.Ed25519PrivateKey, seq: int) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    return records.seal(OBSERVATION_TYPE, obs(seq=seq, at=now), key, keys.key_id(key.public_key()))


def test_cli_ingest_quarantine_receipt(
    home: tuple[Path, keys.Ed25519PrivateKey], tmp_path: Path
) -> None:
    root, key = home
    f = tmp_path / "batch.jsonl"
    f.write_bytes(b"\n".join([_seal(key, 1), _seal(key, 2), _seal(key, 2), b"{broken"]) + b"\n")
    out = _run("ingest", "--home", str(root), "--format", "dsse", "--json", str(f))
    counts = json.loads(out)[str(f)]
    assert counts["accepted"] == 2 and counts["rejected_by_reason"] == {"bad_json": 1, "replay": 1}
    listed = _run("quarantine", "list", "--home", str(root), "--reason", "replay")
    assert "payload.seq" in listed
    qid = listed.splitlines()[1].split()[0]
    shown = json.loads(_run("quarantine", "show", qid, "--home", str(root)))
    assert shown["reason"] == "replay" and shown["field"] == "payload.seq"
    receipt = _run("receipt", str(counts["first_index"]), "--home", str(root))
    assert "c2sp.org/tlog-proof@v1" in receipt
    assert "radar-1" in _run("sensor", "list", "--home", str(root))
    assert "in force" in _run("agreement", "show", "--home", str(root))


def test_cli_errors_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (REPO / "examples/agreement.yaml").read_text().replace("party: party-b", "party: x")
    )
    result = runner.invoke(app, ["agreement", "validate", str(bad)])
    assert result.exit_code == 1
    assert "geography.territories[1].party: expected a party id" in result.output
    result = runner.invoke(app, ["ingest", "--home", str(tmp_path / "nohome"), str(bad)])
    assert result.exit_code == 1


def test_http_api(home: tuple[Path, keys.Ed25519PrivateKey]) -> None:
    root, key = home
    with TestClient(create_app(Home(root))) as client:
        spec = client.get("/openapi.json").json()
        assert "/observations" in spec["paths"] and "/receipts/{index}" in spec["paths"]
        first = _seal(key, 100)
        body = b"[" + first + b",\n " + _seal(key, 100) + b"]"
        r = client.post("/observations", content=body)
        assert r.status_code == 200
        data = r.json()
        assert (data["accepted"], data["rejected"]) == (1, 1)
        assert data["results"][1]["reason"] == "replay"
        index = data["results"][0]["index"]
        receipt = client.get(f"/receipts/{index}").json()
        vkey = (root / "log.vkey").read_text().strip()
        # the submitted envelope was canonical, so it is the ledger entry byte for byte
        tlog_proof.verify(receipt["proof"].encode(), first, vkey)
        assert receipt["entry_sha256"] == data["results"][0]["entry_sha256"]
        q = client.get(f"/quarantine/{data['results'][1]['quarantine_id']}").json()
        assert q["field"] == "payload.seq"
        assert client.get("/receipts/999999").status_code == 404
        assert client.post("/observations", content=b"[1,").status_code == 400
        assert [s["id"] for s in client.get("/sensors").json()] == [
            "mission-adjudicator",
            "mission-enforcement",
            "mission-gateway",
            "mission-publisher",
            "radar-1",
        ]


def test_import_firms_file_cli_and_http(
    home: tuple[Path, keys.Ed25519PrivateKey], data: Path, tmp_path: Path
) -> None:
    """A real FIRMS file through the adapter and the import gateway; a second import is all duplicates.

    The file was observed on 2025-08-11: at today's clock every one of its 171 rows is
    older than the example agreement's time.max_age_s (30 days), so all are refused as
    too_old. The same rows dated yesterday are accepted, and imported again over HTTP, by
    a registered importer's signed request, are duplicates; unsigned, the request is refused."""
    root, _ = home
    firms = next((data / "economist-war-fire-model").glob("*.csv"))
    old = json.loads(
        _run("ingest", "--home", str(root), "--format", "firms", "--json", str(firms))
    )[str(firms)]
    assert old["accepted"] == 0 and old["rejected_by_reason"] == {"too_old": 171}
    shown = _run("quarantine", "list", "--home", str(root), "--reason", "too_old", "--limit", "1")
    assert "payload.observed_at" in shown and "time.max_age_s" in shown

    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    recent = tmp_path / firms.name
    recent.write_text(firms.read_text().replace("2025-08-11", yesterday))
    counts = json.loads(
        _run("ingest", "--home", str(root), "--format", "firms", "--json", str(recent))
    )[str(recent)]
    assert counts["accepted"] == 171 and counts["rejected"] == 0
    importer = keys.generate()
    _run(
        "sensor",
        "add",
        "--home",
        str(root),
        "--id",
        "importer-g1",
        "--kind",
        "importer",
        "--operator",
        "guarantor-1",
        "--public-key",
        keys.public_key_b64(importer.public_key()),
    )
    body = recent.read_bytes()
    url = "http://testserver/ingest/firms"
    with TestClient(create_app(Home(root))) as client:
        # A write the server signs for someone must say who: unsigned, it is refused.
        anonymous = client.post("/ingest/firms", content=body, headers={"x-filename": recent.name})
        assert anonymous.status_code == 401
        signed = httpsig.sign_headers(
            "POST", url, body, importer, keys.key_id(importer.public_key())
        )
        again = client.post(
            "/ingest/firms", content=body, headers={"x-filename": recent.name, **signed}
        ).json()
        assert again["accepted"] == 0
        assert again["rejected_by_reason"] == {"duplicate_provenance": 171}
        assert client.post("/ingest/nonsense", content=b"x").status_code == 404


def test_sensor_rotate_and_revoke_cli(
    home: tuple[Path, keys.Ed25519PrivateKey], tmp_path: Path
) -> None:
    root, _ = home
    k1, k2 = keys.generate(), keys.generate()
    h = str(root)
    _run(
        "sensor",
        "add",
        "--home",
        h,
        "--id",
        "cam-9",
        "--kind",
        "camera",
        "--operator",
        "party-b",
        "--public-key",
        keys.public_key_b64(k1.public_key()),
        "--effective-at",
        "2026-03-01T00:00:00Z",
    )
    out = _run(
        "sensor",
        "rotate",
        "cam-9",
        "--home",
        h,
        "--public-key",
        keys.public_key_b64(k2.public_key()),
        "--effective-at",
        "2026-03-05T00:00:00Z",
    )
    assert keys.key_id(k2.public_key()) in out
    _run(
        "sensor",
        "revoke",
        "cam-9",
        "--home",
        h,
        "--effective-at",
        "2026-03-06T00:00:00Z",
        "--reason",
        "lost",
    )
    listed = json.loads(_run("sensor", "list", "--home", h, "--json"))
    cam = next(s for s in listed if s["id"] == "cam-9")
    assert (
        cam["status"] == "revoked"
        and cam["keys"] == 2
        and cam["keyid"] == keys.key_id(k2.public_key())
    )
    # refused before anything is written: unknown sensor, duplicate registration
    assert runner.invoke(app, ["sensor", "revoke", "ghost", "--home", h]).exit_code == 1
    dup = runner.invoke(
        app,
        [
            "sensor",
            "add",
            "--home",
            h,
            "--id",
            "cam-9",
            "--kind",
            "camera",
            "--operator",
            "party-b",
            "--public-key",
            keys.public_key_b64(keys.generate().public_key()),
        ],
    )
    assert dup.exit_code == 1 and "already registered" in dup.output
    bad = runner.invoke(
        app,
        [
            "sensor",
            "add",
            "--home",
            h,
            "--id",
            "x",
            "--kind",
            "radar",
            "--operator",
            "p",
            "--public-key",
            "AAAA",
        ],
    )
    assert bad.exit_code == 1 and "kind" in bad.output and "public_key" in bad.output

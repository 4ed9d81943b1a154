"""A mission home whose log lives in PostgreSQL, driven through the CLI and HTTP as an operator
and an outside auditor would: ingest, fuse, enforce; `/log/` served from the database; a
mirror made over HTTP; `log audit` and `replay` on both give the same answers; a witness
cosigning it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulated_home import build_mission, cli, cli_result, server
from truceline.home import Home
from truceline.ledger.storage.postgres import PostgresStorage
from witness.live import serve


@pytest.mark.postgres
def test_mission_on_the_postgresql_driver_audits_replays_and_mirrors(
    tmp_path: Path, pg_url: str
) -> None:
    mission = build_mission(
        tmp_path, days=0.25, init_args=("--log-storage", pg_url, "--store-url", pg_url)
    )
    home = Home(mission.home)
    assert (mission.home / "log.storage").read_text().strip() == pg_url
    assert not (mission.home / "log").exists(), "tiles went to the disk, not to PostgreSQL"
    storage = home.tile_storage()
    assert isinstance(storage, PostgresStorage)
    signed = storage.get("checkpoint")
    storage.close()
    assert signed is not None
    size = int(signed.split(b"\n")[1])
    assert size > 100

    audited = cli("log", "audit", "--home", mission.h, "--state", str(tmp_path / "auditor"))
    assert audited.startswith(f"OK size {size},"), audited
    code, verdicts = mission.replay()
    assert code == 0

    with serve(server(mission.home)) as base:
        mirror_home = tmp_path / "mirror"
        cli("mirror", f"{base}/log", "--home", str(mirror_home), "--vkey", str(home.log_vkey))
    assert (mirror_home / "log" / "checkpoint").read_bytes() == signed
    mirrored = cli("log", "audit", "--home", str(mirror_home), "--state", str(tmp_path / "a2"))
    assert mirrored.startswith(f"OK size {size},"), mirrored
    again = cli_result("replay", "--home", str(mirror_home))
    assert again.exit_code == 0
    assert json.loads(again.stdout) == verdicts  # the same verdicts from the public copy


@pytest.mark.postgres
def test_a_witness_cosigns_a_log_on_the_postgresql_driver(tmp_path: Path, pg_url: str) -> None:
    """The cosigner hook and its consistency proofs read the tiles through the driver."""
    from truceline.api import create_app
    from truceline.ledger.home import create_log, open_log
    from truceline.ledger.witness.core import Witness
    from truceline.ledger.witness.server import create_app as witness_app
    from truceline.ledger.witness.store import WitnessStore
    from truceline.store.base import open_store
    from witness.helpers import cosigner

    origin = "pg.test/log"
    home = Home(tmp_path / "operator")
    home.root.mkdir()
    (home.root / "log.storage").write_text(pg_url + "\n")
    create_log(home, origin).close()
    vkey = home.log_vkey.read_text().strip()
    engine = open_store(f"sqlite:///{tmp_path / 'witness.db'}")
    w = Witness(WitnessStore(engine, "witness.example.org/w1"), cosigner("witness.example.org/w1"))
    w.store.add_log(origin, vkey)
    with serve(witness_app(w)) as url:
        home.policy.write_text(f"log {vkey}\nwitness w1 {w.vkey} {url}\nquorum w1\n")
        for start in (0, 300):  # the second append needs a consistency proof from the tiles
            log = open_log(home)
            log.append([f"entry {i}".encode() for i in range(start, start + 300)])
            log.close()
    engine.dispose()
    storage = home.tile_storage()
    signed = storage.get("checkpoint")
    storage.close()
    assert signed is not None and signed.split(b"\n")[1] == b"600"
    assert f"— {w.vkey.split('+')[0]} ".encode() in signed  # cosigned by w1
    with serve(create_app(home)) as base:
        mirror_home = tmp_path / "mirror"
        out = cli(
            "mirror",
            f"{base}/log",
            "--home",
            str(mirror_home),
            "--vkey",
            str(home.log_vkey),
            "--policy",
            str(home.policy),
        )
    assert "size 0 -> 600 (+600 entries)" in out  # with --policy: only if w1's quorum holds
    assert (mirror_home / "log" / "checkpoint").read_bytes() == signed
